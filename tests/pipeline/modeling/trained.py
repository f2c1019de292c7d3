"""Every model trained once per test run on the demo set, shared by the model, page and report tests."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from filelock import FileLock

from pipeline.cli import main


def demo_models(demo_dir: Path, base: Path) -> tuple[Path, dict]:
    """Every model trained once per test run on the 5,000-row demo set, through `python -m pipeline
    train --json`; returns (models folder, the command's JSON). Other test modules import this, so
    the whole run trains once. Callers must not modify the folder (copy it first)."""
    target, output = base / "demo_models", base / "demo_models_train.json"
    with FileLock(base / "demo_models.lock"):
        if not output.is_file():
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                assert main.main(["train", "--data", str(demo_dir), "--models", str(target), "--json"]) == 0
            output.write_text(printed.getvalue())
    return target, json.loads(output.read_text())
