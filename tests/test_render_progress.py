"""Feedback on long work: the core reports through digest.feedback; the command line draws it."""

from __future__ import annotations

import io

import pytest

from digest.feedback import Feedback
from digest.ingest.diff import ingest_items
from digest.item import Item
from digest.ranking import rescore
from digest.ranking.score import Scorer
from digest.render import progress as progress_mod
from digest.render.progress import StderrFeedback
from digest.store import Store


class Recording(Feedback):
    def __init__(self):
        self.calls: list[tuple] = []

    def log(self, message):
        self.calls.append(("log", message))

    def progress(self, label, done, total=None):
        self.calls.append(("progress", label, done, total))

    def finished(self, label):
        self.calls.append(("finished", label))

    def waiting(self, what):
        self.calls.append(("waiting", what))


def steps(rec: Recording, label: str) -> list[tuple[int, int | None]]:
    return [(c[2], c[3]) for c in rec.calls if c[0] == "progress" and c[1] == label]


def test_ingest_reports_progress_and_finishes(tmp_path):
    rec = Recording()
    store = Store(tmp_path / "s", feedback=rec)
    with store:
        ingest_items(store, [Item(title=f"Paper {i}") for i in range(1000)], source="big.txt", feedback=rec)
    assert steps(rec, "ingesting big.txt") == [(0, 1000), (256, 1000), (512, 1000), (768, 1000)]
    assert ("finished", "ingesting big.txt") in rec.calls


@pytest.mark.parametrize("workers", [1, 2])
def test_rescore_reports_progress(tmp_path, monkeypatch, workers):
    monkeypatch.setattr(rescore, "PARALLEL_MIN_BYTES", 0)
    store = Store(tmp_path / "s")
    with store:
        ingest_items(store, [Item(title=f"Paper {i} about robots", abstract="x " * 30) for i in range(20000)], source="g")
    rec = Recording()
    got, seen = rescore.rank_all(store, Scorer({"robots": 1.0}), limit=5, min_score=None, workers=workers, feedback=rec)
    assert seen == 20000 and len(got) == 5
    done = steps(rec, rescore.LABEL)
    if workers == 1:
        assert done[:2] == [(4096, 20000), (8192, 20000)]
    assert all(total == 20000 and 0 <= d <= 20000 for d, total in done)
    assert rec.calls[-1] == ("finished", rescore.LABEL)


def test_index_rebuild_reports_progress(tmp_path):
    store = Store(tmp_path / "s")
    with store:
        ingest_items(store, [Item(title=f"Paper {i}") for i in range(25000)], source="g")
    store.close()
    (tmp_path / "s" / "index.sqlite").unlink()
    rec = Recording()
    assert Store(tmp_path / "s", feedback=rec).count() == 25000  # rebuilt on the first read
    assert len(steps(rec, "indexing the store (bytes)")) == 2
    assert ("finished", "indexing the store (bytes)") in rec.calls


def test_the_bar_appears_only_after_a_second_and_goes(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: clock[0])
    fb = StderrFeedback(bars=True)
    fb.progress("ingesting x", 0, 100)
    clock[0] += 0.5
    fb.progress("ingesting x", 50, 100)
    assert fb._progress is None  # short work: no bar at all
    fb.finished("ingesting x")
    fb.progress("ingesting y", 0, 1000)
    clock[0] += 1.5
    fb.progress("ingesting y", 300, 1000)
    assert fb._progress is not None
    (task,) = fb._progress.tasks
    assert task.completed == 300 and task.total == 1000
    fb.finished("ingesting y")
    assert fb._progress is None


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(progress_mod.sys, "stderr", io.StringIO())
    clock = [0.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: clock[0])
    fb = StderrFeedback()
    fb.progress("x", 0, 10)
    clock[0] = 5
    fb.progress("x", 5, 10)
    assert fb._progress is None and progress_mod.sys.stderr.getvalue() == ""


def test_verbose_lines_only_with_verbose(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr(progress_mod.sys, "stderr", err)
    StderrFeedback().log("a.txt: read 10 bytes")
    StderrFeedback(verbose=True).log("b.txt: read 10 bytes\x1b[2J")
    StderrFeedback().waiting("waiting for another digest (pid 1) …")
    assert err.getvalue() == "b.txt: read 10 bytes [2J\nwaiting for another digest (pid 1) …\n"
