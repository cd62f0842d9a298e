"""Cafe24's error body, `{"error": {"code", "message", "more_info"}}`, as one exception type."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ApiError(Exception):
    """Raised anywhere in a handler; the app turns it into the documented error body.

    `code` is the HTTP status as a number: the reference prints only a placeholder, and the sandbox chose the
    status itself (see docs/sandbox.md).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        more_info: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.more_info = more_info or {}

    def response(self) -> JSON:
        body = {"error": {"code": self.status, "message": self.message, "more_info": self.more_info}}
        return JSON(body, status_code=self.status, headers=self.headers)


def invalid(parameter: str, why: str) -> ApiError:
    """422: a parameter is missing or does not match the spec."""
    return ApiError(422, f"Invalid parameter ({parameter}): {why}", more_info={"parameter": parameter})
