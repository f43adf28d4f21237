"""A small SSE client for the tests: one burst at a time, parsed by httpx-sse."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse

CONTROL = frozenset({"ready", "burst-end", "reset"})
"""The protocol's own frames, as opposed to published events."""


@dataclass
class BurstResult:
    status: int
    events: list[ServerSentEvent] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        return [event.event for event in self.events]

    @property
    def data_events(self) -> list[ServerSentEvent]:
        return [e for e in self.events if e.event not in CONTROL]

    @property
    def data_ids(self) -> list[str]:
        return [event.id for event in self.data_events]

    @property
    def end(self) -> dict[str, Any]:
        assert self.events[-1].event == "burst-end", self.kinds
        data: dict[str, Any] = json.loads(self.events[-1].data)
        return data

    @property
    def ready(self) -> dict[str, Any]:
        assert self.events[0].event == "ready", self.kinds
        data: dict[str, Any] = json.loads(self.events[0].data)
        return data

    @property
    def last_id(self) -> str:
        return self.events[-1].id


def _heartbeat(event: ServerSentEvent) -> bool:
    """httpx-sse 0.4 reports a comment-only block after an ``id:`` as an empty event
    (florimondmanca/httpx-sse#35); burstream never sends an event with empty data."""
    return event.event == "message" and event.data == ""


async def burst(
    client: httpx.AsyncClient,
    url: str,
    headers: dict[str, str],
    *,
    params: dict[str, Any] | None = None,
) -> BurstResult:
    """Read one whole burst (until the server ends it)."""
    async with aconnect_sse(client, "GET", url, headers=headers, params=params) as source:
        result = BurstResult(source.response.status_code)
        if result.status != 200:
            await source.response.aread()
            return result
        async for event in source.aiter_sse():
            if not _heartbeat(event):
                result.events.append(event)
    return result
