"""The reading-list commands through click's CliRunner: tag, untag, note, open, tags, list, export."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.ingest.diff import ingest_items

pybtex_database = pytest.importorskip("pybtex.database")

DIFFUSION = "Diffusion Policies for Dexterous Robot Manipulation"
SURVEY = "A Survey of Tabular Benchmarks"
SPARSE = "Sparse Pre-Training for Small Language Models"
WEATHER = "Weather Forecasting with Graph Networks"


@pytest.fixture(autouse=True)
def no_real_browser(monkeypatch):
    """Never open a real browser: record what would be opened."""
    import webbrowser

    opened: list[str] = []

    def fake_open(url, *a, **kw):
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", fake_open)
    return opened


@pytest.fixture
def runner():
    return CliRunner()


def run(runner, *args, input=None):
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def ids(runner, data_dir):
    """day1 and day2 ingested; title -> id."""
    for day, d in (("day1.txt", "2025-11-20"), ("day2.txt", "2025-11-21")):
        assert run(runner, "ingest", str(data_dir / "cli" / day), "--date", d).exit_code == 0
    rows = json.loads(run(runner, "show", "--all", "--min-score", "-99", "--unmatched", "--format", "json").stdout)
    return {r["title"]: r["id"] for r in rows}


def tags_json(runner) -> dict:
    return json.loads(run(runner, "tags", "--format", "json").stdout)


def listed(runner, *args) -> list[dict]:
    r = run(runner, "list", "--format", "json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# --------------------------------------------------------------------------- tag / untag
def test_tag_one_paper_with_several_tags_by_prefix(runner, ids):
    r = run(runner, "tag", ids[DIFFUSION][:6], "toread", "#Cite")
    assert r.exit_code == 0 and r.stdout == ""
    assert r.stderr.startswith(f"{ids[DIFFUSION][:8]}  +toread, +cite  Diffusion Policies")
    assert tags_json(runner) == {"cite": 1, "toread": 1}
    r = run(runner, "tag", ids[DIFFUSION], "toread")
    assert "already tagged toread" in r.stderr


def test_tag_several_ids_with_t_option_and_from_stdin(runner, ids):
    r = run(runner, "tag", ids[SPARSE][:8], ids[WEATHER][:8], "-t", "toread", "-t", "project:x")
    assert r.exit_code == 0
    assert r.stderr.count("+toread, +project:x") == 2
    r = run(runner, "tag", "-", "--tag", "later", input=f"{ids[SURVEY]}\tA survey\n\n# comment\n{ids[SPARSE][:8]}\n")
    assert r.exit_code == 0, r.output
    assert tags_json(runner) == {"later": 2, "project:x": 2, "toread": 2}


def test_tag_errors(runner, ids):
    all_ids = sorted(ids.values())
    r = run(runner, "tag", "ffffffffffff", "toread")
    assert r.exit_code == 1 and r.stderr == "Error: no item with id 'ffffffffffff'\n"
    r = run(runner, "tag", "toread", all_ids[0])  # swapped: the first argument is the id
    assert r.exit_code == 1 and "'toread' is not an item id" in r.stderr
    r = run(runner, "tag", all_ids[0], "two words")
    assert r.exit_code == 2 and "invalid tag 'two words'" in r.stderr
    r = run(runner, "tag", all_ids[0])
    assert r.exit_code == 2 and "at least one TAG" in r.stderr
    assert tags_json(runner) == {}


def test_ambiguous_prefix_lists_candidates_on_separate_lines(runner, tmp_path):
    from digest.item import Item
    from digest.store import Store

    store = Store(tmp_path / "many")
    with store:
        ingest_items(store, [Item(title=f"Generated paper {i}") for i in range(40)], source="gen")
    ids = sorted(r["id"] for r in store.iter_records())
    a, b = next((x, y) for x, y in zip(ids, ids[1:], strict=False) if x[0] == y[0])
    r = run(runner, "--store", str(tmp_path / "many"), "tag", a[0], "toread")
    assert r.exit_code == 1
    line, *cands = r.stderr.splitlines()
    n = sum(1 for x in ids if x.startswith(a[0]))
    assert line == f"Error: id prefix '{a[0]}' is ambiguous: {n} papers match; give more characters"
    assert len(cands) == n and all(len(c) < 100 for c in cands)
    assert f"  {a[:8]} Generated paper" in "\n".join(cands) and f"  {b[:8]} Generated paper" in "\n".join(cands)
    assert not (tmp_path / "many" / "events.jsonl").exists()


def test_untag(runner, ids):
    run(runner, "tag", ids[SPARSE], ids[WEATHER], "-t", "toread", "-t", "cite")
    r = run(runner, "untag", ids[SPARSE][:8], "cite", "nope")
    assert r.exit_code == 0 and "-cite, not tagged nope" in r.stderr
    r = run(runner, "untag", ids[WEATHER][:8], ids[SPARSE][:8], "-t", "toread")
    assert r.exit_code == 0
    assert tags_json(runner) == {"cite": 1}


# --------------------------------------------------------------------------- note / open / tags
def test_note_add_show_clear(runner, ids):
    pid = ids[WEATHER][:8]
    r = run(runner, "note", pid, "ask Bob:", "graph nets")  # words joined, quotes optional
    assert r.exit_code == 0 and "note added" in r.stderr
    run(runner, "note", pid, "second")
    r = run(runner, "note", pid)
    assert [line.split("  ", 1)[1] for line in r.stdout.splitlines()] == ["ask Bob: graph nets", "second"]
    assert listed(runner)[0]["notes"][0]["text"] == "ask Bob: graph nets"
    r = run(runner, "note", pid, "--clear")
    assert "2 note(s) removed" in r.stderr
    assert run(runner, "note", pid).stdout == "" and listed(runner) == []
    assert run(runner, "note", pid, "x", "--clear").exit_code == 2


def test_open_uses_the_browser_or_prints_the_link(runner, ids, no_real_browser, monkeypatch):
    r = run(runner, "open", ids[DIFFUSION][:8])
    # a Daily Papers page names no paper link: an arXiv title search (not the code link)
    assert r.exit_code == 0 and len(no_real_browser) == 1
    url = no_real_browser[0]
    assert url.startswith("https://arxiv.org/search/?query=Diffusion+Policies+for+Dexterous")
    assert r.stderr == f"opened {url}\n" and r.stdout == ""
    r = run(runner, "open", ids[DIFFUSION][:8], "--print")
    assert r.stdout == url + "\n" and len(no_real_browser) == 1
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)  # no browser to open with
    r = run(runner, "open", ids[DIFFUSION][:8])
    assert r.exit_code == 0 and r.stdout == url + "\n"
    assert run(runner, "open", "ffffffffff").exit_code == 1


def test_open_prefers_the_arxiv_page_and_runs_browser_env(tmp_path, data_dir):
    """A real process: webbrowser honours $BROWSER (a script that records its argument)."""
    home = tmp_path / "home"
    env = dict(os.environ, DIGEST_HOME=str(home))
    feed = data_dir / "feeds" / "arxiv_api_like.xml"
    subprocess.run([sys.executable, "-m", "digest", "ingest", str(feed)], env=env, check=True,
                   capture_output=True)
    rows = subprocess.run([sys.executable, "-m", "digest", "show", "--all", "--min-score", "-9", "--unmatched", "--format",
                           "json"], env=env, check=True, capture_output=True, text=True)
    paper = next(p for p in json.loads(rows.stdout) if p["arxiv_id"] == "2508.21001")
    got = tmp_path / "opened.txt"
    script = tmp_path / "fake-browser"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$1\" >> {got}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    env.update(BROWSER=str(script), DISPLAY="", WAYLAND_DISPLAY="")
    r = subprocess.run([sys.executable, "-m", "digest", "open", paper["short_id"]], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert got.read_text().splitlines() == ["https://arxiv.org/abs/2508.21001"]


def test_tags_lists_counts_most_used_first(runner, ids):
    assert run(runner, "tags").stdout == ""
    run(runner, "tag", ids[SPARSE], ids[WEATHER], ids[DIFFUSION], "-t", "toread")
    run(runner, "tag", ids[DIFFUSION], "cite")
    assert run(runner, "tags").stdout == "3  toread\n1  cite\n"


# --------------------------------------------------------------------------- terminal digest shows tags
def test_tags_show_in_the_digest_and_explain(runner, ids):
    run(runner, "tag", ids[DIFFUSION], "toread", "cite")
    table = run(runner, "show", "--all").stdout
    assert "#cite #toread" in table
    md = run(runner, "show", "--all", "--format", "markdown").stdout
    assert "\\#cite \\#toread" in md
    rows = json.loads(run(runner, "show", "--all", "--format", "json").stdout)
    assert next(r for r in rows if r["id"] == ids[DIFFUSION])["tags"] == ["cite", "toread"]
    assert "#cite #toread" in run(runner, "explain", ids[DIFFUSION][:8]).stdout


# --------------------------------------------------------------------------- list
@pytest.fixture
def tagged(runner, ids):
    run(runner, "tag", ids[DIFFUSION], "toread", "cite")
    run(runner, "tag", ids[SPARSE], "toread")
    run(runner, "note", ids[WEATHER], "check the radar & 5% error")
    return ids


def test_list_filters(runner, tagged):
    ids = tagged
    # newest first: by publication date, else the date first seen (WEATHER's page gave no date)
    assert [r["title"] for r in listed(runner)] == [WEATHER, SPARSE, DIFFUSION]
    assert [r["title"] for r in listed(runner, "--tag", "toread")] == [SPARSE, DIFFUSION]
    assert [r["title"] for r in listed(runner, "-t", "toread", "-t", "CITE")] == [DIFFUSION]
    untagged = [r["title"] for r in listed(runner, "--untagged")]
    assert SURVEY in untagged and WEATHER in untagged and DIFFUSION not in untagged
    assert [r["title"] for r in listed(runner, "--search", "dexterous robot")] == [DIFFUSION]
    assert [r["title"] for r in listed(runner, "-s", "radar")] == [WEATHER]  # notes are searched
    assert listed(runner, "--since", "2999-01-01") == []
    assert len(listed(runner, "--since", "2000-01-01")) == 3
    by_score = listed(runner, "--sort", "score")
    assert by_score[0]["title"] == DIFFUSION and by_score[0]["score"] == 9.0
    assert run(runner, "list", "--tag", "x", "--untagged").exit_code == 2
    assert run(runner, "list", "--since", "last tuesday").exit_code == 2
    assert run(runner, "list", "--tag", "bad tag").exit_code == 2
    r = run(runner, "list", "--tag", "nothing")
    assert r.exit_code == 0 and r.stdout == "" and "0 papers" in r.stderr
    assert ids


def test_list_every_format(runner, tagged):
    ids = tagged
    table = run(runner, "list")
    assert table.exit_code == 0 and "\x1b" not in table.stdout
    assert ids[DIFFUSION][:8] in table.stdout and "#cite #toread" in table.stdout
    assert "note: check the radar & 5% error" in table.stdout and "3 papers" in table.stderr
    lines = [json.loads(x) for x in run(runner, "list", "--format", "jsonl").stdout.splitlines()]
    assert [x["id"] for x in lines] == [x["id"] for x in listed(runner)]
    md = run(runner, "list", "--tag", "toread", "--format", "markdown").stdout
    assert md.startswith("# Reading list: \\#toread\n\n_2 papers_\n")
    assert f"- **[{DIFFUSION}](https://arxiv.org/search/?query=" in md and "#cite #toread" in md
    assert "&searchtype=title)** (search: arXiv) — 5 authors · 2025-11-18" in md
    bib = run(runner, "list", "--tag", "toread", "--format", "bibtex").stdout
    assert set(pybtex_database.parse_string(bib, "bibtex").entries) == {"anon2025diffusion", "anon2025sparse"}
    rows = list(csv.DictReader(io.StringIO(run(runner, "list", "--format", "csv").stdout)))
    assert [r["title"] for r in rows] == [WEATHER, SPARSE, DIFFUSION]
    assert rows[2]["tags"] == "cite; toread" and rows[0]["notes"] == "check the radar & 5% error"


def test_export_and_list_as_ris(runner, tagged, tmp_path):
    rispy = pytest.importorskip("rispy")
    ids = tagged
    out = tmp_path / "refs.ris"
    r = run(runner, "export", "--format", "ris", "-o", str(out))
    assert r.exit_code == 0 and "wrote 3 papers" in r.stderr
    refs = {x["title"]: x for x in rispy.loads(out.read_text(encoding="utf-8"))}
    assert set(refs) == {DIFFUSION, SPARSE, WEATHER}
    assert refs[DIFFUSION]["keywords"] == ["cite", "toread"] and refs[DIFFUSION]["year"] == "2025"
    assert "year" not in refs[WEATHER] and "authors" not in refs[WEATHER]  # neither is known
    assert refs[WEATHER]["notes"] == ["check the radar & 5% error"]
    listed_ris = run(runner, "list", "--tag", "toread", "--format", "ris").stdout
    assert len(rispy.loads(listed_ris)) == 2
    assert "RIS" in run(runner, "export", "--help").stdout and "ris" in run(runner, "list", "--help").stdout
    assert ids


def test_list_labels_every_date_by_what_it_is(runner, tagged):
    """Issue 14, defect 2: the table showed the date first seen, unlabelled, where a paper has no
    publication date, as if it were one. Dates are labelled: published, first seen, added."""
    ids = tagged
    out = run(runner, "list").stdout
    block = {title: out[out.index(ids[title][:8]):] for title in (DIFFUSION, WEATHER)}
    diffusion = " ".join(block[DIFFUSION].split("\n\n")[0].split())
    assert "published 2025-11-18" in diffusion and "added " in diffusion
    weather = " ".join(block[WEATHER].split("\n\n")[0].split())  # its page gave no date
    assert "published" not in weather and re.search(r"first seen \d{4}-\d\d-\d\d", weather)
    dates = re.findall(r"(\w+ )?(\w+ )\d{4}-\d\d-\d\d", weather)
    assert dates and all(label in ("seen ", "added ") for _, label in dates), weather  # none unlabelled


# --------------------------------------------------------------------------- export
def test_export_every_format_to_stdout(runner, tagged):
    bib = run(runner, "export", "--tag", "cite")
    assert bib.exit_code == 0 and "1 paper" in bib.stderr
    db = pybtex_database.parse_string(bib.stdout, "bibtex")
    (entry,) = db.entries.values()
    assert entry.type == "misc" and entry.fields["title"] == DIFFUSION and entry.fields["keywords"] == "cite, toread"
    md = run(runner, "export", "--tag", "toread", "--format", "markdown").stdout
    assert md.count("\n- **") == 2
    data = json.loads(run(runner, "export", "--tag", "toread", "--format", "json").stdout)
    assert [d["title"] for d in data] == [SPARSE, DIFFUSION] and data[0]["tags"] == ["toread"]
    rows = list(csv.reader(io.StringIO(run(runner, "export", "--tag", "toread", "--format", "csv").stdout)))
    assert rows[0][:3] == ["id", "short_id", "title"] and len(rows) == 3
    assert run(runner, "export", "--format", "table").exit_code == 2


def test_export_to_a_file_is_atomic_and_stable(runner, tagged, tmp_path):
    out = tmp_path / "refs.bib"
    out.write_text("old content")
    r = run(runner, "export", "--tag", "toread", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == "" and f"wrote 2 papers to {out}" in r.stderr
    first = out.read_text()
    assert "old content" not in first
    assert set(pybtex_database.parse_string(first, "bibtex").entries) == {"anon2025diffusion", "anon2025sparse"}
    run(runner, "export", "--tag", "toread", "-o", str(out))
    assert out.read_text() == first  # same keys, same text on every run
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".refs.bib")]  # no temp files left


def test_export_to_a_fifo_or_through_a_symlink_writes_into_it_never_replaces_it(runner, tagged, tmp_path):
    """The atomic write (a temporary file renamed over the target) replaced what was there:
    `-o /dev/stdout` or `-o /dev/null` run as root replaced the device with a regular file, a FIFO
    became a file nobody read, a symlink (refs.bib -> a synced folder) became a file beside it.
    A target that is not a regular file is written into, as `>` does; a symlink's target is
    replaced atomically and the link stays."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = run(runner, "export", "--tag", "toread", "-o", str(fifo))
    reader.join(10)
    assert r.exit_code == 0, r.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert got and b"@misc{anon2025diffusion" in got[0]
    real = tmp_path / "synced" / "refs.bib"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "refs.bib"
    link.symlink_to(real)
    assert run(runner, "export", "--tag", "toread", "-o", str(link)).exit_code == 0
    assert link.is_symlink() and b"@misc{anon2025diffusion" in real.read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_export_refuses_a_missing_folder_and_respects_the_umask(runner, tagged, tmp_path):
    target = tmp_path / "no" / "such" / "x.bib"
    r = run(runner, "export", "--tag", "toread", "-o", str(target))
    assert r.exit_code == 1
    assert r.stderr == f"Error: {target}: cannot write: the folder {target.parent} does not exist\n"
    assert not (tmp_path / "no").exists()  # no folders made up
    old = os.umask(0o022)
    try:
        out = tmp_path / "refs.bib"
        assert run(runner, "export", "--tag", "toread", "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's 0o600
        os.umask(0o077)
        other = tmp_path / "private.bib"
        assert run(runner, "export", "--tag", "toread", "-o", str(other)).exit_code == 0
        assert stat.S_IMODE(other.stat().st_mode) == 0o600
        out.chmod(0o664)  # an existing file keeps its mode
        assert run(runner, "export", "--tag", "toread", "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_export_markdown_links_and_escapes(runner, tmp_path, data_dir):
    feed = data_dir / "feeds" / "arxiv_api_like.xml"
    run(runner, "ingest", str(feed))
    rows = json.loads(run(runner, "show", "--all", "--min-score", "-9", "--unmatched", "--format", "json").stdout)
    run(runner, "tag", *[r["id"] for r in rows], "-t", "toread")
    md = run(runner, "export", "--tag", "toread", "--format", "markdown").stdout
    assert "- **[Low-Rank Adapters That Forget Gracefully](https://arxiv.org/abs/2508.21001)**" in md
    assert "arXiv:2508.21001" in md
    bib = run(runner, "export", "--tag", "toread").stdout
    db = pybtex_database.parse_string(bib, "bibtex")
    lora = db.entries["fictional2025lowrank"]
    assert lora.fields["eprint"] == "2508.21001" and lora.fields["primaryClass"] == "cs.LG"
    assert [str(p) for p in lora.persons["author"]] == ["Fictional, Jana", "Invented, Karl Z.", "Madeup, Lee"]
    assert db.entries["placeholder2003invented"].fields["eprint"] == "math/0309136"


# --------------------------------------------------------------------------- similarity in explain
def test_similarity_boost_shows_in_explain(runner, tmp_path):
    from digest.item import Item
    from digest.store import Store

    home = tmp_path / "sim"
    cfg = tmp_path / "config.toml"
    cfg.write_text('[interests]\n"diffusion" = 2.0\n[similarity]\ntags = ["toread"]\nweight = 8.0\n')
    store = Store(home)
    with store:
        ingest_items(store, [Item(title="Tactile Grasping with Robot Hands",
                           abstract="Tactile fingertip sensors let a robot hand grasp deformable objects."),
                      Item(title="Protein Folding at Scale", abstract="Folding proteins with physics.")],
                     source="old")
    old = {r["title"]: r["id"] for r in store.iter_records()}
    with store:
        ingest_items(store, [Item(title="Grasping Deformable Objects by Touch",
                           abstract="A robot hand with tactile sensors grasps deformable objects.")], source="new")
    new_id = next(r["id"] for r in store.iter_records() if r["title"].startswith("Grasping"))
    base = ["--store", str(home), "--config", str(cfg)]
    before = run(runner, *base, "explain", new_id[:8])
    assert "similar to" not in before.stdout
    run(runner, *base, "tag", old["Tactile Grasping with Robot Hands"], "toread")
    r = run(runner, *base, "explain", new_id[:8])
    assert r.exit_code == 0
    line = next(x for x in r.stdout.splitlines() if "in similarity" in x)
    assert line.lstrip().startswith("+") and "similar to 'toread'" in line
    assert "Tactile Grasping with Robot Hands" in r.stdout
    data = json.loads(run(runner, *base, "explain", new_id[:8], "--format", "json").stdout)
    (m,) = data["matches"]
    assert m["field"] == "similarity" and m["detail"] == "Tactile Grasping with Robot Hands" and m["weight"] > 1
    shown = json.loads(run(runner, *base, "show", "--format", "json").stdout)
    assert shown[0]["id"] == new_id and shown[0]["score"] == m["weight"]


def test_list_and_export_limit(runner, tagged):
    everything = [r["id"] for r in listed(runner)]
    assert [r["id"] for r in listed(runner, "--limit", "2")] == everything[:2]
    r = run(runner, "list", "-n", "1")
    assert r.exit_code == 0 and r.stderr.strip().endswith("1 paper")
    assert run(runner, "export", "--limit", "1", "--format", "jsonl").stdout.count("\n") == 1
    assert run(runner, "list", "--limit", "0").exit_code == 2


def test_list_json_streamed_is_the_same_json(runner, tagged):
    import json as _json

    r = run(runner, "list", "--format", "json")
    data = _json.loads(r.stdout)
    assert r.stdout == _json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert run(runner, "list", "--tag", "nothing", "--format", "json").stdout == "[]\n"


# --------------------------------------------------------------------------- the list follows its papers
def listing(*entries: tuple[str, int, str, str, list[str]], category: str = "cs.LG") -> str:
    """An rss.arxiv.org Atom listing: entries of (arXiv id, version, announce type, title, categories)."""
    body = "".join(f"""
  <entry>
    <id>oai:arXiv.org:{aid}v{v}</id>
    <title>{title}</title>
    <updated>2025-08-20T04:00:00+00:00</updated>
    <link href="https://arxiv.org/abs/{aid}" rel="alternate" type="text/html"/>
    <summary>arXiv:{aid}v{v} Announce Type: {kind}
Abstract: We study {title.lower()} with diffusion.</summary>
    {"".join(f'<category term="{c}"/>' for c in cats)}
    <published>2025-08-20T00:00:00-04:00</published>
    <arxiv:announce_type>{kind}</arxiv:announce_type>
    <dc:creator>Ada Lovelace, Alan Turing</dc:creator>
  </entry>""" for aid, v, kind, title, cats in entries)
    return f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns="http://www.w3.org/2005/Atom" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/{category}</id>
  <title>{category} updates on arXiv.org</title>
  <updated>2025-08-20T04:00:19+00:00</updated>{body}
</feed>
"""


def test_a_new_version_of_a_paper_on_the_reading_list_opens_the_digest(runner, tmp_path):
    """Issue 14, item 16: when a feed brings a new version of a paper on the reading list, the
    digest and the mail open with `Updated: v3 of "…" (on your toread list)`; `digest list
    --updated-since DATE` finds it."""
    day1 = tmp_path / "day1.xml"
    day1.write_text(listing(("2508.30001", 1, "new", "Diffusion Followed Closely", ["cs.LG"]),
                            ("2508.30002", 1, "new", "Diffusion Not On The List", ["cs.LG"])))
    run(runner, "ingest", str(day1))
    followed = json.loads(run(runner, "show", "--format", "json").stdout)
    fid = next(d["id"] for d in followed if d["title"] == "Diffusion Followed Closely")
    run(runner, "tag", fid, "toread")
    assert "Updated:" not in run(runner, "show").stdout
    day2 = tmp_path / "day2.xml"
    day2.write_text(listing(("2508.30001", 3, "replace", "Diffusion Followed Closely", ["cs.LG"]),
                            ("2508.30002", 2, "replace", "Diffusion Not On The List", ["cs.LG"]),
                            ("2508.30003", 1, "new", "Diffusion Of The Day", ["cs.LG"])))
    r = run(runner, "ingest", str(day2))
    assert "1 new, 2 updated" in r.stderr
    line = 'Updated: v3 of "Diffusion Followed Closely" (on your toread list)'
    out = run(runner, "show").stdout
    assert out.splitlines()[2] == line, out  # right under the heading and summary, before the papers
    assert out.count("Updated:") == 1  # a paper off the list is not announced
    md = run(runner, "show", "--format", "markdown").stdout
    assert '- **Updated: v3 of "Diffusion Followed Closely" \\(on your toread list\\)**' in md
    assert line in run(runner, "show", "--format", "json").stderr
    run(runner, "tag", fid, "cite")
    assert 'Updated: v3 of "Diffusion Followed Closely" (on your cite and toread lists)' in run(runner, "show").stdout
    cfg = tmp_path / "mail.toml"
    cfg.write_text('[interests]\n"diffusion" = 2.0\n[email]\nfrom = "d@example.org"\nto = "me@example.org"\n')
    eml = run(runner, "--config", str(cfg), "email", "--dry-run").stdout
    import email
    import email.policy

    msg = email.message_from_string(eml, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert 'Updated: v3 of "Diffusion Followed Closely" (on your cite and toread lists)' in " ".join(text.split())
    assert "Updated:" in html and "Diffusion Followed Closely" in html
    today = run(runner, "list", "--format", "json")
    assert today.exit_code == 0
    import datetime as dt

    day = dt.datetime.now(dt.timezone.utc).date().isoformat()
    updated = json.loads(run(runner, "list", "--updated-since", day, "--format", "json").stdout)
    assert [d["id"] for d in updated] == [fid]
    assert updated[0]["arxiv_version"] == 3 and updated[0]["revised_at"].startswith(day)
    assert json.loads(run(runner, "list", "--updated-since", "2999-01-01", "--format", "json").stdout) == []
    assert "--updated-since" in run(runner, "list", "--help").stdout


def test_a_replacement_of_a_paper_first_seen_without_a_version_is_an_update(runner, tmp_path):
    """The HF daily_papers JSON names no version: a listing's `replace` (v2) of a paper first
    stored from it is a new version, announced like any other, its title and abstract taken."""
    hf = tmp_path / "daily_papers.json"
    hf.write_text(json.dumps([{"paper": {
        "id": "2508.30001", "title": "Diffusion Followed Closely", "upvotes": 9,
        "summary": "The first abstract of this paper, as the Daily Papers page had it when it was featured.",
        "authors": [{"name": "Ada Lovelace"}, {"name": "Alan Turing"}], "publishedAt": "2025-08-19T17:00:00.000Z"},
        "publishedAt": "2025-08-20T02:00:00.000Z"}]))
    assert run(runner, "ingest", str(hf)).exit_code == 0
    run(runner, "tag", "2508.30001", "toread")
    feed = tmp_path / "day2.xml"
    feed.write_text(listing(("2508.30001", 2, "replace", "Diffusion, Followed Closely Again", ["cs.LG"])))
    r = run(runner, "ingest", str(feed))
    assert "0 new, 1 updated" in r.stderr
    assert 'Updated: v2 of "Diffusion, Followed Closely Again" (on your toread list)' in run(runner, "show").stdout
    (rec,) = json.loads(run(runner, "list", "--format", "json").stdout)
    assert (rec["title"], rec["abstract"], rec["arxiv_version"], rec["upvotes"]) == (
        "Diffusion, Followed Closely Again", "We study diffusion, followed closely again with diffusion.", 2, 9)
    assert run(runner, "ingest", str(hf)).stderr.count("1 unchanged") == 1  # the page again: no going back


def test_run_opens_with_the_updates_it_brought(runner, tmp_path):
    day1, day2 = tmp_path / "day1.xml", tmp_path / "day2.xml"
    day1.write_text(listing(("2508.30001", 1, "new", "Diffusion Followed Closely", ["cs.LG"])))
    day2.write_text(listing(("2508.30001", 2, "replace", "Diffusion Followed Closely", ["cs.LG"])))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[interests]\n"diffusion" = 1.0\n[sources.feed]\npath = "{tmp_path}/day*.xml"\n')
    day2.rename(tmp_path / "later.xml")
    assert run(runner, "--config", str(cfg), "run").exit_code == 0
    fid = json.loads(run(runner, "show", "--format", "json").stdout)[0]["id"]
    run(runner, "tag", fid, "toread")
    (tmp_path / "later.xml").rename(tmp_path / "day2.xml")
    out = run(runner, "--config", str(cfg), "run").stdout
    assert 'Updated: v2 of "Diffusion Followed Closely" (on your toread list)' in out
    assert "Updated:" not in run(runner, "--config", str(cfg), "run").stdout  # once, not every run


CROSS = ("2508.40001", 1, "cross", "Diffusion From Elsewhere", ["cs.CL", "cs.LG"])
HOME = ("2508.40002", 1, "new", "Diffusion At Home", ["cs.LG", "stat.ML"])


def test_cross_lists_say_so_and_follow_show_cross_lists(runner, tmp_path):
    """Issue 14, item 17: a paper announced as a cross-list says so (`cross-list from cs.CL`) in
    every output; [show] cross_lists = "show" (default), "fold" (after the others, one line each)
    or "hide" (left out, counted)."""
    feed = tmp_path / "cs.LG.xml"
    feed.write_text(listing(CROSS, HOME))
    run(runner, "ingest", str(feed))
    out = run(runner, "show").stdout
    block = out[out.index("Diffusion From Elsewhere"):]
    assert "cross-list from cs.CL" in block.split("\n\n")[0]
    assert "cross-list" not in out[out.index("Diffusion At Home"):].split("\n\n")[0]
    data = {d["title"]: d for d in json.loads(run(runner, "show", "--format", "json").stdout)}
    assert data["Diffusion From Elsewhere"]["cross_list"] is True and data["Diffusion At Home"]["cross_list"] is False
    assert "cross-list from cs.CL" in run(runner, "show", "--format", "markdown").stdout

    cfg = tmp_path / "c.toml"
    cfg.write_text('[interests]\n"diffusion" = 1.0\n"elsewhere" = 5.0\n[show]\ncross_lists = "fold"\n')
    folded = run(runner, "--config", str(cfg), "show").stdout
    assert folded.index("Diffusion At Home") < folded.index("Cross-lists") < folded.index("Diffusion From Elsewhere")
    assert "We study diffusion from elsewhere" not in folded  # folded: no abstract

    cfg.write_text('[interests]\n"diffusion" = 1.0\n[show]\ncross_lists = "hide"\n')
    hidden = run(runner, "--config", str(cfg), "show", "--format", "json")
    assert [d["title"] for d in json.loads(hidden.stdout)] == ["Diffusion At Home"]
    assert '1 cross-list hidden ([show] cross_lists = "hide")' in hidden.stderr
    everything = run(runner, "--config", str(cfg), "show", "--all", "--format", "json")
    assert [d["title"] for d in json.loads(everything.stdout)] == ["Diffusion At Home"]
    cfg.write_text('[show]\ncross_lists = "sometimes"\n')
    r = run(runner, "--config", str(cfg), "show")
    assert r.exit_code == 1 and "show.cross_lists" in r.stderr


def test_a_paper_only_triaged_is_not_announced_as_updated(runner, tmp_path):
    """A paper rejected (or only read) in triage is not on the reading list: its new version is
    not announced (the reading list's fold also holds triaged papers; revisions must not)."""
    from digest.readinglist import record
    from digest.store import Store

    day1 = tmp_path / "day1.xml"
    day1.write_text(listing(("2508.30001", 1, "new", "Diffusion Rejected In Triage", ["cs.LG"]),))
    run(runner, "ingest", str(day1))
    rid = json.loads(run(runner, "show", "--format", "json").stdout)[0]["id"]
    record(Store(paths_store()), [{"type": "triage", "id": rid, "decision": "reject"}, {"type": "read", "id": rid}])
    day2 = tmp_path / "day2.xml"
    day2.write_text(listing(("2508.30001", 2, "replace", "Diffusion Rejected In Triage", ["cs.LG"]),))
    assert "1 updated" in run(runner, "ingest", str(day2)).stderr
    assert "Updated:" not in run(runner, "show", "--unmatched").stdout


def paths_store():
    from digest import paths

    return paths.store_dir()
