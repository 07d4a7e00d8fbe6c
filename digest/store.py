"""The store: a directory of plain JSONL files plus a rebuildable index.

Layout of the store directory (``digest.paths.store_dir``)::

    items.jsonl      one line per version of a paper; the last line for an id wins
    events.jsonl     tags, notes, deliveries: small appended events
    state.json       fetch validators and source health (a cache, rewritten atomically)
    meta.json        {"format": 1}
    index.sqlite     id / arXiv id / title key -> byte offset; rebuilt from items.jsonl
    lock             the run lock (flock)

The JSONL files are the source of truth (``jq`` and ``grep`` read them); the
SQLite index is a cache that is caught up or rebuilt automatically whenever it
does not describe the JSONL file byte for byte (size, inode, tail bytes), so a
stale or deleted index never gives a wrong diff. Daily ingest looks papers up
in the index instead of reading the whole history.

Every write happens under the lock. Appends are flushed and fsynced per batch
and the index is updated after the JSONL append, so a crash between the two
leaves an index that is caught up on the next open. A torn last line (a crash
mid-append, or a file edited by hand) is kept aside and cut off with a warning.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from digest import identity
from digest.errors import NotFound, StoreError
from digest.item import Item
from digest.merge import content_changed, merge
from digest.storeio import FileLock, _os_error, atomic_write, durable_append

FORMAT = 1
ITEMS = "items.jsonl"
EVENTS = "events.jsonl"
STATE = "state.json"
META = "meta.json"
INDEX = "index.sqlite"
LOCK = "lock"
INDEX_VERSION = 3  # bump when the index schema changes: old indexes are rebuilt
TAIL = 64  # bytes of the JSONL file the index remembers to detect edits


def _guard_sqlite(method):
    """Translate SQLite failures (disk full, I/O error, locked) into StoreError."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            self._fresh = False
            msg = str(exc)
            if "full" in msg or ("disk" in msg and _short_of_space(self.root)):
                msg = "cannot write: no space left (disk full or file size limit)"
            elif "disk" in msg:
                msg += " (disk full or file size limit?)"
            raise StoreError(f"index error: {msg}", path=self.index_path) from None

    return wrapper


def _short_of_space(root: Path) -> bool:
    """After a failed write: is the disk (nearly) full, or a file size limit set?"""
    try:
        import resource

        if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
            return True
    except (ImportError, OSError, ValueError):  # pragma: no cover - not POSIX
        pass
    try:
        st = os.statvfs(root)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 2**20


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dumps(obj: dict) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


