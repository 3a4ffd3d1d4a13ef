"""Logs an operator can search: JSON lines (COACH_LOG_FORMAT=json) with the time, level, logger,
message, this instance's name and the interview being served on each line; never an answer's text,
never a secret (the API key and database URL are replaced wherever they appear).

The interview is the one of the handler running (`serving`, a context variable that each browser
handler sets), or the one a log call names itself (`extra={"interview": …}`).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from agents.config import Settings

serving: ContextVar[str | None] = ContextVar("coach_serving_interview", default=None)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class ContextFilter(logging.Filter):
    """Adds `interview` and `instance` to every record, and removes secrets from its text."""

    def __init__(self, instance: str | None, secrets: list[str]) -> None:
        super().__init__()
        self.instance = instance
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate (never drop) the record."""
        if getattr(record, "interview", None) is None:
            record.interview = serving.get()
        record.instance = self.instance
        if self.secrets:
            text = record.getMessage()
            for secret in self.secrets:
                text = text.replace(secret, "[redacted]")
            record.msg, record.args = text, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (its extra fields included, the traceback as text)."""
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "instance": getattr(record, "instance", None),
            "interview": getattr(record, "interview", None),
        }
        line.update({k: v for k, v in vars(record).items() if k not in _STANDARD and k not in line})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(settings: Settings) -> None:
    """Install the filter on the root handlers (and a JSON formatter when asked), once per process."""
    secrets = [s.get_secret_value() for s in (settings.openai_api_key, settings.coach_database_url) if s is not None]
    context = ContextFilter(settings.coach_instance, secrets)
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.StreamHandler())
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    # Chainlit logs through a handler of its own: the same treatment there.
    handlers = [*root.handlers, *logging.getLogger("chainlit").handlers]
    for handler in handlers:
        for old in [f for f in handler.filters if isinstance(f, ContextFilter)]:
            handler.removeFilter(old)
        handler.addFilter(context)
        if settings.coach_log_format == "json":
            handler.setFormatter(JsonFormatter())
