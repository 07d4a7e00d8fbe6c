"""The Hugging Face daily_papers JSON (``/api/daily_papers?date=YYYY-MM-DD``).

The answer is a JSON list of entries, each holding a ``paper`` object
(``id`` = the arXiv id, ``title``, ``summary``, ``authors`` as objects with
``name``, ``publishedAt``, ``upvotes``, optional ``githubRepo``,
``projectPage`` and ``organization``) beside top-level fields (``title``,
``publishedAt`` = when it was featured, ``numComments``, ``organization`` ...).

Parsing is lenient about everything optional: a single entry object instead
of a list, an entry that is the paper object itself, ``organization`` as an
object (``fullname`` or ``name``) or a plain string, authors as strings,
``upvotes`` as a numeric string. Entries without a title are skipped with a
warning; invalid JSON or a document of the wrong shape is an ``InputError``.
The same caps as for feeds apply (``digest.sources.fields.MAX_*``).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from digest import identity
from digest.errors import InputError, json_kind, value_error_text
from digest.item import Item, ParseResult
from digest.sources.fields import (
    MAX_ABSTRACT_CHARS,
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_ENTRIES,
    MAX_LINKS,
    MAX_ORG_CHARS,
    MAX_TITLE_CHARS,
    clip,
    date_of,
    http_url,
)
from digest.text import collapse

KIND = "hf_json"
MAX_JSON_BYTES = 50 * 2**20
# json.loads builds every value at once, at 50-100 bytes each: a 50 MB "[{},{},...]" would
# take over a gigabyte. A daily_papers answer of MAX_ENTRIES papers has some 200,000 objects
# and arrays and a few million values, so more than these is refused before decoding.
MAX_JSON_CONTAINERS = 500_000
MAX_JSON_VALUES = 5_000_000
HF_PAPER_URL = "https://huggingface.co/papers/{}"


def _decode(data: bytes | str, source: str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if len(data) > MAX_JSON_BYTES:
        raise InputError(f"JSON larger than {MAX_JSON_BYTES // 2**20} MB", path=source)
    try:
        return data.decode(json.detect_encoding(data)).lstrip("\ufeff")
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"invalid JSON: not valid Unicode text ({getattr(exc, 'reason', exc)})", path=source) from None


def _load(data: bytes | str, source: str) -> Any:
    text = _decode(data, source)
    if not text.strip():
        raise InputError("invalid JSON: empty input", path=source)
    containers = text.count("{") + text.count("[")  # (C speed; brackets in strings count too)
    values = text.count(",") + 1
    if containers > MAX_JSON_CONTAINERS or values > MAX_JSON_VALUES:
        what = f"{containers:,} objects and arrays" if containers > MAX_JSON_CONTAINERS else f"{values:,} values"
        raise InputError(f"JSON with {what}: far more than a daily_papers answer holds "
                         f"({MAX_ENTRIES:,} papers at most); refused", path=source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", path=source) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", path=source) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python will convert
        raise InputError(f"invalid JSON: {value_error_text(exc)}", path=source) from None


def _paper_of(entry: Any) -> dict | None:
    """The paper object of a daily_papers entry (or the entry itself when it is a paper)."""
    if not isinstance(entry, dict):
        return None
    paper = entry.get("paper")
    if isinstance(paper, dict):
        return paper
    if "paper" not in entry and ("title" in entry or "id" in entry) and ("summary" in entry or "authors" in entry):
        return entry
    return None


def _text(value: Any, limit: int | None = None) -> str:
    """The string, whitespace collapsed; only its first ``limit`` x 10 characters when a limit
    is given (the caller clips to ``limit``): collapsing a 50 MB string of one-letter words
    would build millions of pieces."""
    if not isinstance(value, str):
        return ""
    return collapse(value if limit is None else value[: limit * 10])


def _org(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("fullname") or value.get("name")
    name = _text(value, MAX_ORG_CHARS)
    return clip(name, MAX_ORG_CHARS)[0] if name else None


def _upvotes(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return max(value, 0)
    if isinstance(value, float) and value == value and abs(value) < 1e12:
        return max(int(value), 0)
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
        return int(value.strip())
    return None


def _authors(value: Any) -> list[str]:
    names = []
    for a in value if isinstance(value, list) else []:
        if isinstance(a, dict):
            a = a.get("name")
        name = _text(a, MAX_AUTHOR_CHARS)
        if name:
            names.append(name)
    return names


def _entry_to_item(entry: dict, paper: dict, source: str) -> Item | None:
    title, title_cut = clip(_text(paper.get("title"), MAX_TITLE_CHARS) or _text(entry.get("title"), MAX_TITLE_CHARS),
                            MAX_TITLE_CHARS)
    if not title:
        return None
    abstract, abstract_cut = clip(_text(paper.get("summary"), MAX_ABSTRACT_CHARS)
                                  or _text(entry.get("summary"), MAX_ABSTRACT_CHARS), MAX_ABSTRACT_CHARS)

    raw_id = paper.get("id")
    raw_id = _text(raw_id, 100) if isinstance(raw_id, str) else ""
    parsed = identity.parse_arxiv_id(raw_id) if raw_id and len(raw_id) < 64 else None
    arxiv_id, version = parsed if parsed else (None, None)

    links: list[str] = []
    if arxiv_id:
        links.append(identity.arxiv_abs_url(arxiv_id))
    if raw_id and len(raw_id) < 64 and all(c.isalnum() or c in ".-_/" for c in raw_id):
        links.append(HF_PAPER_URL.format(arxiv_id or raw_id))
    for key in ("githubRepo", "projectPage"):
        url = http_url(paper.get(key)) or http_url(entry.get(key))
        if url and url not in links:
            links.append(url)

    names = _authors(paper.get("authors"))
    authors = [clip(n, MAX_AUTHOR_CHARS)[0] for n in names[:MAX_AUTHORS]]
    published = date_of(paper.get("publishedAt")) or date_of(entry.get("publishedAt"))
    upvotes = _upvotes(paper.get("upvotes"))
    if upvotes is None:
        upvotes = _upvotes(entry.get("upvotes"))
    return Item(
        title=title,
        abstract=abstract,
        authors=authors,
        n_authors=len(names) or None,
        published=published,
        upvotes=upvotes,
        org=_org(paper.get("organization")) or _org(entry.get("organization")),
        links=links[:MAX_LINKS],
        truncated=title_cut or abstract_cut,
        source=source,
        arxiv_id=arxiv_id,
        arxiv_version=version,
        url=links[0] if links else None,
    )


def parse_hf_json(data: bytes | str, *, source: str) -> ParseResult:
    """Parse an HF daily_papers JSON answer into items (kind ``"hf_json"``)."""
    doc = _load(data, source)
    if isinstance(doc, dict):
        if _paper_of(doc) is not None:
            doc = [doc]
        elif isinstance(doc.get("error"), str):
            raise InputError(f"Hugging Face API error: {clip(collapse(doc['error']), 200)[0]}", path=source)
        else:
            keys = ", ".join(sorted(str(k) for k in doc)[:6]) or "none"
            raise InputError(
                f"expected a list of daily_papers entries, got an object (keys: {clip(keys, 120)[0]})", path=source
            )
    if not isinstance(doc, list):
        raise InputError(f"expected a list of daily_papers entries, got {json_kind(doc)}", path=source)

    warnings: list[str] = []
    if len(doc) > MAX_ENTRIES:
        warnings.append(f"{source}: {len(doc)} entries; only the first {MAX_ENTRIES} were read")
        doc = doc[:MAX_ENTRIES]
    pairs = [(e, _paper_of(e)) for e in doc]
    bad = [i for i, (_, p) in enumerate(pairs, 1) if p is None]
    if doc and len(bad) == len(doc):
        first = doc[0]
        what = json_kind(first) if not isinstance(first, dict) else 'an object without a "paper"'
        raise InputError(
            f'expected a list of daily_papers entries (objects with a "paper" object); entry 1 is {what}',
            path=source,
        )
    if bad:
        warnings.append(f"{source}: skipped {len(bad)} entries that are not daily_papers entries (e.g. #{bad[0]})")

    items: list[Item] = []
    untitled: list[int] = []
    for i, (entry, paper) in enumerate(pairs, 1):
        if paper is None:
            continue
        item = _entry_to_item(entry, paper, source)
        if item is None:
            untitled.append(i)
        else:
            items.append(item)
    if untitled:
        entries = f"{len(untitled)} entr{'y' if len(untitled) == 1 else 'ies'}"
        warnings.append(f"{source}: skipped {entries} without a title (e.g. #{untitled[0]})")

    # The day these were featured, when every entry agrees on it.
    days = Counter(date_of(e.get("publishedAt")) for e, p in pairs if p is not None and p is not e)
    day = next(iter(days)) if len(days) == 1 else None
    return ParseResult(items=items, source=source, kind=KIND, warnings=warnings, date=day)
