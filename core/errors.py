"""Every failure a client or operator can see, as one small exception tree.

Adapters translate foreign exceptions (redis, boto3, PyJWT) into these where they arise;
``handlers.errors`` alone turns them into status codes. The tree::

    BurstreamError            code: a stable machine-readable string
    ├── InvalidInput          a name, cursor or query value is malformed      (400)
    ├── Unauthorized          no credentials, or credentials that do not verify (401)
    ├── Forbidden             valid credentials, wrong tenant/scope/stream    (403)
    ├── CursorGone            a cursor can no longer be honoured without a gap (410)
    ├── PayloadTooLarge       a body or an event is over its size limit       (413)
    ├── InvalidBody           a publish body does not match the schema        (422)
    ├── TooManyRequests       over a connection lease or a rate limit          (429)
    └── StoreUnavailable      the event store did not answer in time          (503)
"""

from __future__ import annotations

from typing import ClassVar


class BurstreamError(Exception):
    """Base of every error burstream raises on purpose."""

    default_code: ClassVar[str] = "error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code

    def extra(self) -> dict[str, object]:
        """Fields beyond ``error`` and ``detail`` that the JSON body carries."""
        return {}


class InvalidInput(BurstreamError):
    default_code = "invalid_request"


class Unauthorized(BurstreamError):
    default_code = "unauthorized"


class Forbidden(BurstreamError):
    default_code = "forbidden"


class PayloadTooLarge(BurstreamError):
    default_code = "payload_too_large"


class InvalidBody(BurstreamError):
    default_code = "invalid_body"


class CursorGone(BurstreamError):
    """The events right after a cursor are gone, or the stream is another incarnation."""

    default_code = "cursor_gone"

    def __init__(self, reason: str, *, oldest: str, head: str) -> None:
        super().__init__(f"cursor can no longer be honoured: {reason}")
        self.reason = reason
        self.oldest = oldest
        self.head = head

    def extra(self) -> dict[str, object]:
        return {"reason": self.reason, "oldest": self.oldest, "head": self.head}


class TooManyRequests(BurstreamError):
    default_code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class StoreUnavailable(BurstreamError):
    """The event store, or another backing service (an identity provider's keys), is down."""

    default_code = "store_unavailable"

    def __init__(self, detail: str, *, retry_after: int = 1, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after
