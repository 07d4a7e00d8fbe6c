"""Text rules, defined once: which characters are unsafe, and how text is cleaned.

Text from pages, feeds, JSON, file names and the store is data. Before it is
stored, shown or quoted in a message, every character a terminal, a mail client
or a viewer could act on is removed: C0 and C1 control characters (ESC, the
one-byte CSI ``\\x9b``, ``\\r``), DEL, bidirectional overrides and isolates,
zero-width and invisible format characters, line and paragraph separators,
the byte-order mark and the interlinear annotation characters.

Every module that cleans text uses the patterns and helpers here; the variants
differ only in which whitespace they leave for the caller to handle.
"""

from __future__ import annotations

import re
from typing import Any, AnyStr, cast

_PATTERN_ATTRS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer", "scanner",
                  "pattern", "flags", "groups", "groupindex")


class _LazyPattern:
    """See :func:`lazy_compile`. Its first use sets the compiled pattern's methods and attributes
    on it, so later uses find them as plain attributes (no extra call)."""

    def __init__(self, pattern: Any, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # (copy and pickle look for hooks before __init__ has run)
            raise AttributeError(name)
        compiled = re.compile(*self._args)
        for attr in _PATTERN_ATTRS:
            setattr(self, attr, getattr(compiled, attr))
        return getattr(compiled, name)


def lazy_compile(pattern: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """``re.compile``, done at the pattern's first use: a module-level pattern costs 50-350 µs
    to compile, and a command uses few of those it imports (``show``: 5 of 26). Use it as the
    compiled pattern (its methods and attributes); not as an argument to ``re`` functions."""
    return cast("re.Pattern[AnyStr]", _LazyPattern(pattern, flags))

# Everything unsafe beyond the C0 range (0x00-0x1f), as a regex character-class body.
_UNSAFE_HIGH = (
    "\x7f-\x9f"  # DEL and the C1 controls
    "\u061c"  # Arabic letter mark
    "\u200b-\u200f"  # zero-width space/joiners, LRM, RLM
    "\u2028\u2029"  # line and paragraph separators
    "\u202a-\u202e"  # bidi embeddings and overrides
    "\u2060-\u2064"  # word joiner and invisible operators
    "\u2066-\u2069"  # bidi isolates
    "\ufeff"  # byte-order mark / zero-width no-break space
    "\ufff9-\ufffb"  # interlinear annotation
)


def _unsafe(keep: str = "") -> re.Pattern[str]:
    c0 = "".join(re.escape(chr(c)) for c in range(32) if chr(c) not in keep)
    return re.compile(f"[{c0}{_UNSAFE_HIGH}]")


UNSAFE = _unsafe()  # every unsafe character, whitespace controls included
UNSAFE_BUT_WHITESPACE = _unsafe("\t\n")  # for text whose tabs and newlines are folded afterwards
UNSAFE_BUT_LINE_BREAKS = _unsafe("\n\r")  # for line-oriented parsers, before they split lines
JSON_LEAVES_RAW = lazy_compile(f"[{_UNSAFE_HIGH}]")  # what json.dumps(ensure_ascii=False) keeps raw

# Half of a UTF-16 surrogate pair, alone: JSON's "\ud83d" (an emoji cut in two by a truncating
# API), a character reference to one, or a byte of a file name that is not UTF-8 (Python's
# surrogateescape). Valid in a Python str, impossible to write as UTF-8.
_LONE_SURROGATE = lazy_compile("[\ud800-\udfff]")

_WS = lazy_compile(r"\s+")
_LINE_WS = lazy_compile(r"[ \t\n]+")


def _squeezed(printable: str) -> str:
    """Printable text (no unsafe character, tab or line break can be in it: every one is
    unprintable, and its only whitespace is the space) with its runs of spaces made one, trimmed:
    what collapse and clean make of it, without their regular expressions (most values)."""
    return printable.strip() if "  " not in printable else " ".join(printable.split())


def collapse(text: str | None) -> str:
    """One clean line: unsafe characters dropped, all whitespace collapsed to single spaces."""
    if not text:
        return ""
    if text.isprintable():
        return _squeezed(text)
    return _WS.sub(" ", UNSAFE.sub(" ", text)).strip()


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """Any value made safe to show: unsafe characters dropped, spaces, tabs and (unless
    ``keep_newlines``) newlines folded to single spaces."""
    if text is None:
        return ""
    s = str(text)
    if s.isprintable():
        return _squeezed(s)
    s = UNSAFE_BUT_WHITESPACE.sub(" ", s)
    if keep_newlines:
        return "\n".join(_LINE_WS.sub(" ", line).strip() for line in s.split("\n"))
    return _LINE_WS.sub(" ", s).strip()


def json_safe(text: str) -> str:
    """JSON text with every character a terminal could act on written as a ``\\uXXXX`` escape."""
    return JSON_LEAVES_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def has_lone_surrogate(text: str) -> bool:
    return _LONE_SURROGATE.search(text) is not None


def storable(text: str) -> str:
    """``text`` as it can be stored and printed (UTF-8): every lone surrogate becomes U+FFFD,
    the replacement character. The one rule for decoded text (see :class:`digest.item.Item`)."""
    if text.isascii():
        return text
    return _LONE_SURROGATE.sub("\ufffd", text)


_UNPRINTABLE_IN_NAME = lazy_compile(f"{UNSAFE.pattern[:-1]}\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    if 0xDC80 <= c <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): the byte itself
        return f"\\x{c - 0xDC00:02x}"
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def printable_name(name: str) -> str:
    """A file name (or a URL, or what the user typed) as it can be printed on one line and
    stored: every unsafe character (ESC, BEL, newline, ``\\r``, bidi overrides, ...) and every
    byte that is not UTF-8 is written as an escape (``\\x1b``, ``\\n`` as ``\\x0a``,
    ``\\xe9``, ``\\u202e``), as ``ls -b`` does, so names stay apart and forge nothing."""
    if name.isprintable():  # (every unsafe character is unprintable, and so is a lone surrogate)
        return name
    return _UNPRINTABLE_IN_NAME.sub(_escape, name)
