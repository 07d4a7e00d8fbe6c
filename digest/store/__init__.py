"""The store: plain JSONL files plus a rebuildable index.

- :mod:`digest.store.format`: the files, the record and event schemas, the format version
- :mod:`digest.store.files`: atomic rewrite, durable append, the run lock
- :mod:`digest.store.index`: the SQLite cache of items.jsonl
- :mod:`digest.store.repair`: torn and damaged lines
- :mod:`digest.store.scan`: reading every record in byte ranges (full rescores)
- :mod:`digest.store.store`: the :class:`Store` that puts them together
"""

from digest.store.format import utcnow
from digest.store.store import Store

__all__ = ["Store", "utcnow"]
