"""A client that behaves like a browser's ``EventSource`` (WHATWG HTML, "Server-sent events").

It knows nothing of bursts: it keeps one URL, remembers the last ``id:`` it saw, waits the
last ``retry:`` delay when a response ends, and reconnects with ``Last-Event-ID``. That is
exactly what a dashboard gets against the buffered Lambda path.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

import httpx
from httpx_sse import ServerSentEvent, connect_sse


class EventSourceClient:
    """Follows ``url`` across responses, as ``new EventSource(url)`` would."""

    def __init__(self, client: httpx.Client, url: str, headers: Mapping[str, str]) -> None:
        self._client = client
        self._url = url
        self._headers = dict(headers)
        self.last_event_id: str | None = None
        self.retry_ms = 3000
        self.connections = 0

    def responses(self) -> Iterator[list[ServerSentEvent]]:
        """The events of each response, one response at a time, reconnecting in between."""
        while True:
            yield self._one_response()
            time.sleep(self.retry_ms / 1000)

    def _one_response(self) -> list[ServerSentEvent]:
        headers = dict(self._headers)
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = self.last_event_id
        self.connections += 1
        events: list[ServerSentEvent] = []
        with connect_sse(self._client, "GET", self._url, headers=headers) as source:
            source.response.raise_for_status()
            for event in source.iter_sse():
                if event.retry is not None:
                    self.retry_ms = event.retry
                if event.id:
                    self.last_event_id = event.id
                if event.data:
                    events.append(event)
        return events
