"""Helpers for the issue 11 stress tests (``test_promises.py``, ``test_repair.py``).

Nothing here is a test. Like ``stresskit`` (whose knobs these tests share), every
helper drives the installed ``digest`` in real subprocesses and looks at the store
only through the CLI and the plain files.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from stresskit import digest, digest_exe, env_for, in_namespace, userns_available

# ---------------------------------------------------------------------------- outcomes


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def assert_no_traceback(r, what: str = "") -> None:
    out = (r.stdout or "") + (r.stderr or "")
    assert "Traceback" not in out, f"{what}: a traceback:\n{r.stderr[-3000:]}"


def assert_clean_failure(r, *needles: str, code: int = 1) -> str:
    """Exit ``code`` with exactly one ``Error:`` line (no traceback) containing every needle."""
    assert_no_traceback(r)
    assert r.returncode == code, (r.returncode, r.stderr)
    errs = error_lines(r.stderr)
    assert len(errs) == 1, r.stderr
    for n in needles:
        assert n in errs[0], errs[0]
    return errs[0]


def assert_papers_or_one_error(r, what: str = "") -> None:
    """The issue's rule for any input: papers (exit 0), or one ``Error:`` line and a non-zero exit."""
    assert_no_traceback(r, what)
    if r.returncode != 0:
        assert len(error_lines(r.stderr)) >= 1, f"{what}: exit {r.returncode} without an Error: line: {r.stderr}"


