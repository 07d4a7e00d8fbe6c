"""What ``digest triage`` draws, as rich ``Text``: the list rows, the detail pane, the help.

The interface (:mod:`digest.triage.ui`, Textual) places these on the screen; the
text itself is built here, like every other output, from cleaned data (never
markup). Wanted terms are bold yellow, mute terms (negative interests and terms
muted in triage) red and underlined, so they differ without colour too
(``NO_COLOR``).
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from digest.identity import short_id
from digest.ranking.report import highlighter_of
from digest.ranking.score import Scored
from digest.render import extra_links, paper_link
from digest.text import clean

WANTED = Style(bold=True, color="yellow")
MUTED = Style(underline=True, color="red")
DIM = Style(dim=True)
DECISION_WORDS = {"keep": "kept", "reject": "not interested", "later": "decide later"}


def row_cells(rank: int, s: Scored, mark: str, read: bool, width: int) -> tuple[Text, Text, Text, Text]:
    """The cells of one list row: decision mark, rank, score, title (cut to ``width``)."""
    score_style = "green" if s.score > 0 else ("red" if s.score < 0 else "dim")
    title = Text(clean(s.record.get("title")) or "(untitled)", no_wrap=True, overflow="ellipsis",
                 style=DIM if mark.strip() else "")
    title.truncate(width, overflow="ellipsis")
    mark_text = Text(mark + ("·" if read else " "), style="bold")
    return mark_text, Text(f"{rank:>3}"), Text(f"{s.score:6.1f}", style=score_style), title


def _marked(text: str, hl) -> Text:
    t = Text(text)
    if hl is not None:
        for m in hl.finditer(text):
            t.stylize(MUTED if m.lastgroup == "mute" else WANTED, m.start(), m.end())
    return t


def detail(s: Scored, *, tags: list[str], notes: list[str], decision: str, read: bool) -> Text:
    """The detail pane: title, authors, date, links, tags, notes, abstract (terms marked) and
    the score, contribution by contribution (as ``digest explain``)."""
    r = s.record
    hl = highlighter_of([s])  # the words this paper matched, wanted and mute ones apart
    out = Text()
    title = _marked(clean(r.get("title")) or "(untitled)", hl)
    title.stylize(Style(bold=True))
    out.append_text(title)
    out.append("\n")
    authors = [clean(a) for a in r.get("authors") or [] if clean(a)]
    if authors:
        shown = ", ".join(authors[:8]) + (f" +{len(authors) - 8}" if len(authors) > 8 else "")
        out.append(shown + "\n", style="italic")
    elif r.get("n_authors"):
        out.append(f"{r['n_authors']} authors\n", style="italic")
    bits = [short_id(r["id"])]
    for key in ("published", "org"):
        if r.get(key):
            bits.append(clean(r[key]))
    if r.get("upvotes") is not None:
        bits.append(f"{r['upvotes']} upvotes")
    if r.get("arxiv_id"):
        bits.append(f"arXiv:{clean(r['arxiv_id'])}")
    out.append(" · ".join(bits), style=DIM)
    state = [DECISION_WORDS[decision]] if decision in DECISION_WORDS else []
    if read:
        state.append("read")
    if state:
        out.append(" · " + ", ".join(state), style="bold")
    if tags:
        out.append("  " + " ".join(f"#{clean(t)}" for t in tags), style="magenta")
    out.append("\n")
    link = paper_link(r)
    if not link.search:
        out.append(clean(link.url) + "\n", style=Style(color="cyan", link=link.url))
    else:
        out.append("no link known: o searches arXiv for the title\n", style=DIM)
    for url in extra_links(r):
        out.append(clean(url) + "\n", style=Style(color="cyan", link=url))
    for n in notes:
        out.append("note: " + clean(n) + "\n", style="italic")
    if r.get("abstract"):
        out.append("\n")
        out.append_text(_marked(clean(r["abstract"]), hl))
        out.append("\n")
    out.append("\n")
    if not s.matches:
        out.append("No interest matched: score 0.\n", style=DIM)
    for m in s.matches:
        out.append(f"{m.weight:+7.2f}  ", style="green" if m.weight >= 0 else "red")
        out.append(clean(m.term), style="bold")
        out.append(f"  in {m.field}", style=DIM)
        if m.detail:
            out.append(f"  {clean(m.detail)}", style=DIM)
        out.append("\n")
    out.append(f"{s.score:+7.2f}  total", style="bold")
    return out


KEYS = (  # each line fits 80 columns
    ("j / k, ↓ / ↑", "move (PgDn / PgUp, Home / End too)"),
    ("y", "keep: tag it with [triage] keep_tag (toread), go on"),
    ("n", "not interested (a vote against), go on"),
    ("s", "decide later (no vote; it comes back next time), go on"),
    ("t", "add tags (Tab completes a tag you use)"),
    ("N", "add a note"),
    ("m", "mute a term: its number, or type one"),
    ("a", "follow an author: their number, or type a name"),
    ("o", "open in the browser (no display: copy the link)"),
    ("r", "mark read / unread"),
    ("u", "undo the last action (again and again)"),
    ("/", "filter by words; Esc clears the filter"),
    ("space", "page down the paper's details"),
    ("?", "this help"),
    ("q", "quit (every key is already saved)"),
)

FOOTER_KEYS = (("y", "keep"), ("n", "no"), ("s", "later"), ("t", "tag"), ("N", "note"), ("m", "mute"),
               ("a", "follow"), ("o", "open"), ("u", "undo"), ("/", ""), ("?", "help"), ("q", "quit"))


def footer() -> Text:
    """The keys line (76 columns: fits 80)."""
    out = Text()
    for i, (key, word) in enumerate(FOOTER_KEYS):
        if i:
            out.append(" ")
        out.append(key, style="bold reverse")
        if word:
            out.append(" " + word)
    return out


def help_text() -> Text:
    out = Text("digest triage: one key per paper, saved as you press it\n\n", style="bold")
    for key, what in KEYS:
        out.append(f"{key:>12}  ", style="bold")
        out.append(what + "\n")
    out.append("\nKept and rejected papers do not come back (--all shows them).\n", style=DIM)
    out.append("Press any key to close.", style=DIM)
    return out
