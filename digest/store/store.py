"""The store: a directory of plain JSONL files plus a rebuildable index.

The layout and the record and event formats are in :mod:`digest.store.format`.
The JSONL files are the source of truth (``jq`` and ``grep`` read them); the
SQLite index (:mod:`digest.store.index`) is a cache that is caught up or rebuilt
automatically whenever it does not describe the JSONL file byte for byte, so a
stale or deleted index never gives a wrong answer. A daily ingest looks papers
up in the index instead of reading the whole history.

Every write happens under the lock (``with store:``). Appends are flushed and
fsynced per batch and the index is updated after the JSONL append, so a crash
between the two leaves an index that is caught up on the next open. A torn last
line and damaged lines are repaired by :mod:`digest.store.repair`.

Which stored paper an incoming one is, and whether it is new, updated or
unchanged, is decided by :mod:`digest.ingest.diff` with :meth:`Store.lookup`.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
from collections.abc import Callable, Container, Iterable, Iterator
from pathlib import Path
from typing import IO

from digest import identity
from digest.errors import NotFound, StoreError, StoreUnwritable, json_kind, value_error_text
from digest.feedback import QUIET, Feedback
from digest.store import repair
from digest.store.files import FileLock, atomic_write, durable_append, os_error
from digest.store.format import (
    EVENTS,
    FORMAT,
    INDEX,
    ITEMS,
    LOCK,
    MAX_RUN,
    META,
    STATE,
    DamagedLine,
    NewerFormat,
    decode_record,
    dumps,
    fast_loads,
    store_format,
    utcnow,
    valid_record,
)
from digest.store.index import Index, guard_sqlite, handle_sig, row
from digest.store.scan import ScanPlan, iter_range
from digest.text import printable_name
from digest.words import Lexicon


def _newer(what: str, version: int, path: Path) -> StoreError:
    return StoreError(f"{what} has format {version}, newer than this digest understands ({FORMAT}); "
                      "upgrade digest", path=path)


def check_root(root: Path, origin: str | None = None) -> None:
    """Raise a one-line StoreError when ``root`` cannot be a store: it (or a folder above it) is
    not a directory, or it cannot be read. A store that does not exist yet is fine (a reader sees
    an empty store; the first writer creates it). ``origin`` names where the path came from
    (``--store``, ``DIGEST_HOME``) for the message."""
    import os
    import stat

    what = f"the store ({origin})" if origin else "the store"
    try:
        st = os.stat(root)
    except FileNotFoundError:
        return  # not created yet (every folder above it that exists is a directory)
    except NotADirectoryError:
        parent = root.parent
        while parent != parent.parent and not parent.is_dir():
            if parent.exists():
                raise StoreError(f"{parent} is not a directory, so {what} cannot be here", path=root) from None
            parent = parent.parent
        raise StoreError(f"not a directory: {what} must be a directory", path=root) from None
    except OSError as exc:
        raise os_error(exc, root, f"use {what}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise StoreError(f"not a directory: {what} must be a directory", path=root)
    if not os.access(root, os.R_OK | os.X_OK):
        raise StoreError(f"permission denied: {what} cannot be read", path=root)


def _synced_copies(root: Path) -> list[str]:
    """A warning for each copy of items.jsonl or events.jsonl beside them: what a folder sync
    (Syncthing, Dropbox, Nextcloud, OneDrive) keeps when two machines wrote the store at once
    (``events.sync-conflict-….jsonl``, ``items (conflicted copy ….).jsonl``). Digest reads only the
    two files, so the other machine's papers and tags would be missing without a word. Its own
    ``.torn`` and ``.rejected`` files are no copies."""
    try:
        names = os.listdir(root)
    except OSError:
        return []
    out = []
    for name in sorted(names):
        for own in (ITEMS, EVENTS):
            stem = own.removesuffix(".jsonl")
            if (name == own or not name.startswith(stem) or name.endswith((".torn", ".rejected"))
                    or not (name.endswith(".jsonl") or "conflict" in name.lower())):
                continue
            out.append(f"{printable_name(str(root / name))}: a copy of {own} beside the store (a folder sync's "
                       f"conflicted copy?): what it holds is not read; merge what it adds into {own} or remove it")
    return out


def _stored_format(meta: Path):
    """The ``format`` that meta.json says (None when it says none); a damaged file is a StoreError
    that says what is wrong with it. A byte order mark (an editor's) is allowed."""
    should = f'it should say {{"format": {FORMAT}}}'
    try:
        text = meta.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise os_error(exc, meta, "read the store's format") from None
    except UnicodeDecodeError:
        raise StoreError(f"not UTF-8 text; {should}", path=meta) from None
    if not text.strip():
        raise StoreError(f"empty; {should}", path=meta)
    try:
        data = json.loads(text)
    except RecursionError:
        raise StoreError(f"not valid JSON (nested too deeply); {should}", path=meta) from None
    except ValueError as exc:
        where = (f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError)
                 else f" ({value_error_text(exc)})")
        raise StoreError(f"not valid JSON{where}; {should}", path=meta) from None
    if not isinstance(data, dict):
        raise StoreError(f"not a JSON object ({json_kind(data)}); {should}", path=meta)
    return data.get("format")


