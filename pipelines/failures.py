"""What ended a command, as the user reads it: the exit code and one message that says what to do, never a
traceback and never a secret."""

from __future__ import annotations

from typing import Any

from dlt.common.configuration.exceptions import (
    ConfigFieldMissingException,
    ConfigurationException,
    LookupTraces,
)
from dlt.common.exceptions import MissingDependencyException
from dlt.pipeline.exceptions import PipelineStepFailed

from sources.cafe24 import Cafe24Credentials
from sources.cafe24.errors import Cafe24Error, redact, visible
from sources.cafe24.pii import PiiSettingError
from sources.cafe24.tables import UnexpectedValue

from .errors import EX_INTERRUPTED, Interrupted, LoadFailed, UsageError, cause_of
from .runlock import RunInProgress


def _missing_fields(traces: dict[str, list[Any]], prefix: str = "") -> list[str]:
    """Dotted names of the fields dlt could not find, descending into nested specs (credentials.client_id)."""
    names: list[str] = []
    for name, lookups in traces.items():
        nested = [t for t in lookups if isinstance(t, LookupTraces)]
        if nested:
            for trace in nested:
                names += _missing_fields(trace.traces, f"{prefix}{name}.")
        else:
            names.append(prefix + name)
    return list(dict.fromkeys(names))


def _missing_config(exc: ConfigFieldMissingException) -> str:
    prefix = "credentials." if exc.spec_name == Cafe24Credentials.__name__ else ""
    fields = _missing_fields(exc.traces, prefix) or [prefix + f for f in exc.fields]
    env = ", ".join("SOURCES__CAFE24__" + f.upper().replace(".", "__") for f in fields)
    return (
        f"missing configuration: {', '.join(fields)}. Put it under [sources.cafe24] in .dlt/config.toml "
        f"(secrets in .dlt/secrets.toml, see .dlt/secrets.toml.example) or export {env}."
    )


def _destination_problem(pipeline: Any, exc: ConfigFieldMissingException | MissingDependencyException) -> str:
    """A destination that lacks its package or its settings: what to install or where to put what."""
    name = getattr(getattr(pipeline, "destination", None), "destination_name", None) or "the destination"
    if isinstance(exc, MissingDependencyException):
        return f"destination {name} needs packages that are not installed: {redact(str(exc)).splitlines()[0]}"
    fields = _missing_fields(exc.traces) or list(exc.fields)
    env = ", ".join(f"DESTINATION__{name.upper()}__" + f.upper().replace(".", "__") for f in fields)
    return (
        f"destination {name} is missing {', '.join(fields)}. Put them under [destination.{name}] in "
        f".dlt/secrets.toml (or .dlt/config.toml), or export {env}."
    )


def failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the message for what ended a command; anything unforeseen is raised again."""
    if isinstance(exc, PipelineStepFailed):
        cause = cause_of(exc, Cafe24Error)
        inner = exc.exception
        if cause is not None:
            return 1, f"error: {cause}"
        if (refused := cause_of(exc, PiiSettingError)) is not None:
            return 2, f"error: {refused}"
        if (broken := cause_of(exc, UnexpectedValue)) is not None:
            return 1, (
                f"error: the API sent a value its column's declared type does not allow (docs/tables.md), so "
                f"the run stopped there: {visible(redact(str(broken)))}"
            )
        if isinstance(inner, (ConfigFieldMissingException, MissingDependencyException)):
            return 2, f"error: {_destination_problem(exc.pipeline, inner)}"
        return 1, f"error: the {exc.step} step failed: {type(inner).__name__}: {visible(redact(str(inner)))}"
    if isinstance(exc, UsageError):
        return 2, f"error: {exc}"
    if isinstance(exc, ConfigFieldMissingException):
        return 2, f"error: {_missing_config(exc)}"
    if isinstance(exc, (ConfigurationException, MissingDependencyException)):
        return 2, f"error: configuration: {visible(redact(str(exc)))}"
    if isinstance(exc, RunInProgress):
        return exc.exit_code, f"error: {exc}"
    if isinstance(exc, Interrupted):
        return EX_INTERRUPTED, str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return EX_INTERRUPTED, "interrupted before the run started: nothing was changed"
    if isinstance(exc, (Cafe24Error, LoadFailed)):
        return 1, f"error: {exc}"
    raise exc
