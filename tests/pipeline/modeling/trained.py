"""Every model trained once per test run on the demo set, shared by the model, page and report tests."""

from __future__ import annotations

import contextlib
import functools
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
from filelock import FileLock

import data_generation
from pipeline.cli import main
from pipeline.inputs import demo
from pipeline.modeling import roi

# demo_dir has only 3 campaigns: too few for claims about campaign-grouped folds. 36,000 generated
# rows hold 12 campaigns (5 GroupKFold folds); keeping their first 16 weeks trains the ROI models in ~5 s.
ROI_SET_ROWS = 36_000
ROI_SET_WEEKS = 16


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


@functools.cache
def roi_campaigns() -> pd.DataFrame:
    """A seeded daily campaign table with 12 campaigns, generated once per process (do not modify)."""
    campaigns = demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(42, ROI_SET_ROWS), ignore_index=True))
    start = campaigns["date"].min()
    return campaigns[campaigns["date"] < start + pd.Timedelta(weeks=ROI_SET_WEEKS)].reset_index(drop=True)


@functools.cache
def roi_trained() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Every ROI model trained once per process on roi_campaigns(): {name: (pipeline, metadata)}."""
    return roi.train_roi_models(roi_campaigns())
