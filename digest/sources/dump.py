"""Parser for text dumps of the Hugging Face "Daily Papers" page.

A dump is what you get by selecting the page in a browser and pasting it
into a text file::

    new
    Get trending papers in your email inbox!
    Subscribe
    Daily Papers
    byAK and the research community
    Nov 12                              <- the page date (no year)

    A Paper Title                       <- one line

    The abstract, one long line. Code: https://github.com/x/y.

      • 7 authors                       <- optional metadata block
    ·
    May 21, 2023                        <- or "Oct 17" (year inferred), "Oct 17 3" (3 upvotes)

Any subset of the header lines may be present; blank lines separate the
parts (one or several, or none at all). The metadata block may carry an
organisation line (``amazon Amazon``) instead of, or besides, the authors
line.

How a title is told from an abstract when the blank lines are irregular:

* the first text line of an entry is its title; the next text line starts
  the abstract (with or without a blank line in between);
* an abstract has at least four words; a would-be abstract that looks like a
  title (shorter than ``_ABSTRACT_MIN`` characters, no final period) and is
  followed by a real-looking abstract (at least ``_ABSTRACT_MIN`` characters)
  means the previous title had no abstract: it is dropped with a warning
  (or, when no blank line separates the two, the title was hard-wrapped and
  the two lines are joined);
* text lines that directly follow the abstract (no blank line) continue it
  (hard-wrapped abstract), except a line directly followed by ``·`` (an
  organisation line) and a title-like line after a finished sentence that
  is itself followed by a real-looking abstract (the next entry);
* a text line longer than ``_TITLE_MAX`` where a title is expected is a
  further paragraph of the previous abstract (when that entry has no
  metadata yet), else noise.

Only the final entry can be cut off: it is flagged ``truncated`` when its
abstract does not end like a finished sentence (punctuation, closing
bracket or quote, or a URL), when its metadata block is incomplete (authors
and ``·`` but no date line), or when it has no metadata block although most
entries of the dump have one.

Performance: the lines are split, stripped and filtered with C-speed
builtins; only short lines (metadata, header, short titles) are classified,
and those results are cached; the entry loop is hand-written. Parsing alone
runs at 130,000-230,000 entries/s on the real dumps; building the ``Item``
objects (``identity.item_id``) costs more than the parsing itself.
``python benchmarks/parse_speed.py [FILE...]`` prints the speed.
"""

from __future__ import annotations

import datetime
import gc
import re
from dataclasses import field
from itertools import compress, count
from operator import not_

from digest.errors import InputError
from digest.item import Item, ParseResult
from digest.records import dataclass
from digest.sources.fields import MAX_ABSTRACT_CHARS  # longer abstracts are cut, as feeds' are
from digest.text import UNSAFE_BUT_LINE_BREAKS

KIND = "dump"

# Lines of the page header, compared case-insensitively after stripping.
HEADER_LINES = frozenset(
    line.casefold()
    for line in (
        "new",
        "Get trending papers in your email inbox!",
        "Subscribe",
        "Daily Papers",
        "byAK and the research community",
    )
)

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_INITIALS = frozenset("JFMASONDjfmasond")

# "May 21, 2023", "Oct 17", "Oct 17 3" (3 upvotes), "Sep 25, 2024 4", "Mar 2 2".
# A year needs the comma, as the page writes it; a bare number is upvotes.
_DATE_RE = re.compile(r"([A-Za-z]{3,9})\.? +(\d{1,2})(?:, *(\d{4}))?(?: +(\d{1,7}))?")
# "• 7 authors", "• 1 authors", "1 author"
_AUTHORS_RE = re.compile(r"[•·*-]? *(\d{1,5}) +authors?", re.IGNORECASE)
_URL_RE = re.compile(r"https?://[^\s<>\"'`]+")
_WS_RE = re.compile(r"\s")
# Control characters that never occur in text (tab, LF, VT, FF, CR excluded).
_BINARY_RE = re.compile(r"[\x00-\x08\x0e-\x1f]")
# What a dump line may not carry (digest.text.UNSAFE_BUT_LINE_BREAKS) becomes a space, as
# in titles (identity.clean_title); LF and CR split lines.

# Line kinds (non-zero, so that a cache miss, None, is falsy).
_TEXT, _AUTHORS, _DOT, _DATE, _NUMBER, _HEADER = range(1, 7)

