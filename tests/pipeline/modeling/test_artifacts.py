"""The saved-model format: round trip, every bad file is reported and never unpickled, atomic writes."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.modeling import artifacts


class Booby:
    """Unpickling this object writes a file: proof that a payload was unpickled."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = sentinel

    def __reduce__(self) -> tuple:
        return (Path.write_text, (self.sentinel, "unpickled"))


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
    meta = artifacts.save(tmp_path, "demo", small_model, {"metrics": {"r2": 1.0, "undefined": float("nan")}})
    model, loaded = artifacts.load(tmp_path, "demo")
    x = np.array([[1.0, 2.0], [5.0, 6.0]])
    np.testing.assert_allclose(model.predict(x), small_model.predict(x))
    assert loaded == json.loads(json.dumps(meta, allow_nan=True).replace("NaN", "null"))
    assert loaded["metrics"]["undefined"] is None  # JSON has no NaN
    assert loaded["versions"] == artifacts.library_versions()
    assert loaded["sha256"] == artifacts.sha256_of((tmp_path / "demo.joblib").read_bytes())
    assert datetime.fromisoformat(loaded["created_at"]).tzinfo is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == [".models.lock", "demo.joblib", "demo.json"]


def test_missing_files_are_reported(tmp_path: Path, small_model: object) -> None:
    assert artifacts.check(tmp_path, "nothing") == "nothing: no metadata file"
    artifacts.save(tmp_path, "demo", small_model, {})
    (tmp_path / "demo.joblib").unlink()
    assert artifacts.check(tmp_path, "demo") == "demo: no model file"


def test_corrupt_metadata_is_invalid(tmp_path: Path, small_model: object) -> None:
    artifacts.save(tmp_path, "demo", small_model, {})
    (tmp_path / "demo.json").write_text("{ not json")
    assert "unreadable metadata" in artifacts.check(tmp_path, "demo")
    (tmp_path / "demo.json").write_text("[]")
    assert "without a sha256" in artifacts.check(tmp_path, "demo")


def test_truncated_model_is_invalid(tmp_path: Path, small_model: object) -> None:
    artifacts.save(tmp_path, "demo", small_model, {})
    path = tmp_path / "demo.joblib"
    path.write_bytes(path.read_bytes()[:-10])
    assert "does not match its sha256" in artifacts.check(tmp_path, "demo")
    with pytest.raises(artifacts.ArtifactInvalid):
        artifacts.load(tmp_path, "demo")


def test_tampered_model_is_never_unpickled(tmp_path: Path, small_model: object) -> None:
    artifacts.save(tmp_path, "demo", small_model, {})
    sentinel = tmp_path / "sentinel"
    plant_payload(tmp_path / "demo.joblib", sentinel)
    with pytest.raises(artifacts.ArtifactInvalid, match="sha256"):
        artifacts.load(tmp_path, "demo")
    assert not sentinel.exists()


def test_version_mismatch_is_never_unpickled(tmp_path: Path, small_model: object) -> None:
    """Even with a matching sha256, other library versions stop the load before unpickling."""
    artifacts.save(tmp_path, "demo", small_model, {})
    sentinel = tmp_path / "sentinel"
    payload = plant_payload(tmp_path / "demo.joblib", sentinel)
    meta = json.loads((tmp_path / "demo.json").read_text())
    meta["sha256"] = artifacts.sha256_of(payload)
    meta["versions"]["sklearn"] = "0.24.2"
    (tmp_path / "demo.json").write_text(json.dumps(meta))
    assert "other library versions" in artifacts.check(tmp_path, "demo")
    with pytest.raises(artifacts.ArtifactInvalid):
        artifacts.load(tmp_path, "demo")
    assert not sentinel.exists()


def test_a_failed_write_leaves_the_old_model_intact(
    tmp_path: Path, small_model: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifacts.save(tmp_path, "demo", small_model, {"version": 1})

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        artifacts.save(tmp_path, "demo", small_model, {"version": 2})
    monkeypatch.undo()
    _, meta = artifacts.load(tmp_path, "demo")
    assert meta["version"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
