"""`make bench`: measured speed, memory and scale; writes bench/results.json and bench/results.md.

Every measurement is a function that returns a plain dict. One that cannot run yet (a page or a pipeline
module that does not exist) records "not available" instead of stopping the run. Timings are the median,
min and max over RUNS runs. Big data sets are generated once under BENCH_DATA (reused when present).
All traffic goes to servers this script starts on 127.0.0.1; every loop is bounded in count and time.

    python -m bench.run                  # everything (~15-25 min on 2 cores, first run generates 10M rows)
    python -m bench.run --only engine    # one or more sections
    python -m bench.run --quick          # smoke run: fewer runs, no 10M
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import data_generation  # noqa: E402
from bench import kpi_latency, scale, studies  # noqa: E402
from bench.load import run_load_async  # noqa: E402
from bench.measure import repeat, same_frames, stats, timed  # noqa: E402
from bench.server import CHROMIUM, CHROMIUM_ARGS, running_server  # noqa: E402
from pipeline import config  # noqa: E402
from pipeline.filters import CampaignFilter  # noqa: E402
from pipeline.inputs import demo  # noqa: E402
from pipeline.scale import engine  # noqa: E402

BENCH_DATA = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/bench-data"))
RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "results.md"
RUNS = 5
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
DEMO_ROWS = config.DEFAULT_CAMPAIGN_ROWS
PACKAGES = ("streamlit", "pandas", "numpy", "pyarrow", "duckdb", "scikit-learn", "scipy", "plotly", "websockets")
METRIC_VALUE = '[data-testid="stMetricValue"]'
BROWSER_TIMEOUT_MS = 90_000
# True once the Spend tile's value differs from the text it had before the click.
SPEND_CHANGED_JS = (
    "([sel, old]) => { const m = [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
    ".find(e => e.innerText.includes('Spend')); return !!m && m.querySelector(sel).innerText !== old; }"
)
# Filter keys per page kind (ui/filters.py): campaign pages and influencer pages.
FILTER_KEYS = {"campaign_filters": "cf_platform", "influencer_filters": "if_platform"}
APPTEST_TIMEOUT_S = 300
LOAD_LEVELS = (1, 5, 20)
LOAD_CHANGES = 10
LOAD_MAX_S = 300.0
# At 1M rows each rerun is slower, so fewer changes keep this part to a couple of minutes.
LOAD_LEVELS_1M = (1, 20)
LOAD_CHANGES_1M = 2
TARGETS = {"rerun_1m_s": 0.5, "rerun_10m_s": 1.0, "rss_20_vs_1": 1.5, "kpis_10m_s": 1.0}
NOT_AVAILABLE = "not available"


# ---------------------------------------------------------------- helpers


def guarded(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one section; a missing module or page records "not available", any other failure its error."""
    print(f"[bench] {name} ...", flush=True)
    started = time.perf_counter()
    try:
        result = fn()
    except (ImportError, AttributeError, FileNotFoundError) as exc:
        result = {"status": NOT_AVAILABLE, "reason": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:  # a broken section must not lose the other measurements
        result = {"status": "error", "reason": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-1500:]}
    result.setdefault("status", "ok")
    result["section_s"] = round(time.perf_counter() - started, 1)
    print(f"[bench] {name}: {result['status']} in {result['section_s']} s", flush=True)
    return result


def ensure_data(name: str, rows: int) -> Path:
    """A generated data set under BENCH_DATA/name (seed 42), reused when complete."""
    out = BENCH_DATA / name
    complete = (out / config.GROUND_TRUTH_FILE).is_file() and (
        rows < 1_000_000 or (out / config.CAMPAIGNS_PARQUET).is_file()
    )
    if not complete:
        print(f"[bench] generating {rows:,} rows into {out} ...", flush=True)
        data_generation.generate(out, seed=config.DEFAULT_SEED, rows=rows)
    return out


def demo_data() -> Path:
    """The app's demo data (data/ as `make data` writes it), else a generated copy under BENCH_DATA."""
    if demo.demo_data_present(config.data_dir()):
        return config.data_dir()
    return ensure_data("demo", DEMO_ROWS)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = NOT_AVAILABLE
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit.strip(),
        "load_average_at_start": os.getloadavg(),
    }


# ---------------------------------------------------------------- AppTest reruns per page


def page_filter_key(page: Path) -> str | None:
    source = page.read_text()
    return next((key for call, key in FILTER_KEYS.items() if call in source), None)