_SHORT = 48  # metadata and header lines are shorter than this
assert _SHORT > max(len(line) for line in HEADER_LINES)
_TITLE_MAX = 300  # no title is longer; a longer line is abstract text
_ABSTRACT_MIN = 200  # a line this long is certainly abstract text, not a title
_ORG_MAX = 80
_SENTENCE_END = frozenset(".!?…)]}\"'”’»")
_URL_TRAIL = ".,;:!?'\""
_BRACKETS = {")": "(", "]": "[", "}": "{"}


def looks_like_dump(head: str) -> bool:
    """Cheap sniff: does this text (the start of a file) look like a dump?

    True when the first non-blank lines are the Daily Papers page header, or
    a short title line followed by a prose abstract line. False for XML/RSS,
    HTML and JSON.
    """
    if not head:
        return False
    head = head.lstrip("\ufeff \t\r\n")
    if not head or head[0] in "<{[":
        return False
    lines = [s for s in (raw.strip() for raw in _split_lines(head[:16384])) if s][:12]
    if not lines:
        return False
    i = 0
    headers = 0
    while i < len(lines) and (lines[i].casefold() in HEADER_LINES or _is_date_line(lines[i])):
        headers += lines[i].casefold() in HEADER_LINES
        i += 1
    if headers >= 2 or (headers and i < len(lines) and _is_date_line(lines[i - 1])):
        return True
    if i + 1 >= len(lines):
        return False
    title, abstract = lines[i], lines[i + 1]
    if len(title) > _TITLE_MAX or title[0] in "<{[\"" or abstract[0] in "<{[":
        return False
    # The abstract line may be cut by the head's end; prose has spaces.
    last = not head.endswith(("\n", "\r")) and head.rstrip().endswith(abstract)
    return abstract.count(" ") >= 3 and (len(abstract) >= 80 or (last and len(abstract) >= 20))


@dataclass(slots=True)
class _Entry:
    """One paper entry as read from the lines, before it becomes an Item."""

    title: str
    parts: list[str]  # the abstract's lines (hard-wrapped abstracts have several)
    n_authors: int | None = None
    published: str | None = None
    upvotes: int | None = None
    org: str | None = None
    meta: bool = False  # a metadata block follows the abstract
    complete: bool = False  # ... and it ends with its date line


@dataclass
class _Lines:
    """The non-blank lines, stripped, with their kinds; ``pos[j]`` is the line number of
    ``lines[j]``, so a blank line precedes ``lines[j]`` when ``pos[j] - pos[j - 1] > 1``."""

    lines: list[str]
    kinds: list[int]
    pos: list[int]


@dataclass
class _Read:
    """What the entry loop found."""

    entries: list[_Entry] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)  # lines that belong to no entry
    orphans: list[str] = field(default_factory=list)  # titles without an abstract
    bad_dates: list[str] = field(default_factory=list)
    page_date: datetime.date | None = None
    header_seen: bool = False
    orphans_before_last: int = 0  # len(orphans) when the last entry was read


def parse_dump(data: bytes | str, *, source: str, ref_date: datetime.date) -> ParseResult:
    """Parse a Daily Papers text dump into items.

    ``ref_date`` (usually today) gives the year of the page date, which the
    page writes without one. Raises ``InputError`` for binary or empty input
    and for text without any paper entry.
    """
    if isinstance(ref_date, datetime.datetime):
        ref_date = ref_date.date()
    # The parse makes no reference cycles, only many objects (lines, entries, items): the cyclic
    # garbage collector, which would walk them again and again as they pile up, is paused
    # (~10 % of the parse of a 20,000-paper dump).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _parse_dump(data, source, ref_date)
    finally:
        if paused:
            gc.enable()


