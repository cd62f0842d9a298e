"""The pipeline's own failures, each with the exit code the CLI gives it."""

from __future__ import annotations


class UsageError(Exception):
    """The command line or the configuration is wrong: exit code 2."""


class LoadFailed(Exception):
    """The destination refused some of the load: exit code 1."""


class Interrupted(Exception):
    """Ctrl-C (SIGINT) stopped the run: exit code 130, after saying what was kept."""
