"""AppTest runs each page file on its own against a small generated demo set."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from streamlit.components.v2 import manifest_scanner

# Every AppTest run rescans each installed package's metadata for Streamlit components (0.3 s a run with PyMC's
# dependencies installed); the installed packages do not change during a test run, so scan once.
manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def point_app_at_demo(demo_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("APP_DATA_DIR", str(demo_dir))
    monkeypatch.chdir(ROOT)
    return demo_dir


def page_path(name: str) -> str:
    return str(ROOT / "pages" / f"{name}.py")
