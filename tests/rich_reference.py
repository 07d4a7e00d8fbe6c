"""The oracle: the terminal digest as rich drew it (digest.render.terminal before it was laid
out by hand, kept unchanged but for this docstring). tests/test_terminal_layout.py checks that
the hand layout gives the same output: piped byte for byte, in a terminal the same characters
in the same styles and links.

Everything from a dump or feed goes into rich ``Text`` objects (never markup)
after :func:`digest.render.clean`, so ``[bold]`` or escape sequences in a title
are shown literally or dropped, never interpreted. Styles and OSC 8 hyperlinks are
written only to a terminal; piped, or with ``NO_COLOR`` set (https://no-color.org), the
output is plain text with every link spelled out. No URL is ever broken across lines.
"""

from __future__ import annotations

import os
import re
from typing import IO

from rich.cells import cell_len, chop_cells
from rich.console import Console
from rich.style import Style
from rich.text import Text

from digest.identity import short_id
from digest.ranking.report import Report, highlighter_of
from digest.render import (
    GLUE,
    INDENT,
    NARROW_BODY,
    SEARCH_LABEL,
    URL_WORD,
    cross_list_from,
    glued,
    grouped_matches,
    labelled_links,
    link_prefix,
    match_label,
    meta_bits,
    paper_link,
    snippet,
)
from digest.text import clean

HIT = Style(bold=True, color="yellow")  # a word a wanted term matched
MUTE = Style(color="red", strike=True)  # a word a mute term matched
DIM = Style(dim=True)
_WORD = re.compile(r"[^ ]+ *")


def no_color_set() -> bool:
    """NO_COLOR (https://no-color.org): set and not empty."""
    return os.environ.get("NO_COLOR", "") != ""


def make_console(file: IO[str] | None = None, *, width: int | None = None,
                 force_terminal: bool | None = None, no_color: bool | None = None) -> Console:
    """A console for digest's output. With NO_COLOR set (or ``no_color``) it writes no escape
    sequence at all: no colour, no bold, dim or underline, no OSC 8 hyperlink (links are
    printed as text, as when piped)."""
    plain = no_color_set() if no_color is None else no_color
    # (rich's own no_color drops colours but keeps bold, dim and links; no colour system: none at all)
    return Console(file=file, width=width, force_terminal=force_terminal, no_color=plain,
                   color_system=None if plain else "auto",
                   highlight=False, markup=False, emoji=False, soft_wrap=False)


def hyperlinks(console: Console) -> bool:
    """Whether links may be OSC 8 hyperlinks: a terminal, with styles allowed."""
    return console.is_terminal and console.color_system is not None


def break_lines(text: Text, first: int, rest: int) -> list[Text]:
    """``text`` cut into lines of at most ``first`` cells (then ``rest``), at spaces (not at
    :data:`GLUE`). A word wider than a line is folded, except a URL: it is never broken (it
    overflows its own line)."""
    plain = text.plain
    offsets: list[int] = []
    width, used = first, 0
    for m in _WORD.finditer(plain):
        word = m.group(0)
        wlen = cell_len(word.rstrip())
        if used and used + wlen > width:
            offsets.append(m.start())
            width, used = rest, 0
        if wlen <= width - used or URL_WORD.match(word):
            used += cell_len(word)
            continue
        pos = m.start()  # fold a long word that is not a URL
        for piece in chop_cells(word.rstrip(), max(1, width - used)):
            if pos > m.start():
                offsets.append(pos)
                width = rest
            pos += len(piece)
            used = cell_len(piece)
        used += len(word) - len(word.rstrip())
    lines = list(text.divide(offsets)) if offsets else [text]
    out = []
    for line in lines:
        line.rstrip()
        if GLUE in line.plain:
            line = Text(line.plain.replace(GLUE, " "), style=line.style, spans=line.spans, end=line.end)
        out.append(line)
    return out


def _highlighted(text: str, hl, base: Style | None = None) -> Text:
    t = Text(text, style=base or "")
    if hl is not None:
        for m in hl.finditer(text):
            t.stylize(MUTE if m.lastgroup == "mute" else HIT, m.start(), m.end())
    return t


