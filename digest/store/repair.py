"""Repairing what a crash or a hand edit leaves in the JSONL files.

- :func:`repair_tail`: a torn last line (a crash mid-append) is cut off and kept
  aside in ``<file>.torn``; a complete record that only lacks its newline gets one.
- :func:`set_aside`: lines that are not valid records (garbage, a hand edit such
  as ``"title": 5``) are moved out of ``items.jsonl`` into ``items.jsonl.rejected``,
  with their exact bytes, by an atomic rewrite.

Both return the warning to show, and are called by the store with its lock held.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from digest.store.files import durable_append, os_error
from digest.store.format import dumps, utcnow


def repair_tail(path: Path) -> str | None:
    """Cut off a torn last line of ``path`` (kept aside in ``<name>.torn``); the warning, if any."""
    try:
        size = os.path.getsize(path)
        if size == 0:
            return None
        tail_at = _last_line(path, size)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a directory where the file belongs, an unreadable file
        raise os_error(exc, path, "read") from None
    if tail_at is None:
        return None
    cut, tail = tail_at
    try:
        ok = isinstance(json.loads(tail), dict)
    except ValueError:
        ok = False
    try:
        if ok:  # a complete record that only lacks its newline
            durable_append(path, b"\n")
            return None
        durable_append(path.with_name(path.name + ".torn"), tail + b"\n")
        with open(path, "r+b") as fh:
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise os_error(exc, path, "repair") from None
    return (f"{path}: the last line was torn (an interrupted write); "
            f"{len(tail)} bytes kept aside in {path.name}.torn")


def _last_line(path: Path, size: int) -> tuple[int, bytes] | None:
    """Where the last line of ``path`` starts and its bytes, when it lacks its newline."""
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return None
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
    return cut, tail


def set_aside(items: Path, bad: list[tuple[int, bytes]]) -> str:
    """Move the lines at the given offsets out of ``items`` into ``<items>.rejected``."""
    rejected = items.with_name(items.name + ".rejected")
    stamp = utcnow()
    note = b"".join(rejected_note(stamp, off, line) for off, line in bad)
    durable_append(rejected, note)
    offsets = {off for off, _ in bad}
    tmp = items.with_name(f".{items.name}.rewrite")
    try:
        with open(items, "rb") as src, open(tmp, "wb") as dst:
            off = 0
            for line in src:
                if off not in offsets:
                    dst.write(line)
                off += len(line)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(tmp, items)
    except OSError as exc:
        raise os_error(exc, items, "rewrite") from None
    return f"{items}: {len(bad)} damaged line(s) were not valid records; kept aside in {rejected}"


def rejected_note(stamp: str, off: int, line: bytes) -> bytes:
    """The items.jsonl.rejected line for a damaged line: its text, and its exact bytes too
    (base64) when they are not valid UTF-8, so nothing is lost."""
    body = line[:-1] if line.endswith(b"\n") else line
    text = body.decode("utf-8", "replace")
    note: dict = {"at": stamp, "offset": off, "line": text}
    if text.encode("utf-8") != body:
        import base64

        note["raw_base64"] = base64.b64encode(body).decode("ascii")
    return dumps(note)
