"""What the CLI and the orchestration read from dlt config before a source is built: the malls, the base URL, the
token store, the app's credentials and the DuckDB file, looked up where the source itself looks."""

from __future__ import annotations

from typing import Any

import dlt
from dlt.common.configuration import with_config

from sources.cafe24 import Cafe24Credentials
from sources.cafe24.mallid import parse_mall_ids
from sources.cafe24.settings import DEFAULT_BASE_URL, DEFAULT_TOKEN_STORE

from .errors import UsageError

DUCKDB_CONFIG_KEY = "destination.duckdb.credentials"


# Looked up where cafe24_source looks: [sources.cafe24] in .dlt/*.toml, SOURCES__CAFE24__... variables.
@with_config(sections=("sources", "cafe24", "cafe24"))
def configured(
    mall_id: Any = None, base_url: str = DEFAULT_BASE_URL, token_store: str = DEFAULT_TOKEN_STORE
) -> tuple[Any, str, str]:
    return mall_id, base_url, token_store


def configured_duckdb() -> str | None:
    """dlt's own key for the database file, [destination.duckdb] credentials; relative to the project."""
    value: Any = dlt.config.get(DUCKDB_CONFIG_KEY) or dlt.secrets.get(DUCKDB_CONFIG_KEY)
    if value is not None and not isinstance(value, str):
        raise UsageError(f'{DUCKDB_CONFIG_KEY} must be the path of a DuckDB file, e.g. "cafe24.duckdb"')
    return value


@with_config(sections=("sources", "cafe24", "cafe24"))
def configured_credentials(credentials: Cafe24Credentials = dlt.secrets.value) -> Cafe24Credentials:
    return credentials


def mall_ids(value: Any) -> list[str]:
    """Mall ids from the command line or config, parsed as the source parses them; a bad one is a usage error."""
    try:
        return parse_mall_ids(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
