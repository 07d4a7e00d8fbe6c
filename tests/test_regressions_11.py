"""Issue 11, the unit-sized defects, through the CLI (click's CliRunner, in process).

A lone UTF-16 surrogate in decoded text (defect 1), ``digest parse URL`` and
``[fetch] timeout`` (defect 14), and the "Minor" paragraph: CSV formula guards on every
column, the password in ``digest config show``, ``host = "[::1]"``.
(The stress-sized ones are in tests/stress/test_promises.py and test_repair.py.)
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli


@pytest.fixture
def runner():
    return CliRunner()


def invoke(runner, *args, input=None):
    # catch_exceptions=False: a traceback fails the test with that traceback
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def store() -> Path:
    return Path(os.environ["DIGEST_HOME"])


def dump(prefix: str, n: int) -> str:
    parts = ["Daily Papers", "", "Nov 20", ""]
    for i in range(n):
        parts += [f"{prefix} paper number {i} on things", "",
                  f"We study {prefix.lower()} things number {i}, at length and in detail, for every reader.", "",
                  "  • 3 authors", "·", "Nov 18, 2025 4", ""]
    return "\n".join(parts) + "\n"


def all_papers(runner) -> list[dict]:
    r = invoke(runner, "show", "--all", "--unmatched", "--limit", "10000", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def valid_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssertionError(f"{what} is not valid UTF-8: {exc}") from None


# --------------------------------------------------------------------------- defect 1: lone surrogates
# json.loads keeps "\ud83d" (half an emoji cut by a truncating API) as a lone surrogate; it
# cannot be encoded as UTF-8, so the append died and every input after it was lost.
SURROGATE_JSON = (
    '[{"paper":{"id":"2511.00009","title":"Emoji cut \\ud83d","summary":"We study it \\udc00 here.",'
    '"authors":[{"name":"Ann \\udc80 Smith"},{"name":"Bo \\ud800"}],'
    '"organization":{"fullname":"Org \\udfff"}}}]'
)
SURROGATE_FEED = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
    "<entry><id>http://arxiv.org/abs/2511.00011v1</id><title>Cut &#xD83D; here</title>"
    '<summary type="html">We study &amp;#xDC00; &#xDC00; it.</summary><author><name>X &#xD800;</name></author>'
    "</entry><entry><id>http://arxiv.org/abs/2511.00012v1</id><title>A clean neighbour</title>"
    "<summary>We study clean things.</summary></entry></feed>"
)


@pytest.mark.parametrize("name,body", [("cut.json", SURROGATE_JSON), ("cut.xml", SURROGATE_FEED)])
def test_lone_surrogates_become_storable_text_and_later_inputs_go_in(runner, tmp_path, name, body):
    (tmp_path / name).write_text(body, encoding="ascii")
    (tmp_path / "after.txt").write_text(dump("After", 3), encoding="utf-8")
    r = invoke(runner, "ingest", str(tmp_path / name), str(tmp_path / "after.txt"))
    assert r.exit_code == 0, r.output
    valid_utf8((store() / "items.jsonl").read_bytes(), "items.jsonl")
    papers = all_papers(runner)
    titles = [p["title"] for p in papers]
    assert sum(t.startswith("After paper") for t in titles) == 3, titles
    cut = [p for p in papers if p["title"].startswith(("Emoji cut", "Cut"))]
    assert len(cut) == 1
    text = json.dumps(cut[0], ensure_ascii=False)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in text), text
    if name == "cut.json":
        assert cut[0]["authors"][0].startswith("Ann") and len(cut[0]["authors"]) == 2
    r = invoke(runner, "parse", str(tmp_path / name))  # printing it too
    assert r.exit_code == 0
    valid_utf8(r.stdout_bytes, "parse output")
    for fmt in ("table", "markdown", "jsonl"):
        r = invoke(runner, "show", "--all", "--unmatched", "--format", fmt)
        assert r.exit_code == 0
        valid_utf8(r.stdout_bytes, fmt)


def test_lone_surrogate_source_does_not_stop_the_next_source(runner, tmp_path):
    """`digest run` with two sources: the one after the surrogate is ingested too."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "cut.json").write_text(SURROGATE_JSON, encoding="ascii")
    (tmp_path / "b" / "day.txt").write_text(dump("Second", 4), encoding="utf-8")
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[sources.a]\npath = "{tmp_path / "a"}"\n\n[sources.b]\npath = "{tmp_path / "b"}"\n')
    r = invoke(runner, "--config", str(cfg), "run", "--format", "json")
    assert r.exit_code == 0, r.output
    titles = [p["title"] for p in all_papers(runner)]
    assert sum(t.startswith("Second paper") for t in titles) == 4 and any(t.startswith("Emoji cut") for t in titles)


