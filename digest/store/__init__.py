"""The store: plain JSONL files plus a rebuildable index.

- :mod:`digest.store.format`: the files, the record and event schemas, the format version
- :mod:`digest.store.files`: atomic rewrite, durable append, the run lock
- :mod:`digest.store.index`: the SQLite cache of items.jsonl
- :mod:`digest.store.repair`: torn and damaged lines
- :mod:`digest.store.scan`: reading every record in byte ranges (full rescores)
- :mod:`digest.store.store`: the :class:`Store` that puts them together
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.store.format import utcnow
    from digest.store.store import Store

__all__ = ["Store", "utcnow"]


def __getattr__(name: str):
    """``Store`` and ``utcnow`` load on first use, so a module that needs only the file format
    (``digest.store.format``, e.g. the reading list's event types) does not load SQLite."""
    if name == "Store":
        from digest.store.store import Store

        return Store
    if name == "utcnow":
        from digest.store.format import utcnow

        return utcnow
    raise AttributeError(name)
