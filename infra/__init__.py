"""Adapters: settings, the Redis Streams event log, the live hub, tokens, AWS."""
