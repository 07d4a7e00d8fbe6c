"""`digest triage` for real: the installed command in a pseudo-terminal of 80x24, keys typed, quit,
then the store checked (what a person at a terminal, over SSH or in tmux, gets)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytest.importorskip("textual")


def digest_exe() -> str:
    exe = Path(sys.executable).parent / "digest"
    return str(exe) if exe.exists() else (shutil.which("digest") or "digest")


class Terminal:
    """A child process on a pseudo-terminal: type into it, read what it draws."""

    def __init__(self, args: list[str], env: dict, size=(24, 80), *, controlling: bool = False) -> None:
        """``controlling``: the terminal is the child's controlling terminal (as a terminal
        window's or an SSH session's is): closing it hangs up the session, SIGHUP."""
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
        take = (lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)) if controlling else None
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True, preexec_fn=take)
        os.close(slave)
        self.output = b""

    def read(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    return
                if not chunk:
                    return
                self.output += chunk

    def wait_for(self, text: bytes, timeout: float = 30.0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.output:
                return True
            self.read(0.1)
        return False

    def type(self, keys: str, pause: float = 0.4) -> None:
        for k in keys:
            os.write(self.master, k.encode())
            self.read(pause)

    def go_away(self, timeout: float = 15.0) -> int:
        """Close the terminal under the child (the master side) and wait for the child to end:
        its exit status; the test fails if it is still running after ``timeout``."""
        os.close(self.master)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"digest triage still running {timeout:g} s after its terminal went away")
        finally:
            self.kill()

    def kill(self) -> None:
        """The child killed if it is still running (a test that failed half-way leaves none)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def close(self) -> int:
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            rc = self.proc.wait()
        self.read(0.2)
        os.close(self.master)
        return rc


def _triage_in_a_terminal(data_dir, tmp_path, *, controlling: bool = False) -> tuple[Path, Terminal]:
    """A store holding day1's papers, and ``digest triage`` started on it in an 80x24 pseudo-terminal
    (no display: ``o`` opens nothing)."""
    home = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "TEXTUAL"))}
    env.update(DIGEST_HOME=str(home), TERM="xterm-256color", COLUMNS="80", LINES="24")
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    subprocess.run([digest_exe(), "ingest", str(data_dir / "cli" / "day1.txt"), "--date", "2025-11-20"],
                   env=env, check=True, capture_output=True)
    return home, Terminal([digest_exe(), "triage"], env, controlling=controlling)


def test_triage_in_a_real_terminal(data_dir, tmp_path):
    home, term = _triage_in_a_terminal(data_dir, tmp_path)
    try:
        assert term.wait_for(b"quit"), term.output[-2000:]
        term.type("y")
        term.type("n")
        term.type("u")  # undo the "n" ...
        term.type("s")  # ... and decide later instead
        term.type("q")
    finally:
        rc = term.close()
    assert rc == 0, term.output[-2000:]
    evs = [json.loads(line) for line in (home / "events.jsonl").read_text().splitlines()]
    assert [(e["type"], e.get("decision") or e.get("tag")) for e in evs] == [
        ("triage", "keep"), ("tag", "toread"), ("triage", "reject"), ("untriage", None), ("triage", "later")]
    assert evs[2]["id"] == evs[3]["id"] == evs[4]["id"] != evs[0]["id"]
    assert b"3 papers: 1 kept, 0 not interested, 1 later, 1 undecided" in term.output
    assert b"\x1b[?1049l" in term.output  # the terminal was given back (alternate screen left)
    # the votes went into the learned model's cache on the way out
    assert json.loads((home / "learned.json").read_text())["model"]["votes"] == 1


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_triage_killed_by_a_signal_gives_the_terminal_back_and_keeps_the_keys(data_dir, tmp_path, signum):
    """kill PID (SIGTERM), or the window closed (SIGHUP): the interface shuts down as for q: the
    terminal is given back (alternate screen left, mouse reporting off), the keys pressed so far
    are in the store, the summary says so, and the exit status says which signal (128 + N)."""
    home, term = _triage_in_a_terminal(data_dir, tmp_path)
    try:
        assert term.wait_for(b"quit"), term.output[-2000:]
        term.type("y")
        os.kill(term.proc.pid, signum)
        term.read(2)
    finally:
        rc = term.close()
    assert rc == 128 + signum, term.output[-2000:]
    assert b"\x1b[?1049l" in term.output and b"\x1b[?1000l" in term.output
    assert b"3 papers: 1 kept, 0 not interested, 0 later, 2 undecided" in term.output
    evs = [json.loads(line) for line in (home / "events.jsonl").read_text().splitlines()]
    assert [(e["type"], e.get("decision") or e.get("tag")) for e in evs] == [("triage", "keep"), ("tag", "toread")]
    assert b"Traceback" not in term.output


def test_triage_whose_terminal_goes_away_without_a_hangup_quits_and_keeps_the_keys(data_dir, tmp_path):
    """A pseudo-terminal that was never the controlling terminal (this test's, or one a program
    opens for it) sends no SIGHUP when it is closed: reads from it answer EIO from then on, and the
    interface spun on them at full CPU for good. It now notices within a second or two and quits
    as a hangup does, with every key pressed before saved."""
    home, term = _triage_in_a_terminal(data_dir, tmp_path)
    try:
        assert term.wait_for(b"quit"), term.output[-2000:]
        term.type("y")
        term.go_away()
    finally:
        term.kill()
    evs = [json.loads(line) for line in (home / "events.jsonl").read_text().splitlines()]
    assert [(e["type"], e.get("decision") or e.get("tag")) for e in evs] == [("triage", "keep"), ("tag", "toread")]


def test_triage_whose_window_is_closed_exits_as_hung_up_and_keeps_the_keys(data_dir, tmp_path):
    """The terminal window (or the SSH connection) closed: the session is hung up (SIGHUP) and the
    terminal is gone, so the summary cannot be written. That failure ended the command with
    status 1 before the learned model's cache was brought up to date; now the summary is skipped,
    the cache updated, and the status says SIGHUP (129), as for a hangup with the terminal still there."""
    home, term = _triage_in_a_terminal(data_dir, tmp_path, controlling=True)
    try:
        assert term.wait_for(b"quit"), term.output[-2000:]
        term.type("y")
        rc = term.go_away()  # the window closes
    finally:
        term.kill()
    assert rc == 128 + signal.SIGHUP
    evs = [json.loads(line) for line in (home / "events.jsonl").read_text().splitlines()]
    assert [(e["type"], e.get("decision") or e.get("tag")) for e in evs] == [("triage", "keep"), ("tag", "toread")]
    assert json.loads((home / "learned.json").read_text())["model"]["votes"] == 1
