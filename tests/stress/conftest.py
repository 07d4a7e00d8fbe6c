"""Fixtures for the stress tests (tests/stress): a store directory, a config, a seeded RNG."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stresskit  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Every test under tests/stress carries the ``stress`` marker: ``pytest -m "not stress"``
    is the fast loop."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.stress)


@pytest.fixture
def home(tmp_path) -> Path:
    """An empty store directory (DIGEST_HOME of the subprocesses)."""
    return tmp_path / "store"


@pytest.fixture
def rng(request):
    """A seeded random.Random; the seed is printed when the test fails, for a replay."""
    s = stresskit.seed()
    request.node.stress_seed = s
    return random.Random(s)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    s = getattr(item, "stress_seed", None)
    if s is not None and report.failed:
        report.sections.append(("stress seed", f"seed {s} {stresskit.replay(s)}"))
