"""The terminal digest, drawn with rich.

Everything from a dump or feed goes into rich ``Text`` objects (never markup)
after :func:`digest.render.clean`, so ``[bold]`` or escape sequences in a title
are shown literally or dropped, never interpreted. Colours follow rich's
detection: none when piped, none with ``NO_COLOR``.
"""

from __future__ import annotations

from typing import IO

from rich.console import Console, Group
from rich.style import Style
from rich.text import Text

from digest.identity import short_id
from digest.ranking.match import highlight_regex
from digest.ranking.report import Report
from digest.render import grouped_matches, meta_bits, paper_url, snippet
from digest.text import clean

HIT = Style(bold=True, color="yellow")
DIM = Style(dim=True)


def make_console(file: IO[str] | None = None, *, width: int | None = None,
                 force_terminal: bool | None = None, no_color: bool | None = None) -> Console:
    return Console(file=file, width=width, force_terminal=force_terminal, no_color=no_color,
                   highlight=False, markup=False, emoji=False, soft_wrap=False)


def _highlighted(text: str, hl, base: Style | None = None) -> Text:
    t = Text(text, style=base or "")
    if hl is not None:
        for m in hl.finditer(text):
            t.stylize(HIT, m.start(), m.end())
    return t


def _body(s, tags: list[str], hl=None) -> Group:
    """Title, meta line, abstract snippet and matched terms of one entry."""
    r = s.record
    hl = hl if hl is not None else highlight_regex(s.terms)
    title = _highlighted(clean(r.get("title")) or "(untitled)", hl, Style(bold=True))
    url = paper_url(r)
    if url:
        title.stylize(Style(link=url))
    lines = [title]
    bits = meta_bits(r)
    if r.get("truncated"):
        bits.append("abstract cut off")
    meta = Text(" · ".join(bits), style=DIM)
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
            why.append(clean(term), style="red" if neg else "yellow")
            why.append(" (" + ", ".join(f"{f} {w:+g}" for f, w in parts) + ")", style=DIM)
        lines.append(why)
    return Group(*lines)


def _entry_lines(console: Console, rank: int, s, tags: list[str], hl=None) -> list[Text]:
    """One entry as wrapped lines: rank, score and short id, then the body indented."""
    score_style = "green" if s.score > 0 else ("red" if s.score < 0 else "dim")
    head = Text()
    head.append(f"{rank:>2}.", style="bold")
    head.append(f"{s.score:6.1f} ", style=score_style)
    head.append(short_id(s.record["id"]), style="cyan")
    head.append(" ")
    pad = Text(" " * head.cell_len)
    width = max(24, console.width - head.cell_len)
    out: list[Text] = []
    for part in _body(s, tags, hl).renderables:
        assert isinstance(part, Text)  # (_body builds a Group of Text lines)
        for line in part.wrap(console, width, overflow="fold"):
            line.rstrip()
            out.append((pad if out else head) + line)
    return out


def _entries_text(console: Console, entries, report: Report) -> Text:
    lines: list[Text] = []
    for i, s in enumerate(entries, 1):
        if i > 1:
            lines.append(Text(""))
        lines.extend(_entry_lines(console, i, s, report.tags_of(s.record["id"]), report.highlighter()))
    return Text("\n").join(lines)


def render_terminal(report: Report, console: Console) -> None:
    console.print(Text(clean(report.heading), style="bold underline"))
    console.print(Text(clean(report.summary()), style=DIM))
    for w in report.warnings:
        console.print(Text("⚠ " + clean(w), style="yellow"))
    console.print()
    if not report.entries:
        console.print(Text("Nothing new.", style="italic"))
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
        if m.detail:
            line.append(f"  {clean(m.detail)}", style=DIM)
        console.print(line)
    console.print(Text(f"{s.score:+8.2f}  total", style="bold"))
    console.print(Text(f"\nid {r['id']} · sources: {', '.join(clean(x) for x in r.get('sources') or [])}"
                       f" · first seen {r.get('first_seen', '?')}", style=DIM))
