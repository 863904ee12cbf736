"""Log lines for the city's log collector: one line per event, local time with its offset.

LOG_FORMAT=plain (the default)::

    2026-12-01T10:15:00+09:00 INFO portal.staff user=kumamoto-editor municipality=431001 action=change …

A message or traceback spanning several lines stays on its line, its line
breaks written as \\n. LOG_FORMAT=json writes one JSON object per line instead
(time, level, logger, message, the staff log's fields, exception).
"""

import datetime
import json
import logging

from django.utils import timezone


class PlainFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatTime(self, record, datefmt=None):
        moment = datetime.datetime.fromtimestamp(record.created, timezone.get_default_timezone())
        return moment.isoformat(timespec="seconds")

    def format(self, record):
        return super().format(record).replace("\r", "\\r").replace("\n", "\\n")


class JsonFormatter(PlainFormatter):
    def format(self, record):
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "staff", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
