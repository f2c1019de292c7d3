"""Reading the product's own canonical tables (demo data or a saved upload), and keeping the demo folder whole.

Every table read here is checked against its declared schema (pipeline.schemas): a file that is missing,
unreadable or fails its schema raises DemoDataError with one sentence naming the file and the problem.
`quick_demo_data_problem` looks only at file headers and tails (milliseconds at any size);
`demo_data_problem` also reads and validates every table. `repair_demo_data` regenerates the seeded demo
set under a file lock, keeping every file it replaces in `.corrupt-<UTC timestamp>/`, so nothing is lost.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock
import pandas as pd
import pandera.pandas as pa

from pipeline import config, schemas
from pipeline.schemas import CAMPAIGN_MEASURES

CAMPAIGN_CATEGORIES = ("platform", "campaign", "ad_set", "campaign_type", "content_type", "device")
PARQUET_FILE = config.CAMPAIGNS_PARQUET
# Influencer table -> (file, date columns). The keys are the schema names in pipeline.schemas.SCHEMAS.
INFLUENCER_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "influencers": (config.INFLUENCERS_FILE, ()),
    "posts": (config.POSTS_FILE, ("date",)),
    "tracking": (config.TRACKING_FILE, ("date",)),
    "payouts": (config.PAYOUTS_FILE, ()),
}
CSV_SCHEMAS = {
    config.CAMPAIGNS_FILE: "campaigns",
    config.SALES_FILE: "sales",  # its header must name date, revenue and orders (pipeline.schemas.SALES)
    **{file: name for name, (file, _) in INFLUENCER_FILES.items()},
}
# pandera takes ~35 ms per 50k rows; above this a table is checked at its start and end only (where a wrong
# or truncated file shows), so a 10M-row set is not validated for seconds on every first load.
FULL_VALIDATION_MAX_ROWS = 1_000_000
EDGE_ROWS = 50_000
# The quick check reads this much of each file's start and end: enough for the header and the last row.
SNIFF_BYTES = 64 * 1024
MAX_DETAIL_CHARS = 120
LOCK_FILE = ".demo-data.lock"
# Generating the 50k demo takes ~1 s and the 10M set ~2 min; a lock held far longer means a stuck process.
LOCK_TIMEOUT_SECONDS = 900
CORRUPT_PREFIX = ".corrupt-"


class DemoDataError(ValueError):
    """A data file that is missing, unreadable or fails its schema; the message names the file."""


@dataclass(frozen=True)
class DataRepair:
    """What repair_demo_data did: status "ok" (nothing to do), "generated" (nothing was there) or "repaired"."""

    status: str
    message: str
    moved_to: Path | None = None


def tidy_campaigns(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical dtypes: datetime dates, categorical dimensions, float measures."""
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"])
    for column in CAMPAIGN_CATEGORIES:
        if column in out.columns:
            out[column] = out[column].astype("string").fillna(config.MISSING_LABEL).astype("category")
    for column in CAMPAIGN_MEASURES:
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").fillna(0.0).astype("float64")
    return out


def read_campaigns(directory: Path | None = None) -> pd.DataFrame:
    """campaigns.parquet if present (faster at scale), else campaigns.csv, with canonical dtypes.

    Raises DemoDataError when the file is missing, unreadable, empty of rows or fails the campaign schema."""
    directory = directory or config.data_dir()
    parquet = directory / PARQUET_FILE
    path = parquet if parquet.exists() else directory / config.CAMPAIGNS_FILE
    raw = _read_table(path, pd.read_parquet if path == parquet else _read_csv)
    if raw.empty:
        raise DemoDataError(f"{path} has no rows.")
    validate_table(raw, "campaigns", path)
    return tidy_campaigns(raw)


def read_influencer_tables(directory: Path | None = None) -> dict[str, pd.DataFrame]:
    """influencers, posts, tracking and payouts frames with parsed dates; raises DemoDataError like read_campaigns."""
    directory = directory or config.data_dir()
    tables = {}
    for name, (file_name, dates) in INFLUENCER_FILES.items():
        path = directory / file_name
        frame = _read_table(path, _read_csv)
        validate_table(frame, name, path)
        tables[name] = frame.assign(**{column: pd.to_datetime(frame[column]) for column in dates})
    return tables


def demo_data_present(directory: Path | None = None) -> bool:
    """True when every demo file exists and is non-empty."""
    directory = directory or config.data_dir()
    return all((directory / name).is_file() and (directory / name).stat().st_size > 0 for name in config.DEMO_FILES)


# -- Validation ---------------------------------------------------------------------------------------------


def _read_csv(path: Path) -> pd.DataFrame:
    """pd.read_csv inferring each column's type in one pass: a corrupt column reads as text (which validation
    names) instead of mixed types with a DtypeWarning. Big data sets are read from Parquet, not CSV."""
    return pd.read_csv(path, low_memory=False)