# Bytes a terminal acts on: every C0 control but \t and \n, DEL, C1 (raw or UTF-8 encoded),
# bidi overrides and isolates. A file name is data too: none of these may reach a stream raw.
RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def raw_bytes(home: Path, *args: str, config: Path | None = None, input: bytes | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``digest ARGS``, keeping stdout and stderr as bytes."""
    return subprocess.run([digest_exe(), *args], env=env_for(home, config), input=input,
                          capture_output=True, timeout=timeout)


def papers_once(papers: list[dict]) -> None:
    ids = Counter(p["id"] for p in papers)
    twice = [i for i, n in ids.items() if n > 1]
    assert not twice, f"papers shown twice: {twice[:5]}"


# ---------------------------------------------------------------------------- the store files


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1] if path.exists() else []


def insert_line(path: Path, line: bytes, at: int) -> None:
    """Put ``line`` before line number ``at`` (0-based): a hand edit saved as editors do, to a new
    file renamed over the old one (a reader holding the old file keeps reading it whole)."""
    lines = path.read_bytes().split(b"\n")
    lines.insert(at, line)
    tmp = path.with_name(path.name + ".edit")
    tmp.write_bytes(b"\n".join(lines))
    os.replace(tmp, path)


def edit_in_place(path: Path, lineno: int, new: bytes) -> None:
    """Overwrite line ``lineno`` (0-based) with ``new`` of the same length, in place: the file
    keeps its size, inode and last bytes, as after an editor writing in place or a bit flip."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    assert len(new) == len(lines[lineno]), (len(new), len(lines[lineno]))
    off = sum(len(x) + 1 for x in lines[:lineno])
    st = os.stat(path)
    with open(path, "r+b") as fh:
        fh.seek(off)
        fh.write(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def rejected_raw(home: Path) -> list[bytes]:
    """The exact bytes of every line kept aside in items.jsonl.rejected."""
    import base64

    out = []
    for line in lines_of(home / "items.jsonl.rejected"):
        note = json.loads(line)
        out.append(base64.b64decode(note["raw_base64"]) if "raw_base64" in note else note["line"].encode())
    return out


# ---------------------------------------------------------------------------- read-only stores


def readonly_runner(home: Path, tmp_path: Path):
    """A function running digest commands with ``home`` read-only, for real even as root
    (the same three ways as test_damage: file modes, a read-only bind mount, chattr +i)."""
    if os.geteuid() != 0:
        def run(*argvs, config: Path | None = None):
            paths = [home, *home.iterdir()]
            modes = {p: p.stat().st_mode for p in paths}
            for p in paths:
                p.chmod(0o555 if p.is_dir() else 0o444)
            try:
                return [digest(home, *a, config=config, input=b"") for a in argvs]
            finally:
                for p, m in modes.items():
                    p.chmod(m)
        return run
    if userns_available(tmp_path):
        def run(*argvs, config: Path | None = None):
            res = in_namespace({"mounts": [{"type": "ro-bind", "path": str(home)}],
                                "steps": [{"argv": [digest_exe(), *a]} for a in argvs]}, env_for(home, config))
            return [subprocess.CompletedProcess(a, x["rc"], x["stdout"], x["stderr"]) for a, x in zip(argvs, res, strict=True)]
        return run
    if subprocess.run(["chattr", "+i", str(home)], capture_output=True).returncode == 0:
        subprocess.run(["chattr", "-i", str(home)], check=True)

        def run(*argvs, config: Path | None = None):
            paths = [str(p) for p in home.iterdir()] + [str(home)]
            subprocess.run(["chattr", "+i", *paths], check=True)
            try:
                return [digest(home, *a, config=config, input=b"") for a in argvs]
            finally:
                subprocess.run(["chattr", "-i", *paths], check=True)
        return run
    pytest.skip("running as root without user namespaces or chattr: no way to make a directory "
                "read-only for root (chmod does not stop root)")


# ---------------------------------------------------------------------------- processes


def wait_for(predicate, timeout: float, interval: float = 0.002) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def opened(pid: int, path: Path) -> bool:
    """Does process ``pid`` have ``path`` open right now?"""
    target = str(path)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def freeze(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGSTOP)


def thaw(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGCONT)


def finish(proc: subprocess.Popen, timeout: float = 120) -> subprocess.CompletedProcess:
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode("utf-8", "replace"),
                                       err.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------- servers


def free_port(host: str = "127.0.0.1") -> int:
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ChattySMTP:
    """An SMTP server that keeps talking and never finishes a reply: at ``stage`` (``greeting``,
    ``ehlo`` or ``data``) it sends a continuation line (``220-``/``250-``) every ``every``
    seconds, forever. Every socket operation of the client succeeds, so a timeout per
    operation never fires: only a total deadline ends the session."""

    def __init__(self, stage: str, every: float = 0.5) -> None:
        import socketserver

        self.stage, self.every = stage, every
        self.stop = threading.Event()
        chatty = self

        class Session(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    chatty.session(self.rfile, self.wfile)
                except OSError:
                    pass

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _drip(self, out, code: bytes) -> None:
        while not self.stop.is_set():
            out.write(code + b"-still here\r\n")
            out.flush()
            time.sleep(self.every)

    def session(self, rfile, out) -> None:
        if self.stage == "greeting":
            return self._drip(out, b"220")
        out.write(b"220 chatty ESMTP\r\n")
        while not self.stop.is_set():
            line = rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                if self.stage == "ehlo":
                    return self._drip(out, b"250")
                out.write(b"250-chatty\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                out.write(b"354 go ahead\r\n")
                while rfile.readline() not in (b".\r\n", b""):
                    pass
                return self._drip(out, b"250")
            elif verb == b"QUIT":
                out.write(b"221 bye\r\n")
                return
            else:
                out.write(b"250 ok\r\n")

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


class LateQuitSink:
    """An aiosmtpd server that accepts every message (250) and then answers QUIT only after
    ``quit_delay`` seconds. ``on_quit`` (if set) is called, in a thread of its own, the
    moment QUIT arrives: the test looks at the store then, or kills the sender."""

    def __init__(self, quit_delay: float, host: str = "127.0.0.1") -> None:
        self.quit_delay = quit_delay
        self.host = host
        self.messages: list[str] = []  # Message-IDs accepted
        self.quits = 0
        self.on_quit = None
        self.controller = None

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append(str(msg["Message-ID"]))
        return "250 2.0.0 queued"

    def start(self) -> int:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP

        sink = self

        class SlowQuit(SMTP):
            async def smtp_QUIT(self, arg):
                sink.quits += 1
                if sink.on_quit is not None:
                    threading.Thread(target=sink.on_quit, daemon=True).start()
                await asyncio.sleep(sink.quit_delay)
                return await super().smtp_QUIT(arg)

        class Ctl(Controller):
            def factory(self):
                return SlowQuit(self.handler, hostname=sink.host)

        port = free_port(self.host)
        self.controller = Ctl(self, hostname=self.host, port=port)
        self.controller.start()
        return port

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


def email_config(path: Path, port: int, *, host: str = "127.0.0.1", timeout: float = 10,
                 lock_timeout: float = 30, extra: str = "") -> Path:
    path.write_text(
        "[interests]\n\"diffusion\" = 2.0\n\n[show]\nlimit = 1000\nmin_score = -1000\n\n"
        f"[store]\nlock_timeout = {lock_timeout}\n\n"
        "[email]\nfrom = \"digest <digest@example.org>\"\nto = [\"me@example.org\"]\n"
        f"host = \"{host}\"\nport = {port}\nsecurity = \"none\"\ntimeout = {timeout}\n"
        "max_items = 100000\nmin_score = -1000\n" + extra, encoding="utf-8")
    os.chmod(path, 0o600)
    return path


def sent_events(home: Path) -> list[dict]:
    out = []
    for line in lines_of(home / "events.jsonl"):
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict) and ev.get("type") == "sent":
            out.append(ev)
    return out

