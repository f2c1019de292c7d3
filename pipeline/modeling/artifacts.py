"""The saved-model format: `models/NAME.joblib` plus `models/NAME.json`, verified before anything is unpickled.

- NAME.joblib holds one object: an sklearn Pipeline (preprocessing + estimator), or for the
  forecaster a `pipeline.modeling.forecast.Forecaster`, a small container of Pipelines (one per target and
  quantile) saved in one file.
- NAME.json holds the metadata: metrics, features, a hash of the training data, library versions,
  creation time and the sha256 of the .joblib bytes.

Loading reads the JSON first, compares the library versions with this process's, reads the .joblib
bytes once, checks their sha256 against the JSON and only then unpickles those same bytes. A missing,
corrupt, truncated, tampered or version-mismatched artifact raises `ArtifactInvalid` and is never
unpickled; callers retrain it (pipeline.modeling.store.ensure_models). Models are only ever read from the
models folder, never from an upload. This is the only module that unpickles.

Writes are atomic (a temporary file in the same folder, then os.replace) and happen under one
file lock per models folder, so two processes training at once cannot leave a broken file: the
second waits for the lock, then finds valid artifacts and reuses them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock
import joblib
import numpy as np
import pandas as pd
import scipy
import sklearn

# Bump when the saved objects change shape or move module (a pickle names each class by its module), so old
# artifacts are reported invalid and retrained rather than misread. 2: the forecaster's Band moved to
# pipeline.modeling.intervals. 3: the forecaster gained ad_set and per-platform spend limits. 4: its trees combine
# spend with platform only (interaction constraints), so older forecasters are refitted. 5: plan totals gained a
# persistent term (intervals.TotalCalibration).
FORMAT_VERSION = 5
LOCK_FILE = ".models.lock"
# Training everything takes about a minute (56 s on 2 busy cores); a lock held 15 minutes means a stuck process.
LOCK_TIMEOUT_SECONDS = 900


class ArtifactInvalid(Exception):
    """A saved model that must not be loaded; the message says why (missing, tampered, versions...)."""


def library_versions() -> dict[str, str]:
    """Versions that decide whether a pickle from another environment can be trusted to load."""
    return {
        "format": str(FORMAT_VERSION),
        "python": ".".join(platform.python_version_tuple()[:2]),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "joblib": joblib.__version__,
    }


def artifact_paths(models_dir: Path, name: str) -> tuple[Path, Path]:
    """(NAME.joblib, NAME.json) inside `models_dir`."""
    return models_dir / f"{name}.joblib", models_dir / f"{name}.json"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def frame_hash(frame: pd.DataFrame) -> str:
    """A sha256 of a frame's values and column names (row order matters, the index does not)."""
    digest = hashlib.sha256(",".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


_LOCKS: dict[str, filelock.FileLock] = {}


def models_lock(models_dir: Path) -> filelock.FileLock:
    """The folder's lock. One object per path in this process, so nested `with` blocks re-enter it."""
    models_dir.mkdir(parents=True, exist_ok=True)
    key = str((models_dir / LOCK_FILE).resolve())
    if key not in _LOCKS:
        _LOCKS[key] = filelock.FileLock(key, timeout=LOCK_TIMEOUT_SECONDS, thread_local=False)
    return _LOCKS[key]


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename over `path`."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # mkstemp makes it private; models are shared with the app
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(models_dir: Path, name: str, model: Any, metadata: dict[str, Any]) -> dict[str, Any]:
    """Pickle `model` to NAME.joblib and write NAME.json (metadata + sha256, versions, creation time).

    The .joblib is written first and the .json last, so a reader never sees a JSON that vouches for
    bytes that are not there yet. Returns the metadata as written."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer, compress=3)
    payload = buffer.getvalue()
    meta = {
        **metadata,
        "name": name,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": library_versions(),
        "sha256": sha256_of(payload),
        "bytes": len(payload),
    }
    joblib_path, json_path = artifact_paths(models_dir, name)
    with models_lock(models_dir):
        _write_atomic(joblib_path, payload)
        _write_atomic(json_path, (json.dumps(_jsonable(meta), indent=1, allow_nan=False) + "\n").encode())
    return meta


def read_metadata(models_dir: Path, name: str) -> dict[str, Any]:
    """NAME.json as a dict, checked for this environment's versions; raises ArtifactInvalid."""
    _, json_path = artifact_paths(models_dir, name)
    if not json_path.is_file():
        raise ArtifactInvalid(f"{name}: no metadata file")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactInvalid(f"{name}: unreadable metadata ({exc.__class__.__name__})") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("sha256"), str):
        raise ArtifactInvalid(f"{name}: metadata without a sha256")
    if meta.get("versions") != library_versions():
        raise ArtifactInvalid(f"{name}: trained with other library versions {meta.get('versions')}")
    return meta


def _verified_bytes(models_dir: Path, name: str, meta: dict[str, Any]) -> bytes:
    joblib_path, _ = artifact_paths(models_dir, name)
    try:
        payload = joblib_path.read_bytes()
    except OSError as exc:
        raise ArtifactInvalid(f"{name}: no model file") from exc
    if sha256_of(payload) != meta["sha256"]:
        raise ArtifactInvalid(f"{name}: model file does not match its sha256 (corrupt or tampered)")
    return payload


def check(models_dir: Path, name: str) -> str | None:
    """Why the artifact cannot be loaded, or None when it is valid. Never unpickles."""
    try:
        _verified_bytes(models_dir, name, read_metadata(models_dir, name))
    except ArtifactInvalid as exc:
        return str(exc)
    return None


def load(models_dir: Path, name: str) -> tuple[Any, dict[str, Any]]:
    """(model, metadata) after checking versions and sha256; raises ArtifactInvalid, never unpickling
    bytes that fail the check (the checked bytes are the ones unpickled)."""
    meta = read_metadata(models_dir, name)
    payload = _verified_bytes(models_dir, name, meta)
    try:
        model = joblib.load(io.BytesIO(payload))
    except Exception as exc:  # a verified file that still fails to load is treated as invalid
        raise ArtifactInvalid(f"{name}: could not be loaded ({exc.__class__.__name__})") from exc
    return model, meta


def _jsonable(value: Any) -> Any:
    """Plain JSON types; NaN and inf become None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