def link_pieces(r: dict, linked: bool) -> list[Text]:
    """The entry's links, each one unbreakable piece: the paper's page (or, labelled, the title
    search), then code and project links. In a terminal they are also OSC 8 hyperlinks, and a
    search shows only its label (its URL is long)."""
    pieces = []
    for label, url in labelled_links(r):
        style = Style(link=url) if linked else None
        piece = Text(style=DIM)
        if linked and label == SEARCH_LABEL:
            piece.append(label, style=style)
            pieces.append(piece)
            continue
        piece.append(link_prefix(label))
        piece.append(url, style=style)
        pieces.append(piece)
    return pieces


def link_lines(pieces: list[Text], first: int, rest: int) -> list[Text]:
    """Link pieces packed onto lines, joined by " · ", a piece never split."""
    lines: list[Text] = []
    cur: Text | None = None
    width = first
    for piece in pieces:
        if cur is not None and cur.cell_len + 3 + piece.cell_len <= width:
            cur.append(" · ", style=DIM)
            cur.append_text(piece)
            continue
        if cur is not None:
            lines.append(cur)
            width = rest
        cur = piece.copy()
    if cur is not None:
        lines.append(cur)
    return lines


def _body(s, tags: list[str], hl=None, *, linked: bool = False,
          hidden: bool = False) -> tuple[list[Text], list[Text]]:
    """Title, meta line, abstract snippet and matched terms of one entry (and, ``hidden``, the mute
    term that sank it); and its link pieces."""
    r = s.record
    hl = hl if hl is not None else highlighter_of([s])
    title = _highlighted(clean(r.get("title")) or "(untitled)", hl, Style(bold=True))
    if linked:
        title.stylize(Style(link=paper_link(r).url))
    lines = [title]
    bits = meta_bits(r)
    if r.get("truncated"):
        bits.append("abstract cut off")
    meta = Text(glued(bits), style=DIM)
    if tags:
        if bits:
            meta.append(" · ", style=DIM)
        meta.append(" ".join(f"#{clean(t)}" for t in tags), style="magenta")
    if meta.plain:
        lines.append(meta)
    if r.get("abstract"):
        lines.append(_highlighted(snippet(r["abstract"], hl), hl))
    if s.matches:
        why = Text("matched: ", style=DIM)
        for i, (term, parts) in enumerate(grouped_matches(s.matches)):
            if i:
                why.append(", ", style=DIM)
            neg = all(w < 0 for _, w in parts)
            before, term, after = match_label(term, parts)
            why.append(before, style=DIM)
            why.append(clean(term), style="red" if neg else "yellow")
            why.append(after, style=DIM)
        lines.append(why)
    if hidden and s.sunk_by:
        sunk = Text("hidden by the mute term ", style=DIM)
        sunk.append(clean(s.sunk_by), style="red")
        lines.append(sunk)
    return lines, link_pieces(r, linked)


def _entry_lines(console: Console, rank: int, s, tags: list[str], hl=None, hidden: bool = False) -> list[Text]:
    """One entry as wrapped lines: rank, score and short id, then the body beside them."""
    score_style = "green" if s.score > 0 else ("red" if s.score < 0 else "dim")
    head = Text()
    head.append(f"{rank:>2}.", style="bold")
    head.append(f"{s.score:6.1f} ", style=score_style)
    head.append(short_id(s.record["id"]), style="cyan")
    head.append(" ")
    parts, links = _body(s, tags, hl, linked=hyperlinks(console), hidden=hidden)
    return hanging(console, head, parts, links)


def hanging(console: Console, head: Text, parts: list[Text], links: list[Text]) -> list[Text]:
    """``head``, then the lines of ``parts`` and the link pieces beside it, wrapped to the
    console's width; on a narrow terminal (less than NARROW_BODY columns beside the head)
    the lines after the first hang at INDENT columns instead."""
    first = max(1, console.width - head.cell_len)
    indent = head.cell_len if first >= NARROW_BODY else INDENT
    pad = Text(" " * indent)
    rest = max(1, console.width - indent)
    out: list[Text] = []
    for part in parts:
        for line in break_lines(part, first if not out else rest, rest):
            out.append((pad if out else head) + line)
    for line in link_lines(links, rest, rest):
        out.append(pad + line)
    return out


