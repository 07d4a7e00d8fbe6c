"""The terminal digest and `digest explain`, laid out by hand (digest.render.terminal), against
the rich renderer they replaced (tests/rich_reference.py): piped, byte for byte; in a terminal,
the same characters with the same styles and links (rich's link ids are random, and it may
split a run of one style in two: both are compared as styles per character)."""

from __future__ import annotations

import io
import re

import pytest
import rich_reference as ref

from digest.ranking.report import Report, Revision, SourceLine
from digest.ranking.score import Hidden, Scorer
from digest.render import terminal

INTERESTS = {"diffusion": 2.0, "large language model*": 2.0, "reinforcement learning": 2.0, "robot*": 1.5,
             "survey": -1.0, "模型": 1.0}
CODE = "https://github.com/example/diffusion-dex"
LONG_URL = "https://example.org/" + "very-long-path/" * 8 + "index.html"


def rec(title, i=0, **kw):
    d = {"id": f"{i:04x}" + "0123456789ab", "title": title,
         "abstract": kw.pop("abstract", f"We study diffusion and robots for {title}. " * 3),
         "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Müller Çelik"], "n_authors": 4,
         "published": "2025-11-18", "upvotes": 12, "org": "Example Lab", "links": [CODE], "url": None,
         "arxiv_id": "2511.00001", "first_seen": "2025-11-20T07:30:00Z", "sources": ["day1.txt"]}
    d.update(kw)
    return d


RECORDS = [
    rec("Diffusion Policies for Dexterous Robot Manipulation with Very Long Titles That Wrap Around the Line", 1,
        url="https://arxiv.org/abs/2511.00001"),
    rec("Large Language Models as Reinforcement Learning Agents: A Survey", 2, arxiv_id=None, links=[]),
    rec("大规模语言模型的强化学习预训练：一个非常长的中文标题用于测试换行是否正确处理 diffusion", 3, authors=["王小明"], n_authors=1),
    rec("Supercalifragilisticexpialidociousdiffusionrobotmanipulationwithoutanyspacesatall diffusion", 4,
        links=[LONG_URL, CODE], truncated=True, upvotes=1, org=None),
    rec("Title [bold]B[/] with \x1b[31m escapes\x1b]8;;http://evil\x07 and\u202e bidi diffusion", 5,
        abstract="\u0007Bell and [link=file:///etc/passwd]markup[/link] diffusion " + "x" * 300, authors=[]),
    rec("Emoji 🚀 rockets and e\u0301 combining robots", 6, cross_list=True, categories=["cs.CL", "cs.LG"]),
    rec("A plain title", 7, abstract="", authors=[], n_authors=3, published=None, upvotes=None),
]


def report_of(records=RECORDS, **kw) -> Report:
    entries = Scorer(INTERESTS).rank(list(records))
    kw.setdefault("pool", len(records))
    r = Report(entries, kw.pop("heading", "New papers, 2025-11-20"), date="2025-11-20", **kw)
    r.tags = {RECORDS[0]["id"]: ["toread", "project:rl"], RECORDS[2]["id"]: ["cite"]}
    return r


def reports() -> dict[str, Report]:
    out = {"main": report_of()}
    out["extras"] = report_of(
        heading="Papers first seen since 2025-11-01, with a heading long enough to be wrapped by the console "
                "at eighty columns or fewer",
        sources=[SourceLine("day1.txt", 7, 7)],
        warnings=["items.jsonl: 1 damaged line kept aside in items.jsonl.rejected; " + "w" * 120,
                  "短い警告：文字化けしない"],
        updates=[Revision(dict(RECORDS[0], arxiv_version=3), ["toread"]), Revision(RECORDS[1], [])])
    out["empty"] = report_of([], pool=0)
    out["nothing to show"] = Report([], "New papers", pool=5)
    folded = report_of()
    folded.cross_lists = "fold"
    out["folded"] = folded
    hidden = Hidden()
    scorer = Scorer(INTERESTS | {"manipulation": -9.0})
    scorer.rank(list(RECORDS), min_score=0, hidden=hidden)
    h = report_of(hidden=hidden)
    h.entries, h.view = hidden.entries, "hidden"
    out["hidden"] = h
    return out


