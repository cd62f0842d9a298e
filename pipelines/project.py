"""Where a run keeps what it writes: in the project directory it runs in, nowhere else.

dlt keeps a pipeline's working state per pipeline name in the user's data directory (~/.dlt, or /var/dlt for
root), which every checkout on the machine shares, and it resolves a relative DuckDB path against the directory
the pipeline first ran in. So a run keeps dlt's working state inside the project (.dlt_pipelines/) and hands dlt
an absolute database path: two checkouts never share a database, cursors or a run lock, and deleting or moving
one breaks nothing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PIPELINE_NAME = "cafe24"
DUCKDB_FILE = "cafe24.duckdb"
STATE_DIR = ".dlt_pipelines"  # dlt's working state (schemas, cursors, pending packages) and the run lock
DEMO_DIR = "cafe24_demo"  # the demo's own project directory, where `make report` also looks


@dataclass(frozen=True)
class Project:
    """The absolute places of one project's run: its DuckDB file and dlt's working state for the pipeline."""

    root: Path
    duckdb: Path
    pipelines_dir: Path
    pipeline_name: str = PIPELINE_NAME

    @classmethod
    def at(
        cls,
        root: str | Path = ".",
        *,
        duckdb: str | Path | None = None,
        pipelines_dir: str | Path | None = None,
        pipeline_name: str = PIPELINE_NAME,
    ) -> Project:
        """Relative paths are the project's, resolved once here rather than by dlt at some later time."""
        base = Path(root).resolve()
        return cls(base, _under(base, duckdb or DUCKDB_FILE), _under(base, pipelines_dir or STATE_DIR), pipeline_name)

    @property
    def working_dir(self) -> Path:
        return self.pipelines_dir / self.pipeline_name

    @property
    def lock_file(self) -> Path:
        return self.pipelines_dir / f"{self.pipeline_name}.lock"


def _under(root: Path, path: str | Path) -> Path:
    path = Path(path).expanduser()
    return path if path.is_absolute() else root / path