def _entries_text(console: Console, entries, report: Report) -> Text:
    lines: list[Text] = []
    main, folded = report.sections()
    for i, s in enumerate(main, 1):
        if i > 1:
            lines.append(Text(""))
        lines.extend(_entry_lines(console, i, s, report.tags_of(s.record["id"]), report.highlighter(),
                                  report.view == "hidden"))
    if folded:  # [show] cross_lists = "fold": one line each, after the others
        if main:
            lines.append(Text(""))
        lines.append(Text(f"Cross-lists ({len(folded)})", style="bold"))
        for i, s in enumerate(folded, len(main) + 1):
            lines.extend(_folded_lines(console, i, s))
    return Text("\n").join(lines)


def _folded_lines(console: Console, rank: int, s) -> list[Text]:
    """A folded entry: rank, score, id, title and where it is cross-listed from, then its links."""
    r = s.record
    linked = hyperlinks(console)
    head = Text()
    head.append(f"{rank:>2}.", style="bold")
    head.append(f"{s.score:6.1f} ", style="green" if s.score > 0 else ("red" if s.score < 0 else "dim"))
    head.append(short_id(r["id"]), style="cyan")
    head.append(" ")
    title = Text(clean(r.get("title")) or "(untitled)", style=Style(bold=True))
    if linked:
        title.stylize(Style(link=paper_link(r).url))
    title.append(" · " + cross_list_from(r), style=DIM)
    return hanging(console, head, [title], link_pieces(r, linked))


def render_terminal(report: Report, console: Console) -> None:
    console.print(Text(clean(report.heading), style="bold underline"))
    console.print(Text(clean(report.summary()), style=DIM))
    linked = hyperlinks(console)
    for u in report.updates:  # new versions of papers on the reading list come first
        url = paper_link(u.record).url
        console.print(Text(u.text(), style=Style(bold=True, color="magenta", link=url if linked else None)))
        console.print(Text("  " + url, style=Style(dim=True, link=url if linked else None)), soft_wrap=True)
    for w in report.warnings:
        console.print(Text("⚠ " + clean(w), style="yellow"))
    console.print()
    if not report.entries:
        if report.view == "hidden":
            console.print(Text("Nothing hidden by mute terms.", style="italic"))
        else:
            console.print(Text("Nothing new." if not report.pool else "Nothing to show.", style="italic"))
        return
    console.print(_entries_text(console, report.entries, report), soft_wrap=True)


def print_report(report: Report, console: Console | None = None) -> None:
    """Print to the terminal; when piped, as plain text without trailing padding."""
    console = console or make_console()
    if console.is_terminal:
        render_terminal(report, console)
        return
    with console.capture() as cap:
        render_terminal(report, console)
    text = "\n".join(line.rstrip() for line in cap.get().split("\n"))
    console.file.write(text)
    console.file.flush()


def render_explain(s, console: Console, tags: list[str] | None = None) -> None:
    """One item's score, contribution by contribution."""
    r = s.record
    console.print(Text("\n").join(_entry_lines(console, 1, s, tags or [])), soft_wrap=True)
    console.print()
    if not s.matches:
        console.print(Text("No interest matched: score 0.", style=DIM))
    for m in s.matches:
        line = Text(f"{m.weight:+8.2f}  ", style="green" if m.weight >= 0 else "red")
        line.append(clean(m.term), style="bold")
        line.append(f"  in {m.field}", style=DIM)
        if m.forms and [f for f in m.forms if f != m.term.casefold()]:
            line.append("  " + ", ".join(f'"{clean(f)}"' for f in m.forms), style=DIM)
        if m.detail:
            line.append(f"  {clean(m.detail)}", style=DIM)
        console.print(line)
    console.print(Text(f"{s.score:+8.2f}  total", style="bold"))
    console.print(Text(f"\nid {r['id']} · sources: {', '.join(clean(x) for x in r.get('sources') or [])}"
                       f" · first seen {r.get('first_seen', '?')}", style=DIM))
