"""The Lambda context the tests hand to the handler: the local gateway's own, whose remaining
time counts down on the monotonic clock as Lambda's does.

A test asserts on what the context itself measured ("the handler returned with time left",
``expired``), never on wall-clock thresholds of its own.
"""

from __future__ import annotations

from handlers.gateway import LocalContext as FakeContext

__all__ = ["FakeContext"]
