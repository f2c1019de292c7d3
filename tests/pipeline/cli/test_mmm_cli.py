"""`python -m pipeline mmm`: the cached fit's JSON, and one `error:` line (exit 2) for data it can't fit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import copy_mmm_fit

ROOT = Path(__file__).resolve().parents[3]


def run_mmm(data: Path, models: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "mmm", "--data", str(data), "--models", str(models), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )


def test_a_first_run_fits_prints_only_json_and_caches_the_fit(demo_dir: Path, tmp_path: Path) -> None:
    tiny = {"APP_MMM_DRAWS": "20", "APP_MMM_TUNE": "20"}  # the sampler's output, not its quality, is tested here
    first = run_mmm(demo_dir, tmp_path, **tiny)
    assert first.returncode == 0, first.stderr
    fitted = json.loads(first.stdout)  # nothing but the JSON on stdout, though PyMC draws progress bars
    assert (tmp_path / "media_mix.joblib").is_file()
    again = run_mmm(demo_dir, tmp_path, **tiny)
    assert json.loads(again.stdout) == fitted  # the cached fit, not a new one


def test_mmm_prints_the_cached_fit_with_90_percent_intervals(
    demo_dir: Path, mmm_models_dir: Path, tmp_path: Path
) -> None:
    models = copy_mmm_fit(mmm_models_dir, tmp_path / "models")
    done = run_mmm(demo_dir, models)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    truth = json.loads((demo_dir / "ground_truth.json").read_text())["mmm"]
    assert set(result["channels"]) == set(truth["channels"])
    for name, channel in result["channels"].items():
        assert channel["spend"] == pytest.approx(truth["channels"][name]["spend"], rel=1e-6)
        assert channel["roas"] == pytest.approx(channel["contribution"] / channel["spend"], rel=0.01)
    assert result["channels"]["Influencers"]["calibrated"] is True


def drop_sales(folder: Path) -> None:
    (folder / "sales.csv").unlink()


def six_weeks_of_sales(folder: Path) -> None:
    pd.read_csv(folder / "sales.csv").head(42).to_csv(folder / "sales.csv", index=False)


def sales_a_year_later(folder: Path) -> None:
    sales = pd.read_csv(folder / "sales.csv", parse_dates=["date"])
    sales.assign(date=sales["date"] + pd.Timedelta(days=400)).to_csv(folder / "sales.csv", index=False)


def tiktok_spends_nothing(folder: Path) -> None:
    campaigns = pd.read_csv(folder / "campaigns.csv")
    campaigns.loc[campaigns["platform"] == "TikTok", "spend"] = 0.0
    campaigns.to_csv(folder / "campaigns.csv", index=False)


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (drop_sales, "needs a sales table"),
        (six_weeks_of_sales, "at least 8 weeks"),
        (sales_a_year_later, "do not overlap"),
        (tiktok_spends_nothing, "Channel TikTok has no spend at all"),
    ],
)
def test_data_it_cannot_fit_exits_2_with_one_line(
    damage: Callable[[Path], None], expected: str, demo_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    shutil.copytree(demo_dir, folder)
    damage(folder)
    done = run_mmm(folder, tmp_path / "models")
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and expected in done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert not (tmp_path / "models" / "media_mix.joblib").exists()
