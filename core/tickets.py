"""EventSource tickets: what a bearer token may be traded for, decided purely.

A browser's ``EventSource`` cannot send headers, so it trades its bearer token for a ticket and
passes that as ``?ticket=``. A ticket is deliberately narrow:

- one tenant, and a list of exact stream names: a name can be checked against the bearer's
  ``streams`` patterns, whereas a pattern would need pattern inclusion, which globs cannot
  decide reliably; so a ticket never grants more than the token it came from;
- the ``subscribe`` scope only, and it may not be traded for another ticket, so a leaked ticket
  dies with its expiry and cannot renew itself;
- a life of at most the configured maximum and never past the bearer token's own expiry.

A ticket is checked when a burst or a history request starts; a burst that began with a valid
ticket runs to its deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated

import msgspec

from core.access import Principal, Scope, authorize, principal_from_claims
from core.errors import Forbidden, Unauthorized
from core.events import decode_body
from core.names import stream_name

MAX_STREAMS = 16


class TicketRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The body of ``POST .../tickets``; ``ttl_seconds`` defaults to the maximum."""

    streams: Annotated[list[str], msgspec.Meta(min_length=1, max_length=MAX_STREAMS)]
    ttl_seconds: Annotated[int, msgspec.Meta(ge=1)] | None = None


class TicketGrant(msgspec.Struct, frozen=True):
    """What one ticket allows, before it is signed."""

    subject: str
    tenant: str
    streams: tuple[str, ...]
    issued_at: int
    expires_at: int

    def claims(self) -> dict[str, object]:
        """The grant as JWT claims (``core.access`` reads them back)."""
        return {
            "sub": self.subject,
            "tenant": self.tenant,
            "streams": list(self.streams),
            "scope": Scope.SUBSCRIBE.value,
            "iat": self.issued_at,
            "exp": self.expires_at,
        }


class IssuedTicket(msgspec.Struct, frozen=True):
    """The answer to ``POST .../tickets``: the ticket, when it expires, and its life."""

    ticket: str
    expires_at: str
    ttl_seconds: int


_decoder = msgspec.json.Decoder(TicketRequest)


def decode_request(body: bytes) -> TicketRequest:
    """Decode a ticket request; ``InvalidBody`` names the offending field."""
    return decode_body(_decoder, body)


def may_issue(principal: Principal, tenant: str) -> None:
    """Raise ``Forbidden`` unless ``principal`` may hold tickets for ``tenant`` at all."""
    if principal.ticket:
        raise Forbidden("a ticket cannot be traded for another ticket", code="ticket_forbidden")
    authorize(principal, tenant, Scope.SUBSCRIBE, None)


def grant(
    principal: Principal, tenant: str, request: TicketRequest, *, max_ttl: int, now: int
) -> TicketGrant:
    """The ticket ``principal`` gets for ``request``; its names are checked, then authorised."""
    may_issue(principal, tenant)
    streams = tuple(sorted({stream_name(stream) for stream in request.streams}))
    for stream in streams:
        authorize(principal, tenant, Scope.SUBSCRIBE, stream)
    ttl = min(request.ttl_seconds or max_ttl, max_ttl)
    if principal.expires_at is not None:
        ttl = min(ttl, principal.expires_at - now)
    if ttl < 1:
        raise Unauthorized("token has expired", code="token_expired")
    return TicketGrant(principal.subject, tenant, streams, now, now + ttl)


def issued(ticket: str, grant_: TicketGrant) -> IssuedTicket:
    """The answer for a signed ticket; ``ttl_seconds`` spares clients a skewed clock."""
    moment = datetime.fromtimestamp(grant_.expires_at, tz=UTC)
    expires_at = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    return IssuedTicket(ticket, expires_at, grant_.expires_at - grant_.issued_at)


def ticket_principal(claims: Mapping[str, object]) -> Principal:
    """The principal of a verified ticket: subscribe only, whatever the claims say."""
    principal = principal_from_claims(claims)
    expires_at = claims.get("exp")
    return msgspec.structs.replace(
        principal,
        scopes=frozenset({Scope.SUBSCRIBE.value}),
        streams=principal.streams or (),
        expires_at=expires_at if isinstance(expires_at, int) else None,
        ticket=True,
    )
