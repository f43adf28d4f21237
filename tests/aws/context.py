"""A fake Lambda context: its remaining time counts down on the monotonic clock, as Lambda's does.

A test asserts on what the context itself measured ("the handler returned with time left"),
never on wall-clock thresholds of its own.
"""

from __future__ import annotations

import time
import uuid


class FakeContext:
    """The attributes and the one method a Python Lambda context offers."""

    function_name = "burstream-test"
    function_version = "$LATEST"
    memory_limit_in_mb = "1024"
    log_group_name = "/aws/lambda/burstream-test"
    log_stream_name = "2026/11/27/[$LATEST]0123456789abcdef"

    def __init__(self, seconds: float) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = (
            f"arn:aws:lambda:eu-west-1:123456789012:function:{self.function_name}"
        )
        self._deadline = time.monotonic() + seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    @property
    def expired(self) -> bool:
        """True once the invocation has no milliseconds left (Lambda would have killed it)."""
        return self.get_remaining_time_in_millis() <= 0