def _read_table(path: Path, reader: Callable[[Path], pd.DataFrame]) -> pd.DataFrame:
    """reader(path), with every way a file can be unreadable turned into one DemoDataError sentence."""
    try:
        return reader(path)
    except FileNotFoundError as exc:
        raise DemoDataError(f"{path} is missing.") from exc
    except pd.errors.EmptyDataError as exc:
        raise DemoDataError(f"{path} is empty.") from exc
    except UnicodeDecodeError as exc:
        raise DemoDataError(f"{path} is not UTF-8 text (it may hold binary data).") from exc
    except (OSError, ValueError) as exc:  # parser errors and pyarrow's ArrowInvalid are ValueErrors
        raise DemoDataError(f"{path} could not be read ({_short(exc)}).") from exc


def validate_table(frame: pd.DataFrame, kind: str, path: Path) -> None:
    """Check `frame` against the schema of `kind` (a key of pipeline.schemas.SCHEMAS); raise DemoDataError
    naming `path` and the first problem. Big frames are checked on their first and last EDGE_ROWS rows."""
    sample = frame
    if len(frame) > FULL_VALIDATION_MAX_ROWS:
        sample = pd.concat([frame.head(EDGE_ROWS), frame.tail(EDGE_ROWS)])
    try:
        schemas.SCHEMAS[kind].validate(sample, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise DemoDataError(f"{path} {schema_problem(exc.failure_cases)}.") from exc


def schema_problem(failures: pd.DataFrame) -> str:
    """The most telling schema failure in pandera's failure_cases as a plain phrase: missing columns first, then
    empty cells (what truncation leaves), then values of the wrong type, then any other check."""
    checks = failures["check"].astype(str)
    missing = failures.loc[checks == "column_in_dataframe", "failure_case"].astype(str).tolist()
    if missing:
        return _lacks(missing)
    rank = checks.map(lambda c: 0 if c == "not_nullable" else 1 if c.startswith(("coerce_dtype", "dtype")) else 2)
    first = failures.iloc[rank.to_numpy().argsort(kind="stable")[0]]
    column, check, example = first["column"], str(first["check"]), _short(first["failure_case"])
    if check == "not_nullable":
        count = int(((checks == check) & (failures["column"] == column)).sum())
        return f"has {count:,} empty value(s) in column '{column}' (the file may be truncated)"
    if check.startswith("coerce_dtype('datetime"):
        return f"has values in column '{column}' that are not dates (e.g. '{example}')"
    if check.startswith(("coerce_dtype", "dtype")):
        return f"has values of the wrong type in column '{column}' (e.g. '{example}')"
    if first["schema_context"] == "DataFrameSchema":  # a check across columns; pandera names the first column
        return f"fails the check {check} (e.g. row {first['index']})"
    return f"fails the check {check} in column '{column}' (e.g. '{example}')"


def _short(value: Any) -> str:
    """The first line of a message or value, cut to MAX_DETAIL_CHARS."""
    lines = str(value).strip().splitlines()
    text = lines[0].rstrip(".") if lines else value.__class__.__name__
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


def quick_demo_data_problem(directory: Path | None = None) -> str | None:
    """A sentence naming the first demo file that is missing, empty, binary, lacks schema columns, ends
    mid-row or (ground_truth.json) is not a JSON object; None when none is. Reads only each file's start and
    end, so it costs milliseconds at any size; it cannot see a bad value in the middle of a table."""
    directory = directory or config.data_dir()
    for name in config.DEMO_FILES:
        path = directory / name
        if not path.is_file():
            return f"{path} is missing."
        problem = _ground_truth_problem(path) if name == config.GROUND_TRUTH_FILE else _csv_problem(path, name)
        if problem is not None:
            return f"{path} {problem}."
    parquet = directory / PARQUET_FILE
    if parquet.exists():
        problem = _parquet_problem(parquet)
        if problem is not None:
            return f"{parquet} {problem}."
    return None


def demo_data_problem(directory: Path | None = None) -> str | None:
    """quick_demo_data_problem, then every table read and validated as the app reads it; None when all is well."""
    directory = directory or config.data_dir()
    problem = quick_demo_data_problem(directory)
    if problem is not None:
        return problem
    try:
        read_campaigns(directory)
        read_influencer_tables(directory)
    except DemoDataError as exc:
        return str(exc)
    return None


def _required_columns(kind: str) -> list[str]:
    return list(schemas.SCHEMAS[kind].columns)


def _lacks(missing: Sequence[str]) -> str:
    return "lacks the column" + ("s " if len(missing) > 1 else " ") + ", ".join(f"'{c}'" for c in missing)


def _csv_problem(path: Path, name: str) -> str | None:
    """What is wrong with a demo CSV's header or last row, judged from its first and last SNIFF_BYTES."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        handle.seek(max(0, size - SNIFF_BYTES))
        tail = handle.read()
    if not head.strip():
        return "is empty"
    if b"\x00" in head or b"\x00" in tail:
        return "holds binary data, not CSV text"
    try:
        header = next(csv.reader([head.split(b"\n", 1)[0].decode("utf-8-sig")]))
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    missing = [column for column in _required_columns(CSV_SCHEMAS[name]) if column not in header]
    if missing:
        return _lacks(missing)
    body = tail.rstrip(b"\r\n")
    if b"\n" not in body:  # the header is the whole file, or one row is longer than the sniffed tail
        return "has no rows" if size <= SNIFF_BYTES and name == config.CAMPAIGNS_FILE else None
    try:
        last = next(csv.reader([body.rsplit(b"\n", 1)[1].decode("utf-8")]), [])
    except UnicodeDecodeError:
        return "is not UTF-8 text at its end"
    if len(last) != len(header):
        return f"ends with an incomplete row ({len(last)} of {len(header)} fields; the file looks truncated)"
    return None


def _ground_truth_problem(path: Path) -> str | None:
    try:
        truth = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return "is not valid JSON"
    if not isinstance(truth, dict) or not truth:
        return "does not hold the ground-truth object"
    return None


def _parquet_problem(path: Path) -> str | None:
    """Footer and column names only: the row groups are validated when the table is read."""
    import pyarrow.parquet as pq

    try:
        metadata = pq.read_metadata(path)
    except (OSError, ValueError) as exc:
        return f"could not be read as Parquet ({_short(exc)})"
    columns = metadata.schema.to_arrow_schema().names
    missing = [c for c in _required_columns("campaigns") if c not in columns]
    if missing:
        return _lacks(missing)
    if metadata.num_rows == 0:
        return "has no rows"
    return None


# -- Repair -------------------------------------------------------------------------------------------------


def repair_demo_data(
    directory: Path | None = None, seed: int = config.DEFAULT_SEED, rows: int = config.DEFAULT_CAMPAIGN_ROWS
) -> DataRepair:
    """Regenerate the demo data in `directory` when demo_data_problem finds anything wrong.

    Runs under a file lock and checks again once it holds it, so of two sessions or processes repairing at
    once one regenerates and the other finds the repaired folder. The new files are generated in a private
    staging folder and renamed into place, so no reader ever sees a half-written file; every file replaced
    or shadowing the new set (a stale campaigns.parquet) is kept in `.corrupt-<UTC timestamp>/`."""
    directory = directory or config.data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(directory / LOCK_FILE, timeout=LOCK_TIMEOUT_SECONDS):
        problem = demo_data_problem(directory)
        if problem is None:
            return DataRepair("ok", f"The demo data in {directory} is complete and readable.")
        existing = [n for n in (*config.DEMO_FILES, PARQUET_FILE) if (directory / n).exists()]
        moved_to = _regenerate(directory, seed, rows, existing)
    made = f"seed {seed}, {rows:,} campaign rows"
    if moved_to is None:
        return DataRepair("generated", f"No demo data was found in {directory}, so it was generated ({made}).")
    return DataRepair(
        "repaired",
        f"{problem} The demo data was regenerated ({made}); the previous files were kept in {moved_to}.",
        moved_to,
    )


def _regenerate(directory: Path, seed: int, rows: int, existing: Sequence[str]) -> Path | None:
    """Generate into a staging folder, keep the existing files aside, then rename the new ones into place."""
    import data_generation  # the generator lives at the repo root, outside pipeline/

    staging = Path(tempfile.mkdtemp(prefix=".generating-", dir=directory))
    try:
        data_generation.generate(staging, seed=seed, rows=rows)
        made = {path.name for path in staging.iterdir()}
        aside = _aside_folder(directory) if existing else None
        if aside is not None:
            _set_aside(directory, aside, existing, made)
        for name in made:
            os.replace(staging / name, directory / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return aside


def _set_aside(directory: Path, aside: Path, existing: Sequence[str], made: set[str]) -> None:
    """Keep every existing file in `aside`: a link for those about to be replaced (the name stays readable
    until the new file lands), a move for those that would shadow the new set (a stale campaigns.parquet)."""
    for name in existing:
        if name in made:
            _keep_copy(directory / name, aside / name)
        else:
            os.replace(directory / name, aside / name)


def _aside_folder(directory: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1000):
        folder = directory / f"{CORRUPT_PREFIX}{stamp}{f'-{attempt}' if attempt else ''}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise OSError(f"Could not make a folder for the old demo files in {directory}.")


def _keep_copy(source: Path, target: Path) -> None:
    """A hard link when the file system allows it (instant, no extra space), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
