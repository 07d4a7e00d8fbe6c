"""The reading list (``digest list`` / ``digest export``) in every format but BibTeX and RIS.

Each function takes a list of :class:`digest.readinglist.Entry`. Text from the
store is passed through :func:`digest.text.clean` (table, CSV) or
:func:`digest.render.markdown.md_escape` (Markdown), as in the digest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import IO

from digest.dates import local_day
from digest.identity import short_id
from digest.render import (
    GLUE,
    INDENT,
    NARROW_BODY,
    SEARCH_LABEL,
    URL_WORD,
    cell_len,
    extra_links,
    glued,
    labelled_links,
    link_prefix,
    meta_bits,
    narrow,
    paper_link,
    paper_url,
    to_json,
)
from digest.render.screen import BOLD, DIM, ITALIC, sgr
from digest.tags import TAG_RE
from digest.text import clean

CSV_COLUMNS = ("id", "short_id", "title", "authors", "n_authors", "published", "arxiv_id", "url",
               "tags", "notes", "added", "first_seen", "abstract")


def render(entries, fmt: str, *, heading: str = "Reading list") -> str:
    """The entries in ``fmt`` as one string (``export``; ``list`` streams :func:`chunks`)."""
    return "".join(chunks(entries, fmt, heading=heading))


def chunks(entries, fmt: str, *, heading: str = "Reading list", count: int | None = None) -> Iterator[str]:
    """The entries in ``fmt`` (not table: see :func:`table_lines`), piece by piece, so a long list
    is written as it is read. ``count``: how many there are (the Markdown heading says it)."""
    if fmt == "json":
        first = True
        for e in entries:
            item = "\n".join("  " + line for line in to_json(e.to_dict(), indent=2).split("\n"))
            yield ("[\n" if first else ",\n") + item  # (the same text as the whole list at indent 2)
            first = False
        yield "[]\n" if first else "\n]\n"
    elif fmt == "jsonl":
        for e in entries:
            yield to_json(e.to_dict()) + "\n"
    elif fmt == "markdown":
        yield from markdown_chunks(entries, heading=heading, count=len(entries) if count is None else count)
    elif fmt == "csv":
        yield from csv_chunks(entries)
    elif fmt == "bibtex":
        from digest.render.bibtex import render_bibtex

        yield render_bibtex(entries)  # (cite keys are made unique over the whole file)
    elif fmt == "ris":
        from digest.render.ris import render_ris

        yield render_ris(entries)
    else:
        raise ValueError(f"unknown format {fmt!r}")  # table: see table_lines


# --------------------------------------------------------------------------- CSV
def _cell(value: object) -> str:
    """A CSV cell: clean text; a leading = + - @ is quoted with ' so spreadsheets do not run it."""
    s = clean(value)
    if s[:1] in ("=", "+", "-", "@"):
        s = "'" + s
    return s


def render_csv(entries) -> str:
    return "".join(csv_chunks(entries))


def csv_chunks(entries) -> Iterator[str]:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for i, e in enumerate(entries):
        if i % 200 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
        r = e.record
        n_authors = r.get("n_authors")
        # every cell, not just the text ones: a hand-edited store can put a formula in a date too
        w.writerow([_cell(x) for x in (
            r["id"], short_id(r["id"]), r.get("title"), "; ".join(clean(a) for a in r.get("authors") or []),
            "" if n_authors is None else n_authors, r.get("published"), r.get("arxiv_id"), paper_url(r),
            "; ".join(e.tags), " | ".join(n.text for n in e.notes), e.added, r.get("first_seen"),
            r.get("abstract"),
        )])
    yield buf.getvalue()


# --------------------------------------------------------------------------- Markdown
def _md_tags(tags) -> str:
    from digest.render.markdown import md_escape

    return " ".join("#" + (t if TAG_RE.match(t) else md_escape(t)) for t in tags)


def render_markdown(entries, *, heading: str = "Reading list") -> str:
    """A bulleted list for notes apps: linked title, meta line, tags as #tags, notes."""
    return "".join(markdown_chunks(entries, heading=heading, count=len(entries)))


