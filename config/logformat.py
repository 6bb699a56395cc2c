"""The "security" logger's format: one JSON object a line (loaded with the settings, before the
apps: it imports nothing of Django's models)."""

from __future__ import annotations

import datetime as dt
import json
import logging


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        moment = dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="seconds")
        payload = {"time": moment, "level": record.levelname, "event": record.getMessage()}
        payload.update(getattr(record, "fields", {}))
        return json.dumps(payload, ensure_ascii=False)


class OneLineRefusal(logging.Filter):
    """A refused or missing page (a 4xx on `django.request`) is one line in the log.

    Django attaches the exception to those records, so every 403 and 404 printed a full traceback
    that tells an operator nothing the line does not (the refusal itself is also a "security"
    event). Server errors (5xx) keep their traceback: that is where one is needed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
