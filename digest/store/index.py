"""The SQLite index of items.jsonl: a cache, never the source of truth.

``index.sqlite`` maps each paper's id, arXiv id and (for the few papers stored
under an id that is not their title's hash) title key to the byte offset and
length of its latest line, with its first run and first-seen time; a
``superseded`` table lists the offsets of lines replaced by a later version, so
a full scan skips old versions without loading every offset.

It also holds the store's **vocabulary** (:class:`digest.words.Lexicon`), grown with
every indexed record: each word of the titles and abstracts with its stem key
(``words``), the two-part hyphenated compounds written (``compounds``) and the
names ending in an upper-case acronym (``names``). Interest terms are expanded into
the words that share their keys, so scoring never stems text. A ``cache`` table keeps
small derived values for the ranking (term shares for damping), dropped with the rest.

The index remembers the signature of the JSONL file it describes, by content only: its size,
a CRC-32 of its first :data:`HEAD` bytes and its last :data:`TAIL` bytes, never its inode or
modification time, so a copied or restored store (``cp -r``, a backup, a new laptop) keeps its
index. When the file only grew (the old head and the old end are still there), the appended
lines are indexed; when it changed in any other way, or the index is missing, corrupt or of an
older schema, the index is rebuilt from the file. An edit in place that keeps the size, the head
and the end is caught where the index is read: the bytes it points at must be a whole record of
the id it has for them, else the index is rebuilt (and a line that is no record set aside). So a
stale or deleted index never gives a wrong answer.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from digest import identity
from digest.errors import StoreError, StoreUnwritable
from digest.feedback import QUIET
from digest.store.files import NO_SPACE, READ_ONLY, os_error
from digest.store.format import FORMAT, decode_record, fast_loads
from digest.words import KEY_VERSION, Lexicon, stem_key

# bump the first number when the index schema changes (words.KEY_VERSION when word keys do): old
# indexes are rebuilt
INDEX_VERSION = f"4.{KEY_VERSION}"
TAIL = 64  # bytes at the end of the JSONL file the index remembers to detect edits
HEAD = 65536  # bytes at its start that the index keeps a CRC-32 of (the whole file, when smaller)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items(
    id TEXT PRIMARY KEY, off INTEGER NOT NULL, len INTEGER NOT NULL,
    arxiv TEXT, tkey TEXT, first_run INTEGER, first_seen TEXT);
CREATE INDEX IF NOT EXISTS items_arxiv ON items(arxiv) WHERE arxiv IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_tkey ON items(tkey) WHERE tkey IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_run ON items(first_run);
CREATE INDEX IF NOT EXISTS items_seen ON items(first_seen);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS superseded(off INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS words(word TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS words_key ON words(key);
CREATE TABLE IF NOT EXISTS compounds(key TEXT, form TEXT, PRIMARY KEY(key, form)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names(acronym TEXT, name TEXT, PRIMARY KEY(acronym, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cache(name TEXT PRIMARY KEY, value TEXT);
"""
_DERIVED = ("items", "superseded", "words", "compounds", "names", "cache")

Row = tuple  # (id, off, len, arxiv, tkey, first_run, first_seen)


def short_of_space(root: Path) -> bool:
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


