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

from digest.dates import local_day
from digest.identity import ARXIV_ID_RE, arxiv_abs_url
from digest.records import dataclass
from digest.text import clean, json_safe, lazy_compile

# The output formats, each closed set spelled once (the CLI's choices come from these).
REPORT_FORMATS = ("table", "json", "jsonl", "markdown")  # show, run
DETAIL_FORMATS = ("table", "json")  # explain, tags
PARSE_FORMATS = ("jsonl", "json")  # parse
LIST_FORMATS = ("table", "json", "jsonl", "markdown", "bibtex", "ris", "csv")  # list
EXPORT_FORMATS = ("bibtex", "ris", "markdown", "json", "jsonl", "csv")  # export



def screen_width(terminal: bool = False) -> int:
    """The width rich gives a console: $COLUMNS, else 80 on a dumb terminal (``terminal``: the
    output is one), else the width of the terminal on stdin, stdout or stderr, else 80."""
    import os

    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    if terminal and os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return 80
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (OSError, ValueError):
            continue
    return 80


# Text of these characters is one terminal cell a character (ASCII, Latin, Greek, Cyrillic,
# general punctuation such as the meta line's "·", the glue space, arrows, mathematical
# operators, the warning sign; no combining marks): rich gives every one of them one cell
# (tests/test_terminal_layout.py checks each), so such text is measured by its length.
_NARROW = re.compile("[\x20-\x7e\u00a0-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027\u2030-\u205e"
                     "\u2190-\u22ff\u26a0]*")


def narrow(text: str) -> bool:
    """Whether every character of (clean) ``text`` is one cell wide."""
    return text.isascii() or _NARROW.fullmatch(text) is not None


