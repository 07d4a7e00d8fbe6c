"""The semantic cache: one float16 vector per paper text, beside the store.

``semantic.vec``  a 64-byte header, then rows of ``dim`` float16 (unit vectors);
``semantic.key``  a 64-byte header, then one u64 per row: the blake2b-64 of the exact
                  text the row was computed from (``text_key``);
``semantic.off``  a 64-byte header, then (byte offset of a record line in items.jsonl, its
                  row) pairs in file order: what a full rescore, reading lines, looks rows up by;
``semantic.json`` how far ``items.jsonl`` is covered: its size and last bytes when every
                  record up to there had a row and an entry (replaced atomically).

Rows are found by the hash of the text being scored, so a vector is only ever used for
the text it was made from, whatever happened to ``items.jsonl`` (lines set aside, a copy,
a restore). The offset entries save a full rescore that hash (a third of its extra cost):
they are used only while the coverage matches ``items.jsonl`` (the file only grows between
catch-ups; a rewrite changes its size), and an offset without an entry falls back to the hash.
The valid rows are the first ``min(complete keys, complete vectors)``.
Writers (lock held) cut both files back to that, append the vectors and fsync, then the
keys and fsync, then record the coverage: a key is never durable before its vector, so a
kill at any moment leaves rows missing (found stale through the coverage, filled in by
the next writer), never a key that points at a wrong or unwritten vector. Readers never
write. The cache is never the source of truth: deleting it only costs re-embedding.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from digest.store.files import atomic_write, os_error

VEC, KEY, OFF, META = "semantic.vec", "semantic.key", "semantic.off", "semantic.json"
FILES = (VEC, KEY, OFF, META)
HEADER = 64
FORMAT = 1
_MAGIC = {VEC: b"DIGESTSV", KEY: b"DIGESTSK", OFF: b"DIGESTSO"}
_ENTRY = np.dtype([("off", "<u8"), ("row", "<u8")])  # semantic.off: a record line -> its row
TAIL_WINDOW = 32768  # keys searched first: the latest rows (~a year of daily papers), 256 kB
FEW_KEYS = 4096  # up to this many keys are looked up without sorting the whole key table


def text_of(rec: dict) -> str:
    return (rec.get("title") or "") + "\n" + (rec.get("abstract") or "")


def text_key(text: str) -> int:
    """The key of a row: the blake2b-64 of the exact text embedded."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                          "little")


_NL = b"\n"


def record_key(rec: dict) -> int:
    """``text_key(text_of(rec))``, without building the text (a full rescore hashes every paper)."""
    h = hashlib.blake2b((rec.get("title") or "").encode("utf-8", "surrogatepass"), digest_size=8)
    h.update(_NL)
    h.update((rec.get("abstract") or "").encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "little")


def _header(magic: bytes, dim: int, fingerprint: str) -> bytes:
    body = magic + FORMAT.to_bytes(4, "little") + dim.to_bytes(4, "little") + fingerprint.encode("ascii")[:32]
    return body.ljust(HEADER, b"\0")