@dataclass
class IngestResult:
    source: str
    parsed: int = 0
    new: list[dict] = field(default_factory=list)
    updated: list[dict] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def counts(self) -> dict:
        return {
            "source": self.source,
            "parsed": self.parsed,
            "new": len(self.new),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


class Store:
    def __init__(self, root: Path, *, lock_timeout: float = 10.0) -> None:
        self.root = Path(root)
        self.items_path = self.root / ITEMS
        self.events_path = self.root / EVENTS
        self.state_path = self.root / STATE
        self.index_path = self.root / INDEX
        self.lock_timeout = lock_timeout
        self.warnings: list[str] = []
        self._lock: FileLock | None = None
        self._db: sqlite3.Connection | None = None
        self._fresh = False
        self._run: int | None = None

    # ------------------------------------------------------------------ setup
    def exists(self) -> bool:
        return self.items_path.exists()

    def _check_format(self) -> None:
        meta = self.root / META
        if not meta.exists():
            return
        try:
            fmt = json.loads(meta.read_text(encoding="utf-8")).get("format")
        except (OSError, ValueError, AttributeError):
            raise StoreError("unreadable store metadata", path=meta) from None
        if not isinstance(fmt, int) or fmt > FORMAT:
            raise StoreError(
                f"store format {fmt} is newer than this digest understands ({FORMAT}); upgrade digest",
                path=meta,
            )

    def _create(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _os_error(exc, self.root, "create the store") from None
        if not (self.root / META).exists():
            atomic_write(self.root / META, dumps({"format": FORMAT, "created": utcnow()}))

    # ------------------------------------------------------------------ locking
    # ``with store:`` takes the lock (bounded wait, then StoreBusy), repairs a
    # torn last line and brings the index up to date. Every write needs it.
    @_guard_sqlite
    def __enter__(self) -> "Store":
        self._check_format()
        self._create()
        lock = FileLock(self.root / LOCK, self.lock_timeout)
        lock.acquire()
        self._lock = lock
        try:
            self._repair_tail()
            self._ensure_index()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._unlock()

    def _unlock(self) -> None:
        self._run = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def locked(self) -> bool:
        return self._lock is not None

    def _require_lock(self) -> None:
        if not self.locked:
            raise RuntimeError("store write without the lock")  # a programming error

    # ------------------------------------------------------------------ index
    def _connect_readonly(self) -> sqlite3.Connection:
        """The index as it is on disk, opened read-only without creating its -wal/-shm files: for
        reading a read-only store, or one on a full disk. index_is_fresh() still checks it against
        items.jsonl (a -wal left behind makes it look stale, never wrong)."""
        uri = self.index_path.resolve().as_uri() + "?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _connect(self, _retry: bool = False) -> sqlite3.Connection:
        if self._db is None and not self.locked and self.index_path.exists() and not os.access(self.root, os.W_OK):
            try:
                self._db = self._connect_readonly()
            except sqlite3.Error as exc:
                raise StoreError(f"index unreadable ({exc}) and the store is read-only", path=self.index_path) from None
        if self._db is None:
            try:
                db = sqlite3.connect(self.index_path, timeout=30, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(
                    """
                    CREATE TABLE IF NOT EXISTS items(
                        id TEXT PRIMARY KEY, off INTEGER NOT NULL, len INTEGER NOT NULL,
                        arxiv TEXT, tkey TEXT, first_run INTEGER, first_seen TEXT);
                    CREATE INDEX IF NOT EXISTS items_arxiv ON items(arxiv) WHERE arxiv IS NOT NULL;
                    CREATE INDEX IF NOT EXISTS items_tkey ON items(tkey) WHERE tkey IS NOT NULL;
                    CREATE INDEX IF NOT EXISTS items_run ON items(first_run);
                    CREATE INDEX IF NOT EXISTS items_seen ON items(first_seen);
                    CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);
                    CREATE TABLE IF NOT EXISTS superseded(off INTEGER PRIMARY KEY);
                    """
                )
            except sqlite3.DatabaseError as exc:
                # A corrupt cache is thrown away and rebuilt from the JSONL.
                corrupt = not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)
                if self.locked and corrupt and not _retry:
                    self._drop_index()
                    return self._connect(_retry=True)
                if not corrupt:
                    if not self.locked and self.index_path.exists():  # e.g. no room for -shm: read as is
                        try:
                            self._db = self._connect_readonly()
                            return self._db
                        except sqlite3.Error:
                            pass
                    raise
                raise StoreError(f"index unreadable ({exc}); run any writing command to rebuild it",
                                 path=self.index_path) from None
            except OSError as exc:
                raise _os_error(exc, self.index_path, "open the index") from None
            self._db = db
        return self._db

    def _drop_index(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(self.index_path) + suffix)
            except FileNotFoundError:
                pass

    def _file_sig(self) -> tuple[int, int, str]:
        try:
            st = os.stat(self.items_path)
        except FileNotFoundError:
            return 0, 0, ""
        tail = b""
        if st.st_size:
            with open(self.items_path, "rb") as fh:
                fh.seek(max(0, st.st_size - TAIL))
                tail = fh.read(TAIL)
        return st.st_size, st.st_ino, tail.hex()

    def _index_sig(self, db: sqlite3.Connection) -> dict:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())

    @_guard_sqlite
    def index_is_fresh(self) -> bool:
        if self._fresh:
            return True
        if not self.index_path.exists():
            return not self.items_path.exists()
        try:
            meta = self._index_sig(self._connect())
        except (sqlite3.DatabaseError, StoreError):
            return False  # corrupt or unreadable: rebuilt (or the error said) under the lock
        size, ino, tail = self._file_sig()
        return (
            meta.get("format") == FORMAT
            and meta.get("index_version") == INDEX_VERSION
            and meta.get("size") == size
            and meta.get("ino") == ino
            and meta.get("tail") == tail
        )

    def _ensure_index(self) -> None:
        """Bring the index up to date with items.jsonl (lock held)."""
        if self.index_is_fresh():
            self._fresh = True
            return
        try:
            db = self._connect()
            meta = self._index_sig(db)
        except sqlite3.DatabaseError:
            self._drop_index()
            db = self._connect()
            meta = {}
        if meta and meta.get("index_version") != INDEX_VERSION:
            self._drop_index()  # an older schema: start the cache afresh
            db = self._connect()
            meta = {}
        size, ino, _ = self._file_sig()
        start = 0
        old_size = meta.get("size")
        if (
            meta.get("format") == FORMAT
            and meta.get("index_version") == INDEX_VERSION
            and isinstance(old_size, int)
            and meta.get("ino") == ino
            and 0 < old_size <= size
            and self._tail_at(old_size) == meta.get("tail")
        ):
            start = old_size  # the file only grew: index the appended lines
        self._index_from(start)
        self._fresh = True

    def _tail_at(self, size: int) -> str:
        with open(self.items_path, "rb") as fh:
            fh.seek(max(0, size - TAIL))
            return fh.read(min(TAIL, size)).hex()

    def _index_from(self, start: int) -> None:
        db = self._connect()
        bad: list[tuple[int, bytes]] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            if start == 0:
                db.execute("DELETE FROM items")
                db.execute("DELETE FROM superseded")
            rows = []
            if self.items_path.exists():
                loads = _loads()
                with open(self.items_path, "rb") as fh:
                    fh.seek(start)
                    off = start
                    for line in fh:
                        n = len(line)
                        rec = self._decode(line, loads)
                        if rec is None:
                            if line.strip():
                                bad.append((off, line))
                        else:
                            rows.append(_row(rec, off, n))
                            if len(rows) >= 10000:
                                _upsert(db, rows)
                                rows = []
                        off += n
            _upsert(db, rows)
            self._write_sig(db)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if bad:
            self._set_aside(bad)

    def _write_sig(self, db: sqlite3.Connection) -> None:
        size, ino, tail = self._file_sig()
        db.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [("format", FORMAT), ("index_version", INDEX_VERSION), ("size", size), ("ino", ino), ("tail", tail)],
        )

    def _decode(self, line: bytes, loads=json.loads) -> dict | None:
        try:
            rec = loads(line)
        except ValueError:
            return None
        if not isinstance(rec, dict) or not isinstance(rec.get("id"), str):
            return None
        v = rec.get("v", FORMAT)
        if isinstance(v, int) and v > FORMAT:
            raise StoreError(
                f"a record has format {v}, newer than this digest understands ({FORMAT}); upgrade digest",
                path=self.items_path,
            )
        return rec if valid_record(rec) else None

    def _set_aside(self, bad: list[tuple[int, bytes]]) -> None:
        """Move unparsable lines out of items.jsonl into items.jsonl.rejected."""
        rejected = self.root / (ITEMS + ".rejected")
        stamp = utcnow()
        note = b"".join(_rejected_note(stamp, off, line) for off, line in bad)
        durable_append(rejected, note)
        offsets = {off for off, _ in bad}
        tmp = self.items_path.with_name(f".{ITEMS}.rewrite")
        try:
            with open(self.items_path, "rb") as src, open(tmp, "wb") as dst:
                off = 0
                for line in src:
                    if off not in offsets:
                        dst.write(line)
                    off += len(line)
                dst.flush()
                os.fsync(dst.fileno())
            os.replace(tmp, self.items_path)
        except OSError as exc:
            raise _os_error(exc, self.items_path, "rewrite") from None
        self.warnings.append(
            f"{self.items_path}: {len(bad)} damaged line(s) were not valid records; "
            f"kept aside in {rejected}"
        )
        self._index_from(0)

    def _repair_tail(self) -> None:
        """Cut off a torn last line (kept aside in items.jsonl.torn)."""
        for path in (self.items_path, self.events_path):
            self._repair_file_tail(path)

    def _repair_file_tail(self, path: Path) -> None:
        try:
            size = os.path.getsize(path)
        except FileNotFoundError:
            return
        if size == 0:
            return
        with open(path, "rb") as fh:
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            # find the start of the last line
            pos = size
            chunk = 65536
            last_nl = -1
            while pos > 0 and last_nl < 0:
                pos = max(0, pos - chunk)
                fh.seek(pos)
                data = fh.read(min(chunk, size - pos))
                i = data.rfind(b"\n")
                if i >= 0:
                    last_nl = pos + i
            cut = last_nl + 1
            fh.seek(cut)
            tail = fh.read()
        try:
            ok = isinstance(json.loads(tail), dict)
        except ValueError:
            ok = False
        try:
            if ok:  # a complete record that only lacks its newline
                durable_append(path, b"\n")
                return
            durable_append(path.with_name(path.name + ".torn"), tail + b"\n")
            with open(path, "r+b") as fh:
                fh.truncate(cut)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise _os_error(exc, path, "repair") from None
        self.warnings.append(
            f"{path}: the last line was torn (an interrupted write); "
            f"{len(tail)} bytes kept aside in {path.name}.torn"
        )

    # ------------------------------------------------------------------ reading
    def _reader_index(self) -> sqlite3.Connection | None:
        """The index for reading; catches it up (taking the lock) when stale."""
        self._check_format()
        if not self.items_path.exists():
            return None
        if not self.locked and not self.index_is_fresh():
            with self:
                pass
        return self._connect()

    def _read_at(self, off: int, length: int, fh=None) -> dict:
        close = fh is None
        if fh is None:
            fh = open(self.items_path, "rb")
        try:
            fh.seek(off)
            line = fh.read(length)
        finally:
            if close:
                fh.close()
        rec = self._decode(line)
        if rec is None:
            raise StoreError(f"index points at a damaged record (offset {off}); "
                             f"delete {self.index_path.name} to rebuild", path=self.items_path)
        return rec

    def _records_for(self, rows: Iterable[tuple[int, int]]) -> list[dict]:
        rows = sorted(rows)
        if not rows:
            return []
        with open(self.items_path, "rb") as fh:
            return [self._read_at(off, n, fh) for off, n in rows]

    @_guard_sqlite
    def get(self, item_id: str) -> dict | None:
        db = self._reader_index()
        if db is None:
            return None
        row = db.execute("SELECT off, len FROM items WHERE id=?", (item_id,)).fetchone()
        return self._read_at(*row) if row else None

    @_guard_sqlite
    def get_many(self, ids: Iterable[str]) -> list[dict]:
        db = self._reader_index()
        if db is None:
            return []
        ids = list(ids)
        rows = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            q = "SELECT off, len FROM items WHERE id IN (%s)" % ",".join("?" * len(chunk))
            rows += db.execute(q, chunk).fetchall()
        return self._records_for(rows)

    @_guard_sqlite
    def count(self) -> int:
        db = self._reader_index()
        return db.execute("SELECT count(*) FROM items").fetchone()[0] if db else 0

    @_guard_sqlite
    def latest_run(self) -> int:
        db = self._reader_index()
        if db is None:
            return 0
        return db.execute("SELECT coalesce(max(first_run), 0) FROM items").fetchone()[0]

    @_guard_sqlite
    def select(self, where: str, params: tuple = ()) -> "Selection":
        """The papers matching an index condition (on first_run, first_seen), read
        lazily in file order: memory stays flat however many there are."""
        db = self._reader_index()
        if db is None:
            return Selection(self, [])
        offsets = sorted(db.execute(f"SELECT off, len FROM items WHERE {where}", params).fetchall())
        return Selection(self, offsets)

    def records_of_run(self, run: int) -> list[dict]:
        return list(self.select("first_run=?", (run,)))

    def records_since(self, since: str) -> list[dict]:
        """Records first seen on or after ``since`` (an ISO date or timestamp)."""
        return list(self.select("first_seen>=?", (since,)))

    @_guard_sqlite
    def records_after_run(self, run: int) -> list[dict]:
        """Records first seen in an ingest run numbered above ``run`` (the email watermark)."""
        db = self._reader_index()
        if db is None:
            return []
        return self._records_for(db.execute("SELECT off, len FROM items WHERE first_run>?", (run,)))

    @_guard_sqlite
    def recent_records(self, n: int) -> list[dict]:
        """The ``n`` papers written to the store most recently (latest versions), without a
        full scan: the index's rowids grow with every write. Background statistics for the
        similarity boost."""
        db = self._reader_index()
        if db is None or n <= 0:
            return []
        return self._records_for(db.execute("SELECT off, len FROM items ORDER BY rowid DESC LIMIT ?", (n,)))

    def iter_records(self) -> Iterator[dict]:
        """Every paper, latest version only, in file order (a full scan)."""
        plan = self.scan_plan(1)
        if plan is None:
            return
        for _off, _n, rec in iter_range(self.items_path, *plan.ranges[0], plan.superseded):
            yield rec

    @_guard_sqlite
    def scan_plan(self, parts: int) -> "ScanPlan | None":
        """How to read every latest record in ``parts`` byte ranges (line-aligned)."""
        db = self._reader_index()
        if db is None:
            return None
        in_txn = db.in_transaction
        if not in_txn:  # one snapshot: size, superseded lines and count of the same write
            db.execute("BEGIN")
        try:
            meta = self._index_sig(db)
            size = meta.get("size") or 0
            superseded = {r[0] for r in db.execute("SELECT off FROM superseded")}
            count = db.execute("SELECT count(*) FROM items").fetchone()[0]
        finally:
            if not in_txn:
                db.execute("COMMIT")
        bounds = [0]
        with open(self.items_path, "rb") as fh:
            for k in range(1, parts):
                pos = size * k // parts
                if pos <= bounds[-1]:
                    continue
                fh.seek(pos - 1)
                fh.readline()  # to the start of the next line
                pos = fh.tell()
                if bounds[-1] < pos < size:
                    bounds.append(pos)
        bounds.append(size)
        ranges = [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a] or [(0, 0)]
        return ScanPlan(ranges, superseded, count)

    @_guard_sqlite
    def resolve(self, prefix: str) -> str:
        """The full id for a unique id prefix (as shown in the digest)."""
        p = prefix.strip().lower()
        if not p or any(c not in "0123456789abcdef" for c in p):
            raise NotFound(f"{prefix!r} is not an item id (ids are hexadecimal, as shown in the digest)")
        db = self._reader_index()
        rows = []
        if db is not None:
            hi = p[:-1] + chr(ord(p[-1]) + 1)
            rows = db.execute(
                "SELECT id, off, len FROM items WHERE id>=? AND id<? ORDER BY id LIMIT 11", (p, hi)
            ).fetchall()
        if not rows:
            raise NotFound(f"no item with id {prefix!r}")
        if len(rows) > 1:
            with open(self.items_path, "rb") as fh:
                cands = "; ".join(
                    f"{identity.short_id(r[0]) if len(p) < identity.SHORT_ID_LEN else r[0]} "
                    f"{self._read_at(r[1], r[2], fh).get('title', '')[:60]}"
                    for r in rows[:10]
                )
            more = " ..." if len(rows) > 10 else ""
            raise NotFound(f"id prefix {prefix!r} is ambiguous: {cands}{more}")
        return rows[0][0]

    # ------------------------------------------------------------------ writing
    def _lookup(self, db: sqlite3.Connection, item: dict) -> tuple[tuple | None, bool]:
        """The stored row of the same paper: same arXiv id, else same title; and whether
        the item's own id is taken (by a different paper).

        A paper's id is the hash of its normalised title, so the id lookup finds the same
        title; the title-key index holds only papers stored under another id (a retitled
        new version, a re-keyed collision). Two different arXiv ids never match."""
        aid = item.get("arxiv_id")
        if aid:
            row = db.execute("SELECT id, off, len FROM items WHERE arxiv=?", (aid,)).fetchone()
            if row:
                return row, True
        row = db.execute("SELECT id, off, len, arxiv FROM items WHERE id=?", (item["id"],)).fetchone()
        taken = row is not None
        if row and not (aid and row[3] and row[3] != aid):
            return row[:3], True
        tkey = identity.normalize_title(item["title"])
        for row in db.execute("SELECT id, off, len, arxiv FROM items WHERE tkey=?", (tkey,)).fetchall():
            if not (aid and row[3] and row[3] != aid):
                return row[:3], taken
        return None, taken

    def _free_id(self, db: sqlite3.Connection, d: dict) -> str:
        """A derived id for ``d`` when a different paper already holds its own."""
        item_id = d["id"]
        salt = d.get("arxiv_id") or d.get("abstract", "")[:200]
        while True:
            item_id = identity.item_id(f"{d['title']}\x00{salt}\x00{item_id}")
            if not db.execute("SELECT 1 FROM items WHERE id=?", (item_id,)).fetchone():
                return item_id

    @_guard_sqlite
    def ingest(self, items: list[Item], *, source: str, dry_run: bool = False,
               now: str | None = None) -> IngestResult:
        """Diff ``items`` against the store and append what is new or changed."""
        self._require_lock()
        now = now or utcnow()
        day = now[:10]
        result = IngestResult(source=source, parsed=len(items))
        db = self._connect()
        if self._run is None:  # one run number for every ingest under one lock
            self._run = self.latest_run() + 1
        run = self._run
        pending: dict[str, dict] = {}  # id -> merged record (within this batch)
        stored: dict[str, dict | None] = {}  # id -> the stored record it started from
        by_arxiv: dict[str, str] = {}
        by_tkey: dict[str, str] = {}
        for item in items:
            d = item.to_dict()
            src = d.pop("source") or source
            tkey = identity.normalize_title(d["title"])
            batch_id = (by_arxiv.get(d["arxiv_id"]) if d.get("arxiv_id") else None) or (
                d["id"] if d["id"] in pending else by_tkey.get(tkey))
            taken = False
            if batch_id is not None:
                base = pending[batch_id]
            else:
                row, taken = self._lookup(db, d)
                base = self._read_at(row[1], row[2]) if row else None
            if base is None:
                if taken:
                    d["id"] = self._free_id(db, d)
                rec = {"v": FORMAT, "id": d["id"]}
                rec.update({k: v for k, v in d.items() if k != "id"})
                rec.update(sources=[src], first_seen=now, last_seen=now, first_run=run, last_run=run)
            else:
                rec = merge(base, d)
                rec["v"] = FORMAT
                if src not in rec.get("sources", []):
                    rec["sources"] = list(rec.get("sources", [])) + [src]
            if batch_id is None:
                stored[rec["id"]] = base
            pending[rec["id"]] = rec
            if rec.get("arxiv_id"):
                by_arxiv[rec["arxiv_id"]] = rec["id"]
            by_tkey[identity.normalize_title(rec["title"])] = rec["id"]
            by_tkey[tkey] = rec["id"]
        to_write = []
        for rid, rec in pending.items():
            old = stored[rid]
            if old is None:
                result.new.append(rec)
                to_write.append(rec)
                continue
            rec.pop("updated_fields", None)
            changed = content_changed(old, rec)
            if changed:
                rec["updated_fields"] = changed
                result.updated.append(rec)
            else:
                result.unchanged.append(rec)
            if changed or rec["sources"] != old.get("sources") or old.get("last_seen", "")[:10] != day:
                rec["last_seen"] = now
                rec["last_run"] = run
                to_write.append(rec)
        if dry_run or not to_write:
            return result
        self.append_records(to_write)
        return result

    @_guard_sqlite
    def append_records(self, records: list[dict]) -> None:
        """Append whole records durably, then index them (lock held)."""
        self._require_lock()
        lengths: list[int] = []

        def chunks():  # about a megabyte at a time: a big batch is never all in memory as JSON
            buf: list[bytes] = []
            size = 0
            for r in records:
                line = dumps(r)
                lengths.append(len(line))
                buf.append(line)
                size += len(line)
                if size >= 2**20:
                    yield b"".join(buf)
                    buf, size = [], 0
            if buf:
                yield b"".join(buf)

        start = durable_append(self.items_path, chunks())
        db = self._connect()
        rows = []
        off = start
        for rec, n in zip(records, lengths):
            rows.append(_row(rec, off, n))
            off += n
        db.execute("BEGIN IMMEDIATE")
        try:
            _upsert(db, rows)
            self._write_sig(db)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self._fresh = False
            raise

    # ------------------------------------------------------------------ events
    def append_events(self, events: list[dict]) -> None:
        """Append events (tags, notes, deliveries) durably (lock held)."""
        self._require_lock()
        if not events:
            return
        stamp = utcnow()
        data = b"".join(dumps({"v": FORMAT, "at": stamp} | e) for e in events)
        durable_append(self.events_path, data)

    def iter_events(self) -> Iterator[dict]:
        self._check_format()
        try:
            fh = open(self.events_path, "rb")
        except FileNotFoundError:
            return
        with fh:
            for lineno, line in enumerate(fh, 1):
                if not line.endswith(b"\n"):
                    break  # an append in progress (or torn: repaired under the lock)
                try:
                    ev = json.loads(line)
                except ValueError:
                    self.warnings.append(f"{self.events_path}:{lineno}: damaged event line skipped")
                    continue
                if isinstance(ev, dict):
                    v = ev.get("v", FORMAT)
                    if isinstance(v, int) and v > FORMAT:
                        raise StoreError(
                            f"an event has format {v}, newer than this digest understands ({FORMAT}); upgrade digest",
                            path=self.events_path,
                        )
                    yield ev

    # ------------------------------------------------------------------ state
    def read_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            self.warnings.append(f"{self.state_path}: unreadable, starting afresh (it is only a cache)")
            return {}

    def write_state(self, state: dict) -> None:
        self._require_lock()
        atomic_write(self.state_path, json.dumps(state, indent=1, sort_keys=True).encode() + b"\n")

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class Selection:
    """A lazily read set of records (see :meth:`Store.select`)."""

    def __init__(self, store: Store, rows: list[tuple[int, int]]) -> None:
        self.store = store
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict]:
        if not self.rows:
            return
        with open(self.store.items_path, "rb") as fh:
            for off, n in self.rows:
                yield self.store._read_at(off, n, fh)


