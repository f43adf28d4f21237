"""Logging for ``burstream serve``: uvicorn's own configuration, minus credentials.

uvicorn's access log prints each request line with its query string, and an EventSource ticket
travels in the query string (``?ticket=``): a credential must not land in the logs.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

from uvicorn.config import LOGGING_CONFIG

_PARAMETER = re.compile(r"(?<=[?&;])([^=&;\s]*)=[^&;\s]*")
REDACTED = "[redacted]"


class RedactTickets(logging.Filter):
    """Replace the value of ``ticket=`` in uvicorn access records (their third argument).

    Names are compared decoded, as the app reads them: ``%74icket=`` is a ticket too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], _PARAMETER.sub(_redact, args[2]), *args[3:])
        return True


def _redact(match: re.Match[str]) -> str:
    if unquote_plus(match[1]).strip().lower() != "ticket":
        return match[0]
    return f"{match[1]}={REDACTED}"


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with tickets redacted from the access log."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tickets"] = {"()": RedactTickets}
    config["handlers"]["access"]["filters"] = ["redact_tickets"]
    return config
