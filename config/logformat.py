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
