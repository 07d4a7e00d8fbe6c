"""digest.sources.fetch: against a real HTTP server on 127.0.0.1 (no test touches the internet)."""

from __future__ import annotations

import base64
import gzip
import socket
import threading
import time
import zlib
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import digest
from digest.errors import InputError
from digest.sources import fetch as fetchmod
from digest.sources.fetch import FetchResult, fetch_url

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><updated>2025-08-21T00:00:00Z</updated>
<entry><id>http://arxiv.org/abs/2508.21001v1</id><title>Served Over HTTP</title>
<summary>An abstract.</summary><author><name>Ann Example</name></author></entry></feed>
"""
ETAG = '"feed-v1"'
LAST_MODIFIED = "Thu, 21 Aug 2025 06:00:00 GMT"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):  # noqa: C901 - one small route table
        self.server.seen.append((self.path, dict(self.headers)))
        path = self.path
        if path == "/feed.xml":
            if self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                self._send(304, headers={"ETag": ETAG, "Content-Length": "0"})
                return
            self._send(200, FEED, {"Content-Type": "application/atom+xml", "ETag": ETAG, "Last-Modified": LAST_MODIFIED})
        elif path == "/gzip.xml":
            self._send(200, gzip.compress(FEED), {"Content-Encoding": "gzip"})
        elif path == "/deflate.xml":
            self._send(200, zlib.compress(FEED), {"Content-Encoding": "deflate"})
        elif path == "/raw-deflate.xml":
            c = zlib.compressobj(wbits=-zlib.MAX_WBITS)
            self._send(200, c.compress(FEED) + c.flush(), {"Content-Encoding": "deflate"})
        elif path == "/brotli":
            self._send(200, b"xx", {"Content-Encoding": "br"})
        elif path == "/404":
            self._send(404, b"not here")
        elif path == "/500":
            self._send(500, b"oops")
        elif path == "/big":
            self._send(200, b"x" * 5000)
        elif path == "/big-no-length":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"y" * 5000)
            self.close_connection = True
        elif path == "/gzip-bomb":
            self._send(200, gzip.compress(b"\0" * (4 * 2**20)), {"Content-Encoding": "gzip"})
        elif path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"z" * 10)
            self.close_connection = True
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(40):  # at most ~10 s, and the client hangs up long before
                    self.wfile.write(b"d")
                    self.wfile.flush()
                    time.sleep(0.25)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/redirect":
            self._send(302, headers={"Location": "/feed.xml"})
        elif path == "/redirect-file":
            self._send(302, headers={"Location": "file:///etc/passwd"})
        elif path == "/redirect-loop":
            self._send(302, headers={"Location": "/redirect-loop"})
        elif path == "/redirect-no-location":
            self._send(302)
        elif path == "/redirect-to-auth":
            self._send(302, headers={"Location": "/auth"})
        elif path == "/auth":  # Basic ann:s3cret
            if self.headers.get("Authorization") == "Basic " + base64.b64encode(b"ann:s3cret").decode():
                self._send(200, FEED)
            else:
                self._send(401, b"who are you", {"WWW-Authenticate": 'Basic realm="feeds"'})
        elif path == "/always-304":  # a broken server or proxy: 304 to a request that validated nothing
            self._send(304, headers={"Content-Length": "0"})
        elif path == "/429":
            self._send(429, b"slow down", {"Retry-After": "120"})
        elif path == "/503":
            self._send(503, b"", {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        else:
            self._send(404)


@pytest.fixture
def no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server(no_proxy):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield httpd, base
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def silent_port(no_proxy):
    """A port that accepts connections (kernel backlog) and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def test_fetch_with_validators_then_304(server):
    httpd, base = server
    first = fetch_url(base + "/feed.xml", timeout=5)
    assert isinstance(first, FetchResult)
    assert first.status == 200 and not first.not_modified
    assert first.body == FEED
    assert first.etag == ETAG and first.last_modified == LAST_MODIFIED
    assert first.url == base + "/feed.xml"

    again = fetch_url(base + "/feed.xml", timeout=5, etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.status == 304 and again.body is None
    assert again.etag == ETAG and again.last_modified == LAST_MODIFIED
    sent = httpd.seen[-1][1]
    assert sent["If-None-Match"] == ETAG and sent["If-Modified-Since"] == LAST_MODIFIED

    only_date = fetch_url(base + "/feed.xml", timeout=5, last_modified=LAST_MODIFIED)
    assert only_date.not_modified
    assert "If-None-Match" not in httpd.seen[-1][1]


def test_user_agent_and_accept(server):
    httpd, base = server
    fetch_url(base + "/feed.xml", timeout=5)
    headers = httpd.seen[-1][1]
    assert headers["User-Agent"] == (
        f"digest/{digest.__version__} (+https://github.com/digest-papers/digest; paper digest CLI)"
    )
    assert "application/atom+xml" in headers["Accept"]
    assert "gzip" in headers["Accept-Encoding"]


def test_configured_user_agent_is_sent(server, tmp_path):
    """[fetch] user_agent replaces the built-in one, for configured sources and for ingest URLs."""
    from click.testing import CliRunner

    from digest.cli import cli

    httpd, base = server
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[fetch]\nuser_agent = "my-lab-bot/1.0 (me@example.org)"\n'
                   f'[sources.feed]\nurl = "{base}/feed.xml"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(cfg), "run"])
    assert result.exit_code == 0, result.output
    assert httpd.seen[-1][1]["User-Agent"] == "my-lab-bot/1.0 (me@example.org)"
    result = CliRunner().invoke(cli, ["--config", str(cfg), "ingest", f"{base}/feed.xml"])
    assert result.exit_code == 0, result.output
    assert httpd.seen[-1][1]["User-Agent"] == "my-lab-bot/1.0 (me@example.org)"


def test_fetched_feed_parses(server):
    from digest.sources.detect import parse_bytes

    _, base = server
    res = fetch_url(base + "/feed.xml", timeout=5)
    parsed = parse_bytes(res.body, source=res.url, ref_date=date(2025, 8, 21))
    assert [(i.title, i.arxiv_id) for i in parsed.items] == [("Served Over HTTP", "2508.21001")]


@pytest.mark.parametrize("path", ["/gzip.xml", "/deflate.xml", "/raw-deflate.xml"])
def test_compressed_responses(server, path):
    _, base = server
    assert fetch_url(base + path, timeout=5).body == FEED


def test_unknown_content_encoding(server):
    _, base = server
    with pytest.raises(InputError, match="unsupported Content-Encoding 'br'"):
        fetch_url(base + "/brotli", timeout=5)


@pytest.mark.parametrize("path, reason", [("/404", "HTTP 404 Not Found"), ("/500", "HTTP 500 Internal Server Error")])
def test_http_errors(server, path, reason):
    _, base = server
    with pytest.raises(InputError) as info:
        fetch_url(base + path, timeout=5)
    assert str(info.value) == f"{base}{path}: fetch failed: {reason}"


@pytest.mark.parametrize("path", ["/big", "/big-no-length", "/gzip-bomb"])
def test_max_bytes(server, path):
    _, base = server
    limit = 2**20 if path == "/gzip-bomb" else 1000
    with pytest.raises(InputError, match="fetch failed: response larger than"):
        fetch_url(base + path, timeout=5, max_bytes=limit)


def test_truncated_body(server):
    _, base = server
    with pytest.raises(InputError, match="fetch failed: server closed the connection before the body was complete"):
        fetch_url(base + "/short", timeout=5)


def test_redirects(server):
    _, base = server
    res = fetch_url(base + "/redirect", timeout=5)
    assert res.body == FEED and res.url == base + "/feed.xml"
    with pytest.raises(InputError, match="redirected to a file: URL, refused"):
        fetch_url(base + "/redirect-file", timeout=5)
    with pytest.raises(InputError, match="fetch failed: HTTP 302: too many redirects"):
        fetch_url(base + "/redirect-loop", timeout=5)


def test_redirect_without_a_location(server):
    _, base = server
    with pytest.raises(InputError) as info:
        fetch_url(base + "/redirect-no-location", timeout=5)
    assert str(info.value) == f"{base}/redirect-no-location: fetch failed: HTTP 302 without a Location to go to"


def test_304_to_a_request_that_was_not_conditional_is_an_error(server):
    # Without an ETag or a date sent, "not modified" answers nothing: taking it as "skip" would
    # skip the source for good (nothing is ever fetched, so no validator is ever stored).
    _, base = server
    with pytest.raises(InputError) as info:
        fetch_url(base + "/always-304", timeout=5)
    assert str(info.value) == (f"{base}/always-304: fetch failed: HTTP 304 Not Modified "
                               "to a request that was not conditional")
    res = fetch_url(base + "/always-304", timeout=5, etag='"x"')  # a conditional one: fine
    assert res.not_modified


def test_retry_after_is_quoted(server):
    _, base = server
    with pytest.raises(InputError) as info:
        fetch_url(base + "/429", timeout=5)
    assert str(info.value) == f"{base}/429: fetch failed: HTTP 429 Too Many Requests (retry after 120 s)"
    with pytest.raises(InputError) as info:
        fetch_url(base + "/503", timeout=5)
    assert str(info.value) == (f"{base}/503: fetch failed: HTTP 503 Service Unavailable "
                               "(retry after Wed, 21 Oct 2015 07:28:00 GMT)")


def test_credentials_in_the_url_are_sent_and_never_shown(server):
    httpd, base = server
    host = base.removeprefix("http://")
    res = fetch_url(f"http://ann:s3cret@{host}/auth", timeout=5)
    assert res.body == FEED
    assert res.url == f"http://ann:***@{host}/auth"
    with pytest.raises(InputError) as info:
        fetch_url(f"http://ann:wrong@{host}/auth", timeout=5)
    assert str(info.value) == f"http://ann:***@{host}/auth: fetch failed: HTTP 401 Unauthorized"
    with pytest.raises(InputError) as info:  # credentials go to the URL given, not where it redirects
        fetch_url(f"http://ann:s3cret@{host}/redirect-to-auth", timeout=5)
    assert str(info.value) == f"http://ann:***@{host}/redirect-to-auth: fetch failed: HTTP 401 Unauthorized"
    with pytest.raises(InputError) as info:
        fetch_url("http://ann:s3cret@127.0.0.1:99999/", timeout=5)
    assert "s3cret" not in str(info.value) and "ann:***@" in str(info.value)
    assert fetchmod.redact_url("https://ann:s3cret@example.com:8443/f?a=1") == "https://ann:***@example.com:8443/f?a=1"
    assert fetchmod.redact_url("https://token@example.com/f") == "https://***@example.com/f"
    assert fetchmod.redact_url("https://example.com/f") == "https://example.com/f"


def test_server_that_never_answers(silent_port):
    start = time.monotonic()
    with pytest.raises(InputError) as info:
        fetch_url(f"http://127.0.0.1:{silent_port}/feed.xml", timeout=1)
    assert time.monotonic() - start < 5
    assert str(info.value).endswith("fetch failed: timed out after 1 s")


def test_slow_drip_body_hits_the_overall_deadline(server):
    _, base = server
    start = time.monotonic()
    with pytest.raises(InputError, match="fetch failed: timed out after 1 s"):
        fetch_url(base + "/drip", timeout=1)
    assert time.monotonic() - start < 3


def test_slow_drip_headers_hit_the_overall_deadline(no_proxy):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def drip_headers():
        conn, _ = srv.accept()
        with conn:
            conn.recv(4096)
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 40:  # bounded: ~8 s at most
                    conn.send(bytes([byte]))
                    time.sleep(0.2)
            except OSError:
                pass

    thread = threading.Thread(target=drip_headers, daemon=True)
    thread.start()
    start = time.monotonic()
    try:
        with pytest.raises(InputError, match="fetch failed: timed out after 1 s"):
            fetch_url(f"http://127.0.0.1:{srv.getsockname()[1]}/", timeout=1)
        assert time.monotonic() - start < 3
    finally:
        srv.close()


def test_connection_refused(no_proxy):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(InputError, match="fetch failed: connection refused"):
        fetch_url(f"http://127.0.0.1:{port}/", timeout=2)


def test_dns_failure(monkeypatch, no_proxy):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(InputError) as info:
        fetch_url("http://papers.example.invalid/feed", timeout=2)
    assert str(info.value) == "http://papers.example.invalid/feed: fetch failed: cannot resolve host name"


@pytest.mark.parametrize(
    "url, reason",
    [
        ("file:///etc/passwd", "unsupported URL scheme file:"),
        ("ftp://example.com/feed.xml", "unsupported URL scheme ftp:"),
        ("data:,hello", "unsupported URL scheme data:"),
        ("javascript:alert(1)", "unsupported URL scheme javascript:"),
        ("/etc/passwd", "unsupported URL scheme (none)"),
        ("http://", "URL has no host"),
        ("http://127.0.0.1:99999/feed", "invalid port in URL (0 to 65535)"),
        ("http://127.0.0.1:-1/feed", "invalid port in URL (0 to 65535)"),
        ("http://127.0.0.1:abc/feed", "invalid port in URL (0 to 65535)"),
        ("http://a..b/feed", "invalid host name"),
        ("http://" + "a" * 64 + ".example.com/", "invalid host name"),
        ("http://example.com/a b", "URL contains spaces or control characters"),
        ("", "empty URL"),
    ],
)
def test_refused_urls(url, reason, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("no connection may be attempted")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    with pytest.raises(InputError) as info:
        fetch_url(url, timeout=1)
    assert f"fetch failed: {reason}" in str(info.value)


def test_no_watchdog_thread_is_left_behind(server):
    _, base = server
    before = threading.active_count()
    for _ in range(5):
        fetch_url(base + "/feed.xml", timeout=5)
    time.sleep(0.05)
    assert threading.active_count() <= before + 1  # the server may still be finishing one handler


def test_module_constants():
    assert fetchmod.USER_AGENT.startswith(f"digest/{digest.__version__} ")


# --------------------------------------------------------------------------- HTTPS


@pytest.fixture
def tls_server(no_proxy, tmp_path):
    trustme = pytest.importorskip("trustme")
    import ssl

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    httpd.block_on_close = False
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", ca_file
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_https_untrusted_certificate_is_refused(tls_server):
    base, _ = tls_server
    with pytest.raises(InputError, match="fetch failed: TLS certificate verification failed"):
        fetch_url(base + "/feed.xml", timeout=5)


def test_https_with_trusted_ca(tls_server, monkeypatch):
    base, ca_file = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # OpenSSL's default verify paths honour it
    res = fetch_url(base + "/gzip.xml", timeout=5)
    assert res.status == 200 and res.body == FEED


def test_https_handshake_that_never_comes(silent_port):
    start = time.monotonic()
    with pytest.raises(InputError, match="fetch failed: timed out after 1 s"):
        fetch_url(f"https://127.0.0.1:{silent_port}/", timeout=1)
    assert time.monotonic() - start < 5


def test_non_ascii_path_is_percent_encoded(server):
    httpd, base = server
    with pytest.raises(InputError, match="HTTP 404"):
        fetch_url(base + "/papers/ünïcode?q=é", timeout=5)
    assert httpd.seen[-1][0] == "/papers/%C3%BCn%C3%AFcode?q=%C3%A9"