def filter_values(options: list[str], runs: int) -> list[list[str]]:
    """`runs` distinct selections (singles, then pairs), so every change is a new filter, never a cache hit."""
    picks = [[o] for o in options] + [[a, b] for i, a in enumerate(options) for b in options[i + 1 :]]
    return [picks[i % len(picks)] for i in range(runs)]


def apptest_page(page: Path, data_dir: Path, runs: int) -> dict[str, Any]:
    """First run, then `runs` reruns each after changing the page's platform multiselect, timed."""
    from streamlit.testing.v1 import AppTest

    if not page.is_file():
        return {"status": NOT_AVAILABLE, "reason": f"{page.name} does not exist yet"}
    os.environ["APP_DATA_DIR"] = str(data_dir)
    first_s, at = timed(lambda: AppTest.from_file(str(page), default_timeout=APPTEST_TIMEOUT_S).run())
    if at.exception:
        return {"status": "error", "reason": f"first run raised: {at.exception[0].message}", "first_run_s": first_s}
    key = page_filter_key(page)
    samples: list[float] = []
    if key is None or not [w for w in at.multiselect if w.key == key]:
        for _ in range(runs):
            samples.append(timed(at.run)[0])
        change = "no filter on this page: plain rerun"
    else:
        widget = at.multiselect(key=key)
        for values in filter_values(list(widget.options), runs):
            at.multiselect(key=key).set_value(values)
            samples.append(timed(at.run)[0])
            if at.exception:
                return {"status": "error", "reason": f"rerun raised: {at.exception[0].message}"}
        change = f"{key} set to a new selection each run"
    result = {"first_run_s": first_s, "rerun": stats(samples), "change": change, "metrics": len(at.metric)}
    if page.stem == "overview" and key is not None:
        result["spend_tile_correct"] = _overview_spend_correct(at, data_dir, list(at.multiselect(key=key).value))
    return result


def _overview_spend_correct(at: Any, data_dir: Path, platforms: list[str]) -> bool:
    """The overview's Spend tile after the last change equals pipeline.scale.engine's total for that filter."""
    from bench.ws_client import shown_value

    tile = next((m for m in at.metric if m.label == "Spend"), None)
    if tile is None:
        return False
    value, tolerance = shown_value(str(tile.value), tile.proto.help)
    expected = engine.sum_campaigns(data_dir, CampaignFilter(platforms=tuple(platforms)))["spend"].iloc[0]
    return abs(value - expected) <= tolerance


def uses_campaigns(page: Path) -> bool:
    return page.is_file() and "campaign_filters" in page.read_text()


def bench_apptest(runs: int, sizes: dict[str, Path]) -> dict[str, Any]:
    """Rerun time per page after a filter change, on demo data and on each big size (campaign pages only)."""
    import streamlit as st

    os.chdir(ROOT)
    pages = sorted((ROOT / "pages").glob("*.py"))
    results: dict[str, Any] = {}
    for label, data_dir in sizes.items():
        st.cache_resource.clear()
        st.cache_data.clear()
        per_page = {}
        for page in pages:
            if label != "demo" and not uses_campaigns(page):
                continue  # the influencer data does not grow with the campaign rows
            per_page[page.stem] = guarded(
                f"apptest {label} {page.stem}", lambda p=page, d=data_dir: apptest_page(p, d, runs)
            )
        results[label] = per_page
    st.cache_resource.clear()
    st.cache_data.clear()
    return results


# ---------------------------------------------------------------- browser


