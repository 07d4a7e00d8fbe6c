"""Resource bounds: big and hostile inputs through the installed ``digest``.

Each input is generated at test time in a temporary directory (never
committed) and run through ``digest ingest`` in a subprocess whose peak RSS is
measured (``ru_maxrss`` of a child forked by a tiny launcher, see
``stresskit.measure``). Each either completes in memory within the bound stated
below, or fails with a clear one-line message; nothing hangs.

The bounds asserted (RSS above a trivial ``digest parse`` of an empty input,
the interpreter and modules, about 20 MB):

=====================  ==============================================  ==========================
input                  bound on the extra peak RSS                     at the input cap
=====================  ==============================================  ==========================
Daily Papers dump      3.5 x the input size + 40 MB                    256 MB -> about 0.9 GB
RSS/Atom feed          8 x the input size + 60 MB (feedparser's copies) 50 MB -> about 460 MB
HF daily_papers JSON   4 x the input size + 40 MB                      50 MB -> about 240 MB
=====================  ==============================================  ==========================

Inputs over the caps are refused before they are read whole: 256 MB
(``pipeline.MAX_INPUT_BYTES``) for any input, 50 MB for feeds and JSON; a feed
with more than 10,000 entries is cut before feedparser sees the rest; JSON with
more than 500,000 objects/arrays or 5,000,000 values is refused before decoding
(``[{},{},...]`` would take 25 x its size); a markup tag over 1 MB is refused
(expat is quadratic on it). Sizes here are small by default so CI runs each
kind in seconds; the full sizes of the issue run with::

    DIGEST_STRESS_MB=200 DIGEST_STRESS_FEED_ENTRIES=100000 DIGEST_STRESS_LINE_MB=50 \\
        pytest -m slow -s tests/stress/test_resources.py
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from stresskit import (
    BIG_MB,
    FEED_ENTRIES,
    LINE_MB,
    baseline_rss,
    digest,
    digest_exe,
    env_for,
    measure,
    write_big_dump,
    write_big_feed,
    write_config,
)

from digest.ingest.pipeline import MAX_INPUT_BYTES
from digest.sources.feed import MAX_FEED_BYTES
from digest.sources.fields import MAX_ENTRIES

FACTOR = {"dump": 3.5, "feed": 8.0, "hf_json": 4.0}
FIXED = {"dump": 40, "feed": 60, "hf_json": 40}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    home = tmp_path_factory.mktemp("base") / "store"
    return baseline_rss(home, env_for(home))


def ingest_measured(home, path, cfg=None):
    env = env_for(home, cfg)
    r = measure([digest_exe(), "ingest", str(path)], env)
    return r


def assert_bounded(kind, r, size_bytes, base):
    mb = size_bytes / 2**20
    bound = base + FIXED[kind] + FACTOR[kind] * mb
    print(f"{kind}: {mb:.1f} MB input -> peak RSS {r['rss_mb']:.0f} MB (bound {bound:.0f}), {r['seconds']:.1f} s")
    assert r["rss_mb"] <= bound, f"{kind}: peak RSS {r['rss_mb']:.0f} MB over the bound {bound:.0f} MB"


def one_error(r) -> str:
    lines = [x for x in r["stderr"].splitlines() if x.startswith("Error:")]
    assert len(lines) == 1 and "Traceback" not in r["stderr"], r["stderr"]
    return lines[0]


# --------------------------------------------------------------------------- big dump
@pytest.mark.slow
def test_big_dump_memory_is_bounded(home, tmp_path, base):
    """The issue's 200 MB dump: DIGEST_STRESS_MB=200 (default 16)."""
    path = tmp_path / "big.txt"
    n = write_big_dump(path, BIG_MB)
    r = ingest_measured(home, path)
    assert r["status"] == 0, r["stderr"]
    assert f"{n} parsed, {n} new" in r["stderr"]
    assert_bounded("dump", r, path.stat().st_size, base)
    path.unlink()


def test_input_over_the_cap_is_refused_without_reading_it(home, tmp_path, base):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:  # sparse: no disk used
        fh.truncate(MAX_INPUT_BYTES + 1)
    r = ingest_measured(home, path)
    assert r["status"] == 1
    assert "larger than 256 MB" in one_error(r)
    assert r["rss_mb"] < base + 30


# --------------------------------------------------------------------------- many entries
@pytest.mark.slow
def test_feed_with_many_entries_reads_the_first_ten_thousand(home, tmp_path, base):
    """The issue's 100,000-entry feed: DIGEST_STRESS_FEED_ENTRIES=100000 (default 12,000)."""
    path = tmp_path / "many.xml"
    write_big_feed(path, FEED_ENTRIES)
    assert path.stat().st_size < MAX_FEED_BYTES
    r = ingest_measured(home, path)
    assert r["status"] == 0, r["stderr"]
    kept = min(FEED_ENTRIES, MAX_ENTRIES)
    assert f"{kept} parsed, {kept} new" in r["stderr"]
    if FEED_ENTRIES > MAX_ENTRIES:
        assert f"{FEED_ENTRIES} entries; only the first {MAX_ENTRIES} were read" in r["stderr"]
    assert_bounded("feed", r, path.stat().st_size, base)
    assert r["seconds"] < 60


