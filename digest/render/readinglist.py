"""The reading list (``digest list`` / ``digest export``) in every format but BibTeX and RIS.

Each function takes a list of :class:`digest.readinglist.Entry`. Text from the
store is passed through :func:`digest.text.clean` (table, CSV) or
:func:`digest.render.markdown.md_escape` (Markdown), as in the digest.
"""

from __future__ import annotations

import csv
import io

from digest.identity import short_id
from digest.render import extra_links, meta_bits, paper_link, paper_url, to_json
from digest.tags import TAG_RE
from digest.text import clean

CSV_COLUMNS = ("id", "short_id", "title", "authors", "n_authors", "published", "arxiv_id", "url",
               "tags", "notes", "added", "first_seen", "abstract")


def render(entries, fmt: str, *, heading: str = "Reading list") -> str:
    if fmt == "json":
        return to_json([e.to_dict() for e in entries], indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(to_json(e.to_dict()) + "\n" for e in entries)
    if fmt == "markdown":
        return render_markdown(entries, heading=heading)
    if fmt == "csv":
        return render_csv(entries)
    if fmt == "bibtex":
        from digest.render.bibtex import render_bibtex

        return render_bibtex(entries)
    if fmt == "ris":
        from digest.render.ris import render_ris

        return render_ris(entries)
    raise ValueError(f"unknown format {fmt!r}")  # table is drawn by print_table


# --------------------------------------------------------------------------- CSV
def _cell(value: object) -> str:
    """A CSV cell: clean text; a leading = + - @ is quoted with ' so spreadsheets do not run it."""
    s = clean(value)
    if s[:1] in ("=", "+", "-", "@"):
        s = "'" + s
    return s


def render_csv(entries) -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for e in entries:
        r = e.record
        n_authors = r.get("n_authors")
        # every cell, not just the text ones: a hand-edited store can put a formula in a date too
        w.writerow([_cell(x) for x in (
            r["id"], short_id(r["id"]), r.get("title"), "; ".join(clean(a) for a in r.get("authors") or []),
            "" if n_authors is None else n_authors, r.get("published"), r.get("arxiv_id"), paper_url(r),
            "; ".join(e.tags), " | ".join(n.text for n in e.notes), e.added, r.get("first_seen"),
            r.get("abstract"),
        )])
    return buf.getvalue()


# --------------------------------------------------------------------------- Markdown
def _md_tags(tags) -> str:
    from digest.render.markdown import md_escape

    return " ".join("#" + (t if TAG_RE.match(t) else md_escape(t)) for t in tags)


def render_markdown(entries, *, heading: str = "Reading list") -> str:
    """A bulleted list for notes apps: linked title, meta line, tags as #tags, notes."""
    from digest.render.markdown import md_escape, md_extra_links, md_paper

    n = len(entries)
    out = [f"# {md_escape(heading)}", "", f"_{n} paper{'s' if n != 1 else ''}_", ""]
    for e in entries:
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
        out.append(line)
        for note in e.notes:
            out.append(f"  - {md_escape(note.text)}")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- table
def render_table(entries, console) -> None:
    """Each paper: short id and linked title, then its meta line with every date labelled
    (published, else first seen; added to the list), notes, and its links."""
    from rich.style import Style
    from rich.text import Text

    from digest.render.terminal import glued, hanging, hyperlinks, link_pieces

    linked = hyperlinks(console)
    lines: list[Text] = []
    for i, e in enumerate(entries):
        r = e.record
        if i:
            lines.append(Text(""))
        title = Text(clean(r.get("title")) or "(untitled)", style=Style(bold=True))
        if linked:
            title.stylize(Style(link=paper_link(r).url))
        parts = [title]
        bits = meta_bits(r, label_dates=True)
        meta = Text(glued(bits), style="dim")
        if e.tags:
            if bits:
                meta.append(" · ", style="dim")
            meta.append(" ".join(f"#{clean(t)}" for t in e.tags), style="magenta")
        more = ([f"added {clean(e.added)[:10]}"] if e.added else []) + (
            [f"score {e.score:g}"] if e.score is not None else [])
        if more:
            meta.append((" · " if meta.plain else "") + glued(more), style="dim")
        if meta.plain:
            parts.append(meta)
        for note in e.notes:
            parts.append(Text("note: " + clean(note.text), style="italic"))
        head = Text(short_id(r["id"]) + " ", style="cyan")
        lines.extend(hanging(console, head, parts, link_pieces(r, linked)))
    console.print(Text("\n").join(lines), soft_wrap=True)


def print_table(entries, console=None) -> None:
    """Print to the terminal; when piped, as plain text without trailing padding."""
    from digest.render.terminal import make_console

    console = console or make_console()
    if not entries:
        return
    if console.is_terminal:
        render_table(entries, console)
        return
    with console.capture() as cap:
        render_table(entries, console)
    console.file.write("\n".join(line.rstrip() for line in cap.get().split("\n")))
    console.file.flush()
