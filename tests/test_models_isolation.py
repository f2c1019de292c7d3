"""Tests never write into the checkout's models/ folder (tests/conftest.py points APP_MODELS_DIR elsewhere)."""

from __future__ import annotations

from pathlib import Path

from pipeline import config

ROOT = Path(__file__).resolve().parent.parent


def test_the_default_models_folder_is_outside_the_checkout(models_outside_the_checkout: Path) -> None:
    assert config.models_dir().resolve() == models_outside_the_checkout.resolve()
    assert config.models_dir().resolve() != (ROOT / "models").resolve()