def _parse_dump(data: bytes | str, source: str, ref_date: datetime.date) -> ParseResult:
    lines = _classify_lines(_decode_lines(data, source))
    if not lines.lines:
        raise InputError("empty dump: no papers found", path=source)
    read = _read_entries(lines, ref_date)
    if not read.entries:
        if read.header_seen or read.page_date is not None:
            raise InputError("empty dump: no papers found (only the page header)", path=source)
        raise InputError("no papers found: not a Daily Papers text dump", path=source)

    # Title-like lines after the last entry: one is a title cut off from its
    # abstract; several are the page footer.
    trailing = read.orphans[read.orphans_before_last:]
    del read.orphans[read.orphans_before_last:]
    items, duplicates, final_id = _items(read.entries, source, truncated_last=_last_cut_off(read.entries, trailing))
    if not items:
        raise InputError("no papers found: not a Daily Papers text dump", path=source)

    warnings: list[str] = []
    if read.orphans:
        warnings.append(f"dropped {len(read.orphans)} title(s) without an abstract, e.g. {_quote(read.orphans[0])}")
    if len(trailing) == 1:
        warnings.append(f"dropped the final title, which has no abstract (dump cut off?): {_quote(trailing[0])}")
    elif trailing:
        warnings.append(f"ignored {len(trailing)} lines after the last paper (page footer?), "
                        f"e.g. {_quote(trailing[0])}")
    if read.noise:
        warnings.append(
            f"skipped {len(read.noise)} line(s) that belong to no paper entry, e.g. {_quote(read.noise[0])}"
        )
    if read.bad_dates:
        warnings.append(f"ignored {len(read.bad_dates)} invalid date(s), e.g. {_quote(read.bad_dates[0])}")
    final = next((it for it in items if it.id == final_id), None)
    if final is not None and final.truncated:
        warnings.append(f"the final entry looks cut off: {_quote(final.title)}")

    return ParseResult(
        items=items,
        source=source,
        kind=KIND,
        warnings=warnings,
        date=read.page_date.isoformat() if read.page_date else None,
        merged=duplicates,  # counted with the input's own (ingest: "1 merged"), not a warning
    )


def _classify_lines(text_lines: list[str]) -> _Lines:
    """Pass 1: the non-blank lines, stripped, and their kinds (C-speed builtins; only
    short lines get a closer look)."""
    stripped = list(map(str.strip, text_lines))
    pos = list(compress(count(), stripped))
    lines = list(filter(None, stripped))
    known_kind = _SHORT_KINDS.get
    kinds = [_TEXT if len(s) >= _SHORT else (known_kind(s) or _classify_short(s)) for s in lines]
    return _Lines(lines, kinds, pos)


def _read_entries(ls: _Lines, ref_date: datetime.date) -> _Read:
    """Pass 2: the entries (title, abstract, metadata), and the lines that are none of them."""
    lines, kinds = ls.lines, ls.kinds
    n = len(lines)
    r = _Read()
    after_header = False
    date_cache: dict[str, tuple[str | None, int | None]] = {}
    i = 0
    while i < n:
        k = kinds[i]
        s = lines[i]
        if k != _TEXT:
            if k == _HEADER:
                r.header_seen = after_header = True
            elif k == _DATE and (not r.entries or after_header):
                # The page date (a second header: a second pasted page).
                if r.page_date is None:
                    r.page_date = _page_date(s, ref_date)
                after_header = False
            else:
                r.noise.append(s)
            i += 1
            continue
        after_header = False

        if len(s) > _TITLE_MAX:
            last = r.entries[-1] if r.entries else None
            if last is not None and not last.meta and last.parts:
                last.parts.append(s)  # a further paragraph of the previous abstract
            else:
                r.noise.append(s)
            i += 1
            continue

        title, abstract, j = _title_and_abstract(ls, i)
        if abstract is None:
            if r.entries or r.header_seen or j >= n:
                r.orphans.append(title)
            else:
                r.noise.append(title)
            i = j
            continue
        entry = _Entry(title, [abstract])
        j = _abstract_continues(ls, j + 1, entry.parts)
        i = _metadata(ls, j, entry, r.page_date or ref_date, r.bad_dates, date_cache)
        r.entries.append(entry)
        r.orphans_before_last = len(r.orphans)
    return r


def _title_and_abstract(ls: _Lines, i: int) -> tuple[str, str | None, int]:
    """The title starting at line ``i`` (hard-wrapped titles joined), its abstract's first
    line (None: it has none), and the index of that line (or of the next title)."""
    lines, kinds, pos = ls.lines, ls.kinds, ls.pos
    n = len(lines)
    title = lines[i]
    j = i + 1
    while j < n:
        if kinds[j] != _TEXT:
            break
        a = lines[j]
        if len(a) < _ABSTRACT_MIN and a[-1] != "." and j + 1 < n and kinds[j + 1] == _TEXT:
            # `a` looks like a title: the rest of a hard-wrapped title
            # (no blank line before it, but one or a long line after it),
            # or the next entry's title (the current one has no abstract).
            next_long = len(lines[j + 1]) >= _ABSTRACT_MIN
            if (
                pos[j] - pos[j - 1] == 1
                and len(title) + len(a) < _TITLE_MAX
                and (next_long or pos[j + 1] - pos[j] > 1)
            ):
                title = f"{title} {a}"
                j += 1
                continue
            if next_long:
                break
        if a.count(" ", 0, 120) >= 3 or (j == n - 1 and (" " in a or len(a) >= 15)):
            return title, a, j  # (the last line of a cut-off dump may be a short stub)
        break
    return title, None, j