def bench_browser(runs: int, data_dir: Path) -> dict[str, Any]:
    """Time to the first KPI tile in headless Chromium, and from a filter click to the updated KPI."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        return {"status": NOT_AVAILABLE, "reason": f"{CHROMIUM} not installed (make browser)"}
    first_kpi: list[float] = []
    click_to_kpi: list[float] = []
    failures: list[str] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(data_dir, Path(tmp) / "server.log") as server,
        sync_playwright() as driver,
    ):
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for i in range(runs + 1):  # the first visit warms the server's cache and is not counted
                try:
                    loaded, clicked = _browser_visit(browser, server.url)
                except PlaywrightError as exc:  # a slow shared machine can time out one visit; count it
                    failures.append(f"visit {i}: {str(exc).splitlines()[0]}")
                    continue
                if i > 0:
                    first_kpi.append(loaded)
                    click_to_kpi.append(clicked)
        finally:
            browser.close()
    return {
        "first_kpi_visible": stats(first_kpi),
        "filter_click_to_kpi": stats(click_to_kpi),
        "failed_visits": failures,
        "data_rows": DEMO_ROWS,
    }


def _browser_visit(browser: Any, url: str) -> tuple[float, float]:
    """One fresh session: (seconds to the first visible KPI, seconds from removing a platform to a new Spend)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.set_default_timeout(BROWSER_TIMEOUT_MS)
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(METRIC_VALUE, state="visible")
        loaded = time.perf_counter() - started
        spend = page.locator('[data-testid="stMetric"]').filter(has_text="Spend").first.locator(METRIC_VALUE)
        page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
        before = spend.inner_text()
        platform_box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
        remove = platform_box.filter(has_text="Platform").first.get_by_role("button", name="Remove ").first
        started = time.perf_counter()
        remove.click()
        page.wait_for_function(SPEND_CHANGED_JS, arg=[METRIC_VALUE, before])
        return loaded, time.perf_counter() - started
    finally:
        context.close()


# ---------------------------------------------------------------- load (websocket sessions, RSS)


def bench_load(
    data_dir: Path, levels: tuple[int, ...], changes: int, label: str, extra_env: dict[str, str] | None = None
) -> dict[str, Any]:
    """A fresh server per level; N concurrent sessions x `changes` filter changes; RSS, latency, correctness."""
    frame = demo.read_campaigns(data_dir)
    out: dict[str, Any] = {"changes_per_session": changes, "levels": {}, "server_env": extra_env or {}}
    for sessions in levels:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_server(data_dir, Path(tmp) / "server.log", extra_env=extra_env) as server,
        ):
            idle = _rss_mb(server.pid)
            report = asyncio.run(run_load_async(server.port, server.pid, frame, sessions, changes, LOAD_MAX_S))
            result = report.as_dict()
            result["rss_idle_mb"] = idle
            out["levels"][str(sessions)] = result
            print(f"[bench] load {label} {sessions} sessions: {result['errors']} errors", flush=True)
    one, many = out["levels"].get("1"), out["levels"].get(str(max(levels)))
    if one and many:
        out["rss_ratio_max_vs_1"] = many["rss_peak_mb"] / one["rss_peak_mb"]
    return out


def _rss_mb(pid: int) -> float:
    from bench.ws_client import process_rss_bytes

    return process_rss_bytes(pid) / 2**20


# ---------------------------------------------------------------- pipeline pieces


def bench_ingestion(runs: int, data_dir: Path) -> dict[str, Any]:
    from pipeline.inputs import ingestion

    path = data_dir / config.CAMPAIGNS_FILE
    samples, rows = [], 0
    for _ in range(runs):
        seconds, result = timed(lambda: ingestion.ingest(path))
        samples.append(seconds)
        rows = result.rows_kept
    timing = stats(samples)
    return {
        "file_mb": round(path.stat().st_size / 2**20, 1),
        "rows": rows,
        "time": timing,
        "rows_per_s_median": rows / timing["median"],
        "rows_per_s_min": rows / timing["max"],
        "rows_per_s_max": rows / timing["min"],
    }


