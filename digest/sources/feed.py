"""RSS 0.9x/1.0/2.0 and Atom feeds (arXiv listings and API answers first).

``parse_feed`` hands the bytes to feedparser, but only after
``neutralise_doctype`` has made them safe:

* UTF-16/UTF-32 (with or without a BOM) and EBCDIC documents are first
  transcoded to UTF-8 and their XML declaration is rewritten to say so, so
  that the DOCTYPE can be found with byte-level scanning. Every other
  encoding is ASCII-compatible and left for feedparser to detect.
* Every DOCTYPE in the prolog is removed, internal subset and all. Nothing
  is ever fetched or read: external DTDs, external entities (``SYSTEM`` /
  ``PUBLIC``) and parameter entities are simply dropped.
* Internal general entities it declared are expanded by us, *only* when
  they are "simple": a quoted literal of at most ``MAX_ENTITY_VALUE`` bytes
  holding no markup (``<``), no parameter reference (``%``) and no entity
  reference other than numeric character references. At most
  ``MAX_ENTITIES`` are honoured and expansion adds at most
  ``MAX_ENTITY_EXPANSION`` bytes in total. References to any other entity
  the DOCTYPE declared (external, nested as in "billion laughs", oversized
  as in the "quadratic blow-up", over the caps) are deleted, with a
  warning. Predefined entities (``&amp;`` ...) and character references
  are untouched; undeclared names are left to feedparser's loose parser.

Field values are then capped (``MAX_*`` below; an item whose title or
abstract was cut gets ``truncated=True``) and HTML (``text/html`` or XHTML
content, as feedparser reports the field's type) is turned into plain text:
tags dropped, ``script``/``style`` content dropped, entities unescaped,
whitespace collapsed. Plain-text fields are taken literally (an arXiv title
``x<y`` stays ``x<y``).
"""

from __future__ import annotations

import codecs
import datetime
import email.utils
import io
import re
from html.parser import HTMLParser
from typing import Any

from digest import identity
from digest.errors import InputError
from digest.item import Item, ParseResult

KIND = "feed"

# ---------------------------------------------------------------- caps
MAX_FEED_BYTES = 50 * 2**20  # a larger document is refused outright
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
_RAW_FACTOR = 10  # HTML is scanned up to this many times a field's cap

# ---------------------------------------------------------------- entity policy
MAX_ENTITY_VALUE = 1_000  # bytes of one internal entity's literal value
MAX_ENTITIES = 100  # internal entities honoured per document
MAX_ENTITY_EXPANSION = 2**20  # bytes added by all expansions together

_PREDEFINED = frozenset({b"lt", b"gt", b"amp", b"apos", b"quot"})

# ---------------------------------------------------------------- encodings


def _wide_encoding(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) for UTF-16/32 and EBCDIC documents, else None."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return ("utf-32-le" if data[0] == 0xFF else "utf-32-be"), 4
    if data[:2] == b"\xff\xfe":
        return "utf-16-le", 2
    if data[:2] == b"\xfe\xff":
        return "utf-16-be", 2
    if len(data) >= 8:
        if data[1:4] == b"\0\0\0" and data[0] and data[5:8] == b"\0\0\0" and data[4]:
            return "utf-32-le", 0
        if data[:3] == b"\0\0\0" and data[3] and data[4:7] == b"\0\0\0" and data[7]:
            return "utf-32-be", 0
    if len(data) >= 4:
        if data[1] == 0 and data[3] == 0 and data[0] and data[2]:
            return "utf-16-le", 0
        if data[0] == 0 and data[2] == 0 and data[1] and data[3]:
            return "utf-16-be", 0
        if data[:4] == b"\x4c\x6f\xa7\x94":  # '<?xm' in EBCDIC
            return "cp037", 0
    return None