def _abstract_continues(ls: _Lines, j: int, parts: list[str]) -> int:
    """Hard-wrapped abstract: the text lines from ``j`` with no blank line before them are
    added to ``parts``; returns the index after them."""
    lines, kinds, pos = ls.lines, ls.kinds, ls.pos
    n = len(lines)
    while j < n and kinds[j] == _TEXT and pos[j] - pos[j - 1] == 1:
        c = lines[j]
        if j + 1 < n and kinds[j + 1] == _DOT:
            break  # an organisation line
        if (
            parts[-1][-1] in _SENTENCE_END
            and len(c) < _ABSTRACT_MIN
            and j + 1 < n
            and kinds[j + 1] == _TEXT
            and len(lines[j + 1]) >= _ABSTRACT_MIN
        ):
            break  # the next entry's title
        parts.append(c)
        j += 1
    return j


def _metadata(ls: _Lines, j: int, e: _Entry, anchor: datetime.date, bad_dates: list[str],
              date_cache: dict[str, tuple[str | None, int | None]]) -> int:
    """The metadata block from line ``j`` (authors, organisation, ``·``, date and upvotes)
    into ``e``; returns the index after it."""
    lines, kinds, pos = ls.lines, ls.kinds, ls.pos
    n = len(lines)
    saw_dot = False
    while j < n:
        k = kinds[j]
        if k == _AUTHORS and e.n_authors is None:
            e.n_authors = _n_authors(lines[j])
            e.meta = True
        elif k == _DOT:
            saw_dot = e.meta = True
        elif k == _DATE:
            d = lines[j]
            cached = date_cache.get(d)
            if cached is None:
                cached = date_cache[d] = _entry_date(d, anchor, bad_dates)
            e.published, e.upvotes = cached
            e.meta = e.complete = True
            j += 1
            if e.upvotes is None and j < n and kinds[j] == _NUMBER and pos[j] - pos[j - 1] == 1:
                e.upvotes = int(lines[j])
                j += 1
            break
        elif (
            k == _TEXT
            and e.org is None
            and len(lines[j]) <= _ORG_MAX
            and j + 1 < n
            and (kinds[j + 1] == _DOT or (saw_dot and kinds[j + 1] == _DATE))
        ):
            e.org = _org_name(lines[j])
            e.meta = True
        else:
            break
        j += 1
    return j


def _last_cut_off(entries: list[_Entry], trailing: list[str]) -> bool:
    """Is the final entry cut off? (Only the final entry can be, unless something follows it.)"""
    last = entries[-1]
    if trailing:
        return False
    if last.meta:
        return not last.complete
    with_meta = sum(1 for e in entries if e.complete)
    return not _ends_complete(last.parts[-1]) or with_meta * 2 > len(entries)


def _items(entries: list[_Entry], source: str, *, truncated_last: bool) -> tuple[list[Item], int, str | None]:
    """The entries as Items, duplicates merged: (items, duplicates merged, the final entry's id)."""
    items: list[Item] = []
    by_id: dict[str, int] = {}
    duplicates = 0
    last_index = len(entries) - 1
    final_id: str | None = None
    for index, e in enumerate(entries):
        abstract = e.parts[0] if len(e.parts) == 1 else " ".join(e.parts)
        cut = len(abstract) > MAX_ABSTRACT_CHARS
        if cut:  # (a 50 MB "abstract" is not one: keep what a feed would)
            abstract = abstract[: MAX_ABSTRACT_CHARS - 1].rstrip() + "\u2026"
        item = Item(
            title=e.title,
            abstract=abstract,
            n_authors=e.n_authors,
            published=e.published,
            upvotes=e.upvotes,
            org=e.org,
            # ("/" is a memchr scan, several times cheaper than looking for "://")
            links=extract_links(abstract) if "/" in abstract and "://" in abstract else [],
            truncated=cut or (truncated_last if index == last_index else False),
            source=source,
        )
        if not item.title:
            continue
        if index == last_index:
            final_id = item.id
        seen = by_id.get(item.id)
        if seen is None:
            by_id[item.id] = len(items)
            items.append(item)
        else:
            items[seen] = _merge(items[seen], item)
            duplicates += 1
    return items, duplicates, final_id


