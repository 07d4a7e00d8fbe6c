"""One item per paper across sources, and configured sources (`digest run`):
conditional GET, one failing URL among several, source health."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


def test_a_paper_new_in_one_followed_listing_is_not_a_cross_list():
    from digest.ingest.merge import merge

    cross = {"title": "T", "cross_list": True, "categories": ["cs.CL", "cs.LG"]}
    assert merge(cross, {"title": "T", "cross_list": True})["cross_list"] is True
    assert merge(cross, {"title": "T", "cross_list": False})["cross_list"] is False  # new in cs.CL too
    assert merge(cross, {"title": "T", "cross_list": None})["cross_list"] is True  # a dump does not say
    assert merge({"title": "T"}, {"title": "T", "cross_list": True})["cross_list"] is True
