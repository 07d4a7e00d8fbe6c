"""One item per paper across sources, and configured sources (`digest run`):
conditional GET, one failing URL among several, source health."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli

DUMP = """Daily Papers

byAK and the research community

Aug 21

Low-Rank Adapters That Forget Gracefully

We study how low-rank adapters forget, and train them so that they keep what they knew.

  • 3 authors
·
Aug 20 5

A Paper Only The Dump Knows

Nothing else mentions this one.
"""


def hf_json(upvotes=42):
    return json.dumps([{
        "paper": {
            "id": "2508.21001",
            "title": "Low-Rank Adapters That Forget Gracefully",
            "summary": "We study how low-rank adapters forget, and train them so that they keep what they knew.",
            "authors": [{"name": "Jana Fictional"}, {"name": "Karl Invented"}, {"name": "Lee Madeup"}],
            "publishedAt": "2025-08-20T17:59:00.000Z",
            "upvotes": upvotes,
        },
    }])


def atom(version=1, title="Low-Rank Adapters That\n  Forget Gracefully", extra=""):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>ArXiv Query</title>
  <id>http://arxiv.org/api/x</id>
  <updated>2025-08-21T00:00:00Z</updated>
  <entry>
    <id>http://arxiv.org/abs/2508.21001v{version}</id>
    <updated>2025-08-21T00:00:00Z</updated>
    <published>2025-08-20T17:59:00Z</published>
    <title>{title}</title>
    <summary>We study how low-rank adapters forget, and train them so that they keep what they knew.</summary>
    <author><name>Jana Fictional</name></author>
    <author><name>Karl Invented</name></author>
    <author><name>Lee Madeup</name></author>
    <link href="https://arxiv.org/abs/2508.21001v{version}" rel="alternate" type="text/html"/>
    <link title="pdf" href="https://arxiv.org/pdf/2508.21001v{version}" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>{extra}
</feed>
"""


@pytest.fixture
def runner():
    return CliRunner()


def invoke(runner, *args):
    return runner.invoke(cli, list(args), catch_exceptions=False)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def all_items(runner):
    r = invoke(runner, "show", "--all", "--min-score", "-1000", "--unmatched", "--format", "json")
    return {d["title"]: d for d in json.loads(r.stdout)}


def test_dump_then_json_then_feed_is_one_item_with_richest_fields(runner, tmp_path):
    dump = write(tmp_path, "d.txt", DUMP)
    js = write(tmp_path, "p.json", hf_json())
    feed = write(tmp_path, "f.xml", atom())
    r = invoke(runner, "ingest", dump, "--date", "2025-08-21")
    assert "2 parsed, 2 new" in r.stderr
    r = invoke(runner, "ingest", js)
    assert "1 parsed, 0 new, 1 updated" in r.stderr
    r = invoke(runner, "ingest", feed)
    assert "1 parsed, 0 new" in r.stderr
    items = all_items(runner)
    assert len(items) == 2
    paper = items["Low-Rank Adapters That Forget Gracefully"]
    assert paper["arxiv_id"] == "2508.21001"
    assert paper["url"] == "https://arxiv.org/abs/2508.21001"
    assert paper["authors"] == ["Jana Fictional", "Karl Invented", "Lee Madeup"]
    assert paper["upvotes"] == 42
    assert paper["categories"] == ["cs.LG"]
    assert paper["sources"] == [dump, js, feed]


def test_feed_first_then_dump_is_not_new(runner, tmp_path):
    invoke(runner, "ingest", write(tmp_path, "f.xml", atom()))
    r = invoke(runner, "ingest", write(tmp_path, "d.txt", DUMP), "--date", "2025-08-21")
    assert "2 parsed, 1 new" in r.stderr
    items = all_items(runner)
    assert items["Low-Rank Adapters That Forget Gracefully"]["upvotes"] == 5
    assert items["Low-Rank Adapters That Forget Gracefully"]["arxiv_id"] == "2508.21001"