def markdown_chunks(entries, *, heading: str, count: int) -> Iterator[str]:
    from digest.render.markdown import md_escape, md_extra_links, md_paper

    n = count
    yield f"# {md_escape(heading)}\n\n_{n} paper{'s' if n != 1 else ''}_\n"
    for i, e in enumerate(entries):
        r = e.record
        line = f"- {md_paper(r)}"
        bits = meta_bits(r)
        if bits:
            line += f" — {md_escape(' · '.join(bits))}"
        if extra_links(r):
            line += " · " + md_extra_links(r)
        line += f" · `{short_id(r['id'])}`"
        if e.tags:
            line += " " + _md_tags(e.tags)
        out = [""] if i == 0 else []  # a blank line after the heading
        out.append(line)
        for note in e.notes:
            out.append(f"  - {md_escape(note.text)}")
        yield "\n".join(out) + "\n"


# --------------------------------------------------------------------------- table
# Each paper: its short id, then beside it the title, the meta line (every date labelled, tags,
# when it was added), notes and links: the layout of the terminal digest (render.terminal's
# hanging lines, the same rules: a short meta bit or a URL is never broken, a narrow terminal
# hangs the body at INDENT). Laid out by hand, line by line as the entries are read: rich laid
# out a whole list at 0.7 ms a paper and held every row (58.6 s and 634 MB for 58,000 papers);
# this costs about 0.03 ms a paper.
HEAD = 9  # the short id and a space


_cells = cell_len  # (the name the tests use)


def wrap(text: str, first: int, rest: int | None = None) -> list[tuple[int, int]]:
    """Greedy word wrap of one clean line of text (single spaces; :data:`GLUE` does not break):
    the (start, end) of each line in ``text``, the first at most ``first`` cells wide, the others
    ``rest``. A word wider than its line is cut, except a URL (it overflows its own line).
    Narrow text by str.rfind, other text word by word in terminal cells."""
    rest = first if rest is None else rest
    spans: list[tuple[int, int]] = []
    width = first
    if narrow(text):
        start, n = 0, len(text)
        while n - start > width:
            cut = text.rfind(" ", start, start + width + 1)
            if cut > start:
                spans.append((start, cut))
                start = cut + 1
            else:  # one word wider than the line
                end = text.find(" ", start)
                end = n if end < 0 else end
                if URL_WORD.match(text, start):
                    spans.append((start, end))
                    start = end + 1
                else:
                    spans.append((start, start + width))
                    start += width + (text[start + width] == " ")
            width = rest
        return spans + [(start, n)] if start < n else spans
    start = end = used = 0
    for m in re.finditer(r"\S+", text):
        w = _cells(m.group())
        if used and used + 1 + w <= width:
            end, used = m.end(), used + 1 + w
            continue
        if used:
            spans.append((start, end))
            width = rest
        start, used, end = m.start(), 0, m.end()
        if w > width and URL_WORD.match(m.group()):
            used = w
            continue
        for i, c in enumerate(m.group()):  # a word wider than the line is cut
            cw = _cells(c)
            if used + cw > width and used:
                spans.append((start, m.start() + i))
                start, used, width = m.start() + i, 0, rest
            used += cw
    if used:
        spans.append((start, end))
    return spans


