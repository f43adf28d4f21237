"""The one place Redis keys are built, and so where tenancy is enforced at the storage level.

Every key of a tenant is ``<prefix>:{<tenant>}:<kind>:<stream>``: the hash tag ``{tenant}``
puts all of a tenant's keys in one cluster slot (the append script touches several), and the
names are checked again here, so no code path can build a key from an unchecked name.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.names import stream_name, tenant_name


class Kind(StrEnum):
    STREAM = "s"
    META = "m"
    IDEMPOTENCY = "i"


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