def test_v1_then_v2_is_updated_not_new(runner, tmp_path):
    invoke(runner, "ingest", write(tmp_path, "v1.xml", atom(1)))
    r = invoke(runner, "ingest", write(tmp_path, "v2.xml", atom(2, title="Low-Rank Adapters That Forget Gracefully, Revised")))
    assert "1 parsed, 0 new, 1 updated" in r.stderr
    items = all_items(runner)
    assert list(items) == ["Low-Rank Adapters That Forget Gracefully, Revised"]
    # the next day's digest (latest run) does not list the replaced paper as new
    assert json.loads(invoke(runner, "show", "--unmatched", "--format", "json").stdout)[0]["arxiv_id"] == "2508.21001"


def test_real_arxiv_feeds_then_each_other(runner, shared_dir):
    arxiv = shared_dir / "feeds" / "arxiv"
    r = invoke(runner, "ingest", str(arxiv / "api2026_search_testing_m10.xml"),
               str(arxiv / "api2026_oldstyle_id_astro-ph_0601001.xml"))
    assert r.exit_code == 0
    assert "10 parsed, 10 new" in r.stderr
    r = invoke(runner, "ingest", str(arxiv / "api2026_search_testing_m10.xml"))
    assert "10 parsed, 0 new, 0 updated, 10 unchanged" in r.stderr
    items = all_items(runner)
    assert any(i["arxiv_id"] == "astro-ph/0601001" for i in items.values())


def test_arxiv_error_answer_is_an_error_for_that_input_only(runner, shared_dir):
    arxiv = shared_dir / "feeds" / "arxiv"
    r = invoke(runner, "ingest", str(arxiv / "api2026_error_bad_id_http400.xml"),
               str(arxiv / "api2026_oldstyle_id_astro-ph_0601001.xml"))
    assert r.exit_code == 1
    assert "arXiv API error" in r.stderr
    assert "1 parsed, 1 new" in r.stderr
    assert "Traceback" not in r.output


def test_unrecognised_input_is_an_error_for_that_input_alone(runner, tmp_path):
    bad = write(tmp_path, "x.csv", "a,b,c\n1,2,3\n")
    good = write(tmp_path, "d.txt", DUMP)
    r = invoke(runner, "ingest", bad, good)
    assert r.exit_code == 1
    assert f"Error: {bad}: unrecognised input" in r.stderr
    assert "2 parsed, 2 new" in r.stderr
    r = invoke(runner, "ingest", "--kind", "feed", good)
    assert r.exit_code == 1


def test_a_folder_source_with_one_broken_file_says_what_it_skipped_not_only_failed(runner, tmp_path):
    """The second run reads only the broken file again (the good one is unchanged): the summary
    says the skipped input and the failure, not a bare "failed" as if nothing could be read."""
    folder = tmp_path / "pages"
    folder.mkdir()
    write(folder, "d.txt", DUMP)
    write(folder, "x.csv", "a,b,c\n1,2,3\n")
    cfg = write(tmp_path, "c.toml", f'[sources.pages]\npath = "{folder}"\n')
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert r.exit_code == 1 and "pages: 2 new, 2 parsed, 1 failed" in r.stderr
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert r.exit_code == 1 and "pages: 0 new, 0 parsed, 1 unchanged input skipped, 1 failed" in r.stderr


