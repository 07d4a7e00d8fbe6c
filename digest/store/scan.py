"""Reading every current record of items.jsonl in line-aligned byte ranges (a full scan).

:meth:`digest.store.Store.scan_plan` cuts the file into ranges (one per worker
of a parallel rescore) and names the superseded lines; :func:`iter_range`
reads one range, skipping them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from digest.store.format import fast_loads


@dataclass
class ScanPlan:
    ranges: list[tuple[int, int]]  # [start, end) byte ranges, line-aligned
    superseded: set[int]  # offsets of lines replaced by a later version
    count: int  # how many papers (latest versions) the ranges hold


def iter_range(path: Path, start: int, end: int, superseded: set[int]) -> Iterator[tuple[int, int, dict]]:
    """(offset, length, record) for every current record in [start, end)."""
    loads = fast_loads()
    with open(path, "rb") as fh:
        fh.seek(start)
        off = start
        for line in fh:
            n = len(line)
            if off >= end:
                break
            if off not in superseded and line.endswith(b"\n"):
                try:
                    rec = loads(line)
                except ValueError:
                    rec = None
                if isinstance(rec, dict) and "id" in rec:
                    yield off, n, rec
            off += n
