"""Renderers: each turns a :class:`digest.ranking.report.Report` (or reading-list entries)
into one output format; this module holds the helpers they share and the closed sets of
formats.

Text from dumps and feeds is data, never markup or terminal control: every
renderer passes it through :func:`digest.text.clean` first, which removes control
characters (ESC, the one-byte CSI ``\\x9b``, ``\\r``) and bidirectional overrides,
and folds newlines into spaces.
"""

from __future__ import annotations

import re

from digest.text import clean, json_safe

# The output formats, each closed set spelled once (the CLI's choices come from these).
REPORT_FORMATS = ("table", "json", "jsonl", "markdown")  # show, run
DETAIL_FORMATS = ("table", "json")  # explain, tags
PARSE_FORMATS = ("jsonl", "json")  # parse
LIST_FORMATS = ("table", "json", "jsonl", "markdown", "bibtex", "csv")  # list
EXPORT_FORMATS = ("bibtex", "markdown", "json", "jsonl", "csv")  # export



def to_json(obj: object, *, indent: int | None = None) -> str:
    """JSON text for stdout: non-ASCII text stays readable, but every character a terminal
    could act on is written as a ``\\uXXXX`` escape (the same data, safe to print)."""
    import json

    return json_safe(json.dumps(obj, ensure_ascii=False, indent=indent))


def safe_url(url: object) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, file:, data:)."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    if not re.match(r"^https?://[^\s<>\"'`\x00-\x1f\x7f-\x9f]+$", u, re.IGNORECASE):
        return None
    return u


def paper_url(rec: dict) -> str | None:
    """The paper's own page (the arXiv abstract page when known), if safe to link."""
    return safe_url(rec.get("url"))


def extra_links(rec: dict, limit: int = 2) -> list[str]:
    """Code and project links besides the paper page and its PDF."""
    page = rec.get("url")
    out = []
    for u in rec.get("links") or []:
        s = safe_url(u)
        if s and s != page and "arxiv.org/" not in s and s not in out:
            out.append(s)
    return out[:limit]


def snippet(text: str, terms_re, width: int = 240) -> str:
    """A window of ``text`` around its first highlighted term, at most ``width`` chars."""
    text = clean(text)
    if len(text) <= width:
        return text
    start = 0
    if terms_re is not None:
        m = terms_re.search(text)
        if m and m.start() > width // 3:
            start = max(0, m.start() - width // 3)
            sp = text.rfind(" ", 0, start)
            start = sp + 1 if sp > 0 else start
    end = start + width
    if end < len(text):
        sp = text.rfind(" ", start, end)
        end = sp if sp > start + width // 2 else end
    return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def meta_bits(rec: dict, *, upvote_word: str = "upvotes") -> list[str]:
    """authors · date · upvotes · org, as short plain strings."""
    bits = []
    authors = [clean(a) for a in rec.get("authors") or [] if clean(a)]
    if authors:
        bits.append(", ".join(authors[:3]) + (f" +{len(authors) - 3}" if len(authors) > 3 else ""))
    elif rec.get("n_authors"):
        n = rec["n_authors"]
        bits.append(f"{n} author{'s' if n != 1 else ''}")
    if rec.get("published"):
        bits.append(clean(rec["published"]))
    if rec.get("upvotes") is not None:
        bits.append(f"{rec['upvotes']} {upvote_word}")
    if rec.get("org"):
        bits.append(clean(rec["org"]))
    if rec.get("arxiv_id"):
        bits.append(f"arXiv:{clean(rec['arxiv_id'])}")
    return bits + [f"code: {u}" if "github.com" in u else u for u in extra_links(rec)]


def grouped_matches(matches) -> list[tuple[str, list[tuple[str, float]]]]:
    """Matches grouped by term, in first-seen order: [(term, [(field, weight), ...])]."""
    out: dict[str, list[tuple[str, float]]] = {}
    for m in matches:
        out.setdefault(m.term, []).append((m.field, m.weight))
    return list(out.items())
