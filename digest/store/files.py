"""File durability primitives: atomic rewrite, durable append, the run lock.

Used by the store and by every command that writes a file (``config init``,
``export -o``).

- ``atomic_write``: temp file in the same directory, fsync, ``os.replace``,
  fsync of the directory (rss2email's pattern): a reader sees the old file or
  the new one, never half of either.
- ``durable_append``: one ``write`` of whole lines, flush, fsync.
- ``FileLock``: an exclusive ``flock`` with a bounded wait; the second process
  waits up to ``timeout`` seconds, then raises :class:`StoreBusy`.
"""

from __future__ import annotations

import errno
import os
import stat
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

from digest.errors import StoreBusy, StoreError, StoreUnwritable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


NO_SPACE = "no space left (disk full or file size limit)"
READ_ONLY = "permission denied (read-only?)"


def checksum(data: bytes) -> str:
    """A 64-bit fingerprint of ``data`` (CRC-32 and Adler-32) for telling whether a cache still
    describes what it was made from: no adversary, so no cryptographic hash (hashlib's OpenSSL
    takes ~2 ms to load, zlib is loaded anyway)."""
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def os_error(exc: OSError, path: Path, doing: str) -> StoreError:
    """The one-line error for a failed file operation (StoreUnwritable when it could not write)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StoreUnwritable(f"cannot {doing}: {NO_SPACE}", path=path)
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StoreUnwritable(f"cannot {doing}: {READ_ONLY}", path=path)
    if exc.errno == errno.EISDIR:
        return StoreError(f"cannot {doing}: it is a directory, where digest keeps a file", path=path)
    return StoreError(f"cannot {doing}: {exc.strerror or exc}", path=path)


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def user_file_mode(path: Path) -> int:
    """The mode for a file the user asked for (``export -o``): the existing file's own, else
    0o666 less the umask, as any program that creates a file gets (mkstemp's 0o600 is for caches)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _create_beside(path: Path) -> tuple[int, str]:
    """A new, empty, private (0o600) file with a random name in ``path``'s folder, opened for
    writing: ``tempfile.mkstemp``'s guarantees (created exclusively, never through a symlink)
    without importing tempfile, which with shutil, random, bz2 and lzma was ~2 ms of every
    command that writes."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path.parent))


def atomic_write(path: Path, data: bytes, *, mode: int | None = None, parents: bool = True) -> None:
    """Write ``data`` to ``path`` atomically. ``parents``: create missing folders (the store,
    the config folder); without it a missing folder is an error."""
    path = Path(path)
    if not parents and not path.parent.is_dir():
        what = "is not a directory" if path.parent.exists() else "does not exist"
        raise StoreError(f"cannot write: the folder {path.parent} {what}", path=path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_beside(path)
    except OSError as exc:
        raise os_error(exc, path, "write") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise os_error(exc, path, "write") from None
    fsync_dir(path.parent)


def write_user_file(path: Path, data: bytes, *, parents: bool = False) -> None:
    """Write a file of the user's (``export -o``, the config ``tune --apply`` edits). A regular
    file, or none yet, is written atomically with :func:`user_file_mode`'s mode, its folder
    created only with ``parents``; through a symlink, the link's target is (the link stays a
    link). Anything else that is there (a device such as /dev/stdout or /dev/null, a FIFO) is
    written into, as the shell's ``>`` does: renaming a file over it would replace the device or
    the pipe with a regular file."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # (through symlinks: /dev/stdout -> /proc/self/fd/1 -> a pipe)
        special = not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)
    except OSError:
        special = False  # none yet (or unreachable: atomic_write says why)
    if not special:
        if path.is_symlink():
            path = Path(os.path.realpath(path))
        atomic_write(path, data, mode=user_file_mode(path), parents=parents)
        return
    try:
        with open(path, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise os_error(exc, path, "write") from None


def durable_append(path: Path, data: bytes | Iterable[bytes]) -> int:
    """Append ``data`` (whole lines; bytes, or an iterable of byte chunks written in turn)
    and fsync; return the offset it starts at.

    On failure (disk full, file size limit, an exception while the chunks are made) the
    file is cut back to where it was, so no partial line or partial batch is left behind.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise os_error(exc, path, "write") from None
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        for part in (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data:
            view = memoryview(part)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        os.fsync(fd)
    except BaseException as exc:
        try:
            os.ftruncate(fd, start)
            os.fsync(fd)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise os_error(exc, path, "append to") from None
        raise
    finally:
        os.close(fd)
    return start


class FileLock:
    """An exclusive advisory lock on ``path`` with a bounded wait."""

    def __init__(self, path: Path, timeout: float = 10.0, what: str = "store",
                 on_wait: Callable[[int | None], None] | None = None) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.what = what
        self.on_wait = on_wait  # called once, with the holder's pid (None if unknown), when a wait begins
        self._fd: int | None = None

    def holder(self) -> int | None:
        """The pid written in the lock file by the process that holds it (None if unknown). The
        file keeps the pid of the last digest that held the lock, so a pid no process has any
        more is not the holder's (another program holds it, flock(1) say): None."""
        try:
            text = self.path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            return None
        pid = int(text) if text.isdigit() else 0
        if pid <= 0:
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except (OSError, OverflowError):  # PermissionError: alive, another user's
            pass
        return pid

    def acquire(self) -> None:
        if fcntl is None:  # pragma: no cover
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise os_error(exc, self.path, "lock") from None
        deadline = time.monotonic() + max(0.0, self.timeout)
        delay = 0.01
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise os_error(exc, self.path, "lock") from None
                if not told and self.on_wait is not None and self.timeout > 0:
                    told = True
                    self.on_wait(self.holder())
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreBusy(
                        f"{self.what} busy: another digest process holds the lock "
                        f"(waited {self.timeout:g}s); try again later",
                        path=self.path,
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
