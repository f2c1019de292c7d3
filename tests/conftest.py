"""Shared fixtures: repo paths, the shared data folder, and a small generated demo set."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
# The media mix model samples less in tests (about 40 s a fit); every subprocess and server inherits this.
os.environ.setdefault("APP_MMM_DRAWS", "200")
os.environ.setdefault("APP_MMM_TUNE", "200")
MMM_FILES = ("media_mix.joblib", "media_mix.json")


@pytest.fixture(scope="session", autouse=True)
def models_outside_the_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """What a test trains or fits without naming a models folder (a page's background media mix fit, say) goes to
    a temporary folder, never to the checkout's models/: a small test fit there replaced the user's own fit."""
    folder = tmp_path_factory.mktemp("default-models")
    previous = os.environ.get("APP_MODELS_DIR")
    os.environ["APP_MODELS_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("APP_MODELS_DIR", None)
    else:
        os.environ["APP_MODELS_DIR"] = previous


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


@pytest.fixture(scope="session")
def mmm_models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo set's media mix fit (calibrated by its lift test), fitted once per test run."""
    from pipeline.modeling import mmm

    folder = tmp_path_factory.mktemp("mmm-models")
    mmm.load_or_fit(folder, mmm.dataset_from_folder(demo_dir))
    return folder


def copy_mmm_fit(source: Path, target: Path) -> Path:
    """Put the shared media mix fit into another models folder (it loads there for the same data)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in MMM_FILES:
        shutil.copy2(source / name, target / name)
    return target
