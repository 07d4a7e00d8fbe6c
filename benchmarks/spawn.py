"""Start the measured commands from a small process of their own, so their peak RSS is theirs.

The kernel starts a child's peak RSS (``ru_maxrss``) at the size of the process it was forked
from (and ``posix_spawn`` shares the parent's memory until the exec, with the same effect): a
benchmark that has generated data, built stores in-process or imported numpy would report its
own size for every command it starts (``digest --help`` read 35 MB, every row after the learning
rows 99-104 MB). A child of a bare ``python -S`` (~9 MB, less than any Python command measured)
reports its own peak. Used by run.py (and through it learning.py, similarity.py) and peers.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

SPAWNER = r"""
import json, os, sys, time
for line in sys.stdin:
    args, env, out, log = json.loads(line)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    ofd = fd if out is None else os.open(out, os.O_WRONLY | os.O_NOCTTY)
    t0 = time.perf_counter()
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, ofd, 1), (os.POSIX_SPAWN_DUP2, fd, 2)]
    pid = os.posix_spawnp(args[0], args, env if env is not None else os.environ, file_actions=actions)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    os.close(fd)
    if ofd != fd:
        os.close(ofd)
    print(json.dumps([wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)]), flush=True)
"""


class Measured(NamedTuple):
    wall: float  # seconds
    cpu: float  # user + sys seconds, the command's waited-for children included
    rss_mb: float  # the command's own peak RSS
    code: int  # exit code


class Spawner:
    """A small process that starts one command at a time and reports what it cost. Start it
    before the benchmark grows (first thing in main)."""

    def __init__(self, env: dict | None = None) -> None:
        self.proc = subprocess.Popen([sys.executable, "-S", "-c", SPAWNER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, text=True)

    def measure(self, args: list[str], log: Path, *, env: dict | None = None, stdout: str | None = None,
                check: bool = True) -> Measured:
        """Run ``args`` (stdin empty, stderr to ``log``; stdout to ``log`` too, or to the path
        ``stdout``: os.devnull, a terminal's device) with ``env`` (default: the spawner's).
        With ``check``, a non-zero exit ends the benchmark with the log's tail."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps([args, env, stdout, str(log)]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit("the benchmark's spawner died")
        wall, cpu, maxrss_kb, code = json.loads(line)
        if check and code != 0:
            tail = log.read_bytes()[-2000:].decode(errors="replace")
            raise SystemExit(f"benchmark command failed ({code}): {' '.join(args)}\n{tail}")
        return Measured(wall, cpu, maxrss_kb / 1024, code)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait()


_default: Spawner | None = None


def spawner() -> Spawner:
    """The benchmark's spawner, started on first use (call it early, while the process is small)."""
    global _default
    if _default is None:
        _default = Spawner()
    return _default


def log_path() -> Path:
    """Where a measured command's stderr goes (one file, overwritten by each command)."""
    d = Path(os.environ.get("TMPDIR", "/tmp"))
    return d / f"digest-bench-{os.getpid()}.log"
