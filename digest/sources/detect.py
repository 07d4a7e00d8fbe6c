"""What kind of input is this, by content (never by file name), and parse it.

``detect_kind`` looks at the first bytes only: after BOMs and whitespace a
``[`` or ``{`` is the HF daily_papers JSON, a ``<`` is an RSS/Atom feed
(after an optional XML declaration, comments and DOCTYPE; UTF-16/32 is
decoded first), and anything else is a Daily Papers text dump when
``digest.sources.dump.looks_like_dump`` agrees. A saved HTML page is refused
with a hint, since dumps are the page's text.
"""

from __future__ import annotations

import re
from datetime import date

from digest.errors import InputError
from digest.item import ParseResult
from digest.sources import KINDS

SNIFF_BYTES = 16384  # how much of the input detection looks at
_BLANK = b" \t\r\n\x00\xef\xbb\xbf\xfe\xff"
_CONTENT = re.compile(rb"[^ \t\r\n\x00\xef\xbb\xbf\xfe\xff]")
_NAME = re.compile(rb"<([^\s/>]{1,100})")
_UNRECOGNISED = "unrecognised input: not a Daily Papers dump, RSS/Atom feed or HF daily_papers JSON"


def _head(data: bytes) -> str:
    head = data[: SNIFF_BYTES * 4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:4] or head[:4] == b"\x4c\x6f\xa7\x94":
        # UTF-16/32 or EBCDIC: transcode to UTF-8 (the feed module, and its
        # imports, load only for such input)
        from digest.sources.xmlsafe import to_ascii_compatible

        head = to_ascii_compatible(head)
    return head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n\x00")[:SNIFF_BYTES]


def _root_name(head: str) -> str | None:
    """Lower-cased name of the root element (after declaration, comments, DOCTYPE), if in the head."""
    from digest.sources.xmlsafe import scan_prolog

    raw = head.encode("utf-8")
    root = scan_prolog(raw).root
    if root is None:
        return None
    m = _NAME.match(raw, root)
    return m.group(1).decode("utf-8", errors="replace").lower() if m else None


def _looks_like_dump(head: str) -> bool:
    try:
        from digest.sources.dump import looks_like_dump
    except ImportError:  # pragma: no cover - dump.py is written alongside
        return False
    return looks_like_dump(head)


def detect_kind(data: bytes, *, source: str) -> str:
    """``"dump"``, ``"feed"`` or ``"hf_json"``; ``InputError`` when it is none of them."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not _CONTENT.search(data):  # (not data.strip(): that copies the whole input)
        raise InputError("empty input", path=source)
    head = _head(data)
    if not head.strip():
        raise InputError("empty input", path=source)
    first = head[0]
    if first in "[{":
        return "hf_json"
    if first == "<":
        if _root_name(head) == "html":
            if _looks_like_dump(head):  # pragma: no cover - looks_like_dump refuses '<'
                return "dump"
            raise InputError(
                f"{_UNRECOGNISED} (it is an HTML page: save the Daily Papers page as text, or use a feed URL)",
                path=source,
            )
        return "feed"
    if _looks_like_dump(head):
        return "dump"
    raise InputError(_UNRECOGNISED, path=source)


def parse_bytes(data: bytes, *, source: str, kind: str | None = None, ref_date: date) -> ParseResult:
    """Parse ``data`` as ``kind`` (detected from the content when None or ``"auto"``)."""
    if kind in (None, "auto"):
        kind = detect_kind(data, source=source)
    if kind == "feed":
        from digest.sources.feed import parse_feed

        return parse_feed(data, source=source)
    if kind == "hf_json":
        from digest.sources.hf_json import parse_hf_json

        return parse_hf_json(data, source=source)
    if kind == "dump":
        from digest.sources.dump import parse_dump

        return parse_dump(data, source=source, ref_date=ref_date)
    raise InputError(f"unknown input kind {kind!r} (expected one of: {', '.join(KINDS)})", path=source)
