"""RSS 0.9x/1.0/2.0 and Atom feeds (arXiv listings and API answers first).

``parse_feed`` hands the bytes to feedparser, but only after
:func:`digest.sources.xmlsafe.neutralise_doctype` has made them safe (no
DOCTYPE, no external or nested entities, wide encodings transcoded) and
:func:`digest.sources.xmlsafe.cap_entries` has cut a document of too many
entries. Field values are then capped and HTML turned into plain text by the
helpers in :mod:`digest.sources.fields`. Plain-text fields are taken literally
(an arXiv title ``x<y`` stays ``x<y``).
"""

from __future__ import annotations

import io
import re
from typing import Any

from digest import identity
from digest.errors import InputError
from digest.item import Item, ParseResult
from digest.sources.fields import (
    MAX_ABSTRACT_CHARS,
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_CATEGORY_CHARS,
    MAX_ENTRIES,
    MAX_FALLBACK_TITLE_CHARS,
    MAX_LINKS,
    MAX_TITLE_CHARS,
    RAW_FACTOR,
    clip,
    date_of,
    html_to_text,
    http_url,
    quote,
)
from digest.sources.xmlsafe import (
    HUGE_TAG,
    MAX_TAG_BYTES,
    XML_DECL_ENCODING,
    bound_markup,
    cap_entries,
    fix_char_refs,
    neutralise_doctype,
)
from digest.text import collapse

KIND = "feed"
# rss.arxiv.org's <arxiv:announce_type>: a paper of the listing's own category, or a cross-list
OWN_ANNOUNCE = ("new", "replace")
CROSS_ANNOUNCE = ("cross", "replace-cross")
MAX_FEED_BYTES = 50 * 2**20  # a larger document is refused outright


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
    raw = value[: limit * RAW_FACTOR]
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
    return quote(msg or type(exc).__name__, 120)


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

    announce = collapse(str(entry.get("arxiv_announce_type") or "")).lower()  # rss.arxiv.org listings
    cross_list = True if announce in CROSS_ANNOUNCE else (False if announce in OWN_ANNOUNCE else None)

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
        cross_list=cross_list,
    )
    return item, titled_from_summary


def parse_feed(data: bytes | str, *, source: str) -> ParseResult:
    """Parse an RSS/Atom document into items (kind ``"feed"``).

    Raises ``InputError`` for an empty or unusable document, and for the
    arXiv API's error answer. Warnings (malformed-but-recovered feeds,
    removed entity references, skipped untitled entries) are returned in the
    result, each prefixed with ``source``.
    """
    if isinstance(data, str):
        data = XML_DECL_ENCODING.sub(r'\1"utf-8"', data.lstrip("\ufeff"), count=1).encode("utf-8")
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

    huge = HUGE_TAG.search(safe.data)
    if huge:  # expat rescans a token at every 64 kB it is fed: one of 50 MB takes minutes
        raise InputError(f"not a usable feed: a markup tag longer than {MAX_TAG_BYTES // 2**20} MB "
                         f"(at byte {huge.start()})", path=source)
    body, total = cap_entries(safe.data)
    body, refs = fix_char_refs(body)
    bounded = bound_markup(body)
    body = bounded.data
    try:
        parsed = feedparser.parse(io.BytesIO(body), sanitize_html=True, resolve_relative_uris=True)
    except Exception as exc:  # feedparser recovers from almost anything; never let a bug escape as a traceback
        raise InputError(f"cannot parse feed: {type(exc).__name__}: {quote(str(exc), 120)}", path=source) from None

    warnings = [f"{source}: {note}" for note in safe.notes + bounded.notes]
    if refs:
        warnings.append(f"{source}: {refs} character reference(s) to no character (a lone surrogate) "
                        "replaced by U+FFFD")
    entries = list(parsed.get("entries") or [])
    feed = parsed.get("feed") or {}
    bozo = bool(parsed.get("bozo"))
    reason = _bozo_reason(parsed.get("bozo_exception")) if bozo else ""

    errors = [e for e in entries if _is_api_error(e)]
    if errors:
        msg = collapse(str(errors[0].get("summary") or errors[0].get("id") or "unknown error"))
        raise InputError(f"arXiv API error: {quote(msg)}", path=source)

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

    def entries_(n: int) -> str:
        return f"{n} entr{'y' if n == 1 else 'ies'}"

    if bozo:
        warnings.append(f"{source}: feed is malformed ({reason}); {entries_(len(items))} recovered")
    if untitled:
        example = next((u for u in untitled if u), "")
        example = f", e.g. {quote(example, 120)}" if example else ""
        warnings.append(f"{source}: skipped {entries_(len(untitled))} with neither title nor summary{example}")
    if retitled:
        one = retitled == 1
        warnings.append(f"{source}: {entries_(retitled)} without a title {'was' if one else 'were'} titled from "
                        f"{'its' if one else 'their'} summary")

    return ParseResult(
        items=items,
        source=source,
        kind=KIND,
        warnings=warnings,
        date=date_of(dict.get(feed, "updated"), dict.get(feed, "updated_parsed"))
        or date_of(dict.get(feed, "published"), dict.get(feed, "published_parsed")),
    )