@dataclass
class ScanPlan:
    ranges: list[tuple[int, int]]  # [start, end) byte ranges, line-aligned
    superseded: set[int]  # offsets of lines replaced by a later version
    count: int  # how many papers (latest versions) the ranges hold


def _loads():
    try:
        import orjson

        return orjson.loads
    except ImportError:  # pragma: no cover - orjson is a declared dependency
        return json.loads


def iter_range(path: Path, start: int, end: int, superseded: set[int]) -> Iterator[tuple[int, int, dict]]:
    """(offset, length, record) for every current record in [start, end)."""
    loads = _loads()
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


_OPT_STR = (str, type(None))
_OPT_INT = (int, type(None))
_RECORD_TYPES = {
    "abstract": _OPT_STR, "published": _OPT_STR, "org": _OPT_STR, "arxiv_id": _OPT_STR, "url": _OPT_STR,
    "first_seen": _OPT_STR, "last_seen": _OPT_STR, "n_authors": _OPT_INT, "upvotes": _OPT_INT,
    "arxiv_version": _OPT_INT, "first_run": _OPT_INT, "last_run": _OPT_INT, "truncated": (bool, type(None)),
}
_RECORD_LISTS = ("authors", "links", "categories", "sources", "updated_fields")


def valid_record(rec: dict) -> bool:
    """Does this decoded line have the shape of a record (an id of ASCII letters and digits, a
    string title, known fields of the right types)? A line that does not is damaged: it is set
    aside, never shown half-read (a hand edit like ``"title": 5`` must not crash every command)."""
    rid = rec["id"]
    if not rid or not (rid.isascii() and rid.isalnum()) or not isinstance(rec.get("title"), str):
        return False
    for key, types in _RECORD_TYPES.items():
        if not isinstance(rec.get(key), types):
            return False
    for key in _RECORD_LISTS:
        value = rec.get(key)
        if value is not None and (type(value) is not list or not all(type(x) is str for x in value)):
            return False
    return True


