"""uvicorn's access log must not carry EventSource tickets."""

from __future__ import annotations

import logging

import pytest

from handlers.logs import RedactTickets, uvicorn_log_config


def _access_record(path: str) -> logging.LogRecord:
    args = ("127.0.0.1:5000", "GET", path, "1.1", 200)
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, "%s %s %s", args, None)


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/e?ticket=abc.def.ghi", "/e?ticket=[redacted]"),
        ("/e?cursor=1-0&ticket=abc&max_seconds=5", "/e?cursor=1-0&ticket=[redacted]&max_seconds=5"),
        ("/e?myticket=abc", "/e?myticket=abc"),
        ("/e?%74icket=abc", "/e?%74icket=[redacted]"),
        ("/e?TICKET=abc&x=1", "/e?TICKET=[redacted]&x=1"),
        ("/e?cursor=1-0", "/e?cursor=1-0"),
    ],
    ids=["only-ticket", "among-others", "other-name", "encoded-name", "upper-case", "no-ticket"],
)
def test_ticket_values_are_redacted(path: str, logged: str) -> None:
    record = _access_record(path)
    assert RedactTickets().filter(record)
    assert isinstance(record.args, tuple)
    assert record.args[2] == logged


def test_the_filter_sits_on_uvicorns_access_handler() -> None:
    config = uvicorn_log_config()
    assert config["handlers"]["access"]["filters"] == ["redact_tickets"]
    assert config["filters"]["redact_tickets"]["()"] is RedactTickets
