"""The pure domain of burstream: names, cursors, events, burst policy, SSE framing, errors, ports.

Nothing here performs I/O or imports from ``infra`` or ``handlers``; a test enforces it.
"""
