"""Field helpers shared by the feed and HF JSON parsers: caps, HTML to text, URLs, dates.

Every field value from a document is capped (``MAX_*``; an item whose title or
abstract was cut gets ``truncated=True``), HTML becomes plain text (tags dropped,
``script``/``style`` content dropped, entities unescaped, whitespace collapsed),
URLs are kept only when they are absolute http(s) URLs of sane length, and
dates are read from ISO 8601 or RFC 822.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import Any

from digest.text import UNSAFE, collapse

# ---------------------------------------------------------------- caps
MAX_ENTRIES = 10_000  # entries beyond this are ignored (with a warning)
MAX_TITLE_CHARS = 1_000
MAX_FALLBACK_TITLE_CHARS = 120  # an untitled entry is titled with the start of its summary
MAX_ABSTRACT_CHARS = 20_000
MAX_AUTHORS = 500  # n_authors still reports the full count
MAX_AUTHOR_CHARS = 200
MAX_CATEGORIES = 50
MAX_CATEGORY_CHARS = 100
MAX_LINKS = 20
MAX_URL_CHARS = 2_000
MAX_ORG_CHARS = 200
MAX_MESSAGE_CHARS = 200  # quoted error text (API error answers, bozo reasons)
RAW_FACTOR = 10  # HTML is scanned up to this many times a field's cap


# ---------------------------------------------------------------- text helpers

_WS = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr img li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})


@functools.cache
def _extractor() -> type:
    """The HTML-to-text parser class (html.parser loads only when some text has markup: the
    ``html`` module compiles a large regex at import, ~4 ms a command that reads a dump)."""
    from html.parser import HTMLParser

    class TextExtractor(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []
            self.skipping = 0

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag in _SKIP_TAGS:
                self.skipping += 1
            elif tag in _BLOCK_TAGS:
                self.parts.append(" ")

        def handle_startendtag(self, tag: str, attrs: Any) -> None:
            if tag in _BLOCK_TAGS:
                self.parts.append(" ")

        def handle_endtag(self, tag: str) -> None:
            if tag in _SKIP_TAGS:
                self.skipping = max(0, self.skipping - 1)
            elif tag in _BLOCK_TAGS:
                self.parts.append(" ")

        def handle_data(self, data: str) -> None:
            if not self.skipping:
                self.parts.append(data)

    return TextExtractor


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags and script/style dropped, entities unescaped."""
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    parser = _extractor()()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # HTMLParser is lenient; never let a quirk escape
        pass
    return collapse("".join(parser.parts))


def clip(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut to at most ``limit`` characters (on a word boundary when cheap), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…", True


def http_url(url: Any) -> str | None:
    """``url`` when it is an absolute http(s) URL of sane length, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if len(url) > MAX_URL_CHARS or _WS.search(url) or UNSAFE.search(url):
        return None
    if not re.match(r"(?i)https?://[^/?#\s]", url):
        return None
    return url


_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})")


def date_of(raw: Any, parsed: Any = None) -> str | None:
    """YYYY-MM-DD as the source wrote it (ISO 8601 or RFC 822), else from a parsed struct_time."""
    if isinstance(raw, str) and raw.strip() and len(raw) <= 200:  # (a date is short: no parsing megabytes)
        m = _ISO_DATE.match(raw)
        if m:
            try:
                return datetime.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
            except ValueError:
                pass
        import email.utils

        try:
            return email.utils.parsedate_to_datetime(raw.strip()).date().isoformat()
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    if parsed is not None:
        try:
            return datetime.date(parsed[0], parsed[1], parsed[2]).isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    return None


def quote(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Text from a document shortened for an error or warning message."""
    return clip(collapse(text), limit)[0]