class VectorCache:
    def __init__(self, root: Path, dim: int, fingerprint: str) -> None:
        self.root = Path(root)
        self.dim = dim
        self.fingerprint = fingerprint
        self.vec_path = self.root / VEC
        self.key_path = self.root / KEY
        self.meta_path = self.root / META
        self._keys: np.ndarray
        self._vecs: np.ndarray
        self._sorted: tuple[np.ndarray, np.ndarray] | None
        self._map_offs: np.ndarray | None = None
        self._map_rows: np.ndarray | None = None
        self.n = 0
        self.usable = self._open()

    def reopen(self) -> None:
        """See rows appended since (by this process or another)."""
        self.usable = self._open()

    # ------------------------------------------------------------------ reading
    def _header_ok(self, path: Path, magic: bytes) -> bool:
        try:
            with open(path, "rb") as fh:
                return fh.read(HEADER) == _header(magic, self.dim, self.fingerprint)
        except OSError:
            return False

    def _open_empty(self) -> None:
        self._keys = np.zeros(0, dtype=np.uint64)
        self._vecs = np.zeros((0, self.dim), dtype=np.float16)
        self._sorted = None
        self._map_offs = self._map_rows = None
        self.n = 0

    def _open(self) -> bool:
        self._open_empty()
        if not (self._header_ok(self.vec_path, _MAGIC[VEC]) and self._header_ok(self.key_path, _MAGIC[KEY])):
            return False
        try:
            nk = (self.key_path.stat().st_size - HEADER) // 8
            nv = (self.vec_path.stat().st_size - HEADER) // (2 * self.dim)
        except OSError:
            return False
        self.n = max(0, min(nk, nv))
        if self.n:
            self._keys = np.memmap(self.key_path, dtype="<u8", mode="r", offset=HEADER, shape=(self.n,))
            self._vecs = np.memmap(self.vec_path, dtype="<f2", mode="r", offset=HEADER, shape=(self.n, self.dim))
        return True

    def find(self, keys: np.ndarray, *, everywhere: bool = True) -> np.ndarray:
        """The row of each key, -1 where there is none. A few keys are searched in the latest
        rows first (a day's papers: ~1 ms), then (unless not ``everywhere``) by one pass over all
        keys (~20-45 ms per million rows, no sorting); many keys (a scan's batches) in the sorted
        key table, built once."""
        keys = np.asarray(keys, dtype=np.uint64)
        rows = np.full(len(keys), -1, dtype=np.int64)
        if not self.n or not len(keys):
            return rows
        if self._sorted is None and len(keys) <= FEW_KEYS:
            lo = max(0, self.n - TAIL_WINDOW)
            rows = self._scan_for(keys, lo, self.n)
            rest = np.flatnonzero(rows < 0)
            if len(rest) and lo > 0 and everywhere:
                rows[rest] = self._scan_for(keys[rest], 0, lo)
            return rows
        order, sk = self.sorted_keys()
        pos_c = np.minimum(np.searchsorted(sk, keys), len(sk) - 1)
        return np.where(sk[pos_c] == keys, order[pos_c], -1)

    def _scan_for(self, keys: np.ndarray, start: int, end: int) -> np.ndarray:
        """Rows in [start, end) holding ``keys`` (-1: none): every stored key there searched among
        the few wanted ones, the cheap direction (no sorting of the stored keys)."""
        order = np.argsort(keys, kind="stable")
        wanted = keys[order]
        out = np.full(len(keys), -1, dtype=np.int64)
        for lo in range(start, end, 1 << 20):
            chunk = np.asarray(self._keys[lo:min(end, lo + (1 << 20))])
            pos = np.minimum(np.searchsorted(wanted, chunk), len(wanted) - 1)
            hit = np.flatnonzero(wanted[pos] == chunk)
            out[order[pos[hit]]] = hit + lo  # (a key held twice: the later row; same text)
        return out

    def all_keys(self) -> np.ndarray:
        return np.asarray(self._keys) if self.n else np.zeros(0, dtype=np.uint64)

    def sorted_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """(row order, keys in that order): the table a lookup of many keys searches."""
        if not self.n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
        if self._sorted is None:
            keys = np.asarray(self._keys)
            # the last row wins for a key written twice (harmless: same text, same vector)
            order = np.argsort(keys, kind="stable")
            self._sorted = (order, keys[order])
        return self._sorted

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """float32 rows (rows must be valid indexes); consecutive rows (a scan in file order) are
        read as one slice."""
        rows = np.asarray(rows)
        if len(rows) > 1 and rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) == 1).all():
            return np.asarray(self._vecs[rows[0]:rows[-1] + 1], dtype=np.float32)
        return np.asarray(self._vecs[rows], dtype=np.float32)

    def recent(self, n: int) -> np.ndarray:
        """The last ``n`` rows (float32): the background for similarity statistics."""
        if not self.n:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._vecs[max(0, self.n - n):], dtype=np.float32)

    def recent_keys(self, n: int) -> np.ndarray:
        """The keys of :meth:`recent`'s rows."""
        return np.asarray(self._keys[max(0, self.n - n):]) if self.n else np.zeros(0, dtype=np.uint64)

    # ------------------------------------------------------------------ the offset map
    def _read_map(self) -> tuple[np.ndarray, np.ndarray]:
        if self._map_offs is None or self._map_rows is None:
            offs = rows = np.zeros(0, dtype=np.uint64)
            path = self.root / OFF
            if self.usable and self._header_ok(path, _MAGIC[OFF]):
                try:
                    count = (path.stat().st_size - HEADER) // _ENTRY.itemsize
                    if count > 0:
                        m = np.memmap(path, dtype=_ENTRY, mode="r", offset=HEADER, shape=(count,))
                        offs, rows = np.array(m["off"]), np.array(m["row"])
                except OSError:
                    pass
            self._map_offs, self._map_rows = offs, rows
        return self._map_offs, self._map_rows

    def rows_at(self, offsets: np.ndarray) -> np.ndarray:
        """The row of the record line at each byte offset, -1 where there is no entry (or its row
        is not there). Only meaningful while the coverage matches items.jsonl."""
        offsets = np.asarray(offsets, dtype=np.uint64)
        out = np.full(len(offsets), -1, dtype=np.int64)
        offs, rows = self._read_map()
        if not len(offs) or not len(offsets):
            return out
        pos = np.minimum(np.searchsorted(offs, offsets), len(offs) - 1)
        hit = (offs[pos] == offsets) & (rows[pos] < self.n)
        out[hit] = rows[pos[hit]].astype(np.int64)
        return out

    def map_lines(self, offsets: np.ndarray, rows: np.ndarray, *, start: int) -> None:
        """Record the rows of record lines (lock held): entries at or after byte ``start`` are
        replaced (what a killed catch-up left), then these appended and fsynced. ``start`` 0
        rewrites the map whole (atomically)."""
        path = self.root / OFF
        entries = np.zeros(len(offsets), dtype=_ENTRY)
        entries["off"], entries["row"] = offsets, rows
        try:
            if start == 0 or not self._header_ok(path, _MAGIC[OFF]):
                atomic_write(path, _header(_MAGIC[OFF], self.dim, self.fingerprint) + entries.tobytes())
            else:
                keep = self._entries_before(path, start)
                with open(path, "r+b") as fh:
                    fh.truncate(HEADER + keep * _ENTRY.itemsize)
                    fh.seek(0, 2)
                    fh.write(entries.tobytes())
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            raise os_error(exc, path, "write the semantic cache") from None
        finally:
            self._map_offs = self._map_rows = None

    @staticmethod
    def _entries_before(path: Path, start: int) -> int:
        """How many entries of the map are for lines before byte ``start`` (a binary search of
        the file: entries are in file order)."""
        count = (path.stat().st_size - HEADER) // _ENTRY.itemsize
        if count <= 0:
            return 0
        m = np.memmap(path, dtype=_ENTRY, mode="r", offset=HEADER, shape=(count,))
        lo, hi = 0, count
        while lo < hi:
            mid = (lo + hi) // 2
            if int(m[mid]["off"]) < start:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def coverage(self) -> dict:
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return {}
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("model") != self.fingerprint \
                or meta.get("dim") != self.dim or not self.usable:
            return {}
        cov = meta.get("covered")
        if not isinstance(cov, dict) or not isinstance(cov.get("size"), int) or not isinstance(cov.get("tail"), str):
            return {}
        return cov

    # ------------------------------------------------------------------ writing (store lock held)
    def _fresh_files(self) -> None:
        """Start new, empty files for this model (the old ones are of another model, or damaged)."""
        self._open_empty()  # (unmapped before they are replaced)
        try:
            os.unlink(self.meta_path)  # first: no coverage is claimed for the new files
        except FileNotFoundError:
            pass
        for name in (VEC, KEY, OFF):
            atomic_write(self.root / name, _header(_MAGIC[name], self.dim, self.fingerprint))
        self.usable = self._open()

    def append(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        """Append rows (lock held): vectors first and fsynced, then their keys."""
        if not self.usable:
            self._fresh_files()
        n = self.n
        keys = np.ascontiguousarray(keys, dtype="<u8")
        vecs = np.ascontiguousarray(vecs, dtype="<f2")
        if len(keys) != len(vecs) or (len(vecs) and vecs.shape[1] != self.dim):
            raise ValueError("keys and vectors do not match")
        done: list[tuple[Path, int]] = []
        try:
            for path, width, data in ((self.vec_path, 2 * self.dim, vecs), (self.key_path, 8, keys)):
                with open(path, "r+b") as fh:
                    done.append((path, HEADER + n * width))
                    fh.truncate(HEADER + n * width)  # what a killed append left beyond the valid rows goes
                    fh.seek(0, 2)
                    fh.write(data.tobytes())
                    fh.flush()
                    os.fsync(fh.fileno())
        except OSError as exc:
            for path, size in done:  # a full disk: cut back, leave no partial rows
                try:
                    os.truncate(path, size)
                except OSError:
                    pass
            raise os_error(exc, path, "write the semantic cache") from None
        finally:
            self.usable = self._open()

    def set_coverage(self, size: int, tail: str) -> None:
        meta = {"format": FORMAT, "model": self.fingerprint, "dim": self.dim,
                "covered": {"size": size, "tail": tail}}
        atomic_write(self.meta_path, json.dumps(meta).encode())
