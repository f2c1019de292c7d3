"""Saved models: round trip, and every bad file is retrained, never unpickled; safe concurrent training."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.modeling import forecast, roi, store
from tests.pipeline.test_training import demo_models

ROOT = Path(__file__).resolve().parents[2]


class Booby:
    """Unpickling this object writes a file: proof that a payload was unpickled."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple:
        return (Path.write_text, (self.sentinel, "unpickled"))


@pytest.fixture(scope="module")
def models_dir(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo models trained once per test run (shared; only copies are modified here)."""
    return demo_models(demo_dir, tmp_path_factory.getbasetemp())[0]


@pytest.fixture
def models_copy(models_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "models"
    shutil.copytree(models_dir, copy, ignore=shutil.ignore_patterns("*.lock"))
    return copy


@pytest.fixture
def small_model() -> object:
    x = np.arange(20, dtype=float).reshape(10, 2)
    return make_pipeline(StandardScaler(), LinearRegression()).fit(x, x[:, 0] * 2 + 1)


def plant_payload(path: Path, sentinel: Path) -> bytes:
    """Overwrite `path` with a pickle that would write `sentinel` if anyone unpickled it."""
    joblib.dump(Booby(sentinel), path)
    return path.read_bytes()


def test_the_planted_payload_is_live(tmp_path: Path) -> None:
    """Guards the tests below: loading the payload directly really does write the sentinel."""
    sentinel = tmp_path / "sentinel"
    plant_payload(tmp_path / "x.joblib", sentinel)
    joblib.load(tmp_path / "x.joblib")
    assert sentinel.read_text() == "unpickled"


def test_round_trip(tmp_path: Path, small_model: object) -> None:
    meta = store.save(tmp_path, "demo", small_model, {"metrics": {"r2": 1.0, "undefined": float("nan")}})
    model, loaded = store.load(tmp_path, "demo")
    x = np.array([[1.0, 2.0], [5.0, 6.0]])
    np.testing.assert_allclose(model.predict(x), small_model.predict(x))
    assert loaded == json.loads(json.dumps(meta, allow_nan=True).replace("NaN", "null"))
    assert loaded["metrics"]["undefined"] is None  # JSON has no NaN
    assert loaded["versions"] == store.library_versions()
    assert loaded["sha256"] == store.sha256_of((tmp_path / "demo.joblib").read_bytes())
    assert datetime.fromisoformat(loaded["created_at"]).tzinfo is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [".models.lock", "demo.joblib", "demo.json"]


def test_missing_files_are_reported(tmp_path: Path, small_model: object) -> None:
    assert store.check(tmp_path, "nothing") == "nothing: no metadata file"
    store.save(tmp_path, "demo", small_model, {})
    (tmp_path / "demo.joblib").unlink()
    assert store.check(tmp_path, "demo") == "demo: no model file"


def test_corrupt_metadata_is_invalid(tmp_path: Path, small_model: object) -> None:
    store.save(tmp_path, "demo", small_model, {})
    (tmp_path / "demo.json").write_text("{ not json")
    assert "unreadable metadata" in store.check(tmp_path, "demo")
    (tmp_path / "demo.json").write_text("[]")
    assert "without a sha256" in store.check(tmp_path, "demo")


def test_truncated_model_is_invalid(tmp_path: Path, small_model: object) -> None:
    store.save(tmp_path, "demo", small_model, {})
    path = tmp_path / "demo.joblib"
    path.write_bytes(path.read_bytes()[:-10])
    assert "does not match its sha256" in store.check(tmp_path, "demo")
    with pytest.raises(store.ArtifactInvalid):
        store.load(tmp_path, "demo")


def test_tampered_model_is_never_unpickled(tmp_path: Path, small_model: object) -> None:
    store.save(tmp_path, "demo", small_model, {})
    sentinel = tmp_path / "sentinel"
    plant_payload(tmp_path / "demo.joblib", sentinel)
    with pytest.raises(store.ArtifactInvalid, match="sha256"):
        store.load(tmp_path, "demo")
    assert not sentinel.exists()


def test_version_mismatch_is_never_unpickled(tmp_path: Path, small_model: object) -> None:
    """Even with a matching sha256, other library versions stop the load before unpickling."""
    store.save(tmp_path, "demo", small_model, {})
    sentinel = tmp_path / "sentinel"
    payload = plant_payload(tmp_path / "demo.joblib", sentinel)
    meta = json.loads((tmp_path / "demo.json").read_text())
    meta["sha256"] = store.sha256_of(payload)
    meta["versions"]["sklearn"] = "0.24.2"
    (tmp_path / "demo.json").write_text(json.dumps(meta))
    assert "other library versions" in store.check(tmp_path, "demo")
    with pytest.raises(store.ArtifactInvalid):
        store.load(tmp_path, "demo")
    assert not sentinel.exists()


def test_a_failed_write_leaves_the_old_model_intact(
    tmp_path: Path, small_model: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save(tmp_path, "demo", small_model, {"version": 1})

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(tmp_path, "demo", small_model, {"version": 2})
    monkeypatch.undo()
    _, meta = store.load(tmp_path, "demo")
    assert meta["version"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_ensure_models_retrains_only_the_bad_files(models_copy: Path, demo_dir: Path) -> None:
    sentinel = models_copy / "sentinel"
    plant_payload(models_copy / "roi_reg_forest.joblib", sentinel)  # tampered
    truncated = models_copy / "roi_clf_logistic.joblib"
    truncated.write_bytes(truncated.read_bytes()[:100])
    (models_copy / "segments.json").write_text("{")  # corrupt metadata
    meta = json.loads((models_copy / "roi_reg_linear.json").read_text())
    meta["versions"]["numpy"] = "1.0.0"  # trained elsewhere
    (models_copy / "roi_reg_linear.json").write_text(json.dumps(meta))

    done = roi.ensure_models(demo_dir, models_copy, check_data=False)

    assert set(done["trained"]) == {"roi_reg_forest", "roi_clf_logistic", "segments", "roi_reg_linear"}
    assert "sha256" in done["reasons"]["roi_reg_forest"]
    assert "other library versions" in done["reasons"]["roi_reg_linear"]
    assert not sentinel.exists()
    assert all(store.check(models_copy, name) is None for name in roi.ALL_MODELS)
    roi.load_models(models_copy)


def test_load_forecaster_retrains_a_tampered_file(models_copy: Path, demo_dir: Path) -> None:
    sentinel = models_copy / "sentinel"
    plant_payload(models_copy / "forecaster.joblib", sentinel)
    model = forecast.load_forecaster(models_copy, data_dir=demo_dir)
    assert isinstance(model, forecast.Forecaster)
    assert not sentinel.exists()
    assert store.check(models_copy, "forecaster") is None


def test_two_processes_training_at_once_leave_valid_files(models_copy: Path, demo_dir: Path) -> None:
    """Two `ensure-models` processes start together with two models missing: one trains them under
    the lock, the other waits, then finds them valid and trains nothing."""
    for name in ("roi_clf_logistic", "segments"):
        for path in store.artifact_paths(models_copy, name):
            path.unlink()
    command = [sys.executable, "-m", "pipeline", "ensure-models", "--data", str(demo_dir), "--models", str(models_copy)]
    runs = [
        subprocess.Popen([*command, "--json"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(sorted(r["trained"]) for r in results) == [[], ["roi_clf_logistic", "segments"]]
    assert all(store.check(models_copy, name) is None for name in roi.ALL_MODELS)
    assert not [p for p in models_copy.iterdir() if p.name.endswith(".tmp")]
