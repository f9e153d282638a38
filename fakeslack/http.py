"""The HTTP side both local servers share (the Web API stand-in and the playground's page): one
Content-Length parser, one bounded body reader, one way to send an answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

# The largest request body the Web API stand-in takes (a file's bytes to an upload_url included).
MAX_REQUEST_BODY = 64 * 1024 * 1024


@dataclass
class Answer:
    """An HTTP answer: a dict body goes as JSON, a str body as plain text."""

    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BadLength:
    """Why a body was not read: 400 invalid_content_length or 413 too_large."""

    status: int
    error: str


def content_length(headers) -> int | None:
    """A request's Content-Length: 0 when there is none, None when it is not a non-negative integer
    (`abc`, `-1`, `+5`): such a request is answered 400 and its body never read."""
    raw = headers.get("Content-Length")
    if raw is None:
        return 0
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def read_body(request: BaseHTTPRequestHandler, limit: int) -> bytes | BadLength:
    """The request's body, or a BadLength when its Content-Length is not a whole number up to
    `limit`; the body is then not read, so the connection is marked to close (it cannot be reused)."""
    length = content_length(request.headers)
    if length is None or length > limit:
        request.close_connection = True
        return BadLength(400, "invalid_content_length") if length is None else BadLength(413, "too_large")
    return request.rfile.read(length) if length else b""


def headers_of(request: BaseHTTPRequestHandler) -> dict[str, str]:
    """The request's headers, names lower-cased."""
    return {k.lower(): v for k, v in request.headers.items()}


def send(request: BaseHTTPRequestHandler, answer: Answer) -> None:
    body = answer.body if isinstance(answer.body, str) else json.dumps(answer.body)
    data = body.encode()
    request.send_response(answer.status)
    ctype = "text/plain" if isinstance(answer.body, str) else "application/json; charset=utf-8"
    request.send_header("Content-Type", ctype)
    request.send_header("Content-Length", str(len(data)))
    for key, value in answer.headers.items():
        request.send_header(key, value)
    request.end_headers()
    request.wfile.write(data)