def extract_links(text: str) -> list[str]:
    """http(s) URLs in text, in order, without trailing punctuation, no repeats."""
    links: list[str] = []
    start = text.find("://")
    if start < 0:
        return links
    for url in _URL_RE.findall(text, max(0, start - 5)):
        while url:
            last = url[-1]
            if last in _URL_TRAIL:
                url = url[:-1]
            elif last in _BRACKETS and url.count(last) > url.count(_BRACKETS[last]):
                url = url[:-1]
            else:
                break
        if url.partition("://")[2] and url not in links:
            links.append(url)
    return links


# -- helpers -------------------------------------------------------------------


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        text = data
        if "\x00" in text:
            raise InputError("not a text dump (binary data)", path=source)
    else:
        raw = bytes(data)
        if b"\x00" in raw:
            raise InputError("not a text dump (binary data)", path=source)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("not a text dump (binary data)", path=source) from None
    if "\ufeff" in text:  # a BOM, or several (concatenated files)
        text = text.replace("\ufeff", "")
    head = text[:1024]
    if _BINARY_RE.search(head) and len(_BINARY_RE.findall(head)) * 100 > len(head):
        raise InputError("not a text dump (binary data)", path=source)
    if UNSAFE_BUT_LINE_BREAKS.search(text):
        text = UNSAFE_BUT_LINE_BREAKS.sub(" ", text)
    return text


_CHUNK = 2**20
# The bytes that are not an ASCII character UNSAFE_BUT_LINE_BREAKS matches: deleting them from a
# chunk (bytes.translate, ~0.25 ms a megabyte) leaves nothing when the chunk has no unsafe ASCII
# character; the other unsafe characters are not ASCII, so they can only be on the lines that
# are not ASCII, which are few (the regex over the whole decoded text took ~2.6 ms a megabyte).
_NOT_UNSAFE_ASCII = bytes(b for b in range(256) if b > 127 or not UNSAFE_BUT_LINE_BREAKS.match(chr(b)))


def _unsafe_to_spaces(lines: list[str]) -> None:
    """Replace by spaces the unsafe characters on lines known to have no unsafe ASCII one (in place)."""
    search, sub = UNSAFE_BUT_LINE_BREAKS.search, UNSAFE_BUT_LINE_BREAKS.sub
    for i in compress(count(), map(not_, map(str.isascii, lines))):  # (the lines not ASCII, found in C)
        line = lines[i]
        if search(line):
            lines[i] = sub(" ", line)


def _decode_lines(data: bytes | str, source: str) -> list[str]:
    """The lines of the dump, decoded: :func:`_decode` then :func:`_split_lines`, but bytes
    are decoded in chunks of about a megabyte cut after a newline, so the whole text never
    exists as one string (non-Latin-1 text such as "•" takes two or four bytes per character
    as one string; as lines, only the lines that have such characters do)."""
    if isinstance(data, str) or len(data) <= _CHUNK:
        return _split_lines(_decode(data, source))
    raw = bytes(data)
    if b"\x00" in raw:
        raise InputError("not a text dump (binary data)", path=source)
    lines: list[str] = []
    n = len(raw)
    start = 0
    codec = "utf-8-sig"
    while start < n:
        end = raw.find(b"\n", start + _CHUNK)
        end = n if end < 0 else end + 1
        chunk = raw[start:end]
        try:
            text = chunk.decode(codec)
        except UnicodeDecodeError:
            raise InputError("not a text dump (binary data)", path=source) from None
        if "\ufeff" in text:  # a BOM, or several (concatenated files)
            text = text.replace("\ufeff", "")
        if start == 0:
            head = text[:1024]
            if _BINARY_RE.search(head) and len(_BINARY_RE.findall(head)) * 100 > len(head):
                raise InputError("not a text dump (binary data)", path=source)
        if chunk.translate(None, _NOT_UNSAFE_ASCII):  # an unsafe ASCII character: the whole text
            text = UNSAFE_BUT_LINE_BREAKS.sub(" ", text)
            part = _split_lines(text)
        else:
            part = _split_lines(text)
            _unsafe_to_spaces(part)
        if end < n:
            part.pop()  # the "" after the chunk's final newline: the next chunk goes on from there
        lines += part
        codec = "utf-8"
        start = end
    return lines