SGR = re.compile(r"\x1b\[([0-9;]*)m")
LINK = re.compile(r"\x1b\]8;[^;\x1b]*;([^\x1b]*)\x1b\\")


def styled_chars(out: str) -> list[list[tuple[str, frozenset, str]]]:
    """Per line, each character with the SGR codes and the link in force."""
    lines: list[list[tuple[str, frozenset, str]]] = [[]]
    codes: frozenset = frozenset()
    link = ""
    i = 0
    while i < len(out):
        m = SGR.match(out, i)
        if m:
            codes = frozenset() if m.group(1) in ("0", "") else codes | set(m.group(1).split(";"))
            i = m.end()
            continue
        m = LINK.match(out, i)
        if m:
            link = m.group(1)
            i = m.end()
            continue
        assert out[i] != "\x1b", out[i:i + 20]
        if out[i] == "\n":
            lines.append([])
        else:
            lines[-1].append((out[i], codes, link))
        i += 1
    return lines


def both(report, width: int, tty: bool, no_color: bool = False, draw=None) -> tuple[str, str]:
    a, b = io.StringIO(), io.StringIO()
    if draw is None:
        ref.print_report(report, ref.make_console(file=a, width=width, force_terminal=tty, no_color=no_color))
        terminal.print_report(report, terminal.make_console(file=b, width=width, force_terminal=tty,
                                                            no_color=no_color))
    else:
        draw(ref, ref.make_console(file=a, width=width, force_terminal=tty, no_color=no_color))
        draw(terminal, terminal.make_console(file=b, width=width, force_terminal=tty, no_color=no_color))
    return a.getvalue(), b.getvalue()


WIDTHS = [12, 30, 40, 45, 60, 80, 100, 200]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(reports()))
def test_piped_output_is_byte_for_byte_the_rich_layout(name, width):
    old, new = both(reports()[name], width, tty=False)
    assert new == old


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(reports()))
def test_terminal_output_has_the_rich_characters_styles_and_links(name, width):
    old, new = both(reports()[name], width, tty=True)
    assert styled_chars(new) == styled_chars(old)
    assert "\x1b]8;id=" in new or "\x1b]8;" not in old


@pytest.mark.parametrize("name", ["main", "extras"])
def test_no_color_terminal_is_the_piped_text(name):
    old, new = both(reports()[name], 80, tty=True, no_color=True)
    assert new == old and "\x1b" not in new


@pytest.mark.parametrize("width", [30, 80])
@pytest.mark.parametrize("tty", [False, True])
def test_explain_is_the_rich_layout(width, tty):
    s = Scorer(INTERESTS | {"manipulation": -1.0}).score(RECORDS[0])
    s.matches[0].detail = "×0.50: in 40% of your papers, a detail long enough to be wrapped at thirty columns"

    def draw(mod, console):
        mod.render_explain(s, console, ["toread"])
        mod.render_explain(Scorer({}).score(RECORDS[6]), console)

    old, new = both(None, width, tty=tty, draw=draw)
    if tty:
        assert styled_chars(new) == styled_chars(old)
    else:  # (rich left the spaces at the end of a wrapped line; piped, they are dropped now)
        assert new == "\n".join(line.rstrip() for line in old.split("\n"))


def test_every_narrow_character_is_one_cell_for_rich():
    """Clean text that render.narrow() calls narrow is measured by its length; rich agrees for each
    character (the unsafe ones never reach a renderer)."""
    from rich.cells import cell_len

    from digest.render import narrow
    from digest.text import UNSAFE

    wrong = [hex(c) for c in range(0x20, 0x3000)
             if not UNSAFE.match(chr(c)) and narrow(chr(c)) and cell_len(chr(c)) != 1]
    assert wrong == []
