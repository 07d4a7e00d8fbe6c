"""HTTP(S) fetching with the standard library, for feeds and the HF JSON.

``fetch_url`` sends a descriptive User-Agent (or ``[fetch] user_agent``), makes conditional requests
(``If-None-Match`` / ``If-Modified-Since``; a 304 comes back as
``not_modified=True`` with no body), decodes gzip/deflate, refuses schemes
other than http/https (also on redirects) and bodies over ``max_bytes``
(also after decompression), and bounds the whole exchange by ``timeout``:
each socket operation times out after ``timeout`` seconds, and a watchdog
shuts the connection down once ``timeout`` has passed in total, so a server
that drips a byte at a time cannot hold us either. Credentials in the URL
(``https://user:password@host/...``) are sent as HTTP Basic auth to that URL only
(not where it redirects) and never shown: every URL this module gives back or
names in an error is :func:`redact_url`'s. Every failure is an
``InputError("fetch failed: <short reason>", path=url)``, one line.
"""

from __future__ import annotations

import base64
import functools
import http.client
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
import zlib

import digest
from digest.deadline import Deadline
from digest.errors import InputError
from digest.records import dataclass

USER_AGENT = f"digest/{digest.__version__} (+https://github.com/digest-papers/digest; paper digest CLI)"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.9, text/plain;q=0.8, */*;q=0.5"
)
_SCHEMES = ("http", "https")
_READ_CHUNK = 65536


@dataclass
class FetchResult:
    url: str  # the final URL, after redirects
    status: int
    body: bytes | None  # None when not modified
    etag: str | None
    last_modified: str | None
    not_modified: bool


def _watch(conn: http.client.HTTPConnection, deadline: Deadline) -> None:
    create = conn._create_connection  # type: ignore[attr-defined]

    def create_and_register(*args, **kwargs):
        return deadline.register(create(*args, **kwargs))

    conn._create_connection = create_and_register  # type: ignore[attr-defined]


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, deadline: Deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _watch(self, deadline)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, deadline: Deadline, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _watch(self, deadline)


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def http_open(self, req):
        return self.do_open(functools.partial(_HTTPConnection, deadline=self._deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self._deadline = deadline

    def https_open(self, req):
        return self.do_open(
            functools.partial(_HTTPSConnection, deadline=self._deadline), req,
            context=self._context,  # type: ignore[attr-defined]  # set by HTTPSHandler.__init__
        )


class _Refused(Exception):
    """A redirect we do not follow (fetch_url names the URL asked for)."""


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    max_redirections = 5

    def http_error_302(self, req, fp, code, msg, headers):
        location = headers.get("location") or headers.get("uri")
        if location:
            scheme = urllib.parse.urlsplit(urllib.parse.urljoin(req.full_url, location)).scheme.lower()
            if scheme not in _SCHEMES:
                fp.close()
                raise _Refused(f"redirected to a {scheme}: URL, refused")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener(deadline: Deadline) -> urllib.request.OpenerDirector:
    """An opener that speaks http and https only (no file:, ftp: or data: handler at all)."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),  # honours http_proxy/https_proxy/no_proxy
        urllib.request.UnknownHandler(),
        _HTTPHandler(deadline),
        _HTTPSHandler(deadline),
        urllib.request.HTTPDefaultErrorHandler(),
        _RedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def redact_url(url: str) -> str:
    """``url`` as it may be shown or stored: a password (or a lone token) in it replaced by ``***``
    (``https://ann:***@host/feed``, ``https://***@host/feed``)."""
    if not isinstance(url, str) or "@" not in url:
        return url
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        parts = None
    if parts is not None and "@" in parts.netloc:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        shown = f"{user}:***" if colon else "***"
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{shown}@{hostport}"))
    if parts is None and "://" in url:  # unparsable: cut whatever stands between :// and the last @
        head, _, rest = url.partition("://")
        authority, slash, tail = rest.partition("/")
        if "@" in authority:
            return f"{head}://***@{authority.rpartition('@')[2]}{slash}{tail}"
    return url


def _check_url(url: str) -> tuple[str, str | None]:
    """The URL to open (credentials taken out) and the Authorization header they make, if any."""
    if not isinstance(url, str) or not url.strip():
        raise InputError("fetch failed: empty URL", path=url)
    url = url.strip()
    shown = redact_url(url)
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError as exc:
        raise InputError(f"fetch failed: invalid URL ({exc})", path=shown) from None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InputError(
            f"fetch failed: unsupported URL scheme {scheme + ':' if scheme else '(none)'} (only http and https)",
            path=shown,
        )
    if not parts.hostname:
        raise InputError("fetch failed: URL has no host", path=shown)
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise InputError("fetch failed: URL contains spaces or control characters", path=shown)
    try:
        _ = parts.port  # urlsplit checks the port only when asked
    except ValueError:
        raise InputError("fetch failed: invalid port in URL (0 to 65535)", path=shown) from None
    if ":" not in parts.hostname:  # not an IPv6 literal: a name each label of which IDNA can encode
        try:
            parts.hostname.encode("idna")
        except UnicodeError:
            raise InputError("fetch failed: invalid host name", path=shown) from None
    auth = None
    if "@" in parts.netloc:
        userinfo, _, hostport = parts.netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}".encode()
        auth = "Basic " + base64.b64encode(pair).decode("ascii")
        parts = parts._replace(netloc=hostport)
        url = urllib.parse.urlunsplit(parts)
    if not url.isascii():  # an IRI: percent-encode the path and query (the host is IDNA-encoded later)
        safe = "/%:@!$&'()*+,;=?~-._"
        parts = parts._replace(
            path=urllib.parse.quote(parts.path, safe=safe),
            query=urllib.parse.quote(parts.query, safe=safe),
            fragment="",
        )
        url = urllib.parse.urlunsplit(parts)
    return url, auth


def _reason(exc: BaseException, deadline: Deadline, timeout: float) -> str:
    """A short, one-line reason for a failed fetch."""
    if deadline.expired or isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        inner = exc.reason
        if isinstance(inner, BaseException):
            return _reason(inner, deadline, timeout)
        return str(inner)
    if isinstance(exc, socket.gaierror):
        return "cannot resolve host name"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by server"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "server closed the connection without answering"
    if isinstance(exc, http.client.IncompleteRead):
        return "server closed the connection before the body was complete"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP answer ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class _Decoder:
    """Incremental Content-Encoding decoding with an output cap (gzip bombs)."""

    def __init__(self, encoding: str, limit: int, url: str) -> None:
        self.url = url
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        if encoding in ("", "identity"):
            self.z = None
        elif encoding in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.z = zlib.decompressobj(zlib.MAX_WBITS)  # zlib wrapper; raw deflate handled below
            self.raw_fallback = True
        else:
            raise InputError(f"fetch failed: unsupported Content-Encoding {encoding!r}", path=url)

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise InputError(f"fetch failed: response larger than {_size(self.limit)}", path=self.url)
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self.z is None:
            self._add(chunk)
            return
        try:
            while chunk:
                out = self.z.decompress(chunk, self.limit - self.size + 1)
                self._add(out)
                chunk = self.z.unconsumed_tail
        except zlib.error:
            if getattr(self, "raw_fallback", False) and not self.size:
                self.raw_fallback = False
                self.z = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(chunk)
                return
            raise InputError("fetch failed: response body is not valid compressed data", path=self.url) from None

    def finish(self) -> bytes:
        if self.z is not None:
            try:
                self._add(self.z.flush())
            except zlib.error:
                raise InputError("fetch failed: response body is not valid compressed data", path=self.url) from None
        return b"".join(self.parts)


def _shown_url(final: str | None, asked: str, shown: str) -> str:
    """The final URL as it may be shown: the one asked for as given (redacted), or where it led."""
    return shown if not final or final == asked else redact_url(final)


def _size(n: int) -> str:
    return f"{n / 2**20:g} MB" if n >= 2**20 else f"{n} bytes"


def fetch_url(
    url: str,
    *,
    timeout: float = 30.0,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int = 50 * 2**20,
    user_agent: str | None = None,
) -> FetchResult:
    """GET ``url`` (http/https only); see the module doc for the guarantees. ``user_agent``
    replaces the built-in User-Agent (``[fetch] user_agent``)."""
    shown = redact_url(url.strip()) if isinstance(url, str) else url
    url, auth = _check_url(url)
    headers = {"User-Agent": user_agent or USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = Deadline(timeout)
    opener = _opener(deadline)
    request = urllib.request.Request(url, headers=headers, method="GET")
    if auth:  # to this URL only: urllib does not carry an unredirected header on to a redirect
        request.add_unredirected_header("Authorization", auth)
    deadline.start()
    try:
        try:
            resp = opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as exc:
            with exc:
                if exc.code == 304:
                    if not (etag or last_modified):  # "not modified" since nothing: no answer at all
                        raise InputError("fetch failed: HTTP 304 Not Modified to a request that was not conditional",
                                         path=shown) from None
                    return FetchResult(
                        url=_shown_url(exc.geturl(), url, shown),
                        status=304,
                        body=None,
                        etag=exc.headers.get("ETag") or etag,
                        last_modified=exc.headers.get("Last-Modified") or last_modified,
                        not_modified=True,
                    )
                if 300 <= exc.code < 400:
                    if not (exc.headers.get("Location") or exc.headers.get("URI")):
                        raise InputError(f"fetch failed: HTTP {exc.code} without a Location to go to",
                                         path=shown) from None
                    raise InputError(f"fetch failed: HTTP {exc.code}: too many redirects", path=shown) from None
                reason = " ".join(str(exc.reason or "").split())[:80]
                retry = " ".join((exc.headers.get("Retry-After") or "").split())[:40]
                if retry and exc.code in (429, 503):
                    reason += f" (retry after {retry}{' s' if retry.isdigit() else ''})"
                raise InputError(f"fetch failed: HTTP {exc.code}{' ' + reason if reason else ''}",
                                 path=shown) from None
        with resp:
            status = resp.status
            length = resp.headers.get("Content-Length")
            if length and length.strip().isdigit() and int(length) > max_bytes:
                raise InputError(f"fetch failed: response larger than {_size(max_bytes)}", path=shown)
            decoder = _Decoder((resp.headers.get("Content-Encoding") or "").strip().lower(), max_bytes, shown)
            raw = 0
            while True:
                if deadline.remaining() <= 0:
                    raise TimeoutError
                chunk = resp.read1(_READ_CHUNK)
                if not chunk:
                    break
                raw += len(chunk)
                if raw > max_bytes:
                    raise InputError(f"fetch failed: response larger than {_size(max_bytes)}", path=shown)
                decoder.feed(chunk)
            if deadline.expired:  # the watchdog cut the body short
                raise TimeoutError
            if getattr(resp, "length", None):  # Content-Length promised more than came
                raise http.client.IncompleteRead(b"")
            body = decoder.finish()
            return FetchResult(
                url=_shown_url(resp.geturl(), url, shown),
                status=status,
                body=body,
                etag=resp.headers.get("ETag"),
                last_modified=resp.headers.get("Last-Modified"),
                not_modified=False,
            )
    except InputError:
        raise
    except _Refused as exc:
        raise InputError(f"fetch failed: {exc}", path=shown) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise InputError(f"fetch failed: {_reason(exc, deadline, timeout)}", path=shown) from None
    finally:
        deadline.cancel()