# --------------------------------------------------------------------------- defect 14
def test_parse_url_honours_the_fetch_timeout(runner, tmp_path):
    """`digest parse URL` used a fixed 30 s, whatever `[fetch] timeout` said."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    conns = []
    stop = threading.Event()

    def accept():
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(sock.accept()[0])
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    cfg = tmp_path / "config.toml"
    cfg.write_text("[fetch]\ntimeout = 1\n")
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    try:
        t0 = time.monotonic()
        r = runner.invoke(cli, ["--config", str(cfg), "parse", url], catch_exceptions=False)
        took = time.monotonic() - t0
    finally:
        stop.set()
        for c in conns:
            c.close()
        sock.close()
    assert r.exit_code == 1
    assert "timed out after 1 s" in r.stderr, r.stderr
    assert took < 6, f"{took:.1f} s with [fetch] timeout = 1"


# --------------------------------------------------------------------------- minor: CSV
def test_csv_guards_formulas_in_every_column(runner, tmp_path):
    """A hand-edited store: dates, the arXiv id, first_seen and the event time (`added`) must not
    become live spreadsheet formulas either (only the text columns were guarded)."""
    (tmp_path / "a.txt").write_text(dump("Csv", 1), encoding="utf-8")
    assert invoke(runner, "ingest", str(tmp_path / "a.txt")).exit_code == 0
    rec = {"v": 1, "id": "00000000000000ef", "title": "Formulas everywhere", "published": "=1+1",
           "arxiv_id": "@SUM(A1:A9)", "first_seen": "+cmd|' /C calc'!A0", "last_seen": "-2+3",
           "url": "https://example.org/=x", "first_run": 1, "last_run": 1}
    with open(store() / "items.jsonl", "a") as fh:
        fh.write(json.dumps(rec) + "\n")
    with open(store() / "events.jsonl", "a") as fh:
        fh.write(json.dumps({"v": 1, "at": "=HYPERLINK(\"http://evil\")", "type": "tag",
                             "id": rec["id"], "tag": "csv"}) + "\n")
    r = invoke(runner, "export", "--tag", "csv", "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert len(rows) == 2
    for col, cell in zip(rows[0], rows[1], strict=True):
        assert cell[:1] not in ("=", "+", "-", "@"), f"column {col} starts a formula: {cell!r}"


# --------------------------------------------------------------------------- minor: config show
def test_config_show_never_prints_the_password(runner, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[email]\nfrom = "a@example.org"\nto = "b@example.org"\nhost = "smtp.example.org"\n'
                   'username = "me"\npassword = "hunter2-secret"\n')
    cfg.chmod(0o600)
    r = invoke(runner, "--config", str(cfg), "config", "show")
    assert r.exit_code == 0, r.output
    assert "hunter2-secret" not in r.output
    assert "password" in r.output  # it says there is one, without saying it


# --------------------------------------------------------------------------- minor: host = "[::1]"
def test_ipv6_literal_host_in_brackets(runner, tmp_path):
    pytest.importorskip("aiosmtpd")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
            port = s.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback")
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.n = 0

        async def handle_DATA(self, server, session, envelope):
            self.n += 1
            return "250 2.0.0 queued"

    inbox = Inbox()
    controller = Controller(inbox, hostname="::1", port=port)
    controller.start()
    try:
        (tmp_path / "a.txt").write_text(dump("Six", 2), encoding="utf-8")
        assert invoke(runner, "ingest", str(tmp_path / "a.txt")).exit_code == 0
        cfg = tmp_path / "config.toml"
        cfg.write_text('[show]\nmin_score = -100\n\n[email]\nfrom = "a@example.org"\nto = "b@example.org"\n'
                       f'host = "[::1]"\nport = {port}\nsecurity = "none"\ntimeout = 5\nmin_score = -100\n')
        r = invoke(runner, "--config", str(cfg), "email")
        assert r.exit_code == 0, r.output
        assert inbox.n == 1
    finally:
        controller.stop()
