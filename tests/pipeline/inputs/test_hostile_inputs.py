"""Every hostile file of the corpus through `ingest()` and through `python -m pipeline ingest F --json`.

A refused file raises IngestError with one plain sentence (CLI: exit 2, one `error:` line on stderr, no
traceback); an accepted file gives a validated table whose totals and KPIs are finite or missing, never inf.
"""

from __future__ import annotations

import io
import json
import math
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from pipeline import kpis
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import campaign_totals, ingest
from pipeline.schemas import SCHEMAS
from tests.hostile.corpus import HostileFile, build_corpus, write_corpus

ROOT = Path(__file__).resolve().parents[3]
CORPUS = build_corpus()
BY_SLUG = {item.slug: item for item in CORPUS}
CLI_WORKERS = 2  # two cores, shared: more parallel interpreters only queue


def run_cli(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", str(path), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def strict_json(text: str) -> dict:
    """json.loads that refuses NaN / Infinity tokens, which are not JSON."""

    def refuse(token: str) -> None:
        raise ValueError(f"non-JSON constant {token}")

    return json.loads(text, parse_constant=refuse)


def assert_one_sentence(message: str) -> None:
    assert message and "\n" not in message and "Traceback" not in message
    assert message.rstrip().endswith("."), message
    assert len(message) < 400, message


def ingest_item(item: HostileFile):
    return ingest(item.content, name=item.filename)


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every corpus file through the CLI once, two at a time (each run pays a ~1 s interpreter start)."""
    paths = write_corpus(tmp_path_factory.mktemp("hostile"), CORPUS)
    with ThreadPoolExecutor(max_workers=CLI_WORKERS) as pool:
        results = dict(zip(paths, pool.map(run_cli, paths.values()), strict=True))
    return results


def test_the_corpus_is_big_and_covers_both_outcomes() -> None:
    assert len(CORPUS) >= 30
    assert len(BY_SLUG) == len(CORPUS)  # slugs are unique test ids
    outcomes = [item.expect for item in CORPUS]
    assert outcomes.count("refuse") >= 15 and outcomes.count("accept") >= 15
    assert set(outcomes) == {"refuse", "accept"}


def test_the_corpus_is_deterministic() -> None:
    assert [item.content for item in build_corpus()] == [item.content for item in CORPUS]


@pytest.mark.parametrize("item", [i for i in CORPUS if i.expect == "refuse"], ids=lambda i: i.slug)
def test_ingest_refuses_with_one_sentence(item: HostileFile) -> None:
    with pytest.raises(IngestError) as refused:
        ingest_item(item)
    assert_one_sentence(str(refused.value))


@pytest.mark.parametrize("item", [i for i in CORPUS if i.expect == "accept"], ids=lambda i: i.slug)
def test_ingest_accepts_a_valid_table(item: HostileFile) -> None:
    result = ingest_item(item)
    frame = result.frame
    assert len(frame) == result.rows_kept > 0
    assert result.rows_read == result.rows_kept + sum(result.dropped.values())  # every row accounted for
    if item.rows_kept is not None:
        assert result.rows_kept == item.rows_kept
    for reason, count in item.dropped.items():
        assert result.dropped.get(reason) == count, result.dropped
    categories = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    schema = SCHEMAS[result.kind]
    present = pa.DataFrameSchema({n: c for n, c in schema.columns.items() if n in frame.columns})  # as ingest does
    present.validate(frame.astype(dict.fromkeys(categories, "str")))  # tidy dims are categorical
    if {"clicks", "impressions"} <= set(frame.columns):
        assert (frame["clicks"] <= frame["impressions"]).all()
    numbers = frame.select_dtypes("number")
    assert not np.isinf(numbers.to_numpy(dtype="float64")).any()
    if result.kind == "campaigns":
        assert set(item.campaigns) <= set(frame["campaign"].astype(str))
        totals = campaign_totals(frame)
        assert not any(math.isinf(v) for v in totals.values()), totals
        assert not any(math.isinf(v) for v in kpis.kpi_totals(frame).values())


def test_fixes_found_by_the_corpus() -> None:
    """Behaviour pinned after the corpus found it broken: each was a crash or a silently wrong value."""
    dates = ingest_item(BY_SLUG["dates_many_formats"]).frame["date"]  # was OutOfBoundsDatetime
    assert dates.dt.year.between(2025, 2025).all()
    huge = ingest_item(BY_SLUG["huge_numbers"])  # was inf totals
    assert campaign_totals(huge.frame)["spend"] == pytest.approx(175.75)
    with pytest.raises(IngestError, match="unparseable number"):  # was id -9223372036854775808
        ingest_item(BY_SLUG["influencer_ids_overflow"])
    ids = ingest_item(BY_SLUG["fractional_ids"]).frame  # 1.5 was silently truncated to 1
    assert ids["id"].tolist() == [1] and ids["follower_count"].tolist() == [475_800]
    with pytest.raises(IngestError, match="empty row"):  # was IndexError: a date column with no value at all
        ingest_item(BY_SLUG["blank_date_column"])
    german = ingest_item(BY_SLUG["european_semicolons"])  # spend was estimated from impressions ($150)
    assert german.estimated == [] and campaign_totals(german.frame)["spend"] == pytest.approx(1334.45)
    assert german.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-02-01", "2025-02-02"]
    started = time.perf_counter()
    with pytest.raises(IngestError, match="5,009 columns"):  # was 3+ s of fuzzy header matching
        ingest_item(BY_SLUG["many_columns"])
    assert time.perf_counter() - started < 1.0


def test_blank_measures_are_zero_but_missing_tokens_are_refused() -> None:
    """The corpus's every_measure_blank stays accepted as zeros (Meta writes zero as an empty cell); the same
    file with explicit "n/a" / "-" / "null" cells has no number at all and is refused (it loaded as zeros)."""
    blank = ingest_item(BY_SLUG["every_measure_blank"])
    assert campaign_totals(blank.frame)["spend"] == 0.0 and blank.missing == {}
    missing = BY_SLUG["every_measure_blank"].content.replace(b"Mobile,,,,,", b"Mobile,n/a,-,null,N/A,none")
    with pytest.raises(IngestError, match="No row has a usable number in any measure column") as refused:
        ingest(missing, name="missing_measures.csv")
    assert_one_sentence(str(refused.value))


@pytest.mark.parametrize("item", CORPUS, ids=lambda i: i.slug)
def test_cli_answers_json_or_one_error_line(item: HostileFile, cli_results: dict) -> None:
    proc = cli_results[item.slug]
    assert "Traceback" not in proc.stderr
    if item.expect == "refuse":
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
        with pytest.raises(IngestError) as refused:
            ingest_item(item)
        assert lines[0] == f"error: {refused.value}"  # the same sentence as the library gives
        assert proc.stdout == ""
    else:
        assert proc.returncode == 0, proc.stderr
        payload = strict_json(proc.stdout)
        result = ingest_item(item)
        assert payload["kind"] == result.kind
        assert payload["rows_read"] == result.rows_read and payload["rows_kept"] == result.rows_kept
        assert payload["dropped"] == result.dropped
        if result.kind == "campaigns":
            expected = campaign_totals(result.frame)
            for key, value in payload["totals"].items():
                assert value == pytest.approx(expected[key]) if value is not None else math.isnan(expected[key])


def _write_big_csv(path: Path, target_bytes: int) -> tuple[int, dict[str, float]]:
    """A canonical campaign CSV of about `target_bytes`, written as repeats of one generated block."""
    import data_generation

    block = next(data_generation.campaign_chunks(42, 20_000))
    text = block.to_csv(index=False, float_format="%.2f", lineterminator="\n").encode()
    header, body = text.split(b"\n", 1)
    repeats = target_bytes // len(body)
    with path.open("wb") as handle:
        handle.write(header + b"\n")
        for _ in range(repeats):
            handle.write(body)
    parsed = pd.read_csv(io.BytesIO(text))  # the block's own totals, as the CSV wrote them
    totals = {k: float(parsed[k].sum()) * repeats for k in ("spend", "impressions", "clicks", "conversions")}
    return len(block) * repeats, totals


@pytest.mark.slow
def test_a_file_near_the_upload_limit_goes_through_the_cli(tmp_path: Path) -> None:
    """~170 MB, under .streamlit/config.toml's maxUploadSize of 200 MB: under a minute and a bounded footprint."""
    path = tmp_path / "big.csv"
    try:
        rows, totals = _write_big_csv(path, 170_000_000)
        assert 150e6 < path.stat().st_size < 200e6
        started = time.perf_counter()
        proc = run_cli(path)
        elapsed = time.perf_counter() - started
    finally:
        path.unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stderr
    payload = strict_json(proc.stdout)
    assert payload["rows_read"] == payload["rows_kept"] == rows
    for key, value in totals.items():
        assert payload["totals"][key] == pytest.approx(value, rel=1e-9)
    assert elapsed < 60, f"{elapsed:.1f} s"
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux reports kB
    assert peak_mb < 3_000, f"peak RSS {peak_mb:.0f} MB for a 170 MB file"