def _rejected_note(stamp: str, off: int, line: bytes) -> bytes:
    """The items.jsonl.rejected line for a damaged line: its text, and its exact bytes too
    (base64) when they are not valid UTF-8, so nothing is lost."""
    body = line[:-1] if line.endswith(b"\n") else line
    text = body.decode("utf-8", "replace")
    note = {"at": stamp, "offset": off, "line": text}
    if text.encode("utf-8") != body:
        import base64

        note["raw_base64"] = base64.b64encode(body).decode("ascii")
    return dumps(note)


def _row(rec: dict, off: int, n: int) -> tuple:
    # the title key is indexed only where the id is not the title's own hash (see _lookup)
    title = rec.get("title", "")
    tkey = None if identity.item_id(title) == rec["id"] else identity.normalize_title(title)
    return (rec["id"], off, n, rec.get("arxiv_id"), tkey, rec.get("first_run"), rec.get("first_seen"))


def _upsert(db: sqlite3.Connection, rows: list[tuple]) -> None:
    """Insert or replace index rows; the lines they replace are recorded as superseded,
    so a full scan can skip old versions without loading every offset."""
    if not rows:
        return
    latest: dict[str, tuple] = {}
    old_offs: list[tuple[int]] = []
    for row in rows:
        prev = latest.get(row[0])
        if prev is not None:
            old_offs.append((prev[1],))
        latest[row[0]] = row
    ids = list(latest)
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        q = "SELECT off FROM items WHERE id IN (%s)" % ",".join("?" * len(chunk))
        old_offs.extend(db.execute(q, chunk).fetchall())
    if old_offs:
        db.executemany("INSERT OR IGNORE INTO superseded(off) VALUES (?)", old_offs)
    db.executemany(
        "INSERT OR REPLACE INTO items(id, off, len, arxiv, tkey, first_run, first_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        list(latest.values()),
    )
