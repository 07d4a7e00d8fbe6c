"""Reading every current record of items.jsonl in line-aligned byte ranges (a full scan).

:meth:`digest.store.Store.scan_plan` cuts the file into ranges (one per worker
of a parallel rescore) and names the superseded lines; :func:`iter_range`
reads one range, skipping them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from digest.records import dataclass
from digest.store.format import DamagedLine, fast_loads


@dataclass
class ScanPlan:
    ranges: list[tuple[int, int]]  # [start, end) byte ranges, line-aligned
    superseded: set[int]  # offsets of lines replaced by a later version
    count: int  # how many papers (latest versions) the ranges hold
    path: str | Path = ""  # the file to read: the one the plan's index described (see Store)


def iter_range(path: str | Path, start: int, end: int, superseded: set[int]) -> Iterator[tuple[int, int, dict]]:
    """(offset, length, record) for every current record in [start, end).

    A current line that is not JSON, or is not an object with an id, raises :class:`DamagedLine`
    (the index said a record is there; the store repairs and the scan is done again). The full
    validation of a record is left to whoever meets a wrong type (``digest.store.format.valid_record``):
    it costs more than the scan."""
    loads = fast_loads()
    with open(path, "rb") as fh:
        fh.seek(start)
        off = start
        for line in fh:
            n = len(line)
            if off >= end:
                break
            if off not in superseded:
                try:
                    rec = loads(line) if line.endswith(b"\n") else None
                except ValueError:
                    rec = None
                if not (isinstance(rec, dict) and "id" in rec):
                    if not line.strip():  # a blank line: never indexed, nothing lost
                        off += n
                        continue
                    raise DamagedLine(off)
                yield off, n, rec
            off += n
