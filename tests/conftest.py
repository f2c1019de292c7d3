"""Shared fixtures: repo paths, the shared data folder, and a small generated demo set."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded demo data set (5,000 campaign rows), generated once per test run."""
    import data_generation

    out = tmp_path_factory.mktemp("demo")
    data_generation.generate(out, seed=42, rows=5_000)
    return out
