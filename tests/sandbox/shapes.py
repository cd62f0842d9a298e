"""The JSON type of a value, as the documentation's examples are compared with the sandbox's answers."""

from __future__ import annotations


def json_type(value: object) -> str:
    """Numbers are one type here: the examples print 1000 in one row and 1000.5 in the next."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]
