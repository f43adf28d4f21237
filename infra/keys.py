"""The one place Redis keys are built, and so where tenancy is enforced at the storage level.

Every key of a tenant is ``<prefix>:{<tenant>}:<kind>:<stream>``: the hash tag ``{tenant}``
puts all of a tenant's keys in one cluster slot (the append script touches several), and the
names are checked again here, so no code path can build a key from an unchecked name.

Keys that belong to a whole tenant rather than one stream (connection leases, the publish
bucket) use the same shape with a fixed name in the stream's place (``all``, ``publish``) or,
for a user's leases, a hash of the user's subject: a subject is any string an identity provider
chose, and hashing it keeps it from ever shaping a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.names import stream_name, tenant_name


class Kind(StrEnum):
    STREAM = "s"
    META = "m"
    IDEMPOTENCY = "i"
    TENANT_LEASES = "lt"
    USER_LEASES = "lu"
    PUBLISH_BUCKET = "r"


@dataclass(frozen=True, slots=True)
class Keys:
    """Builds keys under one prefix (a deployment, or a test run)."""

    prefix: str

    def of(self, kind: Kind, tenant: str, stream: str, suffix: str = "") -> str:
        """The key of ``kind`` for ``tenant``/``stream`` (``suffix`` for per-request records)."""
        key = f"{self.prefix}:{{{tenant_name(tenant)}}}:{kind.value}:{stream_name(stream)}"
        return f"{key}:{suffix}" if suffix else key

    def process(self, name: str) -> str:
        """A key private to one process (the live hub's wake-up stream), outside any tenant."""
        return f"{self.prefix}:proc:{name}"