def _path_of(fh: IO[bytes], fallback: Path) -> str:
    """A path that opens the very file ``fh`` is (in this process and in forked workers), even
    once items.jsonl has been replaced by a repair: /dev/fd/N where there is one."""
    path = f"/dev/fd/{fh.fileno()}"
    return path if os.path.exists(path) else str(fallback)


def _reads(method):
    """A read of the store that meets a damaged line (:class:`DamagedLine`) repairs the store and
    is done again (at most twice)."""

    @functools.wraps(method)
    def wrapper(self: Store, *args, **kwargs):
        for attempt in range(3):
            try:
                return method(self, *args, **kwargs)
            except DamagedLine:
                if attempt == 2:
                    raise
                self.repair_damaged()

    return wrapper


class Store:
    def __init__(self, root: Path, *, lock_timeout: float = 10.0, origin: str | None = None,
                 feedback: Feedback = QUIET) -> None:
        self.root = Path(root)
        self.origin = origin
        self.feedback = feedback
        check_root(self.root, origin)
        self.items_path = self.root / ITEMS
        self.events_path = self.root / EVENTS
        self.state_path = self.root / STATE
        self.index_path = self.root / INDEX
        self.lock_timeout = lock_timeout
        self.warnings: list[str] = []
        self.index = Index(self.index_path, self.items_path)
        self.index.feedback = feedback
        self._lock: FileLock | None = None
        self._run: int | None = None
        self._view: tuple[sqlite3.Connection, IO[bytes], bool] | None = None
        self._cached: dict[str, str | bytes] = {}  # cache values put by this process (its reads are a snapshot)
        self._copies_checked = False

    # ------------------------------------------------------------------ setup
    def exists(self) -> bool:
        return self.items_path.exists()

    def _check_format(self) -> None:
        if not self._copies_checked:
            self._copies_checked = True
            self.warnings.extend(_synced_copies(self.root))
        meta = self.root / META
        if not meta.exists():
            return
        fmt = _stored_format(meta)
        if store_format(fmt) is None:
            shown = json.dumps(fmt)[:40]
            raise StoreError(f"not a store format digest knows ({shown}); it should say "
                             f'{{"format": {FORMAT}}}', path=meta)
        if fmt > FORMAT:
            raise StoreError(
                f"store format {fmt} is newer than this digest understands ({FORMAT}); upgrade digest",
                path=meta,
            )

    def _create(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, self.root, "create the store") from None
        if not (self.root / META).exists():
            atomic_write(self.root / META, dumps({"format": FORMAT, "created": utcnow()}))

    # ------------------------------------------------------------------ locking
    # ``with store:`` takes the lock (bounded wait, then StoreBusy), repairs a
    # torn last line and brings the index up to date. Every write needs it.
    @guard_sqlite
    def __enter__(self) -> Store:
        self._check_format()
        self._end_view()  # a reader's snapshot ends where the lock begins
        self._create()
        lock = FileLock(self.root / LOCK, self.lock_timeout, on_wait=self._waiting)
        lock.acquire()
        self._lock = lock
        try:
            for path in (self.items_path, self.events_path):
                warning = repair.repair_tail(path)
                if warning:
                    self.warnings.append(warning)
            self._catch_up()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._unlock()

    def _waiting(self, pid: int | None) -> None:
        who = f"another digest (pid {pid})" if pid else "another digest"
        self.feedback.waiting(f"waiting for {who} to finish with {self.root} … (up to {self.lock_timeout:g}s)")

    def _unlock(self) -> None:
        self._run = None
        self._end_view()
        self.index.fresh = False  # another process may write as soon as the lock is free
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
    def _catch_up(self, *, rebuild: bool = False) -> None:
        """Bring the index up to date (lock held; ``rebuild``: from scratch, whatever its signature
        says). Damaged lines are set aside first, and the index is committed only for the file
        without them."""
        self._end_view()
        self._cached.clear()  # a rebuilt index has dropped its cache
        try:
            bad = self.index.index_from(0) if rebuild else self.index.catch_up()
            for _ in range(3):
                if not bad:
                    break
                self.warnings.append(repair.set_aside(self.items_path, bad))
                bad = self.index.index_from(0)
            if bad:  # pragma: no cover - lines that change while the lock is held
                raise StoreError("damaged lines keep appearing while the store is locked", path=self.items_path)
            self.index.fresh = True
        except NewerFormat as exc:
            raise _newer("a record", exc.version, self.items_path) from None

    def _db(self):
        return self.index.db(locked=self.locked)

    # ------------------------------------------------------------------ reading
    # A command reads through one *view*: the index and items.jsonl opened once, checked to
    # describe each other. Unlocked, the view is a snapshot (an open read transaction on the
    # index, the file held open): a repair that replaces items.jsonl meanwhile, or a writer
    # that appends, changes nothing the reader sees. A stale index is caught up under the lock
    # first; when the store cannot be written (read-only, disk full) the view is an index built
    # in memory from the file as it is. A line found damaged where the index says a record is
    # (a same-size edit, a bit flip) is repaired and the read done again (``_reads``).
    def _end_view(self) -> None:
        view, self._view = self._view, None
        if view is None:
            return
        db, fh, snapshot = view
        if snapshot and db.in_transaction:
            try:
                db.execute("ROLLBACK")
            except sqlite3.Error:
                pass
        if db is not self.index._db:  # an index in memory
            db.close()
        fh.close()

    def _reader_view(self) -> tuple[sqlite3.Connection, IO[bytes], bool] | None:
        """(index connection, items.jsonl open, is a snapshot), or None for an empty store."""
        if self._view is not None:
            return self._view
        self._check_format()
        if self.locked:  # nobody else writes: the index is ours, caught up by __enter__
            try:
                fh = open(self.items_path, "rb")
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise os_error(exc, self.items_path, "read") from None
            self._view = (self.index.db(locked=True), fh, False)
            return self._view
        upgrade = os.access(self.root, os.W_OK)
        for _ in range(5):
            try:
                fh = open(self.items_path, "rb")
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise os_error(exc, self.items_path, "read") from None
            fresh = False
            db = None
            meta: dict = {}
            try:
                db = self.index.db(locked=False)
                db.execute("BEGIN")  # the snapshot: what the index says now, however it changes
                meta = Index.meta(db)
                fresh = Index.describes(meta, handle_sig(fh))
            except (sqlite3.DatabaseError, StoreError):
                pass  # no usable index (missing, corrupt, unreadable): caught up below, or read in memory
            if fresh and db is not None and upgrade and "head" not in meta:
                upgrade = False  # the older signature (inode, mtime): by content from now on
                db.execute("ROLLBACK")
                fh.close()
                self._upgrade_sig()
                continue
            if fresh and db is not None:
                self._view = (db, fh, True)
                return self._view
            if db is not None and db.in_transaction:
                db.execute("ROLLBACK")
            try:
                with self:  # repairs and catches the index up (waits for a writer, or StoreBusy)
                    pass
            except StoreUnwritable as exc:
                return self._memory_view(fh, exc)
            except BaseException:
                fh.close()
                raise
            fh.close()
        raise StoreError("items.jsonl keeps changing while it is read; try again", path=self.items_path)

    def _upgrade_sig(self) -> None:
        """Rewrite an index's older signature (see Index.upgrade_sig) when the lock is free at once;
        else, or when it cannot be written, leave it: it is still read, and upgraded later."""
        lock = FileLock(self.root / LOCK, 0)
        try:
            lock.acquire()
        except StoreError:
            return
        try:
            self.index.upgrade_sig()
        except (sqlite3.Error, StoreError, OSError):
            pass
        finally:
            lock.release()

    def _memory_view(self, fh: IO[bytes], why: StoreError) -> tuple[sqlite3.Connection, IO[bytes], bool]:
        """Read a store that cannot be written: an index of ``fh`` in memory, damaged and torn lines
        skipped with a warning (they cannot be moved aside)."""
        self.index.close()
        try:
            db, bad, torn = Index.in_memory(fh)
        except NewerFormat as exc:
            fh.close()
            raise _newer("a record", exc.version, self.items_path) from None
        skipped = []
        if bad:
            skipped.append(f"{len(bad)} damaged line(s)")
        if torn:
            skipped.append("a torn last line")
        note = f"; {' and '.join(skipped)} skipped, not moved aside" if skipped else ""
        self.warnings.append(f"{self.items_path}: the store cannot be repaired or indexed ({why}): "
                             f"read as it is{note}")
        self._view = (db, fh, False)
        return self._view

    def _reader_index(self) -> sqlite3.Connection | None:
        """The index for reading (see the view above), or None for an empty store."""
        view = self._reader_view()
        return view[0] if view is not None else None

    def repair_damaged(self) -> None:
        """After a :class:`DamagedLine`: rebuild the index from the file under the lock (the line is
        set aside), or, when the store cannot be written, read it through an index in memory."""
        self._end_view()
        if self.locked:
            self._catch_up(rebuild=True)
            return
        try:
            with self:
                self._catch_up(rebuild=True)
        except StoreUnwritable as exc:
            try:
                fh = open(self.items_path, "rb")
            except OSError:
                raise exc from None
            self._memory_view(fh, exc)

    def _line_at(self, off: int, length: int) -> bytes:
        """The bytes of the line at ``off``, undecoded."""
        view = self._reader_view()
        if view is None:
            raise DamagedLine(off, path=self.items_path)
        return os.pread(view[1].fileno(), length, off)

    def _read_at(self, off: int, length: int, fh: IO[bytes] | None = None, loads=None,
                 expect: str | None = None) -> dict:
        """The record at ``off`` (``length`` bytes, its newline included); ``expect``: the id the
        index has for it. A line that is not a whole record there, or a record of another id (an
        edit in place that kept the file's size and ends), is a DamagedLine: the index is rebuilt
        and the line, if it is no record, set aside."""
        if fh is None:
            view = self._reader_view()
            if view is None:
                raise DamagedLine(off, path=self.items_path)
            fh = view[1]
        line = os.pread(fh.fileno(), length, off)
        try:
            rec = (decode_record(line, loads) if loads else decode_record(line)) if line.endswith(b"\n") else None
        except NewerFormat as exc:
            raise _newer("a record", exc.version, self.items_path) from None
        if rec is None or (expect is not None and rec.get("id") != expect):
            raise DamagedLine(off, path=self.items_path)
        return rec

    def records_at(self, rows: Iterable[tuple]) -> list[dict]:
        """The records at the given (offset, length) or (offset, length, id) rows of the view,
        read in file order."""
        rows = sorted(rows)
        if not rows:
            return []
        return [self._read_at(r[0], r[1], expect=r[2] if len(r) > 2 else None) for r in rows]

    @_reads
    @guard_sqlite
    def get(self, item_id: str) -> dict | None:
        db = self._reader_index()
        if db is None:
            return None
        r = db.execute("SELECT off, len FROM items WHERE id=?", (item_id,)).fetchone()
        return self._read_at(r[0], r[1], expect=item_id) if r else None

    @_reads
    def get_many(self, ids: Iterable[str], *, containing: bytes | None = None) -> list[dict]:
        """The papers with these ids (unknown ids left out), in file order; with ``containing``,
        only those whose stored line has these bytes (the others are never decoded: a reading
        list of thousands asks for the few with a key such as ``b'"revised_run"'``)."""
        return [rec for _off, _n, rec in self.rows_of(ids, containing=containing)]

    @_reads
    @guard_sqlite
    def count(self) -> int:
        db = self._reader_index()
        return db.execute("SELECT count(*) FROM items").fetchone()[0] if db else 0

    @_reads
    @guard_sqlite
    def latest_run(self) -> int:
        db = self._reader_index()
        if db is None:
            return 0
        return db.execute("SELECT coalesce(max(first_run), 0) FROM items").fetchone()[0]

    @guard_sqlite
    def select(self, where: str, params: tuple = ()) -> Selection:
        """The papers matching an index condition (on first_run, first_seen), read
        lazily in file order: memory stays flat however many there are."""
        db = self._reader_index()
        if db is None:
            return Selection(self, [], where=where, params=params)
        offsets = sorted(db.execute(f"SELECT off, len, id FROM items WHERE {where}", params).fetchall())
        return Selection(self, offsets, where=where, params=params)

    def records_of_run(self, run: int) -> list[dict]:
        return list(self.select("first_run=?", (run,)))

    def records_after_run(self, run: int) -> list[dict]:
        """Records first seen in an ingest run numbered above ``run`` (the email watermark)."""
        return list(self.select("first_run>?", (run,)))

    @_reads
    @guard_sqlite
    def recent_records(self, n: int, upto: int | None = None) -> list[dict]:
        """The ``n`` papers written to the store most recently (latest versions; ``upto``: up to
        that index row), without a full scan: the index's rowids grow with every write.
        Background statistics for the similarity boost."""
        db = self._reader_index()
        if db is None or n <= 0:
            return []
        if upto is None:
            return self.records_at(db.execute("SELECT off, len, id FROM items ORDER BY rowid DESC LIMIT ?", (n,)))
        return self.records_at(db.execute("SELECT off, len, id FROM items WHERE rowid<=? ORDER BY rowid DESC "
                                          "LIMIT ?", (upto, n)))

    # ------------------------------------------------------------------ vocabulary
    def vocabulary(self) -> StoreVocabulary:
        """The words of every stored paper (see :mod:`digest.store.index`)."""
        return StoreVocabulary(self)

    @_reads
    @guard_sqlite
    def max_rowid(self) -> int:
        """The index's latest row number: it grows with every record written."""
        db = self._reader_index()
        return db.execute("SELECT coalesce(max(rowid), 0) FROM items").fetchone()[0] if db else 0

    @_reads
    @guard_sqlite
    def ids_after_rowid(self, rowid: int) -> list[str]:
        """The ids of the papers written (or written again) after index row ``rowid``."""
        db = self._reader_index()
        return [r[0] for r in db.execute("SELECT id FROM items WHERE rowid>?", (rowid,))] if db else []

    @_reads
    @guard_sqlite
    def recent_rows(self, n: int, upto: int) -> list[tuple[int, int, str]]:
        """(offset, length, id) of the ``n`` papers written last up to index row ``upto``
        (see :meth:`max_rowid`), newest first, from the index alone."""
        db = self._reader_index()
        if db is None or n <= 0:
            return []
        return db.execute("SELECT off, len, id FROM items WHERE rowid<=? ORDER BY rowid DESC LIMIT ?",
                          (upto, n)).fetchall()

    @_reads
    @guard_sqlite
    def records_after_rowid(self, rowid: int, limit: int) -> list[dict]:
        """Up to ``limit`` records written after index row ``rowid`` (latest versions)."""
        db = self._reader_index()
        if db is None:
            return []
        return self.records_at(db.execute("SELECT off, len, id FROM items WHERE rowid>? ORDER BY rowid LIMIT ?",
                                          (rowid, limit)))

    def cache_get(self, name: str) -> str | bytes | None:
        """A small derived value kept in the index (dropped whenever the index is rebuilt)."""
        if name in self._cached:
            return self._cached[name]
        try:
            db = self._reader_index()
            r = db.execute("SELECT value FROM cache WHERE name=?", (name,)).fetchone() if db else None
        except sqlite3.Error:
            return None
        return r[0] if r else None

    def cache_put(self, name: str, value: str | bytes) -> bool:
        """Keep a derived value; False when the store cannot be written (read-only, full): the
        value is computed again next time. Needs no lock: one row, written atomically."""
        self._cached[name] = value
        try:
            if self._reader_index() is None or not self.index_path.is_file():
                return False
            # its own connection: a reader's is inside its snapshot (a write there would hold
            # SQLite's write lock until the command ends), and may be an index in memory
            db = sqlite3.connect(self.index_path, timeout=1, isolation_level=None)
            try:
                db.execute("INSERT OR REPLACE INTO cache(name, value) VALUES (?, ?)", (name, value))
            finally:
                db.close()
        except sqlite3.Error:
            return False
        return True

    def iter_records(self) -> Iterator[dict]:
        """Every paper, latest version only, in file order (a full scan)."""
        for _off, _n, rec in self.iter_rows():
            yield rec

    def iter_rows(self) -> Iterator[tuple[int, int, dict]]:
        """(offset, length, record) of every paper, latest version only, in file order (a full scan):
        ``Selection(store, rows)`` reads chosen ones again later, without keeping them in memory
        (the offsets are of this command's view of the store). A damaged line met on the way is
        repaired and the scan goes on from a fresh plan, skipping the papers already given."""
        def scan(_attempt: int) -> Iterator[tuple[int, int, dict]]:
            plan = self.scan_plan(1)
            if plan is None:
                return
            start, end = plan.ranges[0]
            for off, n, rec in iter_range(plan.path, start, end, plan.superseded):
                if not valid_record(rec):  # (a scan for the reading list: cheap enough to check)
                    raise DamagedLine(off, path=self.items_path)
                yield off, n, rec

        return _resumed(self, scan)

    @_reads
    @guard_sqlite
    def rows_of(self, ids: Iterable[str], *, containing: bytes | None = None) -> Iterator[tuple[int, int, dict]]:
        """(offset, length, record) of the papers with these ids (unknown ids are left out), in file
        order; with ``containing``, only the lines that have these bytes."""
        db = self._reader_index()
        if db is None:
            return iter(())
        ids = list(ids)
        rows = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            rows += db.execute(f"SELECT off, len, id FROM items WHERE id IN ({','.join('?' * len(chunk))})",
                               chunk).fetchall()
        rows.sort()
        if containing is not None:
            rows = [r for r in rows if containing in self._line_at(r[0], r[1])]
        return iter([(off, n, self._read_at(off, n, expect=rid)) for off, n, rid in rows])

    @guard_sqlite
    def scan_plan(self, parts: int) -> ScanPlan | None:
        """How to read every latest record in ``parts`` byte ranges (line-aligned)."""
        db = self._reader_index()
        if db is None:
            return None
        in_txn = db.in_transaction
        if not in_txn:  # one snapshot: size, superseded lines and count of the same write
            db.execute("BEGIN")
        try:
            meta = self.index.meta(db)
            size = meta.get("size") or 0
            superseded = {r[0] for r in db.execute("SELECT off FROM superseded")}
            count = db.execute("SELECT count(*) FROM items").fetchone()[0]
        finally:
            if not in_txn:
                db.execute("COMMIT")
        view = self._reader_view()
        assert view is not None
        path = _path_of(view[1], self.items_path)
        bounds = [0]
        with open(path, "rb") as fh:
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
        ranges = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if b > a] or [(0, 0)]
        return ScanPlan(ranges, superseded, count, path)

    @_reads
    @guard_sqlite
    def resolve(self, prefix: str) -> str:
        """The full id for a unique id prefix (as shown in the digest), or for an arXiv id
        (``2508.14002``, ``arXiv:2508.14002v2``, an arXiv URL: :func:`identity.arxiv_reference`),
        looked up in the index."""
        p = prefix.strip().lower()
        if not p or any(c not in "0123456789abcdef" for c in p):
            aid = identity.arxiv_reference(prefix)
            if aid is None:
                raise NotFound(f"{prefix!r} is not an item id (ids are hexadecimal, as shown in the digest, "
                               "or an arXiv id such as 2508.14002)")
            db = self._reader_index()
            r = db.execute("SELECT id FROM items WHERE arxiv=?", (aid,)).fetchone() if db is not None else None
            if r is None:
                raise NotFound(f"no paper with arXiv id {aid} in the store")
            return r[0]
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
            cands = [
                f"{identity.short_id(r[0]) if len(p) < identity.SHORT_ID_LEN else r[0]} "
                f"{self._read_at(r[1], r[2]).get('title', '')[:70]}"
                for r in rows[:10]
            ]
            count = "more than 10 papers match" if len(rows) > 10 else f"{len(rows)} papers match"
            raise NotFound(f"id prefix {prefix!r} is ambiguous: {count}; give more characters",
                           details=cands + (["..."] if len(rows) > 10 else []))
        return rows[0][0]

    # ------------------------------------------------------------------ writing
    def next_run(self) -> int:
        """The run number of the ingests under this lock (one number for all of them)."""
        self._require_lock()
        if self._run is None:
            run = self.latest_run() + 1
            if run > MAX_RUN:  # only a hand-edited record can get here
                raise StoreError(f"run numbers exhausted: a record has first_run {run - 1} (edited by hand?)",
                                 path=self.items_path)
            self._run = run
        return self._run

    @_reads
    @guard_sqlite
    def lookup(self, item: dict) -> tuple[dict | None, bool]:
        """The stored record of the same paper (same arXiv id, else same title), and whether
        the item's own id is taken (by a different paper).

        A paper's id is the hash of its normalised title, so the id lookup finds the same
        title; the title-key index holds only papers stored under another id (a retitled
        new version, a re-keyed collision). Two different arXiv ids never match. When several
        papers have the title (two arXiv papers called "Introduction", and an item without an
        arXiv id), the one with the item's abstract (:func:`identity.same_abstract`) is it,
        else the one holding the title's own id."""
        db = self._db()
        aid = item.get("arxiv_id")
        if aid:
            r = db.execute("SELECT off, len, id FROM items WHERE arxiv=?", (aid,)).fetchone()
            if r:
                return self._read_at(r[0], r[1], expect=r[2]), True
        r = db.execute("SELECT off, len, arxiv FROM items WHERE id=?", (item["id"],)).fetchone()
        taken = r is not None
        rows = [(r[0], r[1], item["id"])] if r and not identity.different_arxiv(aid, r[2]) else []
        tkey = identity.normalize_title(item["title"])  # ("" for a title of no letter or digit: no key)
        if tkey and (not rows or item.get("abstract")):  # (another paper of this title is told apart by its abstract)
            rows += [(o, n, i) for o, n, a, i in db.execute("SELECT off, len, arxiv, id FROM items WHERE tkey=?",
                                                            (tkey,)).fetchall()
                     if i != item["id"] and not identity.different_arxiv(aid, a)]
        if not rows:
            return None, taken
        if len(rows) > 1:
            recs = [self._read_at(o, n, expect=i) for o, n, i in rows]
            return next((rec for rec in recs if identity.same_abstract(item.get("abstract"), rec.get("abstract"))),
                        recs[0]), taken
        return self._read_at(rows[0][0], rows[0][1], expect=rows[0][2]), taken

    @guard_sqlite
    def free_id(self, d: dict, also_taken: Container[str] = ()) -> str:
        """A derived id for ``d`` when a different paper already holds its own (in the store, or
        in ``also_taken``: the ids an ingest has given but not yet written)."""
        db = self._db()
        item_id = d["id"]
        salt = d.get("arxiv_id") or d.get("abstract", "")[:200]
        while True:
            item_id = identity.item_id(f"{d['title']}\x00{salt}\x00{item_id}")
            if item_id not in also_taken and not db.execute("SELECT 1 FROM items WHERE id=?", (item_id,)).fetchone():
                return item_id

    @guard_sqlite
    def append_records(self, records: list[dict]) -> None:
        """Append whole records durably, then index them (lock held)."""
        self._require_lock()
        lengths: list[int] = []

        def chunks() -> Iterator[bytes]:  # about a megabyte at a time: a big batch is never all in memory
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
        rows = []
        lex = Lexicon()
        off = start
        for rec, n in zip(records, lengths, strict=True):
            rows.append(row(rec, off, n))
            lex.add_record(rec)
            off += n
        self.index.add(rows, lex)

    # ------------------------------------------------------------------ events
    def append_events(self, events: list[dict]) -> None:
        """Append events (tags, notes, deliveries) durably (lock held)."""
        self._require_lock()
        if not events:
            return
        stamp = utcnow()
        data = b"".join(dumps({"v": FORMAT, "at": stamp} | e) for e in events)
        durable_append(self.events_path, data)

    def _repair_events_tail(self) -> None:
        """A reader that finds events.jsonl ending without a newline cuts the torn line off (kept in
        events.jsonl.torn), as a writer would: if it can take the lock at once. A writer holding the
        lock has repaired the file when it took it, so what it is writing now is its own append in
        progress: that is left alone; so is a store that cannot be written."""
        try:
            with open(self.events_path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if not size or os.pread(fh.fileno(), 1, size - 1) == b"\n":
                    return
        except OSError:
            return
        lock = FileLock(self.root / LOCK, 0)
        try:
            lock.acquire()
        except StoreError:  # busy, or not writable
            return
        try:
            warning = repair.repair_tail(self.events_path)
        except StoreError as exc:
            warning = f"{self.events_path}: the last line is torn and cannot be cut off ({exc})"
        finally:
            lock.release()
        if warning:
            self.warnings.append(warning)

    def iter_events(self) -> Iterator[dict]:
        for _end, ev in self.events_from(0):
            yield ev

    def events_from(self, start: int = 0) -> Iterator[tuple[int, dict]]:
        """The events from byte ``start`` of events.jsonl (a line boundary), each with the offset
        just after its line: a reader that remembers the last offset reads only what was appended
        since (the reading list's cache)."""
        self._check_format()
        if not self.locked:
            self._repair_events_tail()
        try:
            fh = open(self.events_path, "rb")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise os_error(exc, self.events_path, "read") from None
        loads = json.loads  # (orjson's import costs more than a day's events take to decode)
        with fh:
            fh.seek(start)
            pos = start
            for line in fh:
                if not line.endswith(b"\n"):
                    break  # an append in progress (or torn: repaired under the lock)
                at = pos
                pos += len(line)
                try:
                    ev = loads(line)
                except ValueError:
                    self.warnings.append(f"{self.events_path}: damaged event line at byte {at} skipped")
                    continue
                if isinstance(ev, dict):
                    v = ev.get("v", FORMAT)
                    if isinstance(v, int) and v > FORMAT:
                        raise _newer("an event", v, self.events_path)
                    yield pos, ev

    # ------------------------------------------------------------------ state
    def read_state(self) -> dict:
        """state.json as a dict ({} when absent, unreadable or not an object: it is a cache, so
        that is a warning, never an error; its owner, the pipeline, checks what is inside)."""
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            state = None
        if not isinstance(state, dict):
            self.state_warning("unreadable or not a JSON object")
            return {}
        return state

    def state_warning(self, what: str) -> None:
        self.warnings.append(f"{self.state_path}: {what}; starting afresh (it is only a cache)")

    def write_state(self, state: dict) -> None:
        self._require_lock()
        atomic_write(self.state_path, json.dumps(state, indent=1, sort_keys=True).encode() + b"\n")

    def close(self) -> None:
        self._end_view()
        self.index.close()


class Selection:
    """A lazily read set of records (see :meth:`Store.select`): ``rows`` are (offset, length)
    pairs, or (offset, length, id) triples, of the store's view, read in their order; an iterable
    of them needs ``count``. When a damaged line interrupts a selection made by
    :meth:`Store.select` (``where``), the store is repaired and the rest read again (the papers
    given are not)."""

    def __init__(self, store: Store, rows: Iterable[tuple], count: int | None = None, *,
                 where: str | None = None, params: tuple = ()) -> None:
        self.store = store
        self.rows = rows
        self.count = len(rows) if count is None else count  # type: ignore[arg-type]
        self.where, self.params = where, params

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[dict]:
        if not self.count:
            return iter(())
        loads = fast_loads() if self.count > 100 else None

        def read(attempt: int) -> Iterator[dict]:
            if attempt and self.where is None:  # offsets of another view: cannot be read again
                raise DamagedLine(-1, path=self.store.items_path)
            rows = self.rows if attempt == 0 else self.store.select(self.where or "0", self.params).rows
            for r in rows:  # (offset, length) or (offset, length, id)
                yield self.store._read_at(r[0], r[1], None, loads, r[2] if len(r) > 2 else None)

        return (rec for rec in _resumed(self.store, read))


def _resumed(store: Store, read: Callable[[int], Iterator]) -> Iterator:
    """What ``read(attempt)`` gives (records, or (offset, length, record) rows); when a damaged
    line interrupts it, the store is repaired and ``read`` called again, the papers already given
    skipped (at most twice)."""
    given: set[str] = set()
    for attempt in range(3):
        try:
            for item in read(attempt):
                rid = item["id"] if isinstance(item, dict) else item[2]["id"]
                if rid not in given:
                    given.add(rid)
                    yield item
            return
        except DamagedLine:
            if attempt == 2:
                raise
            store.repair_damaged()


class StoreVocabulary:
    """The store's vocabulary, asked in batches (the protocol of digest.ranking.match.Vocabulary)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _lookup(self, sql: str, values: Iterable[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        values = sorted(set(values))
        try:
            db = self.store._reader_index()
            if db is None:
                return out
            for i in range(0, len(values), 500):
                chunk = values[i : i + 500]
                for k, v in db.execute(sql.format(",".join("?" * len(chunk))), chunk):
                    out.setdefault(k, set()).add(v)
        except sqlite3.Error as exc:
            raise StoreError(f"index error: {exc}", path=self.store.index_path) from None
        return out

    def forms(self, keys: Iterable[str]) -> dict[str, set[str]]:
        return self._lookup("SELECT key, word FROM words WHERE key IN ({})", keys)

    def compounds(self, keys: Iterable[str]) -> dict[str, set[str]]:
        return self._lookup("SELECT key, form FROM compounds WHERE key IN ({})", keys)

    def names(self, acronyms: Iterable[str]) -> dict[str, set[str]]:
        return self._lookup("SELECT acronym, name FROM names WHERE acronym IN ({})", acronyms)
