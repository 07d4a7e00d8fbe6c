"""Whole outputs pinned by golden files (tests/data/golden/): the terminal digest at 80 columns
without colour, the Markdown digest, the text/plain part of the mail and a BibTeX export.

The inputs are fixed (a dump and an arXiv feed from tests/data, a fixed "now" and date), so any
change to an output shows as a diff here. After a deliberate change, regenerate with

    DIGEST_UPDATE_GOLDEN=1 pytest tests/test_golden.py

and read the diff of tests/data/golden/ before committing it.
"""

from __future__ import annotations

import datetime
import io
import os
from pathlib import Path

import pytest

from digest.config import parse_config
from digest.ingest.diff import ingest_items
from digest.ranking.rank import build_report, scorer_for
from digest.readinglist import Entry, Note
from digest.render.bibtex import render_bibtex
from digest.render.markdown import render_markdown
from digest.render.terminal import make_console, print_report
from digest.render.text import render_text
from digest.sources.dump import parse_dump
from digest.sources.feed import parse_feed
from digest.store import Store

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden"
NOW = "2025-11-20T07:30:00Z"
CONFIG = """
[interests]
"diffusion" = 2.0
"robot*" = 1.5
"language model" = 2.0
"pre-training" = 1.5
"reinforcement learning" = 2.0
"survey" = -1.0
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("golden") / "store")
    ref = datetime.date(2025, 11, 20)
    dump = parse_dump((DATA / "cli" / "day1.txt").read_bytes(), source="day1.txt", ref_date=ref)
    feed = parse_feed((DATA / "feeds" / "arxiv_rss_cs_LG.xml").read_bytes(), source="cs.LG")
    with store:
        new = ingest_items(store, dump.items, source="day1.txt", now=NOW).new
        new += ingest_items(store, feed.items, source="cs.LG", now=NOW).new
    cfg = parse_config(CONFIG, Path("config.toml"))
    tags = {new[0]["id"]: ["toread"]}
    entries = scorer_for(cfg, store, tags).rank(new, limit=8, min_score=None)
    rep = build_report(entries, "New papers, 2025-11-20", pool=len(new), tags=tags)
    rep.date = "2025-11-20"
    store.close()
    return rep


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing: run with DIGEST_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_terminal_digest_80_columns_no_colour(report):
    out = io.StringIO()
    print_report(report, make_console(file=out, width=80, force_terminal=False, no_color=True))
    check("terminal_80.txt", out.getvalue())


def test_markdown_digest(report):
    check("digest.md", render_markdown(report))


def test_mail_text_part(report):
    check("mail.txt", render_text(report))


def test_bibtex_export(report):
    entries = [Entry(s.record, ["cite"] if i == 0 else [], [Note("2025-11-21T08:00:00Z", "read section 3")] if i == 1
                     else [], "2025-11-21T08:00:00Z") for i, s in enumerate(report.entries[:5])]
    check("export.bib", render_bibtex(entries))


@pytest.mark.parametrize("width", [80, 40])
def test_reading_list_table(report, width):
    """The list table, laid out line by line (render.readinglist); the golden files were made by
    the rich layout it replaced, so the two agree line for line."""
    from digest.render.readinglist import table_lines

    entries = [Entry(s.record, ["toread", "project:rl"] if i % 2 else [],
                     [Note("2025-11-21T08:00:00Z", "compare with the LoRA paper, section 3")] if i == 1 else [],
                     "2025-11-21T08:00:00Z" if i < 2 else "") for i, s in enumerate(report.entries)]
    check(f"list_{width}.txt", "\n".join(table_lines(entries, width=width)) + "\n")
