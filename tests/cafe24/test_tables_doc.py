"""docs/tables.md lists every declared column with its type, and nothing else: the page and fields.py agree."""

from __future__ import annotations

import re
from pathlib import Path

from sources.cafe24.fields import DECLARED

DOC = Path(__file__).resolve().parents[2] / "docs" / "tables.md"
TYPES = {
    "BIGINT": "bigint",
    "DECIMAL(38,9)": "decimal",
    "BOOLEAN": "bool",
    "TIMESTAMPTZ": "timestamp",
    "JSON text (VARCHAR)": "json",
    "VARCHAR": "text",
}


def documented() -> dict[str, dict[str, str]]:
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        if heading := re.match(r"^### `(\w+)` columns$", line):
            current = tables.setdefault(heading[1], {})
        elif current is not None and (row := re.match(r"^\| (.+?) \| (`.*`) \|$", line)):
            current.update({name: TYPES[row[1]] for name in re.findall(r"`([^`]+)`", row[2])})
    return tables


def test_the_table_reference_lists_every_declared_column_with_its_type() -> None:
    assert documented() == DECLARED