def test_run_source_naming_no_configured_source_is_a_usage_error(runner, tmp_path):
    """A typo in --source ran nothing and said "Nothing new", exit 0."""
    folder = tmp_path / "pages"
    folder.mkdir()
    write(folder, "d.txt", DUMP)
    cfg = write(tmp_path, "c.toml", f'[sources.pages]\npath = "{folder}"\n')
    r = runner.invoke(cli, ["--config", cfg, "run", "--source", "page"])
    assert r.exit_code == 2 and "no configured source named 'page' (configured: pages)" in r.stderr
    assert r.stdout == ""
    r = invoke(runner, "--config", cfg, "run", "--source", "pages", "--format", "json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 2


# --------------------------------------------------------------------------- configured URL sources
class Server:
    """A local feed server: path -> (status, body, etag); counts requests."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, str | None]] = {}
        self.requests: list[tuple[str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("If-None-Match")))
                status, body, etag = outer.routes.get(self.path, (404, b"not found", None))
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(status)
                if etag:
                    self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def config_for(tmp_path, server, *names, extra=""):
    text = "".join(f'[sources.{n}]\nurl = "{server.url}/{n}"\n' for n in names)
    p = tmp_path / "c.toml"
    p.write_text(text + "[fetch]\ntimeout = 5\n" + extra)
    return str(p)


def test_run_fetches_urls_and_a_304_costs_nothing(runner, tmp_path, server, isolated_home):
    server.routes["/arxiv"] = (200, atom().encode(), '"v1"')
    server.routes["/hf"] = (200, hf_json().encode(), '"h1"')
    cfg = config_for(tmp_path, server, "arxiv", "hf")
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(r.stdout)) == 1  # one paper, two sources
    assert "1 new of 2 parsed" in r.stderr
    assert all(ua is None for _, ua in server.requests)
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert r.exit_code == 0
    assert json.loads(r.stdout) == []
    assert server.requests[-2:] == [("/arxiv", '"v1"'), ("/hf", '"h1"')]
    assert "arxiv: 0 new, 0 parsed, 1 unchanged input skipped" in r.stderr
    state = json.loads((isolated_home / "store" / "state.json").read_text())
    assert state["sources"]["arxiv"]["etag"] == '"v1"'


def test_one_failing_url_among_several(runner, tmp_path, server):
    server.routes["/good"] = (200, atom().encode(), None)
    server.routes["/broken"] = (500, b"oops", None)
    cfg = config_for(tmp_path, server, "broken", "good")
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert r.exit_code == 1
    assert len(json.loads(r.stdout)) == 1
    assert "Warning: broken: " in r.stderr and "fetch failed" in r.stderr
    assert "broken: failed" in r.stderr
    assert "Traceback" not in r.output


def test_stale_source_is_warned_about(runner, tmp_path, server, isolated_home):
    server.routes["/quiet"] = (200, atom().encode(), None)
    cfg = config_for(tmp_path, server, "quiet", extra="stale_days = 2\n")
    invoke(runner, "--config", cfg, "run")
    state_path = isolated_home / "store" / "state.json"
    state = json.loads(state_path.read_text())
    state["sources"]["quiet"]["last_new"] = "2020-01-01T00:00:00Z"
    state_path.write_text(json.dumps(state))
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert "source 'quiet' has given nothing new for" in r.stderr


# --------------------------------------------------------------------------- issue 14: directories
def test_a_directory_is_read_recursively_hidden_entries_skipped(tmp_path):
    from digest.ingest.pipeline import expand, nothing_found

    (tmp_path / "2025" / "11").mkdir(parents=True)
    (tmp_path / ".git").mkdir()
    for rel in ("a.txt", "2025/b.txt", "2025/11/c.txt", ".hidden.txt", ".git/config"):
        (tmp_path / rel).write_text("x")
    assert expand(str(tmp_path)) == [str(tmp_path / p) for p in ("2025/11/c.txt", "2025/b.txt", "a.txt")]
    assert expand(str(tmp_path / "**" / "*.txt")) == [str(tmp_path / p) for p in ("2025/11/c.txt", "2025/b.txt", "a.txt")]
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    assert expand(str(empty)) == []
    assert nothing_found(str(empty)) == "no files in this directory or its subfolders (hidden files are skipped)"
    assert nothing_found(str(tmp_path / "*.pdf")) == "no files match"


def test_ingest_of_a_directory_reads_its_subfolders(tmp_path, data_dir):
    from click.testing import CliRunner

    from digest.cli import cli

    (tmp_path / "pages" / "week2").mkdir(parents=True)
    (tmp_path / "pages" / "day1.txt").write_bytes((data_dir / "cli" / "day1.txt").read_bytes())
    (tmp_path / "pages" / "week2" / "day2.txt").write_bytes((data_dir / "cli" / "day2.txt").read_bytes())
    r = CliRunner().invoke(cli, ["ingest", str(tmp_path / "pages")])
    assert r.exit_code == 0, r.output
    assert f"{tmp_path / 'pages' / 'week2' / 'day2.txt'}: 3 parsed" in r.stderr
    (tmp_path / "nothing" / "sub").mkdir(parents=True)
    r = CliRunner().invoke(cli, ["ingest", str(tmp_path / "nothing")])
    assert r.exit_code == 1
    assert r.stderr == (f"Error: {tmp_path / 'nothing'}: no files in this directory or its subfolders "
                        "(hidden files are skipped)\n")


# --------------------------------------------------------------------------- issue 14: nothing new that explains itself
def _run_at(tmp_path, cfg_path, clock):
    from digest.app import load_config
    from digest.ingest.pipeline import run_sources
    from digest.store import Store

    store = Store(tmp_path / "cal-store")
    with store:
        return run_sources(store, load_config(Path(cfg_path)), clock=clock)


def test_a_quiet_arxiv_feed_is_explained_by_the_calendar(tmp_path, server):
    from digest.sources.calendar import from_eastern

    friday = atom().replace("2025-08-20T17:59:00Z", "2025-08-22T00:00:00-04:00")  # Friday's batch
    server.routes["/cs.LG"] = (200, friday.encode(), '"v1"')
    cfg = tmp_path / "c.toml"  # a local server stands in for rss.arxiv.org: the calendar is declared
    cfg.write_text(f'[sources."cs.LG"]\nurl = "{server.url}/cs.LG"\ncalendar = "arxiv"\n[fetch]\ntimeout = 5\n')
    (first,) = _run_at(tmp_path, cfg, from_eastern(datetime(2025, 8, 22, 9)))
    assert len(first.new) == 1 and first.note is None
    # Saturday: the same batch, and nothing was due
    (sat,) = _run_at(tmp_path, cfg, from_eastern(datetime(2025, 8, 23, 9)))
    assert sat.new == [] and sat.note == "no announcement expected (Saturday)" and sat.stale_warning is None
    from digest.app import _runs_lines

    assert _runs_lines([sat])[0].text() == "cs.LG: no announcement expected (Saturday)"  # the summary line
    # the next Wednesday: the feed answers 304 and still serves Friday's batch: stale
    (wed,) = _run_at(tmp_path, cfg, from_eastern(datetime(2025, 8, 27, 9)))
    assert wed.skipped == 1
    assert wed.stale_warning == "cs.LG: the feed still serves the 2025-08-22 batch on an announcement day (stale)"


def test_run_prints_the_calendars_word(runner, tmp_path, server):
    """Through the CLI, at the real time: a feed serving a batch of long ago is stale on every day."""
    server.routes["/cs.LG"] = (200, atom().encode(), None)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources."cs.LG"]\nurl = "{server.url}/cs.LG"\ncalendar = "arxiv"\n[fetch]\ntimeout = 5\n')
    invoke(runner, "--config", str(cfg), "run")
    r = invoke(runner, "--config", str(cfg), "run")
    assert ("Warning: cs.LG: the feed still serves the 2025-08-20 batch on an announcement day (stale)"
            in r.stderr.splitlines())
    assert "has given nothing new for" not in r.stderr  # the calendar's word replaces the day count


def test_calendar_key_is_checked(runner, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sources.x]\nurl = "https://example.org/f.xml"\ncalendar = "weekly"\n')
    r = invoke(runner, "--config", str(cfg), "run")
    assert r.exit_code == 1
    assert r.stderr == f"Error: {cfg}: sources.x.calendar: must be one of arxiv, daily_papers, none\n"


# --------------------------------------------------------------------------- issue 14: digest config check
def test_config_check_reads_and_reaches_every_source_and_writes_nothing(runner, tmp_path, server, isolated_home, data_dir):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "day1.txt").write_bytes((data_dir / "cli" / "day1.txt").read_bytes())
    server.routes["/feed"] = (200, atom().encode(), '"v1"')
    server.routes["/broken"] = (500, b"oops", None)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[interests]\n"adapters" = 1\n[sources.pages]\npath = "{pages}"\n'
                   f'[sources.feed]\nurl = "{server.url}/feed"\n[sources.broken]\nurl = "{server.url}/broken"\n'
                   f'[sources.old]\npath = "{tmp_path}/gone/*.txt"\nenabled = false\n[fetch]\ntimeout = 5\n')
    r = invoke(runner, "--config", str(cfg), "config", "check")
    assert r.exit_code == 1  # a source fails
    lines = r.stdout.splitlines()
    assert lines[0] == f"{cfg}: valid; 1 interest, 4 sources"
    out = r.stdout
    assert f"pages  {pages}\n  ok: 1 file, all readable\n  last gave something new: never" in out
    assert f"feed  {server.url}/feed\n  ok: reachable (HTTP 200, {len(atom().encode()):,} bytes, feed)" in out
    assert f"broken  {server.url}/broken\n  fails: fetch failed: HTTP 500" in out
    assert f"old (disabled)  {tmp_path}/gone/*.txt\n  fails: no files match" in out
    assert not (isolated_home / "store").exists()  # nothing written
    # after a run: the validators make the feed answer 304, and the facts come from state.json
    server.routes.pop("/broken")
    cfg.write_text(cfg.read_text().replace(f'[sources.broken]\nurl = "{server.url}/broken"\n', ""))
    invoke(runner, "--config", str(cfg), "run")
    state_before = (isolated_home / "store" / "state.json").read_bytes()
    r = invoke(runner, "--config", str(cfg), "config", "check")
    assert r.exit_code == 0, r.output
    assert "  ok: reachable (HTTP 304: unchanged since the last run)" in r.stdout
    assert re.search(r"feed  .*\n  ok: .*\n  last gave something new: \d{4}-\d\d-\d\d \d\d:\d\d UTC \(today\)", r.stdout)
    assert server.requests[-1] == ("/feed", '"v1"')
    assert (isolated_home / "store" / "state.json").read_bytes() == state_before


def test_config_check_says_the_config_is_wrong_in_one_line(runner, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[sources.x]\npath = 3\n')
    r = invoke(runner, "--config", str(cfg), "config", "check")
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: {cfg}: sources.x.path: must be a string")
    r = invoke(runner, "config", "check")
    assert r.exit_code == 0
    assert "the built-in default (no config of your own: digest config init)" in r.stdout
    assert "no sources configured" in r.stdout


def test_config_check_gives_the_calendars_word(runner, tmp_path, server):
    server.routes["/cs.LG"] = (200, atom().encode(), None)
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources."cs.LG"]\nurl = "{server.url}/cs.LG"\ncalendar = "arxiv"\n[fetch]\ntimeout = 5\n')
    invoke(runner, "--config", str(cfg), "run")
    r = invoke(runner, "--config", str(cfg), "config", "check")
    assert "  Warning: the feed still serves the 2025-08-20 batch on an announcement day (stale)" in r.stdout


def test_a_paper_new_in_one_followed_listing_is_not_a_cross_list():
    from digest.ingest.merge import merge

    cross = {"title": "T", "cross_list": True, "categories": ["cs.CL", "cs.LG"]}
    assert merge(cross, {"title": "T", "cross_list": True})["cross_list"] is True
    assert merge(cross, {"title": "T", "cross_list": False})["cross_list"] is False  # new in cs.CL too
    assert merge(cross, {"title": "T", "cross_list": None})["cross_list"] is True  # a dump does not say
    assert merge({"title": "T"}, {"title": "T", "cross_list": True})["cross_list"] is True


# --------------------------------------------------------------------------- credentials in a source URL
def test_a_password_in_a_url_is_never_shown_nor_stored(runner, tmp_path, server, isolated_home):
    server.routes["/good"] = (200, atom().encode(), None)
    server.routes["/broken"] = (500, b"oops", None)
    host = server.url.removeprefix("http://")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[sources.good]\nurl = "http://ann:s3cret@{host}/good"\n'
                   f'[sources.broken]\nurl = "http://ann:s3cret@{host}/broken"\n[fetch]\ntimeout = 5\n')
    r = invoke(runner, "-v", "--config", str(cfg), "run", "--format", "json")
    assert r.exit_code == 1
    assert len(json.loads(r.stdout)) == 1
    assert f"Warning: broken: http://ann:***@{host}/broken: fetch failed: HTTP 500" in r.stderr
    assert f"good: http://ann:***@{host}/good: fetched" in r.stderr
    r2 = invoke(runner, "-v", "ingest", f"http://ann:s3cret@{host}/good")
    assert r2.exit_code == 0, r2.stderr
    assert f"http://ann:***@{host}/good: 1 parsed" in r2.stderr
    r3 = invoke(runner, "--config", str(cfg), "config", "check")
    assert f"broken  http://ann:***@{host}/broken\n  fails: fetch failed: HTTP 500" in r3.stdout
    for text in (r.output, r2.output, r3.output, *(p.read_text() for p in (isolated_home / "store").glob("*.json*"))):
        assert "s3cret" not in text
    assert "Traceback" not in r.output + r2.output + r3.output


def test_a_304_to_the_first_fetch_is_a_failure_not_a_skip(runner, tmp_path, server, isolated_home):
    # A server (or proxy) that answers 304 with no validator sent: "skipped, unchanged" would
    # skip the source on every run for good, without a word, since nothing is ever fetched.
    server.routes["/odd"] = (304, b"", None)
    cfg = config_for(tmp_path, server, "odd")
    r = invoke(runner, "--config", cfg, "run", "--format", "json")
    assert r.exit_code == 1
    assert "Warning: odd: " in r.stderr and "HTTP 304 Not Modified to a request that was not conditional" in r.stderr
    state = json.loads((isolated_home / "store" / "state.json").read_text())
    assert "last_ok" not in state["sources"]["odd"] and "etag" not in state["sources"]["odd"]


def test_a_failing_source_is_named_even_when_its_error_begins_like_its_name(runner, tmp_path, server):
    server.routes["/empty"] = (200, b"", None)
    server.routes["/good"] = (200, atom().encode(), None)
    r = invoke(runner, "--config", config_for(tmp_path, server, "empty", "good"), "run", "--format", "json")
    assert r.exit_code == 1
    assert "Warning: empty: empty input" in r.stderr.splitlines(), r.stderr


def test_an_old_style_arxiv_id_typed_in_capitals_finds_its_paper(runner, tmp_path):
    """``digest tag ASTRO-PH/0601001 toread`` said "no paper with arXiv id ASTRO-PH/0601001" where
    the lower-case form found it: old-style ids are now read as arXiv writes them."""
    feed = atom().replace("2508.21001", "astro-ph/0601001")
    invoke(runner, "ingest", write(tmp_path, "old.xml", feed))
    r = runner.invoke(cli, ["tag", "ASTRO-PH/0601001V1", "toread"])
    assert r.exit_code == 0, r.output
    tagged = json.loads(invoke(runner, "list", "--tag", "toread", "--format", "json").stdout)
    assert [t["arxiv_id"] for t in tagged] == ["astro-ph/0601001"]