def cell_len(text: str) -> int:
    """How many terminal cells ``text`` (clean: no control characters) takes, as rich counts
    them (rich's tables are read only for text that is not all narrow)."""
    if narrow(text):
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def chop_cells(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` cells, as rich folds a long word."""
    if narrow(text):
        return [text[i:i + width] for i in range(0, len(text), width)]
    from rich.cells import chop_cells as rich_chop

    return rich_chop(text, width)


# The layout rules every terminal output shares (the digest, explain, the reading-list table).
NARROW_BODY = 40  # below this many columns beside the rank/score/id column, the body hangs at INDENT
INDENT = 4
GLUE = "\u00a0"  # a space lines are never broken at (printed as a plain space)
URL_WORD = lazy_compile(r"(?i)^\W{0,2}https?://")  # a word that is a URL is never broken across lines


def glued(bits: list[str]) -> str:
    """Meta bits joined by " · ", a short bit ("12 upvotes", "added 2025-11-20") kept whole."""
    return " · ".join(b.replace(" ", GLUE) if len(b) <= 30 else b for b in bits)


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
    """The paper's own page, if known and safe to link: its ``url``, else the arXiv abstract
    page of its arXiv id. Never a search (JSON's ``url``, CSV, BibTeX and RIS use this)."""
    url = safe_url(rec.get("url"))
    if url is None:
        aid = rec.get("arxiv_id")
        if isinstance(aid, str) and ARXIV_ID_RE.fullmatch(aid):
            url = arxiv_abs_url(aid)
    return url


SEARCH_LABEL = "search: arXiv"  # how a link that is a title search, not the paper's page, is labelled


@dataclass(frozen=True)
class PaperLink:
    """The link a paper gets in every output and in ``digest open``."""

    url: str
    search: bool = False  # True: an arXiv title search, since no page of the paper is known

    @property
    def label(self) -> str:
        """What to call the link where its kind must be said ("" for the paper's own page)."""
        return SEARCH_LABEL if self.search else ""

    def to_dict(self) -> dict:
        return {"url": self.url, "search": self.search}


def paper_link(rec: dict) -> PaperLink:
    """The paper's page (:func:`paper_url`), else an arXiv search for its title (a Daily
    Papers page names no link, and every paper on it is on arXiv)."""
    url = paper_url(rec)
    if url is not None:
        return PaperLink(url)
    from urllib.parse import urlencode  # (loads ipaddress: only for a paper without a page)

    query = urlencode({"query": clean(rec.get("title")) or "", "searchtype": "title"})
    return PaperLink(f"https://arxiv.org/search/?{query}", search=True)


CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sourceforge.net")


def link_kind(url: str) -> str:
    """``code`` for a repository host, else ``project`` (a project page, a demo, a dataset)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return "code" if host in CODE_HOSTS else "project"


def extra_links(rec: dict, limit: int = 2) -> list[str]:
    """Code and project links besides the paper page and its PDF."""
    page = rec.get("url")
    out = []
    for u in rec.get("links") or []:
        s = safe_url(u)
        if s and s != page and "arxiv.org/" not in s and s not in out:
            out.append(s)
    return out[:limit]


def labelled_links(rec: dict) -> list[tuple[str, str]]:
    """``(label, url)`` of every link an entry shows: the paper link (label "" for its page,
    "search: arXiv" for a search), then code and project links."""
    link = paper_link(rec)
    return [(link.label, link.url)] + [(link_kind(u), u) for u in extra_links(rec)]


def link_prefix(label: str) -> str:
    """What goes before a URL shown as text: ``code: ``, ``search: arXiv ``, nothing for a page."""
    if not label:
        return ""
    return f"{label} " if label == SEARCH_LABEL else f"{label}: "


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


def meta_bits(rec: dict, *, label_dates: bool = False) -> list[str]:
    """authors · date · upvotes · org · arXiv id, as short plain strings (links are separate:
    :func:`labelled_links`). The date is the publication date; with ``label_dates`` it says so
    (``published 2025-11-18``), and a paper without one shows when it was ``first seen``."""
    bits = []
    authors: list[str] = []  # the first three, cleaned; the rest only counted (cheap for 30-author papers)
    more = 0
    for a in rec.get("authors") or []:
        if len(authors) < 3:
            a = clean(a)
            if a:
                authors.append(a)
        elif clean(a):
            more += 1
    if authors:
        bits.append(", ".join(authors) + (f" +{more}" if more else ""))
    elif rec.get("n_authors"):
        n = rec["n_authors"]
        bits.append(f"{n} author{'s' if n != 1 else ''}")
    if rec.get("published"):
        bits.append(("published " if label_dates else "") + clean(rec["published"]))
    elif label_dates and rec.get("first_seen"):
        bits.append("first seen " + clean(local_day(rec["first_seen"])))
    if rec.get("upvotes") is not None:
        n = rec["upvotes"]
        bits.append(f"{n} upvote{'' if n == 1 else 's'}")
    if rec.get("org"):
        bits.append(clean(rec["org"]))
    if rec.get("arxiv_id"):
        bits.append(f"arXiv:{clean(rec['arxiv_id'])}")
    origin = cross_list_from(rec)
    if origin:
        bits.append(origin)
    return bits


def cross_list_from(rec: dict) -> str:
    """``cross-list from cs.CL`` for a paper announced as a cross-list (arXiv's own wording: its
    primary category is another listing's), else ""."""
    if rec.get("cross_list") is not True:
        return ""
    cats = [clean(c) for c in rec.get("categories") or [] if clean(c)]
    return f"cross-list from {cats[0]}" if cats else "cross-list"


def grouped_matches(matches) -> list[tuple[str, list[tuple[str, float]]]]:
    """Matches grouped by term, in first-seen order: [(term, [(field, weight), ...])], weights
    rounded to two decimals for showing (a damped weight is 0.47, not 0.470701)."""
    out: dict[str, list[tuple[str, float]]] = {}
    for m in matches:
        out.setdefault(m.term, []).append((m.field, round(m.weight, 2)))
    return list(out.items())


def match_label(term: str, parts) -> tuple[str, str, str]:
    """How the matched line shows one group of :func:`grouped_matches`, as (before, term, after):
    ``diffusion`` `` (title +6, abstract +3)`` for a term; ``semantic +2.3: `` ``close to
    "efficient inference" (0.61)`` for the semantic contribution."""
    if all(f == "semantic" for f, _ in parts):
        return f"semantic {sum(w for _, w in parts):+g}: ", term, ""
    return "", term, " (" + ", ".join(f"{f} {w:+g}" for f, w in parts) + ")"