class Paint:
    """How each role of the table is drawn: plain text, or rich's SGR codes for a console's colour
    system, with OSC 8 hyperlinks (the URLs of :func:`digest.render.paper_link` and its links)."""

    STYLES = {"id": (0, "cyan", None), "title": (BOLD, None, None), "meta": (DIM, None, None),
              "tags": (0, "magenta", None), "note": (ITALIC, None, None), "link": (DIM, None, None)}

    def __init__(self, console=None) -> None:
        self.codes: dict[str, tuple[str, str]] = {}
        if console is None or not console.is_terminal or console.color_system is None:
            return  # (make_console gives no colour system with NO_COLOR: plain)
        for role, style in self.STYLES.items():
            self.codes[role] = (f"\x1b[{sgr(style)}m", "\x1b[0m")

    @property
    def linked(self) -> bool:
        return bool(self.codes)

    def __call__(self, text: str, role: str, link: str | None = None) -> str:
        if not self.codes:
            return text
        pre, post = self.codes[role]
        if link:
            text = f"\x1b]8;;{link}\x1b\\{text}\x1b]8;;\x1b\\"
        return pre + text + post

    def lines(self, text: str, roles: list[tuple[int, str]], first: int, rest: int,
              link: str | None = None) -> list[str]:
        """``text`` wrapped (see :func:`wrap`); ``roles``: (start offset, role) of each styled part."""
        spans = wrap(text, first, rest)
        if not self.codes:
            return [text[a:b].replace(GLUE, " ").rstrip() for a, b in spans]
        out = []
        for a, b in spans:
            parts = []
            for k, (start, role) in enumerate(roles):
                end = roles[k + 1][0] if k + 1 < len(roles) else len(text)
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    piece = text[lo:hi].replace(GLUE, " ")
                    core = piece.strip()  # (spaces between parts stay unstyled)
                    if core:
                        lead = piece[: len(piece) - len(piece.lstrip())]
                        trail = piece[len(piece.rstrip()):]
                        parts.append(lead + self(core, role, link) + trail)
                    else:
                        parts.append(piece)
            out.append("".join(parts).rstrip())
        return out

    def links(self, rec: dict, width: int) -> list[str]:
        """The entry's links packed onto lines of ``width``, joined by " · ", a link never split:
        spelled out as text, and in a terminal also hyperlinks (a title search then shows only
        its label)."""
        lines: list[str] = []
        cur, used = "", 0
        for label, url in labelled_links(rec):
            if self.linked and label == SEARCH_LABEL:
                piece, n = self(label, "link", url), len(label)
            else:
                prefix = link_prefix(label)
                piece = (self(prefix, "link") if prefix else "") + self(url, "link", url)
                n = len(prefix) + len(url)
            if cur and used + 3 + n <= width:
                cur += self(" · ", "link") if self.linked else " · "
                cur, used = cur + piece, used + 3 + n
                continue
            if cur:
                lines.append(cur)
            cur, used = piece, n
        return lines + [cur] if cur else lines


def table_lines(entries, *, width: int, paint: Paint | None = None) -> Iterator[str]:
    """The reading-list table, one line at a time (no trailing spaces)."""
    paint = paint or Paint()
    first = max(1, width - HEAD)
    indent = HEAD if first >= NARROW_BODY else INDENT
    rest = max(1, width - indent)
    pad = " " * indent
    for i, e in enumerate(entries):
        if i:
            yield ""
        r = e.record
        title = clean(r.get("title")) or "(untitled)"
        lines = paint.lines(title, [(0, "title")], first, rest, paper_link(r).url if paint.linked else None)
        bits = meta_bits(r, label_dates=True)
        meta = glued(bits)
        roles = [(0, "meta")] if meta else []
        if e.tags:
            if meta:
                meta += " · "
            roles.append((len(meta), "tags"))
            meta += " ".join(f"#{clean(t)}" for t in e.tags)
        more = ([f"added {clean(local_day(e.added))}"] if e.added else []) + (
            [f"score {e.score:g}"] if e.score is not None else [])
        if more:
            roles.append((len(meta), "meta"))
            meta += (" · " if meta else "") + glued(more)
        if meta:
            lines += paint.lines(meta, roles, rest, rest)
        for note in e.notes:
            lines += paint.lines("note: " + clean(note.text), [(0, "note")], rest, rest)
        lines += paint.links(r, rest)
        head = paint(short_id(r["id"]), "id") + " "
        for k, line in enumerate(lines):
            yield (head if k == 0 else pad) + line


def write_table(entries, file: IO[str], *, width: int, console=None) -> None:
    """The table to ``file``: styled for a terminal ``console`` (rich's detection), else plain."""
    paint = Paint(console)
    buf: list[str] = []
    for line in table_lines(entries, width=width, paint=paint):
        buf.append(line)
        if len(buf) >= 256:
            file.write("\n".join(buf) + "\n")
            buf.clear()
    if buf:
        file.write("\n".join(buf) + "\n")
    file.flush()
