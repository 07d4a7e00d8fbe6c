"""Emailing the digest, against a real SMTP server on 127.0.0.1 (aiosmtpd), no mocks.

Servers are started per test on a free port: plain, STARTTLS and implicit TLS
with a certificate from a test CA (trustme), with and without AUTH; a server
that rejects the message; a socket that never answers. The store and the
config are real files; the CLI is driven through click's CliRunner.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("aiosmtpd")
trustme = pytest.importorskip("trustme")

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

from digest.cli import cli  # noqa: E402
from digest.store import Store, utcnow  # noqa: E402

USER, PASSWORD = "reader", "correct horse battery staple"

# AUTH over plain text to 127.0.0.1 is what some tests want to exercise
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# --------------------------------------------------------------------------- servers
class Inbox:
    """An aiosmtpd handler: keeps what it accepts; can reject DATA or one recipient."""

    def __init__(self, reply: str | None = None, refuse_rcpt: str | None = None, delay: float = 0):
        self.reply = reply
        self.refuse_rcpt = refuse_rcpt
        self.delay = delay
        self.envelopes = []
        self.tls = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse_rcpt:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply:
            return self.reply
        self.envelopes.append(envelope)
        self.tls.append(session.ssl is not None)
        return "250 2.0.0 queued"

    def messages(self):
        return [email.message_from_bytes(e.original_content or e.content, policy=email.policy.default)
                for e in self.envelopes]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode()
          and auth_data.password == PASSWORD.encode())
    # handled=False on failure: aiosmtpd answers 535 itself (handled=True would make the client hang)
    return AuthResult(success=True) if ok else AuthResult(success=False, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(inbox: Inbox | None = None, **kwargs):
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


@pytest.fixture
def ca_file(ca, tmp_path) -> Path:
    path = tmp_path / "test-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


# --------------------------------------------------------------------------- store and config
@pytest.fixture
def runner():
    return CliRunner()


def invoke(runner, cfg: Path, *args, env=None):
    return runner.invoke(cli, ["--config", str(cfg), *args], catch_exceptions=False, env=env)


def store_dir() -> Path:
    return Path(os.environ["DIGEST_HOME"])


def add_papers(titles: list[str], **fields) -> list[str]:
    """Papers first seen in a new ingest run (written as raw records: titles are not cleaned)."""
    store = Store(store_dir())
    with store:
        run = store.latest_run() + 1
        recs = []
        for t in titles:
            rid = hashlib.sha256(f"{t}\0{run}".encode()).hexdigest()[:16]
            recs.append({"v": 1, "id": rid, "title": t, "abstract": f"We study diffusion in {t}.",
                         "authors": ["Ada Lovelace"], "published": "2025-11-18", "upvotes": 3,
                         "url": f"https://arxiv.org/abs/2511.{len(recs):05d}", "links": [],
                         "sources": ["test"], "first_seen": utcnow(), "last_seen": utcnow(),
                         "first_run": run, "last_run": run, **fields})
        store.append_records(recs)
    store.close()
    return [r["id"] for r in recs]


def events(kind: str = "sent") -> list[dict]:
    path = store_dir() / "events.jsonl"
    if not path.exists():
        return []
    return [e for e in map(json.loads, path.read_text().splitlines()) if e.get("type") == kind]


def sent_ids() -> list[str]:
    return [i for e in events() for i in e["ids"]]


def write_config(tmp_path: Path, mode: int = 0o600, **email_keys) -> Path:
    keys = {"from": "digest <digest@example.org>", "to": ["me@example.org"], "host": "127.0.0.1",
            "security": "none", "timeout": 5, "min_score": -100} | email_keys
    lines = ['[interests]', '"diffusion" = 2.0', '"robot*" = 1.0', "", "[store]", "lock_timeout = 10", "",
             "[email]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in keys.items() if v is not None]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, mode)
    return path


def parts(msg) -> tuple[str, str]:
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    return text, html


# --------------------------------------------------------------------------- delivery
def test_plain_smtp_to_localhost_then_nothing_new(runner, tmp_path):
    ids = add_papers(["Diffusion for Robots", "Robot Hands", "Tabular Things"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, to=["me@example.org", "Second <two@example.org>"])
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        assert "sent 3 papers to me@example.org, two@example.org via 127.0.0.1:" in r.stderr
        assert r.stdout == ""
        assert len(inbox.envelopes) == 1
        env = inbox.envelopes[0]
        assert env.mail_from == "digest@example.org"
        assert env.rcpt_tos == ["me@example.org", "two@example.org"]
        msg = inbox.messages()[0]
        assert msg.get_content_type() == "multipart/alternative"
        assert msg["Subject"] == f"3 new papers for {time.strftime('%Y-%m-%d')}"
        assert msg["Message-ID"].endswith("@example.org>") and msg["Date"]
        assert msg["Auto-Submitted"] == "auto-generated"
        assert sorted(sent_ids()) == sorted(ids)
        assert events()[0]["message_id"] == msg["Message-ID"]

        r = invoke(runner, cfg, "email")  # nothing new: no mail, exit 0, said on stderr
        assert r.exit_code == 0
        assert "nothing new to email" in r.stderr and "no mail sent" in r.stderr
        assert len(inbox.envelopes) == 1


def test_starttls_with_a_private_ca(runner, tmp_path, server_tls, ca_file):
    add_papers(["Diffusion over TLS"])
    with smtp_server(tls_context=server_tls, require_starttls=True) as (port, inbox):
        cfg = write_config(tmp_path, port=port, security="starttls", ca_file=str(ca_file))
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        assert inbox.tls == [True]
        assert len(sent_ids()) == 1


def test_implicit_tls(runner, tmp_path, server_tls, ca_file):
    add_papers(["Diffusion over implicit TLS"])
    with smtp_server(ssl_context=server_tls) as (port, inbox):
        cfg = write_config(tmp_path, port=port, security="tls", ca_file=str(ca_file))
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        assert len(inbox.envelopes) == 1 and len(sent_ids()) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_untrusted_certificate_is_refused(runner, tmp_path, server_tls, security):
    add_papers(["Diffusion to an impostor"])
    kwargs = {"tls_context": server_tls, "require_starttls": True} if security == "starttls" \
        else {"ssl_context": server_tls}
    with smtp_server(**kwargs) as (port, inbox):
        cfg = write_config(tmp_path, port=port, security=security)  # no ca_file: the system CAs only
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ")
        assert "certificate verification failed" in r.stderr and "ca_file" in r.stderr
        assert inbox.envelopes == [] and sent_ids() == []


def test_auth_success_with_password_from_env(runner, tmp_path, server_tls, ca_file):
    add_papers(["Diffusion with a login"])
    with smtp_server(tls_context=server_tls, require_starttls=True, authenticator=authenticator,
                     auth_required=True) as (port, inbox):
        cfg = write_config(tmp_path, port=port, security="starttls", ca_file=str(ca_file), username=USER,
                           password_env="DIGEST_TEST_SMTP_PASSWORD")
        r = invoke(runner, cfg, "email", env={"DIGEST_TEST_SMTP_PASSWORD": PASSWORD})
        assert r.exit_code == 0, r.output
        assert len(inbox.envelopes) == 1
        r = invoke(runner, cfg, "email", env={"DIGEST_TEST_SMTP_PASSWORD": ""})
        assert r.exit_code == 0  # nothing new: the password is not even needed


def test_missing_password_env_is_one_line_error(runner, tmp_path):
    add_papers(["Diffusion without a password"])
    cfg = write_config(tmp_path, port=free_port(), username=USER, password_env="DIGEST_TEST_NOPE")
    r = invoke(runner, cfg, "email", env={"DIGEST_TEST_NOPE": None})
    assert r.exit_code == 1
    assert "DIGEST_TEST_NOPE is not set" in r.stderr and sent_ids() == []


def test_auth_failure_never_shows_the_password(runner, tmp_path):
    add_papers(["Diffusion with a wrong login"])
    wrong = "Wr0ng-but-secret-passw0rd"
    with smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True) as (port, inbox):
        cfg = write_config(tmp_path, port=port, username=USER, password_command=[
            sys.executable, "-c", f"print({wrong!r}); print('second line is ignored')"])
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1
        assert f"login as '{USER}' refused: 535" in r.stderr
        assert wrong not in r.output and "Traceback" not in r.output
        import base64

        assert base64.b64encode(f"\0{USER}\0{wrong}".encode()).decode() not in r.output
        assert inbox.envelopes == [] and sent_ids() == []
        # the right password from a command (first line of its output) gets in
        cfg = write_config(tmp_path, port=port, username=USER,
                           password_command=[sys.executable, "-c", f"print({PASSWORD!r}); print('x')"])
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        assert len(inbox.envelopes) == 1


def test_failing_password_command(runner, tmp_path):
    add_papers(["Diffusion and a broken keyring"])
    cfg = write_config(tmp_path, port=free_port(), username=USER,
                       password_command=[sys.executable, "-c", "import sys; sys.exit(3)"])
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "password_command" in r.stderr and "exited with status 3" in r.stderr


def test_plaintext_password_needs_a_private_config(runner, tmp_path):
    add_papers(["Diffusion and file modes"])
    with smtp_server(authenticator=authenticator, auth_require_tls=False, auth_required=True) as (port, inbox):
        cfg = write_config(tmp_path, mode=0o644, port=port, username=USER, password=PASSWORD)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1
        assert r.stderr.startswith(f"Error: {cfg}: email.password: refused: the file is readable by group or "
                                   "others (mode 0644)")
        assert PASSWORD not in r.output
        r = invoke(runner, cfg, "email", "--dry-run")  # a config problem even when only previewing
        assert r.exit_code == 1 and "readable by group" in r.stderr
        os.chmod(cfg, 0o600)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        assert len(inbox.envelopes) == 1


def test_server_that_never_answers_fails_within_the_timeout(runner, tmp_path):
    add_papers(["Diffusion into the void"])
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        cfg = write_config(tmp_path, port=silent.getsockname()[1], timeout=1)
        t0 = time.monotonic()
        r = invoke(runner, cfg, "email")
        elapsed = time.monotonic() - t0
    assert r.exit_code == 1
    assert "no answer within 1 s" in r.stderr
    assert elapsed < 5
    assert sent_ids() == []


def test_starttls_not_offered_is_refused_not_downgraded(runner, tmp_path):
    add_papers(["Diffusion in the clear"])
    with smtp_server() as (port, inbox):  # a server without STARTTLS
        cfg = write_config(tmp_path, port=port, security="starttls")
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1 and "does not offer STARTTLS" in r.stderr
        assert inbox.envelopes == []


def test_connection_refused(runner, tmp_path):
    add_papers(["Diffusion to nobody"])
    cfg = write_config(tmp_path, port=free_port())
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "connection refused" in r.stderr


def test_rejected_message_is_not_marked_and_is_resent(runner, tmp_path):
    ids = add_papers(["Diffusion the server dislikes", "Robots the server dislikes"])
    with smtp_server(Inbox(reply="550 5.7.1 message refused by policy")) as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1
        assert r.stderr.strip().endswith("the server rejected the message: 550 5.7.1 message refused by policy")
        assert sent_ids() == []
    more = add_papers(["Diffusion that arrived the next day"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        assert sorted(sent_ids()) == sorted(ids + more)  # nothing lost: yesterday's papers come too
        text, html = parts(inbox.messages()[0])
        for title in ("Diffusion the server dislikes", "Robots the server dislikes",
                      "Diffusion that arrived the next day"):
            assert title in text


def test_crash_between_250_and_the_record_means_sent_again(runner, tmp_path, monkeypatch):
    """At least once: a mail that was accepted but not recorded is sent again, and we say so."""
    from digest.errors import StoreError

    ids = add_papers(["Diffusion on a full disk"])
    real = Store.append_events

    def disk_full(self, evs):
        if any(e.get("type") == "sent" for e in evs):
            raise StoreError("cannot append: no space left (disk full or file size limit)")
        return real(self, evs)

    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        monkeypatch.setattr(Store, "append_events", disk_full)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1
        assert "the digest WAS sent (Message-ID <" in r.stderr and "will send these papers again" in r.stderr
        monkeypatch.setattr(Store, "append_events", real)
        assert invoke(runner, cfg, "email").exit_code == 0
        assert len(inbox.envelopes) == 2 and sent_ids() == ids


def test_refused_recipient_still_counts_as_sent(runner, tmp_path):
    add_papers(["Diffusion for two"])
    with smtp_server(Inbox(refuse_rcpt="gone@example.org")) as (port, inbox):
        cfg = write_config(tmp_path, port=port, to=["me@example.org", "gone@example.org"])
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0
        assert "Warning: the server refused recipient gone@example.org: 550 5.1.1" in r.stderr
        assert inbox.envelopes[0].rcpt_tos == ["me@example.org"] and len(sent_ids()) == 1


HOSTILE = [
    "Title\r\nBcc: evil@example.com",
    "<script>alert(1)</script> Diffusion",
    "Multi\nline\ttitle about robots",
    "大规模语言模型的扩散模型 diffusion",
    "$α$-Diffusion with $\\alpha$ & <b>bold</b>",
]


def test_hostile_titles_arrive_escaped(runner, tmp_path):
    add_papers(HOSTILE, abstract="<img src=x onerror=alert(1)> diffusion", url="javascript:alert(1)")
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, subject="digest\n{count} for {date}\r\nBcc: x@example.com")
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        env = inbox.envelopes[0]
        assert env.rcpt_tos == ["me@example.org"]
        raw = env.original_content
        assert b"\nBcc:" not in raw and b"\nbcc:" not in raw.lower()
        msg = inbox.messages()[0]
        assert msg["Bcc"] is None
        assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
        assert msg["Subject"].startswith("digest 5 for ")
        text, html = parts(msg)
        assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
        assert "javascript:" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "Title Bcc: evil@example.com" in text and "Multi line title about robots" in text
        for needle in ("大规模语言模型的扩散模型", "$α$-", "$\\alpha$ &amp; &lt;b&gt;bold&lt;/b&gt;"):
            assert needle in html
        assert "大规模语言模型的扩散模型" in text and "$α$-Diffusion with $\\alpha$ & <b>bold</b>" in text


def test_text_and_html_parts_both_hold_every_ranked_item(runner, tmp_path):
    titles = [f"Diffusion study number {i:02d}" + (" with robots" * (i % 3)) for i in range(1, 16)]
    ids = add_papers(titles)
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, max_items=50)
        assert invoke(runner, cfg, "email").exit_code == 0
        text, html = parts(inbox.messages()[0])
        for t, i in zip(titles, ids, strict=True):
            assert t in text and i[:8] in text
            assert i[:8] in html
            assert f"study number {t[23:25]}" in html


def test_sendmail_transport(runner, tmp_path):
    ids = add_papers(["Diffusion by local mail"])
    out = tmp_path / "sent.eml"
    script = tmp_path / "fake-sendmail"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/args\ncat > {out}\n")
    script.chmod(0o755)
    cfg = write_config(tmp_path, transport="sendmail", host=None, security=None,
                       sendmail_command=[str(script), "-t", "-oi"])
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 0, r.output
    msg = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert "Diffusion by local mail" in parts(msg)[0]
    assert (tmp_path / "args").read_text().strip() == "-t -oi"
    assert sent_ids() == ids


def test_sendmail_without_dash_t_gets_the_recipients_and_failure_is_not_marked(runner, tmp_path):
    add_papers(["Diffusion by broken local mail"])
    script = tmp_path / "broken-sendmail"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {tmp_path}/args\ncat >/dev/null\necho 'queue is full' >&2\n"
                      "exit 75\n")
    script.chmod(0o755)
    cfg = write_config(tmp_path, transport="sendmail", host=None, security=None, sendmail_command=[str(script)])
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1
    assert r.stderr.strip().endswith("exited with status 75: queue is full; the digest was not sent")
    assert (tmp_path / "args").read_text().strip() == "me@example.org"
    assert sent_ids() == []
    cfg = write_config(tmp_path, transport="sendmail", host=None, security=None,
                       sendmail_command=[str(tmp_path / "missing")])
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "command not found" in r.stderr


def test_sendmail_that_leaves_a_background_child_counts_as_sent(runner, tmp_path):
    """An MTA that queues the message, exits 0 and delivers from a background process (which
    inherited its stdout and stderr) accepted the message: it is marked sent, at once, and not
    reported as a timeout (which would mail the same papers again tomorrow)."""
    ids = add_papers(["Diffusion queued for later"])
    out = tmp_path / "queued.eml"
    script = tmp_path / "queueing-sendmail"
    script.write_text(f"#!/bin/sh\ncat > {out}\necho queued >&2\nsleep 4 &\nexit 0\n")
    script.chmod(0o755)
    cfg = write_config(tmp_path, transport="sendmail", host=None, security=None, timeout=1,
                       sendmail_command=[str(script), "-t"])
    t0 = time.monotonic()
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 0, r.stderr
    assert time.monotonic() - t0 < 1
    assert sent_ids() == ids
    assert "Diffusion queued for later" in parts(email.message_from_bytes(out.read_bytes(),
                                                                         policy=email.policy.default))[0]


def test_sendmail_that_accepts_with_a_warning_is_sent_and_the_warning_shown(runner, tmp_path):
    """Exit 0 is acceptance, but what the command said on stderr is not swallowed (postfix's
    sendmail exits 0 with a warning when its pickup service is down: the mail waits in the queue)."""
    ids = add_papers(["Diffusion into the maildrop"])
    script = tmp_path / "warning-sendmail"
    script.write_text("#!/bin/sh\ncat >/dev/null\nprintf 'postdrop: warning: unable to look up public/pickup: "
                      "No such file or directory\\033[2J\\n' >&2\nexit 0\n")
    script.chmod(0o755)
    cfg = write_config(tmp_path, transport="sendmail", host=None, security=None, sendmail_command=[str(script)])
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 0, r.stderr
    assert sent_ids() == ids
    warning = [line for line in r.stderr.splitlines() if line.startswith("Warning: ")]
    assert warning == [f"Warning: sendmail command {script} accepted the digest but said: postdrop: warning: "
                       "unable to look up public/pickup: No such file or directory [2J"], r.stderr
    assert "\x1b" not in r.stderr


def test_every_recipient_survives_the_folding_of_the_to_header(runner, tmp_path):
    """The email package (3.11) folds a To list of non-ASCII display names wrongly for some
    layouts: the comma between two addresses went into an encoded word (=?utf-8?q?=2C?=), and a
    reader saw two recipients where three were named. Each address is folded on its own."""
    to = ["aüΩ zaézΩ éézcΩaüz aaΩcé <u0@example.org>", "üécxüac éaxaΩbü <u1@example.org>",
          "c Ωzxb zabxzza yΩyüccü <u2@example.org>", "Zoë Ångström-Lindqvist <zoe@example.org>",
          "Plain Name <plain@example.org>", "bare@example.org"]
    add_papers(["Diffusion for every reader"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, to=to)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.stderr
        raw = inbox.envelopes[0].original_content
        msg = inbox.messages()[0]
    want = [email.utils.parseaddr(t) for t in to]
    assert [(a.display_name, a.addr_spec) for a in msg["To"].addresses] == want
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert b"=2C?=" not in head


INTERNATIONAL = ["Zoë Ångström <zoë@example.org>", "Ümit <u@exämple.org>"]


def test_international_addresses_preview_without_a_traceback(runner, tmp_path):
    """A non-ASCII local part (RFC 6531) and a non-ASCII domain (IDNA): the domain goes out as
    its xn-- form, in the headers and the envelope; the local part as UTF-8 (never an encoded
    word inside an address, which no reader takes)."""
    add_papers(["Diffusion for everyone"])
    cfg = write_config(tmp_path, to=INTERNATIONAL, **{"from": "Dïgest <dïgest@exämple.org>"})
    r = invoke(runner, cfg, "email", "--dry-run")
    assert r.exit_code == 0, r.stderr
    # (RFC 6532: headers are UTF-8; the email package's bytes parser would read them as ASCII)
    msg = email.message_from_string(r.stdout_bytes.decode("utf-8"), policy=email.policy.default)
    assert [a.addr_spec for a in msg["To"].addresses] == ["zoë@example.org", "u@xn--exmple-cua.org"]
    assert [a.display_name for a in msg["To"].addresses] == ["Zoë Ångström", "Ümit"]
    assert msg["From"].addresses[0].addr_spec == "dïgest@xn--exmple-cua.org"
    assert b"=?utf-8?" not in b"".join(line for line in r.stdout_bytes.split(b"\n")
                                       if line.startswith((b"To:", b"From:", b" ")) and b"@" in line)


def test_international_addresses_need_smtputf8_and_are_never_marked_without_it(runner, tmp_path):
    ids = add_papers(["Diffusion across borders"])
    with smtp_server(enable_SMTPUTF8=False) as (port, inbox):
        cfg = write_config(tmp_path, port=port, to=INTERNATIONAL)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 1
        assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r.stderr
        assert "SMTPUTF8" in r.stderr
        assert inbox.envelopes == [] and sent_ids() == []
    with smtp_server(enable_SMTPUTF8=True) as (port, inbox):  # (aiosmtpd's Controller default)
        cfg = write_config(tmp_path, port=port, to=INTERNATIONAL)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.stderr
        assert inbox.envelopes[0].rcpt_tos == ["zoë@example.org", "u@xn--exmple-cua.org"]
        msg = email.message_from_string(inbox.envelopes[0].original_content.decode("utf-8"),
                                        policy=email.policy.default)
        assert [a.addr_spec for a in msg["To"].addresses] == ["zoë@example.org", "u@xn--exmple-cua.org"]
        assert "Diffusion across borders" in parts(msg)[0]
        assert sent_ids() == ids


def test_an_idn_domain_alone_needs_no_smtputf8(runner, tmp_path):
    add_papers(["Diffusion with punycode"])
    with smtp_server(enable_SMTPUTF8=False) as (port, inbox):
        cfg = write_config(tmp_path, port=port, to=["u@exämple.org"])
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.stderr
        assert inbox.envelopes[0].rcpt_tos == ["u@xn--exmple-cua.org"]
        assert "sent 1 paper to u@xn--exmple-cua.org" in r.stderr


# --------------------------------------------------------------------------- never lose, never repeat
def test_dry_run_and_to_file_change_nothing(runner, tmp_path):
    add_papers(["Diffusion preview"])
    cfg = write_config(tmp_path, port=free_port())  # nothing listens: nothing may try to send
    r = invoke(runner, cfg, "email", "--dry-run")
    assert r.exit_code == 0, r.output
    msg = email.message_from_bytes(r.stdout_bytes, policy=email.policy.default)
    assert "Diffusion preview" in parts(msg)[0]
    assert "dry run" in r.stderr and "nothing marked" in r.stderr
    eml = tmp_path / "out.eml"
    r = invoke(runner, cfg, "email", "--to-file", str(eml))
    assert r.exit_code == 0 and r.stdout == ""
    assert "Diffusion preview" in parts(email.message_from_bytes(eml.read_bytes(), policy=email.policy.default))[0]
    assert not (store_dir() / "events.jsonl").exists()


def test_first_mail_is_the_latest_run_then_missed_days_accumulate(runner, tmp_path):
    add_papers(["Diffusion history one", "Diffusion history two"])  # before email was set up
    monday = add_papers(["Diffusion on Monday"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        assert invoke(runner, cfg, "email").exit_code == 0
        assert sent_ids() == monday
        saturday = add_papers(["Diffusion on Saturday"])
        sunday = add_papers(["Diffusion on Sunday", "Robots on Sunday"])
        assert invoke(runner, cfg, "email").exit_code == 0
        text, _ = parts(inbox.messages()[1])
        assert "Diffusion history" not in text
        assert sorted(events()[1]["ids"]) == sorted(saturday + sunday)
        assert inbox.messages()[1]["Subject"].startswith("3 new papers for ")


def test_a_failed_first_send_loses_nothing(runner, tmp_path):
    first = add_papers(["Diffusion on day one"])
    cfg = write_config(tmp_path, port=free_port())
    assert invoke(runner, cfg, "email").exit_code == 1  # no server
    second = add_papers(["Diffusion on day two"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        assert invoke(runner, cfg, "email").exit_code == 0
    assert sorted(sent_ids()) == sorted(first + second)


def test_cut_papers_count_as_digested(runner, tmp_path):
    add_papers([f"Diffusion paper {i}" for i in range(5)] + ["Tabular muted"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, max_items=3, min_score=3)  # title hits score 6, others 2
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0
        assert "sent 3 papers" in r.stderr and "3 more counted as digested" in r.stderr
        text, html = parts(inbox.messages()[0])
        assert ("Not in this mail: 3 more papers: 2 beyond the 3 per mail (max_items) and 1 below "
                "min_score 3.") in " ".join(text.split())
        assert events()[0]["held_back"] == 3
        r = invoke(runner, cfg, "email")
        assert "nothing new" in r.stderr and len(inbox.envelopes) == 1
        add_papers(["Tabular only"])  # nothing qualifies: settled without a mail, and said so
        r = invoke(runner, cfg, "email", "--dry-run")
        assert r.exit_code == 0 and r.stderr == ("no mail sent (send_empty = false): 1 new paper since the last "
                                                 "digest, none for the mail (1 below min_score 3)\n")
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0 and "nothing new" not in r.stderr
        assert r.stderr == ("no mail sent (send_empty = false): 1 new paper since the last digest, none for "
                            "the mail (1 below min_score 3); counted as digested\n")
        assert len(events("email_skipped")) == 1 and len(inbox.envelopes) == 1


def test_left_out_note_counts_them_and_its_command_selects_exactly_them(runner, tmp_path):
    """Issue 14, defect 7: with several ingests on one day, `digest show --since DAY --limit N
    --min-score X` listed papers that were in an earlier mail too. The mail now gives the count
    (both parts); the text part gives a command that selects exactly the papers left out; the
    HTML part (a phone) has no command."""
    first = add_papers(["Diffusion of the morning"])  # ingest 1, mailed
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, max_items=2)
        assert invoke(runner, cfg, "email").exit_code == 0
        second = add_papers([f"Diffusion paper {i}" for i in range(4)] + ["Tabular muted"])  # same day
        third = add_papers(["Weather only"], abstract="Graph networks forecast the weather.")
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        text, html = parts(inbox.messages()[1])
    mailed = set(events()[1]["ids"])
    left_out = set(second + third) - mailed
    assert len(mailed) == 2 and len(left_out) == 4
    flat = " ".join(text.split())
    assert ("Not in this mail: 4 more papers: 3 beyond the 2 per mail (max_items) and 1 that matched none "
            "of your interests. They will not be mailed later.") in flat
    cmd = re.search(r"`(digest show --held-back \d+)`", flat).group(1)
    shown = json.loads(invoke(runner, cfg, *cmd.split()[1:], "--format", "json").stdout)
    assert {d["id"] for d in shown} == left_out  # exactly those: not the morning's mailed paper
    assert not set(first) & {d["id"] for d in shown}
    html_flat = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "Not in this mail: 4 more papers" in html_flat and "digest show" not in html_flat


def test_a_preview_names_the_same_command(runner, tmp_path):
    add_papers(["Diffusion one", "Diffusion two", "Diffusion three"])
    cfg = write_config(tmp_path, max_items=1)
    eml = invoke(runner, cfg, "email", "--dry-run").stdout
    msg = email.message_from_string(eml, policy=email.policy.default)
    text = " ".join(parts(msg)[0].split())
    cmd = re.search(r"`(digest show --held-back \d+)`", text).group(1)
    shown = json.loads(invoke(runner, cfg, *cmd.split()[1:], "--format", "json").stdout)
    assert len(shown) == 3  # nothing was mailed: all three are still not mailed
    r = invoke(runner, cfg, "show", "--held-back", "99")
    assert r.exit_code == 0 and "showing 0 of 0" in r.stdout


def test_send_empty(runner, tmp_path):
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port, send_empty=True)
        r = invoke(runner, cfg, "email")
        assert r.exit_code == 0, r.output
        msg = inbox.messages()[0]
        assert msg["Subject"].startswith("0 new papers")
        assert "Nothing new" in parts(msg)[0]


HOLD_LOCK = """
import sys, time
from digest.store import Store
with Store(sys.argv[1]):
    print('locked', flush=True)
    time.sleep(5)