def bench_incrementality(runs: int, coverage_seeds: int) -> dict[str, Any]:
    from pipeline.influencers import incrementality

    data = data_generation.influencer_tables(1, n_influencers=200, users_per_influencer=5000)
    tracking, payouts = data["tracking_data"], data["payouts"]
    timing = repeat(lambda _i: incrementality.analyse(tracking, payouts, breakdowns=()), runs)
    with_breakdowns = repeat(lambda _i: incrementality.analyse(tracking, payouts), max(1, runs // 2 + 1))
    report = incrementality.analyse(tracking, payouts, breakdowns=())
    seconds, coverage = timed(lambda: studies.full_coverage(coverage_seeds))
    truth = data["truth"]["iroas"]
    return {
        "tracking_rows": len(tracking),
        "resamples": incrementality.N_RESAMPLES,
        "analyse_overall": timing,
        "analyse_with_breakdowns": with_breakdowns,
        "iroas": report.overall.iroas,
        "iroas_interval": [report.overall.iroas_ci_low, report.overall.iroas_ci_high],
        "true_iroas": truth,
        "coverage": {**coverage, "seconds": seconds},
    }


def bench_models(runs: int, data_dir: Path) -> dict[str, Any]:
    """Training, forecast and optimizer latency, through whatever public APIs exist at run time."""
    out: dict[str, Any] = {}
    frame = demo.read_campaigns(data_dir)
    out["training"] = guarded("training", lambda: _training(data_dir, runs))
    if studies.SOCIAL_PRED_FILE.is_file():
        out["social_pred_benchmark"] = guarded("social_pred", studies.social_pred_benchmark)
    out["forecast"] = guarded("forecast", lambda: _forecast(frame, runs))
    out["planner"] = guarded("planner", lambda: _planner(frame, data_dir, runs))
    return out


def _training(data_dir: Path, runs: int) -> dict[str, Any]:
    training = importlib.import_module("pipeline.modeling.roi")
    with tempfile.TemporaryDirectory() as models_dir:
        seconds, done = timed(lambda: training.ensure_models(data_dir, Path(models_dir)))
        saved = sorted(p.name for p in Path(models_dir).iterdir() if not p.name.startswith("."))
        load = repeat(lambda _i: training.load_models(Path(models_dir)), runs)
    return {
        "ensure_models_s": seconds,
        "trained": list(done.get("trained", [])),
        "artifacts": saved,
        "load_models": load,
        "data_rows": DEMO_ROWS,
    }


def _forecast(frame: pd.DataFrame, runs: int) -> dict[str, Any]:
    forecast = importlib.import_module("pipeline.modeling.forecast")
    train_s, (model, _meta) = timed(lambda: forecast.train_forecaster(frame))
    row = frame.iloc[[0]][[*model.categorical, model.numeric]]
    batch = frame.iloc[:1000][[*model.categorical, model.numeric]]
    model.predict(row)  # first call builds lookup tables
    one = repeat(lambda _i: model.predict(row), max(runs, 20))
    thousand = repeat(lambda _i: model.predict(batch), runs)
    return {"train_forecaster_s": train_s, "predict_1_row": one, "predict_1000_rows": thousand}


def _planner(frame: pd.DataFrame, data_dir: Path, runs: int) -> dict[str, Any]:
    """pipeline.modeling.planner.optimize_budget latency for 3 and 12 plan lines (bounds ±50% of current spend)."""
    forecast = importlib.import_module("pipeline.modeling.forecast")
    planner = importlib.import_module("pipeline.modeling.planner")
    model, _meta = forecast.train_forecaster(frame)
    three = planner.default_lines(model, 3_000.0).head(3)
    twelve = pd.concat([planner.default_lines(model, 100.0)] * 2, ignore_index=True).iloc[:12]
    twelve = twelve.assign(spend=np.linspace(20, 240, 12), device=["Mobile", "Desktop"] * 6)
    out: dict[str, Any] = {}
    for label, lines in (("optimizer, 3 lines", three), ("optimizer, 12 lines", twelve)):
        bounded = planner.default_bounds(lines)
        budget = float(lines["spend"].sum())
        out[label] = repeat(lambda _i, b=bounded, total=budget: planner.optimize_budget(model, b, total), runs)
    curve_line = twelve.iloc[0].to_dict()
    out["response curve, 50 points"] = repeat(lambda _i: planner.response_curve(model, curve_line), runs)
    return out


# ---------------------------------------------------------------- pandas vs DuckDB


ENGINE_SPECS = scale.SPECS  # the same rotating filters as the scale-out section, so the figures compare
ENGINE_GROUPINGS = {
    "platform x device": ["platform", "device"],
    "overview cube": ["platform", "campaign", "device", "date"],
}


def bench_engine(runs: int, sizes: dict[str, Path]) -> dict[str, Any]:
    """Filter plus group-by on the same specs: pandas on the in-memory frame, DuckDB scanning that frame,
    and DuckDB over campaigns.parquet (when the set has one)."""
    out: dict[str, Any] = {}
    specs = [ENGINE_SPECS[i % len(ENGINE_SPECS)] for i in range(runs)]
    for label, data_dir in sizes.items():
        load_s, frame = timed(lambda d=data_dir: demo.read_campaigns(d))
        parquet = data_dir / engine.PARQUET_FILE
        result: dict[str, Any] = {
            "rows": len(frame),
            "frame_load_s": load_s,
            "frame_mb": frame.memory_usage(deep=True).sum() / 2**20,
            "parquet_mb": parquet.stat().st_size / 2**20 if parquet.is_file() else None,
            "auto_engine_frame": engine.choose_engine(frame),
            "auto_engine_dir": engine.choose_engine(data_dir),
        }
        paths: dict[str, Any] = {"pandas": frame, "duckdb_frame": frame}
        if parquet.is_file():
            paths["duckdb_parquet"] = data_dir
        for name, by in ENGINE_GROUPINGS.items():
            timings: dict[str, Any] = {}
            for path_name, source in paths.items():
                how = "pandas" if path_name == "pandas" else "duckdb"
                timings[path_name] = repeat(
                    lambda i, by=by, src=source, how=how: engine.sum_campaigns(src, specs[i], by, how), runs
                )
            reference = [engine.sum_campaigns(frame, s, by, "pandas") for s in specs[:2]]
            timings["identical"] = all(
                same_frames(ref, engine.sum_campaigns(src, s, by, "duckdb"))
                for ref, s in zip(reference, specs[:2], strict=True)
                for key, src in paths.items()
                if key != "pandas"
            )
            result[name] = timings
        out[label] = result
        del frame, paths
    return out


# ---------------------------------------------------------------- report


def _fmt_s(value: float | None) -> str:
    if value is None or value != value:
        return "—"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _stat_cell(entry: dict[str, Any] | None) -> str:
    if not entry or not entry.get("n"):
        return "—"
    return f"{_fmt_s(entry['median'])} ({_fmt_s(entry['min'])}–{_fmt_s(entry['max'])})"


def _status_cell(result: dict[str, Any]) -> str | None:
    if result.get("status") in (None, "ok"):
        return None
    return f"{result['status']}: {str(result.get('reason', ''))[:140]}"


def render_markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m bench.run`). Timings are **median (min–max) over "
        f"{results['runs']} runs** unless a count is given. The machine is shared with other work, so expect noise: "
        "compare medians, and rerun before drawing fine conclusions.",
        "",
        f"- Date: {m['date']} · commit `{m['commit']}` · total bench time {results['total_s'] / 60:.1f} min",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}",
        f"- Load average at start: {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}",
        f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
        "",
    ]
    lines += _md_headline(results)
    lines += _md_apptest(results.get("apptest", {}))
    lines += _md_kpis(results.get("kpis", {}))
    lines += _md_browser(results.get("browser", {}))
    lines += _md_load(results.get("load", {}))
    lines += _md_engine(results.get("engine", {}))
    lines += _md_pipeline(results)
    lines += scale.markdown_lines(results.get("scale", {}))
    return "\n".join(lines) + "\n"


def _overview_rerun(results: dict[str, Any], size: str) -> float | None:
    entry = results.get("apptest", {}).get(size, {}).get("overview", {})
    return entry.get("rerun", {}).get("median") if entry.get("status") == "ok" else None


def _md_headline(results: dict[str, Any]) -> list[str]:
    lines = ["## Against the targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    for size, key in (("1m", "rerun_1m_s"), ("10m", "rerun_10m_s")):
        value = _overview_rerun(results, size)
        limit = TARGETS[key]
        met = "—" if value is None else ("yes" if value <= limit else "no")
        lines.append(
            f"| Overview filter change → updated KPIs at {size.upper()} rows ≤ {limit} s | {_fmt_s(value)} | {met} |"
        )
    kpis_result = results.get("kpis", {})
    for entry in kpis_result.values():
        if isinstance(entry, dict) and "kpis_updated" in entry:
            value = entry["kpis_updated"]["p50_s"]
            met = "yes" if value <= TARGETS["kpis_10m_s"] else "no"
            lines.append(
                f"| {entry['column'].replace('_', ' ').capitalize()} filter change → KPI tiles updated in the page"
                f" ({kpis_result['data']}, websocket) ≤ {TARGETS['kpis_10m_s']} s | {_fmt_s(value)} | {met} |"
            )
    load = results.get("load", {}).get("demo", {})
    ratio = load.get("rss_ratio_max_vs_1")
    met = "—" if ratio is None else ("yes" if ratio <= TARGETS["rss_20_vs_1"] else "no")
    shown = "—" if ratio is None else f"{ratio:.2f}×"
    lines.append(f"| RSS with 20 sessions ≤ 1.5 × one session (demo data) | {shown} | {met} |")
    for data, part in results.get("load", {}).items():
        ratio = part.get("rss_ratio_max_vs_1") if data != "demo" and isinstance(part, dict) else None
        if ratio is not None:
            ok = "yes" if ratio <= TARGETS["rss_20_vs_1"] else "no"
            lines.append(f"| RSS with 20 sessions ≤ 1.5 × one session ({data}) | {ratio:.2f}× | {ok} |")
    errors = [
        lvl.get("errors", 0)
        for part in results.get("load", {}).values()
        if isinstance(part, dict)
        for lvl in part.get("levels", {}).values()
    ]
    verdict = "—" if not errors else ("yes" if not sum(errors) else "no")
    lines.append(f"| No errors under load | {sum(errors) if errors else '—'} errors | {verdict} |")
    return [*lines, ""]


def _md_apptest(apptest: dict[str, Any]) -> list[str]:
    lines = [
        "## Rerun time per page after a filter change (AppTest)",
        "",
        "`AppTest.from_file(page).run()`, then the page's platform multiselect is set to a new selection and "
        "`.run()` is timed (each run a selection not seen before, so no cached result is reused). "
        "1M and 10M rows apply to the campaign pages only (the influencer data does not grow with them).",
        "",
        "| Data | Page | First run | Rerun after a filter change | Note |",
        "|---|---|---|---|---|",
    ]
    if apptest.get("status") not in (None, "ok"):
        return [*lines, f"| — | — | — | — | {_status_cell(apptest)} |", ""]
    for size, pages in apptest.items():
        if not isinstance(pages, dict):
            continue
        for page, entry in pages.items():
            if not isinstance(entry, dict):
                continue
            note = _status_cell(entry) or entry.get("change", "")
            if "spend_tile_correct" in entry:
                note += f"; Spend tile equals the pipeline's: {entry['spend_tile_correct']}"
            lines.append(
                f"| {size} | {page} | {_fmt_s(entry.get('first_run_s'))} | {_stat_cell(entry.get('rerun'))} | {note} |"
            )
    return [*lines, ""]


def _md_browser(browser: dict[str, Any]) -> list[str]:
    lines = ["## Headless Chromium (Playwright) on demo data", ""]
    status = _status_cell(browser)
    if status:
        return [*lines, status, ""]
    return [
        *lines,
        "| Measure | Time |",
        "|---|---|",
        f"| Page load to first KPI visible | {_stat_cell(browser.get('first_kpi_visible'))} |",
        f"| Filter click to updated KPI | {_stat_cell(browser.get('filter_click_to_kpi'))} |",
        f"| Visits that timed out (not counted) | {len(browser.get('failed_visits', []))} |",
        "",
    ]


def _md_load(load: dict[str, Any]) -> list[str]:
    lines = [
        "## Concurrent sessions (websocket protocol client, bench/ws_client.py)",
        "",
        "A fresh `streamlit run app.py` on 127.0.0.1 per level; every session opens the overview and changes the "
        "platform filter; every response's Spend, Revenue, Clicks, ROAS and CTR tiles are checked against "
        "`pipeline.kpis` on the same filter. RSS is the server process's, sampled every 0.2 s (idle: before the "
        "first session; after: once every session has finished). Latency is from sending the filter change to "
        "`script_finished`; with N sessions it includes queueing behind the other sessions' reruns.",
        "",
        "| Data | Sessions × changes | Errors | KPIs correct | Reruns/s | p50 | p95 | RSS idle | RSS peak"
        " | RSS after |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for data, part in load.items():
        if not isinstance(part, dict):
            continue
        status = _status_cell(part)
        if status:
            lines.append(f"| {data} | — | — | — | — | — | — | — | {status} |")
            continue
        for sessions, r in part.get("levels", {}).items():
            lines.append(
                f"| {data} | {sessions} × {r['changes_per_session']} | {r['errors']}"
                f" | {r['kpi_correct']}/{r['kpi_checks']}"
                f" | {r['reruns_per_s']:.2f} | {_fmt_s(r['p50_s'])} | {_fmt_s(r['p95_s'])} | {r['rss_idle_mb']:.0f} MB"
                f" | {r['rss_peak_mb']:.0f} MB | {r['rss_after_mb']:.0f} MB |"
            )
    return [*lines, ""]


def _md_kpis(kpis_result: dict[str, Any]) -> list[str]:
    if not kpis_result:
        return []
    lines = [
        f"## Filter change to updated KPI tiles ({kpis_result.get('data', '?')} rows, websocket, one session)",
        "",
        "A fresh `streamlit run app.py` on the data set; one session opens the overview and changes one filter at a"
        " time (each change a selection not seen before). *KPI tiles updated*: from sending the change until the"
        " last checked KPI tile (Spend, Revenue, Clicks, ROAS, CTR) has arrived; the page streams its elements, so"
        " this is when a user sees new KPIs. *Whole page*: until the script finished (charts, tables, anomalies)."
        " Every response's tiles are checked against pipeline.scale.engine's totals for the same filter.",
        "",
    ]
    status = _status_cell(kpis_result)
    if status:
        return [*lines, status, ""]
    lines += [
        f"First page load (data read, cubes built): {_fmt_s(kpis_result.get('first_run_s'))}",
        "",
        "| Filter changed | KPI tiles updated p50 (p95) | Whole page p50 (p95) | Changes | Wrong KPIs or errors |",
        "|---|---|---|---|---|",
    ]
    for entry in kpis_result.values():
        if not isinstance(entry, dict) or "kpis_updated" not in entry:
            continue
        kpi, page = entry["kpis_updated"], entry["full_rerun"]
        lines.append(
            f"| {entry['column']} | {_fmt_s(kpi['p50_s'])} ({_fmt_s(kpi['p95_s'])})"
            f" | {_fmt_s(page['p50_s'])} ({_fmt_s(page['p95_s'])}) | {len(entry['kpi_samples_s'])}"
            f" | {entry['errors']} |"
        )
    return [*lines, ""]


def _md_engine(engine_results: dict[str, Any]) -> list[str]:
    lines = [
        "## Filter + group-by: pandas vs DuckDB (pipeline/engine.py)",
        "",
        "Same five filters and groupings on each path: pandas on the in-memory frame, DuckDB scanning that frame "
        "in place, DuckDB reading campaigns.parquet (no frame in RAM at all). `identical`: every path returned "
        "the same frame. `auto` is what engine.choose_engine picks for an in-memory frame / a data folder.",
        "",
        "| Rows | Grouping | pandas | DuckDB on the frame | DuckDB on Parquet | identical | frame in RAM "
        "| load frame | auto |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    status = _status_cell(engine_results)
    if status:
        return [*lines, f"| — | — | — | — | — | — | — | — | {status} |", ""]
    for r in engine_results.values():
        if not isinstance(r, dict) or "rows" not in r:
            continue
        for name in ENGINE_GROUPINGS:
            g = r[name]
            lines.append(
                f"| {r['rows']:,} | {name} | {_stat_cell(g.get('pandas'))} | {_stat_cell(g.get('duckdb_frame'))}"
                f" | {_stat_cell(g.get('duckdb_parquet'))} | {g['identical']} | {r['frame_mb']:.0f} MB"
                f" | {_fmt_s(r['frame_load_s'])} | {r['auto_engine_frame']} / {r['auto_engine_dir']} |"
            )
    return [*lines, ""]


def _md_pipeline(results: dict[str, Any]) -> list[str]:
    lines = ["## Pipeline", "", "| Measure | Result |", "|---|---|"]
    ing = results.get("ingestion", {})
    if _status_cell(ing):
        lines.append(f"| Ingestion of a 1M-row CSV | {_status_cell(ing)} |")
    elif ing:
        lines.append(
            f"| Ingestion of a 1M-row CSV ({ing['file_mb']} MB, pipeline.inputs.ingestion.ingest) | "
            f"{ing['rows_per_s_median']:,.0f} rows/s ({ing['rows_per_s_min']:,.0f}–{ing['rows_per_s_max']:,.0f}); "
            f"{_stat_cell(ing['time'])} |"
        )
    inc = results.get("incrementality", {})
    if _status_cell(inc):
        lines.append(f"| Incrementality | {_status_cell(inc)} |")
    elif inc:
        cov = inc["coverage"]
        lines += [
            f"| Incrementality bootstrap, {inc['tracking_rows']:,} tracking rows, {inc['resamples']:,} resamples "
            f"(overall) | {_stat_cell(inc['analyse_overall'])} |",
            f"| Same, with every breakdown | {_stat_cell(inc['analyse_with_breakdowns'])} |",
            f"| full_coverage({cov['seeds']}): iROAS interval covers the truth | {cov['covered']}/{cov['seeds']} "
            f"({cov['coverage']:.1%}) in {_fmt_s(cov['seconds'])}; contamination counts match: "
            f"{cov['contamination_counts_match']} |",
        ]
    models = results.get("models", {})
    for name in ("training", "forecast", "planner"):
        entry = models.get(name, {})
        if not entry:
            continue
        status = _status_cell(entry)
        if status:
            lines.append(f"| {name} | {status} |")
        elif name == "training":
            trained = ", ".join(entry.get("trained", []))
            lines += [
                f"| Training every model (training.ensure_models, {entry['data_rows']:,} rows: {trained}) "
                f"| {_fmt_s(entry['ensure_models_s'])} |",
                f"| Loading every saved model (training.load_models) | {_stat_cell(entry.get('load_models'))} |",
            ]
        elif name == "forecast":
            lines += [
                f"| Forecaster training (forecast.train_forecaster) | {_fmt_s(entry['train_forecaster_s'])} |",
                f"| Forecast latency, 1 row | {_stat_cell(entry['predict_1_row'])} |",
                f"| Forecast latency, 1,000 rows | {_stat_cell(entry['predict_1000_rows'])} |",
            ]
        else:
            lines += [
                f"| {k} | {_stat_cell(v) if isinstance(v, dict) else v} |"
                for k, v in entry.items()
                if k not in ("status", "section_s")
            ]
    return [*lines, ""]


# ---------------------------------------------------------------- main

SECTIONS = ("engine", "ingestion", "incrementality", "models", "apptest", "kpis", "browser", "load", "scale")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per measurement (at least 5 for results)")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 runs, no 10M, small load")
    args = parser.parse_args(argv)
    runs = 2 if args.quick else max(1, args.runs)
    wanted = set(args.only or SECTIONS)
    started = time.perf_counter()

    demo_dir = demo_data()
    big = {name: ensure_data(name, rows) for name, rows in SIZES.items() if not (args.quick and name == "10m")}
    results: dict[str, Any] = {
        "machine": machine(),
        "runs": runs,
        "data": {"demo": str(demo_dir), **{k: str(v) for k, v in big.items()}},
    }
    if "engine" in wanted:
        results["engine"] = guarded("engine", lambda: bench_engine(runs, {"demo": demo_dir, **big}))
    if "ingestion" in wanted:
        results["ingestion"] = guarded("ingestion", lambda: bench_ingestion(runs, big["1m"]))
    if "incrementality" in wanted:
        results["incrementality"] = guarded(
            "incrementality", lambda: bench_incrementality(runs, 20 if args.quick else 200)
        )
    if "models" in wanted:
        results["models"] = guarded("models", lambda: bench_models(runs, demo_dir))
    if "apptest" in wanted:
        results["apptest"] = guarded("apptest", lambda: bench_apptest(runs, {"demo": demo_dir, **big}))
    if "kpis" in wanted:
        kpi_data = big.get("10m", big["1m"])
        results["kpis"] = guarded("kpis", lambda: {"data": kpi_data.name, **kpi_latency.measure(kpi_data, runs)})
    if "browser" in wanted:
        results["browser"] = guarded("browser", lambda: bench_browser(runs, demo_dir))
    if "load" in wanted:
        changes = 2 if args.quick else LOAD_CHANGES
        results["load"] = {"demo": guarded("load demo", lambda: bench_load(demo_dir, LOAD_LEVELS, changes, "demo"))}
        if not args.quick:
            results["load"]["1m"] = guarded(
                "load 1m", lambda: bench_load(big["1m"], LOAD_LEVELS_1M, LOAD_CHANGES_1M, "1m")
            )
            # Evidence for a deployment setting: fewer glibc malloc arenas keep concurrent threads' freed
            # memory from staying resident.
            results["load"]["1m, MALLOC_ARENA_MAX=2"] = guarded(
                "load 1m arenas",
                lambda: bench_load(big["1m"], LOAD_LEVELS_1M, LOAD_CHANGES_1M, "1m arenas", {"MALLOC_ARENA_MAX": "2"}),
            )
    if "scale" in wanted:  # last: Spark's JVM must not share the cores with the other sections
        scale_data = big.get("10m", big["1m"])
        results["scale"] = guarded("scale", lambda: scale.engine_comparison(scale_data, runs))
    results["total_s"] = time.perf_counter() - started

    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    RESULTS_MD.write_text(render_markdown(results))
    print(
        f"[bench] wrote {RESULTS_JSON.relative_to(ROOT)} and {RESULTS_MD.relative_to(ROOT)}"
        f" in {results['total_s'] / 60:.1f} min"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
