"""Bounded waiting for a condition that another thread or task makes true."""

from __future__ import annotations

from collections.abc import Callable

import anyio


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    """Poll ``condition`` until it holds; ``seconds`` is a hang guard, not a speed check."""
    with anyio.fail_after(seconds):
        while not condition():  # noqa: ASYNC110 - the state lives in another thread
            await anyio.sleep(0.01)