"""


def test_busy_store_exits_75_and_sends_nothing(runner, tmp_path):
    add_papers(["Diffusion while busy"])
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        cfg.write_text(cfg.read_text().replace("lock_timeout = 10", "lock_timeout = 0.3"))
        p = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store_dir())], stdout=subprocess.PIPE,
                             text=True)
        try:
            assert p.stdout.readline().strip() == "locked"
            r = invoke(runner, cfg, "email")
        finally:
            p.kill()
            p.wait()
        assert r.exit_code == 75 and "busy" in r.stderr
        assert inbox.envelopes == []


def test_two_runs_at_once_never_send_the_same_papers(tmp_path):
    add_papers(["Diffusion raced for", "Robots raced for"])
    with smtp_server(Inbox(delay=1.0)) as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        cmd = [sys.executable, "-m", "digest", "--config", str(cfg), "email"]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outs = [p.communicate(timeout=30) for p in procs]
        codes = sorted(p.returncode for p in procs)
    assert codes == [0, 0], outs
    assert len(inbox.envelopes) == 1
    assert sum("nothing new" in err for _, err in outs) == 1
    assert len(sent_ids()) == 2


# --------------------------------------------------------------------------- digest run --email
def test_run_email_fetches_ingests_and_mails(runner, tmp_path, data_dir):
    with smtp_server() as (port, inbox):
        cfg = write_config(tmp_path, port=port)
        cfg.write_text(f'[sources.pages]\npath = "{data_dir / "cli" / "day1.txt"}"\n' + cfg.read_text())
        os.chmod(cfg, 0o600)
        r = invoke(runner, cfg, "run", "--dry-run")
        assert r.exit_code == 2 and "--dry-run goes with --email" in r.output
        r = invoke(runner, cfg, "run", "--email", "--dry-run")
        assert r.exit_code == 0, r.output
        assert b"Diffusion Policies for Dexterous Robot Manipulation" in r.stdout_bytes
        assert inbox.envelopes == [] and sent_ids() == []
        r = invoke(runner, cfg, "run", "--email")
        assert r.exit_code == 0, r.output
        assert r.stdout == ""
        # day1's Sparse Pre-Training and Survey papers match none of [interests]: left out, counted
        assert "sent 1 paper" in r.stderr and "2 more counted as digested" in r.stderr
        text, html = parts(inbox.messages()[0])
        assert "pages: 0 new, 0 parsed, 1 unchanged input skipped" in text  # the run's own source line
        assert "Diffusion Policies for Dexterous Robot Manipulation" in text
        r = invoke(runner, cfg, "run", "--email")
        assert r.exit_code == 0 and "nothing new to email" in r.stderr
        r = invoke(runner, cfg, "run", "--email", "--quiet")  # for cron: silent unless something is wrong
        assert r.exit_code == 0 and r.output == ""


# --------------------------------------------------------------------------- config
@pytest.mark.parametrize("line, message", [
    ("colour = 'red'", "email.colour: unknown key (expected one of:"),
    ("port = '587'", "email.port: must be an integer, got string '587'"),
    ("security = 'ssl'", "email.security: must be one of tls, starttls, none, got 'ssl'"),
    ("to = []", "email.to: must name at least one address"),
    ("to = ['not an address']", "email.to: 'not an address' is not a mail address"),
    ("to = ['me@example.org, you@example.org']", "email.to: 'me@example.org, you@example.org' holds "
                                                 "2 addresses: write each as its own string"),
    (f"to = ['me@{'a' * 64}.ä.org']", f"email.to: 'me@{'a' * 64}.ä.org': the domain is not a valid "
                                      "host name"),
    ("subject = '{count} papers on {day}'", "email.subject: unknown field {day}"),
    ("timeout = 0", "email.timeout: must be a positive number of seconds"),
    ("password_env = 'X'\npassword_command = ['pass']", "email.password_command: give only one of"),
    ("password_env = 'X'", "email.password_env: needs email.username"),
])
def test_email_config_errors_name_file_and_key(runner, tmp_path, line, message):
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[email]\nfrom = 'a@example.org'\n{line}\n")
    r = invoke(runner, cfg, "show")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: {cfg}: {message}"), r.stderr
    assert r.stderr.count("\n") == 1


def test_send_config_errors(runner, tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[interests]\nx = 1\n")
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "no [email] table" in r.stderr
    cfg.write_text("[email]\nfrom = 'a@example.org'\nto = 'b@example.org'\n")
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "email.host: required" in r.stderr
    cfg.write_text("[email]\nfrom = 'a@example.org'\nto = 'b@example.org'\nhost = 'mail.example.org'\n"
                   "security = 'none'\n")
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "clear text" in r.stderr and "allow_insecure" in r.stderr
    cfg.write_text("[email]\nfrom = 'a@example.org'\nto = 'b@example.org'\nhost = 'mail.example.org'\n"
                   "ca_file = '/nonexistent/ca.pem'\n")
    r = invoke(runner, cfg, "email")
    assert r.exit_code == 1 and "email.ca_file: /nonexistent/ca.pem: no such file" in r.stderr


def test_email_without_any_config_says_how_to_start():
    from click.testing import CliRunner

    from digest.cli import cli

    r = CliRunner().invoke(cli, ["email", "--dry-run"])
    assert r.exit_code == 1
    assert "run `digest config init`, then add an [email] table" in r.stderr


def test_preview_needs_only_from_and_to(tmp_path, data_dir):
    from click.testing import CliRunner

    from digest.cli import cli

    cfg = tmp_path / "c.toml"
    cfg.write_text('[email]\nfrom = "digest@example.org"\nto = "me@example.org"\n')
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(cfg), "ingest", str(data_dir / "cli" / "day1.txt")]).exit_code == 0
    r = runner.invoke(cli, ["--config", str(cfg), "email", "--dry-run"])
    assert r.exit_code == 0, r.stderr
    assert "Subject: " in r.stdout and "To: me@example.org" in r.stdout
    r = runner.invoke(cli, ["--config", str(cfg), "email"])  # sending still needs a host
    assert r.exit_code == 1 and "email.host: required" in r.stderr


@pytest.mark.parametrize("keys, why", [
    ("", 'email.host: required when transport = "smtp"'),
    ("host = 'mail.example.org'\nsecurity = 'none'\n", "clear text"),
    ("host = 'mail.example.org'\nca_file = '/nonexistent/ca.pem'\n", "email.ca_file: /nonexistent/ca.pem: no such file"),
])
def test_config_check_fails_an_email_table_that_cannot_send(runner, tmp_path, keys, why):
    # README: `config check` validates the config "with every rule the commands apply". An [email]
    # that `digest run --email` refuses at 6 a.m. (no host, clear text to a remote host, a missing
    # CA file) was called "valid", exit 0.
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"[email]\nfrom = 'a@example.org'\nto = 'b@example.org'\n{keys}")
    r = invoke(runner, cfg, "config", "check")
    assert r.exit_code == 1, r.output
    assert "\nemail  smtp\n  fails: " in r.stdout and why in r.stdout, r.stdout
    assert "Traceback" not in r.output


def test_config_check_says_where_a_working_email_table_sends(runner, tmp_path):
    cfg = write_config(tmp_path, port=2525)
    r = invoke(runner, cfg, "config", "check")
    assert r.exit_code == 0, r.output
    assert "\nemail  smtp 127.0.0.1:2525\n  ok: settings complete (nothing sent; `digest email --dry-run` " in r.stdout
    cfg = write_config(tmp_path, transport="sendmail", host=None, security=None)
    r = invoke(runner, cfg, "config", "check")
    assert r.exit_code == 0, r.output
    assert "\nemail  sendmail command /usr/sbin/sendmail\n  ok: " in r.stdout


@pytest.mark.parametrize("how", ["config", "digest mute"])
def test_mute_terms_alone_leave_nothing_out_as_unmatched(runner, tmp_path, how):
    # An interest list emptied down to its mute terms (or none, with `digest mute survey` kept):
    # every paper that was not muted "matched nothing" and was left out, so the mail was never
    # sent, the papers were settled as digested for good, and --quiet said not a word.
    ids = add_papers(["Diffusion for Robots", "Robot Hands", "A Survey of Surveys"])
    cfg = write_config(tmp_path)
    text = cfg.read_text().replace('"diffusion" = 2.0\n"robot*" = 1.0\n', '"survey" = -1.0\n' if how == "config" else "")
    cfg.write_text(text)
    if how == "digest mute":
        assert invoke(runner, cfg, "mute", "survey").exit_code == 0
    with smtp_server() as (port, inbox):
        cfg.write_text(text.replace('host = "127.0.0.1"', f'host = "127.0.0.1"\nport = {port}')
                       .replace("min_score = -100", "min_score = 0"))
        r = invoke(runner, cfg, "email", "--quiet")
        assert r.exit_code == 0, r.output
        assert len(inbox.envelopes) == 1
    assert sorted(sent_ids()) == sorted(ids[:2])  # the muted survey is hidden, the others are mailed
    r = invoke(runner, cfg, "show", "--format", "json")
    assert [p["title"] for p in json.loads(r.stdout)] == ["Diffusion for Robots", "Robot Hands"]
    assert "matched nothing" not in r.stderr
