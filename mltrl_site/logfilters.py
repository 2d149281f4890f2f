"""Logging filters: one line per expected event."""

from __future__ import annotations

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """Drop the traceback of records about 4xx answers (403, 404, 400).

    Django logs ``Forbidden (Permission denied)`` and ``Not Found`` with the
    exception attached, so every refused admin page printed a full traceback.
    Those are answers working as intended; 5xx records keep their traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