def _split_lines(text: str) -> list[str]:
    """Split on LF, CRLF and lone CR (and only those: not on U+2028 and friends)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


# Kinds of short lines seen before: "·", "• 5 authors", header lines, dates.
_SHORT_KINDS: dict[str, int] = {"·": _DOT, "•": _DOT}
_SHORT_KINDS_MAX = 4096


def _classify_short(s: str) -> int:
    kind = _classify_short_uncached(s)
    if kind != _TEXT and len(_SHORT_KINDS) < _SHORT_KINDS_MAX:
        _SHORT_KINDS[s] = kind
    return kind


def _classify_short_uncached(s: str) -> int:
    if s == "·" or s == "•":
        return _DOT
    last = s[-1]
    if (last == "s" or last == "r" or last == "S" or last == "R") and _AUTHORS_RE.fullmatch(s):
        return _AUTHORS
    if s[0] in _MONTH_INITIALS and _is_date_line(s):
        return _DATE
    if s.isdigit() and len(s) <= 7:
        return _NUMBER
    if s.casefold() in HEADER_LINES:
        return _HEADER
    return _TEXT


_AUTHOR_COUNTS: dict[str, int] = {}


def _full(pattern: re.Pattern[str], s: str) -> re.Match[str]:
    """The match of a line already classified as matching ``pattern``."""
    m = pattern.fullmatch(s)
    if m is None:  # pragma: no cover - the line was classified by this same pattern
        raise ValueError(f"not a {pattern.pattern!r} line: {s!r}")
    return m


def _n_authors(s: str) -> int:
    n = _AUTHOR_COUNTS.get(s)
    if n is None:
        n = int(_full(_AUTHORS_RE, s).group(1))
        if len(_AUTHOR_COUNTS) < 1024:
            _AUTHOR_COUNTS[s] = n
    return n


def _is_date_line(s: str) -> bool:
    m = _DATE_RE.fullmatch(s)
    return m is not None and m.group(1).lower() in _MONTHS


def _isleap(year: int) -> bool:
    import calendar  # (a dated 29 February only: the module costs ~0.5 ms to import)

    return calendar.isleap(year)


def _infer_year(month: int, day: int, anchor: datetime.date) -> datetime.date | None:
    """The latest valid date month/day not after ``anchor`` (this year, else earlier)."""
    for year in range(anchor.year, anchor.year - 8, -1):
        try:
            d = datetime.date(year, month, day)
        except ValueError:
            continue
        if d <= anchor:
            return d
    return None


def _page_date(s: str, ref_date: datetime.date) -> datetime.date | None:
    m = _full(_DATE_RE, s)
    month = _MONTHS[m.group(1).lower()]
    day = int(m.group(2))
    if m.group(3):
        try:
            return datetime.date(int(m.group(3)), month, day)
        except ValueError:
            return None
    return _infer_year(month, day, ref_date)


_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_TWO_DIGITS = tuple(f"{k:02d}" for k in range(32))


def _entry_date(s: str, anchor: datetime.date, bad: list[str]) -> tuple[str | None, int | None]:
    """A metadata date line -> (ISO date or None, upvotes or None).

    Written without ``datetime`` objects on the common paths: this runs once
    per entry and ``date()`` + ``isoformat()`` would cost more than the rest.
    """
    name, day_s, year_s, up_s = _full(_DATE_RE, s).groups()
    month = _MONTHS[name.lower()]
    day = int(day_s)
    upvotes = int(up_s) if up_s else None
    if day < 1 or (day > _DAYS_IN_MONTH[month] and not (month == 2 and day == 29)):
        bad.append(s)
        return None, upvotes
    if year_s:
        year = int(year_s)
        if year < 1000 or (month == 2 and day == 29 and not _isleap(year)):
            bad.append(s)
            return None, upvotes
    elif month == 2 and day == 29:
        d = _infer_year(month, day, anchor)
        if d is None:
            bad.append(s)
            return None, upvotes
        year = d.year
    else:
        year = anchor.year
        if month > anchor.month or (month == anchor.month and day > anchor.day):
            year -= 1
    return f"{year}-{_TWO_DIGITS[month]}-{_TWO_DIGITS[day]}", upvotes


def _org_name(line: str) -> str:
    """``amazon Amazon`` -> ``Amazon``: drop the handle when it spells the display name."""
    handle, _, display = line.partition(" ")
    display = display.strip()
    if display and _fold_org(handle) == _fold_org(display):
        return display
    return line


def _fold_org(s: str) -> str:
    return _WS_RE.sub("", s).replace("-", "").replace("_", "").replace(".", "").casefold()


def _ends_complete(abstract: str) -> bool:
    if abstract[-1] in _SENTENCE_END:
        return True
    tail = abstract.rsplit(None, 1)[-1]
    return "http://" in tail or "https://" in tail


def _richness(item: Item) -> tuple:
    filled = sum(v is not None for v in (item.n_authors, item.published, item.upvotes, item.org))
    return (not item.truncated, filled, len(item.abstract))


def _merge(first: Item, second: Item) -> Item:
    """One item from the same entry pasted twice: the richer one, gaps filled from the other."""
    base, other = (second, first) if _richness(second) > _richness(first) else (first, second)
    if base.n_authors is None:
        base.n_authors = other.n_authors
    if base.published is None:
        base.published = other.published
    if base.upvotes is None:
        base.upvotes = other.upvotes
    if base.org is None:
        base.org = other.org
    for url in other.links:
        if url not in base.links:
            base.links.append(url)
    return base


_MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def to_dump_text(items: list[Item]) -> str:
    """Items written as a Daily Papers dump that :func:`parse_dump` reads back as the same
    items (title, abstract, n_authors, published, upvotes, org).

    Each entry is the title line, a blank line, the abstract on one line, and the metadata
    block (``• N authors``, the organisation, ``·``, ``Mon D, YYYY`` with the upvotes after
    it); dates carry their year, so no year inference is involved. A field a dump cannot
    hold is left out: authors' names (only their number), links and URLs, categories,
    upvotes without a date. An item without an abstract cannot be written at all and is
    skipped. An abstract too short to be told from a title (fewer than four words, as the
    last line of a cut-off dump has) can be read back only from the dump's last line: one
    such item goes last, without metadata; any other is skipped.
    """
    header = "Daily Papers\n\nbyAK and the research community\n\n"
    blocks: list[str] = []
    stub: str | None = None
    for item in items:
        title, abstract = _one_line(item.title), _one_line(item.abstract)
        if not _text_line(title) or not _text_line(abstract) or len(title) > _TITLE_MAX:
            continue  # a line the parser would take for a date, a header, a number...
        if abstract.count(" ", 0, 120) < 3:
            if stub is None and (" " in abstract or len(abstract) >= 15):
                stub = f"{title}\n\n{abstract}\n"
            continue
        blocks.append(f"{title}\n\n{abstract}\n\n{_meta_lines(item)}")
    if stub is not None:
        blocks.append(stub)
    return header + "\n".join(blocks)


def _one_line(text: str | None) -> str:
    """The text as one line: dumps split lines on LF and CR only (and strip each)."""
    text = text or ""
    if "\n" in text or "\r" in text:
        text = " ".join(_split_lines(text))
    return text.strip()


def _text_line(s: str) -> bool:
    return bool(s) and (len(s) >= _SHORT or _classify_short_uncached(s) == _TEXT)


def _meta_lines(item: Item) -> str:
    lines = []
    if item.n_authors is not None and 0 <= item.n_authors <= 99999:
        lines.append(f"  \u2022 {item.n_authors} author{'s' if item.n_authors != 1 else ''}")
    org = _one_line(item.org)
    if org:
        # the line as is, else with the handle before it ("amazon Amazon" is read as "Amazon",
        # "0" as a number, "0 0" as "0"): whichever reads back as the same organisation
        for line in (org, f"{_fold_org(org)} {org}"):
            if len(line) <= _ORG_MAX and _text_line(line) and _org_name(line) == org:
                lines.append(line)
                break
    lines.append("\u00b7")  # always: an entry without metadata must not run into the next title
    day = _iso_date(item.published)
    if day is not None:
        up = f" {item.upvotes}" if item.upvotes is not None and 0 <= item.upvotes < 10**7 else ""
        lines.append(f"{_MONTH_ABBR[day.month]} {day.day}, {day.year}{up}")
    return "\n".join(lines) + "\n"


def _iso_date(value: str | None) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is not None and day.year >= 1000 else None


def _quote(s: str, limit: int = 60) -> str:
    return repr(s if len(s) <= limit else s[: limit - 1] + "…")
