"""The demo models, trained once per test run and shared read-only by the modeling tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.modeling import store
from tests.pipeline.modeling.trained import demo_models


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture(scope="module")
def bundle(models_dir: Path) -> store.ModelBundle:
    return store.load_models(models_dir)
