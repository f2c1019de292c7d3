"""What one API process holds: the forecaster (loaded once, hash checked, never trained here), the media mix
model's fit and answer (from its fit cached on disk, never fitted here) and small caches of answers that only
change when their files do (the demo campaign table, the incrementality report)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api.errors import ServiceUnavailable
from pipeline import config
from pipeline.inputs.demo import PARQUET_FILE, DemoDataError
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import IngestResult
from pipeline.modeling import artifacts, mmm, store
from pipeline.modeling.forecast import Forecaster
from pipeline.modeling.mmm_data import MmmDataset, MmmInputError
from pipeline.modeling.mmm_fit import MmmPosterior, SamplerSettings

MAKE_MODELS = "run `make models` (or `python -m pipeline ensure-models`) and try again"
MAKE_DATA = "run `make data` (or `python -m pipeline ensure-data`) and try again"
# Incrementality answers kept per process (one per expected share asked for); each is a few kB.
CACHE_ENTRIES = 8
API_DATA_FILES = (config.CAMPAIGNS_FILE, config.TRACKING_FILE, config.PAYOUTS_FILE)
# What the media mix model reads from the data folder (pipeline.modeling.mmm.dataset_from_folder).
MMM_DATA_FILES = (
    PARQUET_FILE,
    config.CAMPAIGNS_FILE,
    config.SALES_FILE,
    config.INFLUENCERS_FILE,
    config.POSTS_FILE,
    config.TRACKING_FILE,
    config.PAYOUTS_FILE,
)
FIT_MMM = "run `python -m pipeline mmm` (or open the Media mix page) to fit it, then try again"
NO_MMM_FIT = f"No saved media mix fit matches this data yet; {FIT_MMM}"
# The data errors `python -m pipeline mmm` reports as one `error:` line (exit 2); here they are 422s.
MMM_INPUT_ERRORS = (MmmInputError, DemoDataError, IngestError)


def file_stamp(*paths: Path) -> tuple[tuple[int, int], ...]:
    """(mtime, size) of each path ((0, 0) when absent): a cached answer is reused only while these hold."""
    stamps = []
    for path in paths:
        try:
            info = path.stat()
            stamps.append((info.st_mtime_ns, info.st_size))
        except OSError:
            stamps.append((0, 0))
    return tuple(stamps)


class ForecasterHolder:
    """The saved forecaster, loaded on first use through pipeline.modeling.store (sha256 checked) and then
    shared read-only. A failed load is remembered until the model files change, so a missing model costs a stat
    per request, not a hash; the models are never trained inside a request."""

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = models_dir
        self._lock = threading.Lock()
        self._model: Forecaster | None = None
        self._problem: tuple[tuple[tuple[int, int], ...], str] | None = None

    def _paths(self) -> tuple[Path, Path]:
        return artifacts.artifact_paths(self.models_dir, store.FORECASTER)

    def get(self) -> Forecaster:
        """The forecaster; ServiceUnavailable (503) saying how to make it when it is missing or invalid."""
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                self._load()
            if self._model is None:
                raise ServiceUnavailable(self._problem[1] if self._problem else f"No forecaster; {MAKE_MODELS}")
            return self._model

    def _load(self) -> None:
        stamp = file_stamp(*self._paths())
        if self._problem is not None and self._problem[0] == stamp:
            return
        try:
            model = store.load_models(self.models_dir, (store.FORECASTER,)).models[store.FORECASTER]
            if not isinstance(model, Forecaster):
                raise artifacts.ArtifactInvalid(f"{store.FORECASTER}: the saved object is not a Forecaster")
        except (artifacts.ArtifactInvalid, OSError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self._problem = (stamp, f"The forecaster cannot be used ({reason}); {MAKE_MODELS}")
            return
        self._model, self._problem = model, None

    def status(self) -> dict[str, Any]:
        """Readiness without loading anything: loaded, files present (not loaded yet), or the known problem."""
        if self._model is not None:
            return {"forecaster": "ready"}
        if self._problem is not None:
            return {"forecaster": "unavailable", "problem": self._problem[1]}
        present = all(path.is_file() for path in self._paths())
        return {"forecaster": "not loaded yet" if present else "missing", **({} if present else {"fix": MAKE_MODELS})}


class MediaMixHolder:
    """The media mix model's fit for the data folder, from the fit cached on disk (pipeline.modeling.mmm.cached_fit:
    hash, data and versions checked), and its `python -m pipeline mmm --json` answer. A fit takes minutes, so it
    never happens here: without a valid saved fit every use is a 503 saying how to make one.

    The fit (the posterior, shared read-only by the planner's requests), or the reason there is none, is kept while
    the data and model files are unchanged, so a request costs a few stats; the data set is kept per version of the
    data files, so a new fit does not re-read them."""

    def __init__(self, data_dir: Path, models_dir: Path, settings: SamplerSettings) -> None:
        self.data_dir, self.models_dir, self.settings = data_dir, models_dir, settings
        self._lock = threading.Lock()  # one load at a time: concurrent first requests wait for it, not repeat it
        self._dataset: tuple[Any, MmmDataset] | None = None
        # (stamps, posterior) or (stamps, (exception class, sentence)): a fresh exception is raised each time.
        self._fit: tuple[Any, MmmPosterior | tuple[type[Exception], str]] | None = None
        self._summary: tuple[MmmPosterior, dict[str, Any]] | None = None  # the mmm answer of that posterior

    def _stamps(self) -> tuple[Any, Any]:
        data = file_stamp(*(self.data_dir / name for name in MMM_DATA_FILES))
        return data, file_stamp(*artifacts.artifact_paths(self.models_dir, mmm.MODEL_NAME))

    def posterior(self) -> MmmPosterior:
        """The saved fit for exactly this data (read-only); ServiceUnavailable (503) without data or a saved fit,
        ValueError (422, api.errors) for data the model cannot use."""
        stamps = self._stamps()
        with self._lock:
            if self._fit is None or self._fit[0] != stamps:
                self._fit = (stamps, self._fit_for(stamps[0]))
            fit = self._fit[1]
        if isinstance(fit, tuple):
            kind, message = fit
            raise kind(message)
        return fit

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON (`python -m pipeline mmm --json`), computed once per saved fit; errors as posterior()."""
        posterior = self.posterior()
        with self._lock:
            if self._summary is None or self._summary[0] is not posterior:
                self._summary = (posterior, mmm.summary(posterior))
            return self._summary[1]

    def _fit_for(self, data_stamp: Any) -> MmmPosterior | tuple[type[Exception], str]:
        if not any((self.data_dir / name).is_file() for name in (PARQUET_FILE, config.CAMPAIGNS_FILE)):
            return ServiceUnavailable, f"The data folder has no {config.CAMPAIGNS_FILE}; {MAKE_DATA}"
        try:
            dataset = self._dataset_for(data_stamp)
        except MMM_INPUT_ERRORS as exc:  # answered as a ValueError: 422 with its sentence (api.errors)
            return ValueError, str(exc).splitlines()[0] if str(exc) else "The data cannot be modelled."
        posterior = mmm.cached_fit(self.models_dir, dataset, self.settings)
        if posterior is None:
            return ServiceUnavailable, NO_MMM_FIT
        return posterior

    def _dataset_for(self, data_stamp: Any) -> MmmDataset:
        if self._dataset is None or self._dataset[0] != data_stamp:
            self._dataset = (data_stamp, mmm.dataset_from_folder(self.data_dir))
        return self._dataset[1]


class StampedCache:
    """A few answers, each kept while the files it came from are unchanged (thread-safe, least recent dropped)."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Any, tuple[Any, Any]] = OrderedDict()
        self._size = entries

    def get(self, key: Any, stamp: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] == stamp:
                self._entries.move_to_end(key)
                return hit[1]
        value = compute()  # outside the lock: a slow answer must not hold up the other keys
        with self._lock:
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return value


class ApiState:
    """The forecaster, the media mix answer and the caches of one process, created by api.app.create_app."""

    def __init__(self, data_dir: Path, models_dir: Path) -> None:
        self.data_dir = data_dir
        self.forecaster = ForecasterHolder(models_dir)
        self.media_mix = MediaMixHolder(data_dir, models_dir, SamplerSettings.from_environment())
        self.answers = StampedCache()

    def data_file(self, name: str) -> Path:
        """A file of the data folder; ServiceUnavailable (503) when it is missing."""
        path = self.data_dir / name
        if not path.is_file():
            raise ServiceUnavailable(f"The data folder has no {name}; {MAKE_DATA}")
        return path

    def data_status(self) -> dict[str, Any]:
        missing = [name for name in API_DATA_FILES if not (self.data_dir / name).is_file()]
        return {"ready": not missing, "missing": missing, **({"fix": MAKE_DATA} if missing else {})}

    def demo_campaigns(self, ingest: Callable[[Path], IngestResult]) -> IngestResult:
        """The data folder's campaign table as `ingest` reads it, once per version of the file (read-only)."""
        path = self.data_file(config.CAMPAIGNS_FILE)
        return self.answers.get(("campaigns", str(path)), file_stamp(path), lambda: ingest(path))