_XML_DECL_ENCODING = re.compile(r"""\A(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")


def to_ascii_compatible(data: bytes) -> bytes:
    """Transcode UTF-16/UTF-32/EBCDIC documents to UTF-8 (declaration fixed)."""
    wide = _wide_encoding(data)
    if wide is None:
        return data
    codec, bom = wide
    text = data[bom:].decode(codec, errors="replace")
    text = _XML_DECL_ENCODING.sub(r'\1"utf-8"', text, count=1)
    return text.encode("utf-8")


# ---------------------------------------------------------------- DOCTYPE neutralisation

_WS_BYTES = re.compile(rb"[ \t\r\n]*")
_DOCTYPE_SPECIAL = re.compile(rb"[\"'\[>]")
_SUBSET_NEXT = re.compile(rb"<|\]|%")
_DECL_SPECIAL = re.compile(rb"[\"'>]")
_ENTITY_DECL = re.compile(
    rb"""\A<!ENTITY\s+(%\s+)?([^\s%"'<>&;]+)\s*(?:"([^"]*)"|'([^']*)')?(.*)>\Z""",
    re.DOTALL,
)
_SAFE_VALUE = re.compile(rb"\A(?:[^&%<]|&#[0-9]{1,7};|&#x[0-9a-fA-F]{1,6};)*\Z")
_BODY_TOKEN = re.compile(rb"&([^\s&;<>\"'#%]{1,256});|<!\[CDATA\[|<!--")
_FEEDPARSER_HEAD_END = re.compile(rb"<\w")  # how feedparser finds the end of the prolog
_HEAD_DECL = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _is_name_start(byte: int) -> bool:
    return byte >= 0x80 or byte == 0x5F or byte == 0x3A or 0x41 <= (byte & 0xDF) <= 0x5A


def _scan_decl(data: bytes, i: int) -> int:
    """End (exclusive) of the markup declaration starting at ``data[i] == '<'`` (quotes honoured)."""
    pos = i + 1
    while True:
        m = _DECL_SPECIAL.search(data, pos)
        if not m:
            return len(data)
        if m.group() == b">":
            return m.end()
        j = data.find(m.group(), m.end())
        if j < 0:
            return len(data)
        pos = j + 1


def _scan_subset(data: bytes, i: int, decls: list[bytes]) -> int:
    """Scan an internal subset from ``i`` (just past '['); return the index past ']'."""
    n = len(data)
    while i < n:
        m = _SUBSET_NEXT.search(data, i)
        if not m:
            return n
        i = m.start()
        if data[i] == 0x5D:  # ']'
            return i + 1
        if data[i] == 0x25:  # '%' parameter-entity reference: skip it
            i += 1
            continue
        if data.startswith(b"<!--", i):
            j = data.find(b"-->", i + 4)
            i = n if j < 0 else j + 3
        elif data.startswith(b"<?", i):
            j = data.find(b"?>", i + 2)
            i = n if j < 0 else j + 2
        elif data.startswith(b"<!", i):
            end = _scan_decl(data, i)
            if data[i : i + 8].upper() == b"<!ENTITY":
                decls.append(data[i:end])
            i = end
        else:
            i += 1
    return n


def _scan_doctype(data: bytes, i: int, decls: list[bytes]) -> int:
    """End (exclusive) of the DOCTYPE whose name starts at ``i`` (past '<!DOCTYPE')."""
    n = len(data)
    while i < n:
        m = _DOCTYPE_SPECIAL.search(data, i)
        if not m:
            return n
        c = m.group()
        if c == b">":
            return m.end()
        if c == b"[":
            i = _scan_subset(data, m.end(), decls)
            continue
        j = data.find(c, m.end())
        if j < 0:
            return n
        i = j + 1
    return n


class _Prolog:
    """What the prolog scan found."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []  # DOCTYPEs to remove
        self.decls: list[bytes] = []  # raw <!ENTITY ...> declarations
        self.root: int | None = None  # index of the root element's '<'
        self.junk = False  # non-markup text before the root


def _scan_prolog(data: bytes) -> _Prolog:
    p = _Prolog()
    n = len(data)
    i = 3 if data.startswith(codecs.BOM_UTF8) else 0
    while True:
        i = _WS_BYTES.match(data, i).end()
        if i >= n:
            return p
        if data.startswith(b"<?", i):
            j = data.find(b"?>", i + 2)
            if j < 0:
                return p
            i = j + 2
        elif data.startswith(b"<!--", i):
            j = data.find(b"-->", i + 4)
            if j < 0:
                return p
            i = j + 3
        elif data[i : i + 9].upper() == b"<!DOCTYPE":
            end = _scan_doctype(data, i + 9, p.decls)
            p.spans.append((i, end))
            i = end
        elif data[i] == 0x3C and i + 1 < n and _is_name_start(data[i + 1]):
            p.root = i
            return p
        else:
            p.junk = True
            j = data.find(b"<", i + 1)
            if j < 0:
                return p
            i = j


def _entity_table(decls: list[bytes]) -> tuple[dict[bytes, bytes | None], int]:
    """name -> escaped replacement bytes (safe) or None (reference to delete)."""
    table: dict[bytes, bytes | None] = {}
    honoured = 0
    for decl in decls:
        m = _ENTITY_DECL.match(decl)
        if not m:
            continue
        parameter, name, dq, sq, rest = m.groups()
        if parameter or name in _PREDEFINED or name in table:
            continue  # parameter entities vanish with the DOCTYPE; first declaration wins
        value = dq if dq is not None else sq
        safe = (
            value is not None
            and not rest.strip()
            and len(value) <= MAX_ENTITY_VALUE
            and _SAFE_VALUE.match(value) is not None
            and honoured < MAX_ENTITIES
        )
        if safe:
            honoured += 1
            table[name] = value.replace(b'"', b"&quot;").replace(b"'", b"&apos;").replace(b">", b"&gt;")
        else:
            table[name] = None
    return table, honoured


def _expand_entities(body: bytes, table: dict[bytes, bytes | None]) -> tuple[bytes, int, bool]:
    """Expand safe / delete unsafe references; CDATA sections and comments untouched."""
    out: list[bytes] = []
    pos = 0
    dropped = 0
    added = 0
    capped = False
    n = len(body)
    i = 0
    while i < n:
        m = _BODY_TOKEN.search(body, i)
        if not m:
            break
        tok = m.group()
        if tok.startswith(b"<!"):
            close = b"]]>" if tok == b"<![CDATA[" else b"-->"
            j = body.find(close, m.end())
            if j < 0:
                break
            i = j + len(close)
            continue
        i = m.end()
        name = m.group(1)
        if name not in table:
            continue
        value = table[name]
        out.append(body[pos : m.start()])
        pos = m.end()
        if value is not None and added + len(value) <= MAX_ENTITY_EXPANSION:
            out.append(value)
            added += len(value)
        else:
            if value is not None:
                capped = True
            dropped += 1
    out.append(body[pos:])
    return b"".join(out), dropped, capped


class _Neutralised:
    def __init__(self, data: bytes, prolog: _Prolog, notes: list[str]) -> None:
        self.data = data
        self.prolog = prolog
        self.notes = notes


def neutralise_doctype(data: bytes) -> _Neutralised:
    """Make a feed document safe to give to an XML parser (see the module doc)."""
    data = to_ascii_compatible(data)
    prolog = _scan_prolog(data)
    notes: list[str] = []
    if prolog.spans:
        pieces = []
        pos = 0
        for start, end in prolog.spans:
            pieces.append(data[pos:start])
            pos = end
        head = b"".join(pieces)
        body = data[pos:]
        table, _ = _entity_table(prolog.decls)
        if table:
            body, dropped, capped = _expand_entities(body, table)
            if dropped:
                why = "over the expansion cap" if capped else "external, nested or oversized"
                notes.append(f"removed {dropped} reference(s) to unsafe XML entities ({why})")
        data = head + body
    # Belt and braces: feedparser itself looks for DOCTYPE/ENTITY declarations
    # before the first '<\w'; make sure it finds none there (e.g. in a comment).
    m = _FEEDPARSER_HEAD_END.search(data)
    end = m.start() + 1 if m else len(data)
    if _HEAD_DECL.search(data, 0, end):
        data = _HEAD_DECL.sub(lambda mm: b"<!_" + mm.group(1), data[:end]) + data[end:]
    return _Neutralised(data, prolog, notes)


# ---------------------------------------------------------------- text helpers

_WS = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer form h1 h2 h3 h4 h5 h6 "
    "header hr img li main nav ol p pre section table tbody td tfoot th thead tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript"})


class _TextExtractor(HTMLParser):
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


def collapse(text: str) -> str:
    """Drop control/bidi characters and collapse all whitespace to single spaces."""
    return _WS.sub(" ", _CONTROL.sub(" ", text or "")).strip()


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags and script/style dropped, entities unescaped."""
    if "<" not in markup and "&" not in markup:
        return collapse(markup)
    parser = _TextExtractor()
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
    if len(url) > MAX_URL_CHARS or _WS.search(url) or _CONTROL.search(url):
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


def _quote(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return clip(collapse(text), limit)[0]


# ---------------------------------------------------------------- authors

_TEX_ACCENT = re.compile(r"\{?\\(?:([`'^\"~=.])|([uvHck])(?:\s+|(?=\{)))\{?([A-Za-z])\}?\}?")
_TEX_COMBINING = {
    "`": "\u0300", "'": "\u0301", "^": "\u0302", "~": "\u0303", "=": "\u0304", "u": "\u0306",
    ".": "\u0307", '"': "\u0308", "H": "\u030b", "v": "\u030c", "c": "\u0327", "k": "\u0328",
}
_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*;\s*")


def fold_tex_accents(name: str) -> str:
    r"""``Andr\'e`` -> ``André`` (the TeX accents arXiv listings keep in author names)."""
    if "\\" not in name:
        return name
    import unicodedata

    folded = _TEX_ACCENT.sub(lambda m: m.group(3) + _TEX_COMBINING[m.group(1) or m.group(2)], name)
    return unicodedata.normalize("NFC", folded)


def split_authors(names: list[str], *, arxiv: bool) -> list[str]:
    """Author names, with one comma/"and"-joined string (arXiv's ``dc:creator``) split.

    For arXiv entries a single joined string is always split. Elsewhere it is
    split only when every part looks like a full name (has a space), so
    ``Doe, Jane`` stays one author.
    """
    names = [collapse(fold_tex_accents(n)) for n in names if isinstance(n, str)]
    names = [n for n in names if n]
    if len(names) == 1 and re.search(r",|;|\sand\s", names[0]):
        parts = [p.strip() for p in _AUTHOR_SPLIT.split(names[0]) if p and p.strip()]
        if len(parts) > 1 and (arxiv or all(" " in p for p in parts)):
            names = parts
    return names


# ---------------------------------------------------------------- feedparser glue


def _field_text(detail: Any, value: Any, limit: int) -> tuple[str, bool]:
    if not isinstance(value, str):
        return "", False
    raw = value[: limit * _RAW_FACTOR]
    ctype = (detail or {}).get("type", "") if isinstance(detail, dict) else ""
    text = html_to_text(raw) if "html" in (ctype or "") else collapse(raw)
    text, cut = clip(text, limit)
    return text, cut or len(value) > len(raw)


_ANNOUNCE = re.compile(r"\A\s*(?:arXiv:\S+\s+)?Announce Type:\s*[\w-]+\s*", re.IGNORECASE)
_ABSTRACT_LABEL = re.compile(r"\A\s*Abstract:\s*", re.IGNORECASE)


def strip_announce(abstract: str) -> str:
    """Remove rss.arxiv.org's ``arXiv:ID Announce Type: new Abstract:`` prefix."""
    m = _ANNOUNCE.match(abstract)
    if m:
        abstract = abstract[m.end() :]
        abstract = _ABSTRACT_LABEL.sub("", abstract, count=1)
    return abstract


def _arxiv_of(entry: Any) -> tuple[str, int | None] | None:
    """The entry's arXiv id (and version) from its id, guid or links; only from arXiv-looking strings."""
    candidates = [entry.get("id"), entry.get("guid"), entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or [] if isinstance(link, dict)]
    found: tuple[str, int | None] | None = None
    for cand in candidates:
        if not isinstance(cand, str) or "arxiv" not in cand.lower():
            continue
        got = identity.parse_arxiv_id(cand)
        if not got:
            continue
        if found is None:
            found = got
        elif found[1] is None and got[0] == found[0] and got[1] is not None:
            found = got
        if found[1] is not None:
            break
    return found


def _same_arxiv_page(url: str, arxiv_id: str) -> bool:
    m = re.match(r"(?i)https?://(?:export\.|www\.)?arxiv\.org/(?:abs|pdf|html)/(.+?)(?:v\d+)?(?:\.pdf)?/?$", url)
    return bool(m and m.group(1) == arxiv_id)


def _is_api_error(entry: Any) -> bool:
    eid = str(entry.get("id") or "")
    if re.search(r"(?i)arxiv\.org/api/errors", eid):
        return True
    names = [a.get("name") for a in entry.get("authors") or [] if isinstance(a, dict)]
    return collapse(str(entry.get("title") or "")) == "Error" and "arXiv api core" in names


def _bozo_reason(exc: Any) -> str:
    if exc is None:
        return "unknown error"
    msg = str(exc)
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        try:
            msg = f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
        except Exception:
            pass
    return _quote(msg or type(exc).__name__, 120)


def _entry_to_item(entry: Any, source: str) -> tuple[Item, bool] | None:
    """The entry as an Item and whether its title came from the summary; None when it has neither."""
    title, title_cut = _field_text(entry.get("title_detail"), entry.get("title"), MAX_TITLE_CHARS)
    summary, summary_detail = entry.get("summary"), entry.get("summary_detail")
    if (not summary or not summary_detail) and entry.get("content"):
        first = entry["content"][0]  # Atom <content> only: feedparser copies it to summary without a type
        if isinstance(first, dict) and first.get("value"):
            summary, summary_detail = first.get("value"), first
    abstract, abstract_cut = _field_text(summary_detail, summary, MAX_ABSTRACT_CHARS)
    titled_from_summary = False
    if not title:
        # RSS allows an item with only a description; title it like feed readers do.
        title = clip(strip_announce(abstract), MAX_FALLBACK_TITLE_CHARS)[0]
        titled_from_summary = True
        if not title:
            return None

    arxiv = _arxiv_of(entry)
    arxiv_id, version = arxiv if arxiv else (None, None)
    abstract = strip_announce(abstract)

    names: list[str] = []
    for a in entry.get("authors") or []:
        if isinstance(a, dict) and isinstance(a.get("name"), str):
            names.append(a["name"])
    if not names and isinstance(entry.get("author"), str):
        names = [entry["author"]]
    names = split_authors(names, arxiv=arxiv_id is not None)
    n_authors = len(names) or None
    authors = [clip(n, MAX_AUTHOR_CHARS)[0] for n in names[:MAX_AUTHORS]]

    categories: list[str] = []
    primary = entry.get("arxiv_primary_category")
    terms = [primary.get("term")] if isinstance(primary, dict) else []
    for tag in entry.get("tags") or []:
        if isinstance(tag, dict):
            terms.append(tag.get("term") or tag.get("label"))
    for term in terms:
        term = collapse(term) if isinstance(term, str) else ""
        if term and len(term) <= MAX_CATEGORY_CHARS and term not in categories:
            categories.append(term)
    categories = categories[:MAX_CATEGORIES]

    hrefs = [entry.get("link")] + [
        link.get("href") for link in entry.get("links") or [] if isinstance(link, dict)
    ]
    others: list[str] = []
    for href in hrefs:
        url = http_url(href)
        if url and url not in others and not (arxiv_id and _same_arxiv_page(url, arxiv_id)):
            others.append(url)
    if arxiv_id:
        url = identity.arxiv_abs_url(arxiv_id)
        links = [url, identity.arxiv_pdf_url(arxiv_id)] + others
    else:
        url = others[0] if others else None
        links = others
    links = links[:MAX_LINKS]

    # dict.get: FeedParserDict.get("updated") falls back to "published" with a DeprecationWarning
    published = date_of(dict.get(entry, "published"), dict.get(entry, "published_parsed")) or date_of(
        dict.get(entry, "updated"), dict.get(entry, "updated_parsed")
    )
    item = Item(
        title=title,
        abstract=abstract,
        authors=authors,
        n_authors=n_authors,
        published=published,
        links=links,
        truncated=title_cut or abstract_cut,
        source=source,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        url=url,
        categories=categories,
    )
    return item, titled_from_summary


MAX_TAG_BYTES = 2**20  # no tag (with its attributes), comment or declaration is this long in a feed
_HUGE_TAG = re.compile(rb"<[^<>]{%d}" % MAX_TAG_BYTES)
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:entry|item)[\s>/]")
_PROLOG_TOKEN = re.compile(
    rb"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!.*?>|<(/?)([A-Za-z_][\w.:-]*)(?:\s[^>]*?)?(/?)>", re.DOTALL
)


def cap_entries(data: bytes) -> tuple[bytes, int]:
    """A document of more than ``MAX_ENTRIES`` entries (or items) cut before the entry after
    the last one read, its open elements closed again: feedparser then never builds (in time
    and memory) the entries that would be dropped anyway. Returns the document and the
    number of entries the whole one has (0 when it was not cut)."""
    starts = _ENTRY_START.finditer(data)
    first = next(starts, None)
    if first is None:
        return data, 0
    cut = None
    count = 1
    for m in starts:
        count += 1
        if count == MAX_ENTRIES + 1:
            cut = m.start()
    if cut is None:
        return data, 0
    stack: list[bytes] = []  # the elements open where the first entry starts: its ancestors
    for tok in _PROLOG_TOKEN.finditer(data, 0, first.start()):
        name = tok.group(2)
        if name is None or tok.group(3):
            continue
        if tok.group(1):
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name):]
        else:
            stack.append(name)
    return data[:cut] + b"".join(b"</" + n + b">" for n in reversed(stack)), count


