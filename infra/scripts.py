"""The Lua scripts beside the Python (``infra/lua/``), each one atomic Redis operation.

Every script is prefixed with ``lua/lib.lua``, the helpers they share; Redis runs each script
alone, so there is no other way for two scripts to share a function.
"""

from __future__ import annotations

from importlib.resources import files

from redis.asyncio import Redis
from redis.commands.core import AsyncScript


def script(redis: Redis, name: str) -> AsyncScript:
    """Register ``lua/<name>`` (with the shared helpers) on ``redis``."""
    folder = files("infra") / "lua"
    source = (folder / "lib.lua").read_text() + "\n" + (folder / name).read_text()
    return redis.register_script(source)
