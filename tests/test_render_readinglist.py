"""The reading-list table (digest list): laid out line by line, plain or styled for a terminal."""

from __future__ import annotations

import io
import re

import pytest

from digest.readinglist import Entry, Note
from digest.render.readinglist import HEAD, Paint, _cells, table_lines, write_table
from digest.render.terminal import make_console

SGR_OR_LINK = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\")


def entry(title, **rec):
    r = {"id": rec.pop("id", "0123456789abcdef"), "title": title, "published": "2025-11-18",
         "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
         "url": "https://arxiv.org/abs/2511.00001", "arxiv_id": "2511.00001"} | rec
    return Entry(r, ["toread", "project:rl"], [Note("2025-11-20T00:00:00Z", "compare with the LoRA paper")],
                 "2025-11-20T00:00:00Z")


ENTRIES = [entry("Diffusion Policies for Dexterous Robot Manipulation with Very Long Titles That Wrap Around"),
           entry("Short", id="fedcba9876543210", published=None, first_seen="2025-11-21T07:00:00Z", authors=[])]


def test_plain_layout(monkeypatch):
    lines = list(table_lines(ENTRIES, width=60))
    assert lines[0].startswith("01234567 Diffusion Policies")
    assert all(_cells(line) <= 60 and line == line.rstrip() for line in lines)
    first = lines[: lines.index("")]
    assert all(line.startswith(" " * HEAD) for line in first[1:])  # the body column
    body = " ".join(line[HEAD:] for line in first)
    assert ("Ada Lovelace, Alan Turing, Grace Hopper +1 · published 2025-11-18 · arXiv:2511.00001 · "
            "#toread #project:rl · added 2025-11-20") in body
    assert "note: compare with the LoRA paper" in body
    assert first[-1] == " " * HEAD + "https://arxiv.org/abs/2511.00001"  # the link, spelled out
    second = lines[lines.index("") + 1:]
    assert second[0] == "fedcba98 Short"
    assert second[1].strip().startswith("first seen 2025-11-21")  # no publication date: labelled
    assert "\x1b" not in "".join(lines)


def test_a_narrow_terminal_hangs_the_body_and_never_breaks_a_url():
    url = "https://github.com/example/" + "x" * 60
    lines = list(table_lines([entry("A title", links=[url])], width=40))
    assert lines[0] == "01234567 A title"
    assert all(line.startswith("    ") and not line.startswith("     ") for line in lines[1:])  # INDENT 4
    assert f"    code: {url}" in lines  # whole, on its own line, though wider than the terminal


def test_styled_layout_is_the_plain_one_with_rich_codes():
    console = make_console(io.StringIO(), width=60, force_terminal=True)
    styled = list(table_lines(ENTRIES, width=60, paint=Paint(console)))
    plain = list(table_lines(ENTRIES, width=60))
    assert [SGR_OR_LINK.sub("", line) for line in styled] == plain
    joined = "\n".join(styled)
    assert "\x1b]8;;https://arxiv.org/abs/2511.00001\x1b\\" in joined  # the title is a link
    assert "\x1b[1m" in joined and "\x1b[36m" in joined  # bold title, cyan id
    assert not SGR_OR_LINK.sub("", joined).count("\x1b")


def test_no_color_is_plain(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    console = make_console(io.StringIO(), width=60, force_terminal=True)
    out = io.StringIO()
    write_table(ENTRIES, out, width=60, console=console)
    assert "\x1b" not in out.getvalue()
    assert out.getvalue() == "\n".join(table_lines(ENTRIES, width=60)) + "\n"


@pytest.mark.parametrize("title", ["拡散モデルによるロボット操作の学習と評価に関する大規模な研究" * 2,
                                   "A" + "x" * 120 + " end"])
def test_wide_characters_and_long_words_fit(title):
    lines = list(table_lines([entry(title)], width=50))
    assert all(_cells(line) <= 50 for line in lines if "https://" not in line)
    body = "".join(line[HEAD:] for line in lines if not line.strip().startswith("https://"))
    assert body.replace(" ", "").startswith(title.replace(" ", "")[:30])


def test_a_long_list_is_written_as_it_is_read():
    written = []

    class Out(io.StringIO):
        def write(self, s):
            written.append(produced[0])
            return super().write(s)

    produced = [0]

    def entries():
        for i in range(1000):
            produced[0] = i + 1
            yield entry(f"Paper {i}", id=f"{i:016x}")

    out = Out()
    write_table(entries(), out, width=80)
    assert written[0] < 1000  # the first lines went out before the last entry was made
    assert out.getvalue().count("\n\n") == 999


def test_wrap_fits_keeps_every_character_and_agrees_on_ascii_and_other_text():
    import random

    from digest.render.readinglist import wrap

    rng = random.Random(1)
    for _ in range(2000):
        text = " ".join("x" * rng.randint(1, 30) for _ in range(rng.randint(1, 15)))
        width = rng.randint(5, 25)
        lines = [text[a:b] for a, b in wrap(text, width)]
        assert all(1 <= len(line) <= width and line == line.strip() for line in lines), (text, width, lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        assert wrap(text.replace("x", "ᚠ"), width) == wrap(text, width)  # the cell-counting path (1 cell each)
    assert [("日本語" * 10)[a:b] for a, b in wrap("日本語" * 10, 8)][0] == "日本語日"  # 2 cells a character