def parse_feed(data: bytes | str, *, source: str) -> ParseResult:
    """Parse an RSS/Atom document into items (kind ``"feed"``).

    Raises ``InputError`` for an empty or unusable document, and for the
    arXiv API's error answer. Warnings (malformed-but-recovered feeds,
    removed entity references, skipped untitled entries) are returned in the
    result, each prefixed with ``source``.
    """
    if isinstance(data, str):
        data = _XML_DECL_ENCODING.sub(r'\1"utf-8"', data.lstrip("\ufeff"), count=1).encode("utf-8")
    if len(data) > MAX_FEED_BYTES:
        raise InputError(f"feed larger than {MAX_FEED_BYTES // 2**20} MB", path=source)
    if not re.search(rb"[^ \t\r\n\x00]", data):  # (not data.strip(): that copies the input)
        raise InputError("empty feed", path=source)
    safe = neutralise_doctype(data)
    if safe.prolog.root is None:
        if safe.prolog.junk:
            raise InputError("not an XML feed (no root element)", path=source)
        raise InputError("empty feed", path=source)

    import feedparser  # imported late: it is slow to import and only feeds need it

    huge = _HUGE_TAG.search(safe.data)
    if huge:  # expat rescans a token at every 64 kB it is fed: one of 50 MB takes minutes
        raise InputError(f"not a usable feed: a markup tag longer than {MAX_TAG_BYTES // 2**20} MB "
                         f"(at byte {huge.start()})", path=source)
    body, total = cap_entries(safe.data)
    try:
        parsed = feedparser.parse(io.BytesIO(body), sanitize_html=True, resolve_relative_uris=True)
    except Exception as exc:  # feedparser recovers from almost anything; never let a bug escape as a traceback
        raise InputError(f"cannot parse feed: {type(exc).__name__}: {_quote(str(exc), 120)}", path=source) from None

    warnings = [f"{source}: {note}" for note in safe.notes]
    entries = list(parsed.get("entries") or [])
    feed = parsed.get("feed") or {}
    bozo = bool(parsed.get("bozo"))
    reason = _bozo_reason(parsed.get("bozo_exception")) if bozo else ""

    errors = [e for e in entries if _is_api_error(e)]
    if errors:
        msg = collapse(str(errors[0].get("summary") or errors[0].get("id") or "unknown error"))
        raise InputError(f"arXiv API error: {_quote(msg)}", path=source)

    feed_title = collapse(str(feed.get("title") or ""))
    if not entries:
        if bozo and not feed_title:
            raise InputError(f"not a usable feed: {reason}", path=source)
        if not bozo and not parsed.get("version"):
            raise InputError("not an RSS or Atom feed", path=source)

    if len(entries) > MAX_ENTRIES or total:
        warnings.append(f"{source}: {max(total, len(entries))} entries; only the first {MAX_ENTRIES} were read")
        entries = entries[:MAX_ENTRIES]

    items: list[Item] = []
    untitled: list[str] = []
    retitled = 0
    for entry in entries:
        got = _entry_to_item(entry, source)
        if got is None:
            untitled.append(http_url(entry.get("link")) or collapse(str(entry.get("id") or "")))
            continue
        items.append(got[0])
        retitled += got[1]

    if bozo:
        warnings.append(f"{source}: feed is malformed ({reason}); {len(items)} entries recovered")
    if untitled:
        example = next((u for u in untitled if u), "")
        example = f", e.g. {_quote(example, 120)}" if example else ""
        warnings.append(f"{source}: skipped {len(untitled)} entries with neither title nor summary{example}")
    if retitled:
        warnings.append(f"{source}: {retitled} entries without a title were titled from their summary")

    return ParseResult(
        items=items,
        source=source,
        kind=KIND,
        warnings=warnings,
        date=date_of(dict.get(feed, "updated"), dict.get(feed, "updated_parsed"))
        or date_of(dict.get(feed, "published"), dict.get(feed, "published_parsed")),
    )
