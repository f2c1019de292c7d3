"""AppTest runs each page file on its own against a small generated demo set."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def point_app_at_demo(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APP_DATA_DIR", str(demo_dir))
    monkeypatch.chdir(ROOT)
    return demo_dir


def page_path(name: str) -> str:
    return str(ROOT / "pages" / f"{name}.py")
