"""How Knowhow writes its logs: `KNOWHOW_LOG_FORMAT=text` (the default, a line a person reads) or
`json` (one JSON object a line, for a log collector).

A JSON line has `time` (UTC, ISO 8601), `level`, `logger`, `message`, and the ids that say what
it is about, when known: `team`, `request_kind` (bot.metrics.request_kind), `outbox_id`,
`outbox_kind`, `session_id`; `exc` holds a traceback. The ids come from `context()`, set at the
edges (a Slack request at the HTTP front, a row in the outbox worker), or from a log call's
`extra=` (the scheduler's jobs, which do not import the Slack edge).

The rule, in both formats: a log line never carries a token (xoxb-, xoxp-, xapp-, ...), a signing
or client secret, or what people wrote (questions, answers, mentoring notes). Log messages name
rows by id; Slack tokens and the configured secrets are replaced by "[redacted]" before a line is
written, should one slip in; Bolt, which logs request bodies below warning level, logs warnings
and errors only (slack-sdk logs bodies at debug level, never written); database errors do not quote their parameters
(storage.db.make_engine). tests/edge/test_http_logs.py drives requests with token-looking text
through the app and checks every line.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The ids a JSON line may carry, from `context()` or a log call's `extra=`.
FIELDS = ("team", "request_kind", "outbox_id", "outbox_kind", "session_id")
# Slack's tokens: bot (xoxb-), user (xoxp-), app-level (xapp-), refresh (xoxe-), legacy and others.
TOKEN = re.compile(r"\b(?:xox[abeoprs]|xapp)-[0-9A-Za-z-]+")
REDACTED = "[redacted]"
# Bolt logs request bodies at debug and info level; slack-sdk logs its requests at debug level only,
# below what is written. Alembic says at info level which database backend it found on every look
# at the schema (`knowhow outbox`, `doctor`…): it still says what went wrong, and `knowhow migrate`
# says when the database is up to date. APScheduler's executor says at info level that it runs and
# finished each job (a sweep every 30 s); a job's failure or misfire is still a warning or an error.
CHATTY = ("slack_bolt", "alembic", "apscheduler.executors")

_context: ContextVar[dict[str, object] | None] = ContextVar("knowhow_log_context", default=None)


@contextmanager
def context(**fields: object) -> Iterator[None]:
    """The ids of what this thread is doing now, on every line it logs meanwhile."""
    token = _context.set({**(_context.get() or {}), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


class _Redacting:
    secrets: tuple[str, ...] = ()

    def redact(self, line: str) -> str:
        line = TOKEN.sub(REDACTED, line)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line


class TextFormatter(_Redacting, logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__(TEXT_FORMAT)
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class JsonFormatter(_Redacting, logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_context.get() or {})
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return self.redact(json.dumps(line, ensure_ascii=False, default=str))


def formatter(log_format: str = "text", secrets: Iterable[str] = ()) -> logging.Formatter:
    return JsonFormatter(secrets) if log_format == "json" else TextFormatter(secrets)


def secrets_of(settings) -> tuple[str, ...]:
    """The configured secrets a log line must never show."""
    if settings is None:
        return ()
    values = (settings.bot_token, settings.app_token, settings.signing_secret, settings.client_secret)
    return tuple(v for v in (*values, *settings.token_key) if v)


class _StandardError(logging.StreamHandler):
    """Standard error as it is when a line is written, not as it was when logging was set up
    (something may replace it meanwhile: a test capturing it, a process daemonising)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(settings=None, *, level: int = logging.INFO, stream=None) -> logging.Handler:
    """Log to `stream` (standard error) in the settings' format (text when there are none yet).
    Returns the handler, which replaces the one an earlier call installed."""
    handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    handler.setFormatter(formatter(getattr(settings, "log_format", "text"), secrets_of(settings)))
    handler.knowhow = True
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "knowhow", False):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
