"""NO_COLOR (https://no-color.org), issue 14 defect 8: in a real terminal, NO_COLOR set to any
non-empty value means no escape sequence at all — no colour, no bold/dim/underline, no OSC 8
hyperlink — and every link printed as text. An empty NO_COLOR is as if unset."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest
from conftest import DATA


def in_terminal(args: list[str], env: dict[str, str], columns: int = 100) -> str:
    """Run ``digest ARGS`` with stdout on a pseudo-terminal; what it wrote there."""
    master, slave = pty.openpty()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "digest", *args], stdout=slave, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            proc.kill()
            pytest.fail("digest wrote nothing for 30 s")
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(master)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def env(isolated_home):
    e = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TERM", "COLUMNS")}
    e["TERM"] = "xterm-256color"
    e["PAGER"] = "cat"  # what digest itself writes to the terminal (the pager has tests of its own)
    subprocess.run([sys.executable, "-m", "digest", "ingest", str(DATA / "cli" / "day1.txt"), "--date",
                    "2025-11-20"], env=e, check=True, capture_output=True)
    return e


def test_a_terminal_gets_colour_styles_and_hyperlinks(env):
    out = in_terminal(["show"], env)
    assert "\x1b[" in out and "\x1b]8;" in out  # SGR styles and OSC 8 links


@pytest.mark.parametrize("value", ["1", "true", "0"])  # any non-empty value, "0" too (no-color.org)
def test_no_color_means_no_escape_sequence_at_all_and_links_spelled_out(env, value):
    for args in (["show"], ["list", "--untagged"], ["explain", "84485b2a"]):
        out = in_terminal(args, env | {"NO_COLOR": value})
        assert "\x1b" not in out, (args, out[:300])
    out = in_terminal(["show"], env | {"NO_COLOR": value})
    assert "search: arXiv https://arxiv.org/search/?query=Diffusion+Policies" in out
    assert "code: https://github.com/example/diffusion-dex" in out


def test_an_empty_no_color_is_as_if_unset(env):
    assert "\x1b[" in in_terminal(["show"], env | {"NO_COLOR": ""})