# --------------------------------------------------------------------------- one huge line
def huge_line_inputs(n: int) -> dict[str, tuple[str, bytes]]:
    words = b"word " * (n // 5)
    return {
        "dump, no title": ("dump", words),
        "dump, one abstract": ("dump", b"A Title Line\n\n" + words + b"\n"),
        "json string": ("hf_json", b'[{"paper": {"title": "T", "summary": "' + words + b'"}}]'),
        "json date": ("hf_json", b'[{"paper": {"title": "T", "summary": "a b c d", "publishedAt": "'
                      + words + b'"}}]'),
        "json bomb": ("hf_json", b"[" + b"{}," * (n // 3) + b"{}]"),
        "feed text": ("feed", b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title><summary>'
                      + words + b"</summary></entry></feed>"),
        "feed attribute": ("feed", b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title>'
                           b'<link href="http://x/' + b"a" * n + b'"/></entry></feed>'),
    }


@pytest.mark.slow
def test_a_single_huge_line(home, tmp_path, base):
    """The issue's single 50 MB line: DIGEST_STRESS_LINE_MB=50 (default 8; feeds and JSON stop at
    their 50 MB cap)."""
    n = min(int(LINE_MB * 2**20), MAX_FEED_BYTES - 1000)
    for name, (kind, data) in huge_line_inputs(n).items():
        path = tmp_path / "line.in"
        path.write_bytes(data)
        r = ingest_measured(home, path)
        if r["status"] != 0:
            msg = one_error(r)
            print(f"{name}: refused: {msg}")
        else:
            papers = digest(home, "show", "--all", "--format", "json").stdout
            assert len(papers) < 200_000, f"{name}: a huge field went into the store"
        assert_bounded(kind, r, len(data), base)
        assert r["seconds"] < 30, f"{name}: {r['seconds']:.0f} s"


# --------------------------------------------------------------------------- entity tricks
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE feed [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>laughs</title>
<entry><title>Billion laughs &lol9;</title><summary>We study &lol9; in depth, at length and with care.</summary>
<id>http://arxiv.org/abs/2511.00001v1</id></entry></feed>
"""


def quadratic() -> bytes:
    big = b"A" * 60_000
    ref = b"&big;" * 20_000
    return (b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY big "' + big + b'">]>'
            b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Quadratic blowup</title><summary>'
            + ref + b" We study it.</summary><id>http://arxiv.org/abs/2511.00002v1</id></entry></feed>")


EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE feed [
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
 <!ENTITY % pe SYSTEM "http://127.0.0.1:9/evil.dtd"> %pe;
 <!ENTITY many "&xxe;&xxe;&xxe;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>External &xxe; and &many;</title>
<summary>We study external entities, which are never fetched nor read.</summary>
<id>http://arxiv.org/abs/2511.00003v1</id></entry></feed>
"""


@pytest.mark.parametrize("name,data", [("billion laughs", LAUGHS), ("quadratic blowup", quadratic()),
                                       ("external entities", EXTERNAL)])
def test_entity_expansion_tricks_are_defused(home, tmp_path, base, name, data):
    path = tmp_path / "entities.xml"
    path.write_bytes(data)
    r = ingest_measured(home, path)
    assert r["status"] == 0, r["stderr"]
    assert "1 parsed, 1 new" in r["stderr"]
    assert_bounded("feed", r, len(data), base)
    assert r["seconds"] < 20
    out = digest(home, "show", "--all", "--format", "json").stdout
    assert "root:" not in out  # /etc/passwd was not read
    assert len(out) < 200_000, "the entities were expanded"


# --------------------------------------------------------------------------- hanging URLs
class Server:
    """A TCP server that accepts and then never answers (``mode="silent"``), or answers with
    headers and then one byte every half second forever (``mode="drip"``)."""

    def __init__(self, mode: str):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(conn)
            if self.mode == "drip":
                threading.Thread(target=self.drip, args=(conn,), daemon=True).start()

    def drip(self, conn):
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/atom+xml\r\n\r\n<feed>")
            while not self.stop.is_set():
                conn.sendall(b" ")
                time.sleep(0.5)
        except OSError:
            pass

    def close(self):
        self.stop.set()
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("mode", ["silent", "drip"])
def test_a_url_that_never_answers_fails_within_its_timeout(home, tmp_path, mode):
    server = Server(mode)
    try:
        timeout = 2
        url = f"http://127.0.0.1:{server.port}/feed.xml"
        cfg = write_config(tmp_path / "config.toml", sources={"slow": {"url": url}})  # [fetch] timeout = 2
        for args in (["ingest", url], ["run"]):
            t0 = time.monotonic()
            r = digest(home, *args, config=cfg, timeout=60)
            took = time.monotonic() - t0
            assert r.returncode == 1, r.stderr
            assert "timed out after 2 s" in r.stderr + r.stdout, r.stderr  # (run: in the report)
            assert took < timeout + 8, f"{args[0]}: {took:.1f} s with a {timeout} s timeout"
    finally:
        server.close()