def guard_sqlite(method: Callable) -> Callable:
    """Translate SQLite failures (disk full, I/O error, locked) into StoreError (on a Store method)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            self.index.fresh = False
            msg = str(exc)
            if "full" in msg or (("disk" in msg or "readonly" in msg) and short_of_space(self.root)):
                # (SQLite says "attempt to write a readonly database" when it found no room for its journal)
                raise StoreUnwritable(f"index error: cannot write: {NO_SPACE}", path=self.index.path) from None
            if "readonly" in msg:
                raise StoreUnwritable(f"index error: cannot write: {READ_ONLY}", path=self.index.path) from None
            if "disk" in msg:
                msg += " (disk full or file size limit?)"
            raise StoreError(f"index error: {msg}", path=self.index.path) from None

    return wrapper


def row(rec: dict, off: int, n: int) -> Row:
    """The index row of a record stored at ``off`` (``n`` bytes)."""
    # the title key is indexed only where the id is not the title's own hash (see Store.lookup)
    title = rec.get("title", "")
    tkey = None if identity.item_id(title) == rec["id"] else identity.normalize_title(title)
    return (rec["id"], off, n, rec.get("arxiv_id"), tkey, rec.get("first_run"), rec.get("first_seen"))


class Index:
    """The index of one store's items.jsonl (``path``: index.sqlite)."""

    def __init__(self, path: Path, items: Path) -> None:
        self.path = path
        self.items = items
        self.fresh = False  # known to describe items.jsonl (checked, or caught up, under the lock)
        self._db: sqlite3.Connection | None = None
        self.feedback = QUIET  # progress of a long (re)build

    # ------------------------------------------------------------------ connection
    def _connect_readonly(self) -> sqlite3.Connection:
        """The index as it is on disk, opened read-only without creating its -wal/-shm files: for
        reading a read-only store, or one on a full disk. is_fresh() still checks it against
        items.jsonl (a -wal left behind makes it look stale, never wrong)."""
        uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
        try:
            db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.Error:
            db.close()
            raise
        return db

    def db(self, *, locked: bool, _retry: bool = False) -> sqlite3.Connection:
        """The connection (opened on first use). ``locked``: the caller holds the store lock,
        so a corrupt index may be thrown away and rebuilt."""
        if self._db is None and self.path.is_dir():
            raise StoreError("a directory, where digest keeps its index (a file): move it away, the index "
                             "is rebuilt from items.jsonl", path=self.path)
        if self._db is None and not locked and self.path.exists() and not os.access(self.path.parent, os.W_OK):
            try:
                self._db = self._connect_readonly()
            except sqlite3.Error as exc:
                raise StoreError(f"index unreadable ({exc}) and the store is read-only", path=self.path) from None
        if self._db is None:
            try:
                db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
            except sqlite3.DatabaseError as exc:
                # A corrupt cache is thrown away and rebuilt from the JSONL.
                corrupt = not isinstance(exc, sqlite3.OperationalError) or "malformed" in str(exc)
                if locked and corrupt and not _retry:
                    self.drop()
                    return self.db(locked=locked, _retry=True)
                if not corrupt:
                    if not locked and self.path.exists():  # e.g. no room for -shm: read as is
                        try:
                            self._db = self._connect_readonly()
                            return self._db
                        except sqlite3.Error:
                            pass
                    raise
                raise StoreError(f"index unreadable ({exc}); run any writing command to rebuild it",
                                 path=self.path) from None
            except OSError as exc:
                raise os_error(exc, self.path, "open the index") from None
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def drop(self) -> None:
        """Delete the index (and its -wal/-shm files): it is rebuilt on the next write."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            try:
                os.unlink(str(self.path) + suffix)
            except FileNotFoundError:
                pass

    # ------------------------------------------------------------------ signature
    def file_sig(self) -> Sig:
        """The signature of items.jsonl (see :func:`handle_sig`)."""
        try:
            with open(self.items, "rb") as fh:
                return handle_sig(fh)
        except FileNotFoundError:
            return Sig(0, 0, "", "", 0, 0)

    def tail_at(self, size: int) -> str:
        with open(self.items, "rb") as fh:
            fh.seek(max(0, size - TAIL))
            return fh.read(min(TAIL, size)).hex()

    def head_of(self, n: int) -> str:
        """The CRC-32 of the first ``n`` bytes of items.jsonl, as :func:`handle_sig` writes it."""
        with open(self.items, "rb") as fh:
            return _crc(fh.read(n))

    @staticmethod
    def meta(db: sqlite3.Connection) -> dict:
        return dict(db.execute("SELECT key, value FROM meta").fetchall())

    def write_sig(self, db: sqlite3.Connection) -> None:
        sig = self.file_sig()
        db.execute("DELETE FROM meta WHERE key IN ('ino', 'mtime')")  # (an older index's signature)
        db.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
            [("format", FORMAT), ("index_version", INDEX_VERSION), ("size", sig.size), ("head_len", sig.head_len),
             ("head", sig.head), ("tail", sig.tail)],
        )

    @staticmethod
    def describes(meta: dict, sig: Sig) -> bool:
        """Does an index whose meta table says ``meta`` describe the file of signature ``sig``?
        (An index written before the signature was by content says the file's inode and
        modification time instead of its head: it is trusted while they agree, and written
        anew by the next command that writes.)"""
        if not (meta.get("format") == FORMAT and meta.get("index_version") == INDEX_VERSION
                and meta.get("size") == sig.size and meta.get("tail") == sig.tail):
            return False
        if "head" in meta:
            return meta.get("head_len") == sig.head_len and meta["head"] == sig.head
        return meta.get("ino") == sig.ino and meta.get("mtime") == sig.mtime

    def is_fresh(self, *, locked: bool) -> bool:
        if self.fresh:
            return True
        if not self.path.exists():
            return not self.items.exists()
        try:
            meta = self.meta(self.db(locked=locked))
        except (sqlite3.DatabaseError, StoreError):
            return False  # corrupt or unreadable: rebuilt (or the error said) under the lock
        return self.describes(meta, self.file_sig())

    # ------------------------------------------------------------------ building
    def catch_up(self) -> list[tuple[int, bytes]]:
        """Bring the index up to date with items.jsonl (lock held): index the appended lines when
        the file only grew, else rebuild. Returns the damaged lines found (offset, bytes)."""
        if self.is_fresh(locked=True):
            self.fresh = True
            if self.path.exists():
                self.upgrade_sig()
            return []
        try:
            db = self.db(locked=True)
            meta = self.meta(db)
        except sqlite3.DatabaseError:
            self.drop()
            db = self.db(locked=True)
            meta = {}
        if meta and meta.get("index_version") != INDEX_VERSION:
            self.drop()  # an older schema: start the cache afresh
            db = self.db(locked=True)
            meta = {}
        sig = self.file_sig()
        start = 0
        old_size = meta.get("size")
        if (
            meta.get("format") == FORMAT
            and meta.get("index_version") == INDEX_VERSION
            and isinstance(old_size, int)
            and 0 < old_size <= sig.size
            and self.tail_at(old_size) == meta.get("tail")
            and self._head_kept(meta, sig)
        ):
            start = old_size  # the file only grew: index the appended lines
        bad = self.index_from(start)
        self.fresh = True
        return bad

    def upgrade_sig(self) -> None:
        """Give an index of the older signature (inode and modification time, no head) that still
        describes its file the signature by content, so that a copy made afterwards keeps it
        (lock held; nothing is written for an index that has it already)."""
        db = self.db(locked=True)
        if "head" in self.meta(db):
            return
        with immediate(db):
            if self.describes(self.meta(db), self.file_sig()):
                self.write_sig(db)

    def _head_kept(self, meta: dict, sig: Sig) -> bool:
        """Is the start of the file the index described still there (an older index: the same inode)?"""
        if "head" not in meta:
            return meta.get("ino") == sig.ino
        n = meta.get("head_len")
        return isinstance(n, int) and 0 <= n <= sig.size and self.head_of(n) == meta["head"]

    def index_from(self, start: int) -> list[tuple[int, bytes]]:
        """Index the lines of items.jsonl from byte ``start`` (0: rebuild) and commit, with the
        file's signature; or, when damaged lines are found, commit nothing and return them: the
        index must never vouch for a file that still holds them (they are set aside first, and a
        crash in between leaves an index that is still stale, so the next command does it again)."""
        db = self.db(locked=True)
        with immediate(db):
            if start == 0:
                for table in _DERIVED:
                    db.execute(f"DELETE FROM {table}")
            bad: list[tuple[int, bytes]] = []
            if self.items.exists():
                with open(self.items, "rb") as fh:
                    bad, _ = fill(db, fh, start, self.feedback)
            if bad:
                db.execute("ROLLBACK")  # (nothing committed: the block sees no transaction left)
                return bad
            self.write_sig(db)
        return []

    @staticmethod
    def in_memory(fh: IO[bytes]) -> tuple[sqlite3.Connection, list[tuple[int, bytes]], bytes]:
        """An index of the open file ``fh``, in memory (nothing is written anywhere): for a store
        that cannot be written. Returns it, the damaged lines and a torn last line, both skipped."""
        db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(_SCHEMA)
        bad, torn = fill(db, fh, 0)
        # the damaged lines are skipped by scans as old versions are; the torn one lies past "size"
        db.executemany("INSERT OR IGNORE INTO superseded(off) VALUES (?)", [(off,) for off, _ in bad])
        size = os.fstat(fh.fileno()).st_size - len(torn)
        db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                       [("format", FORMAT), ("index_version", INDEX_VERSION), ("size", size)])
        return db, bad, torn

    def add(self, rows: list[Row], lexicon: Lexicon | None = None) -> None:
        """Index rows of records just appended (and their words), and the file's new signature
        (lock held)."""
        db = self.db(locked=True)
        try:
            with immediate(db):
                upsert(db, rows)
                if lexicon is not None:
                    add_words(db, lexicon)
                self.write_sig(db)
        except BaseException:
            self.fresh = False
            raise


@contextlib.contextmanager
def immediate(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction (BEGIN IMMEDIATE): committed when the block ends, rolled back when it
    raises; a block may end it itself (a ROLLBACK when it finds it must not commit)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    if db.in_transaction:
        db.execute("COMMIT")


class Sig(NamedTuple):
    """What the index knows items.jsonl by: its size, how many bytes of its head are
    fingerprinted and their CRC-32, the hex of its last TAIL bytes; and, for an index written
    before the signature was by content, its inode and modification time."""

    size: int
    head_len: int
    head: str
    tail: str
    ino: int
    mtime: int


def _crc(data: bytes) -> str:
    return f"{zlib.crc32(data):08x}"


def handle_sig(fh: IO[bytes]) -> Sig:
    """The signature of the file open as ``fh``: its content (size, head, tail), not where it is."""
    st = os.fstat(fh.fileno())
    n = min(HEAD, st.st_size)
    head = os.pread(fh.fileno(), n, 0) if n else b""
    tail = os.pread(fh.fileno(), TAIL, max(0, st.st_size - TAIL)) if st.st_size else b""
    return Sig(st.st_size, len(head), _crc(head), tail.hex(), st.st_ino, st.st_mtime_ns)


def fill(db: sqlite3.Connection, fh: IO[bytes], start: int,
         feedback=QUIET) -> tuple[list[tuple[int, bytes]], bytes]:
    """Index the lines of ``fh`` from byte ``start`` into ``db`` (rows and words, in the caller's
    transaction). Returns the damaged lines (offset, bytes) and a torn last line (no newline;
    not indexed)."""
    bad: list[tuple[int, bytes]] = []
    torn = b""
    rows = []
    lex = Lexicon()
    loads = fast_loads()
    size = os.fstat(fh.fileno()).st_size
    fh.seek(start)
    off = start
    try:
        for line in fh:
            n = len(line)
            if not line.endswith(b"\n"):
                torn = line
                break
            rec = decode_record(line, loads)
            if rec is None:
                if line.strip():
                    bad.append((off, line))
            else:
                rows.append(row(rec, off, n))
                lex.add_record(rec)
                if len(rows) >= 10000:
                    upsert(db, rows)
                    add_words(db, lex)
                    rows, lex = [], Lexicon()
                    feedback.progress("indexing the store (bytes)", off, size)
            off += n
        upsert(db, rows)
        add_words(db, lex)
    finally:
        feedback.finished("indexing the store (bytes)")
    return bad, torn


def upsert(db: sqlite3.Connection, rows: Iterable[Row]) -> None:
    """Insert or replace index rows; the lines they replace are recorded as superseded,
    so a full scan can skip old versions without loading every offset."""
    latest: dict[str, Row] = {}
    old_offs: list[tuple[int]] = []
    for r in rows:
        prev = latest.get(r[0])
        if prev is not None:
            old_offs.append((prev[1],))
        latest[r[0]] = r
    if not latest:
        return
    ids = list(latest)
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        q = f"SELECT off FROM items WHERE id IN ({','.join('?' * len(chunk))})"
        old_offs.extend(db.execute(q, chunk).fetchall())
    if old_offs:
        db.executemany("INSERT OR IGNORE INTO superseded(off) VALUES (?)", old_offs)
    db.executemany(
        "INSERT OR REPLACE INTO items(id, off, len, arxiv, tkey, first_run, first_seen) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        list(latest.values()),
    )


def add_words(db: sqlite3.Connection, lex: Lexicon) -> None:
    """Grow the vocabulary with a lexicon: the words not known yet get their stem key."""
    words = list(lex.words)
    known: set[str] = set()
    for i in range(0, len(words), 900):
        chunk = words[i : i + 900]
        q = f"SELECT word FROM words WHERE word IN ({','.join('?' * len(chunk))})"
        known.update(w for (w,) in db.execute(q, chunk))
    db.executemany("INSERT OR IGNORE INTO words(word, key) VALUES (?, ?)",
                   [(w, stem_key(w)) for w in words if w not in known])
    db.executemany("INSERT OR IGNORE INTO compounds(key, form) VALUES (?, ?)",
                   [(stem_key(c.replace("-", "")), c) for c in lex.compounds])
    db.executemany("INSERT OR IGNORE INTO names(acronym, name) VALUES (?, ?)", sorted(lex.names))
