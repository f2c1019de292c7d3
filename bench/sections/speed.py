"""Speed as users feel it (the overview at 10M rows through a real server, every page's rerun, a 20-session burst).

    python -m bench.run --only sections     # a section's widget (granularity, breakdown, min clicks) at 10M rows
    python -m bench.run --only wholepage    # a content-type or device change on the whole overview at 10M rows
    python -m bench.run --only firstload    # first visit in a fresh server, with and without the persisted cubes
    python -m bench.run --only pages        # every page's rerun after a filter change on the demo data (AppTest)
    python -m bench.run --only burst        # 20 sessions changing filters at once against one server

Section and whole-page changes go through the websocket client (bench/ws_client.py), as a browser sends them: a
widget inside an st.fragment asks for that fragment's rerun only, which exists only in a real server. Each
change picks a value the session has not had just before, so nothing is answered from a widget's own cache;
whole-page changes pick a new filter each run (singles, then pairs), so no filter is a cache hit. The time is
from sending the change to the run's `script_finished`. Targets are beside every figure (TARGETS).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.measure import on_overview_dates, pipeline_totals, seconds_cell, stat_cell, stats
from bench.sections.apptest import filter_values
from bench.server import running_server
from bench.ws_client import RerunResult, Session, Widget, shown_value
from pipeline.campaigns import cube_store
from pipeline.filters import CampaignFilter

# The targets, seconds (p50 for the burst).
TARGETS = {
    "section_change_10m_s": 0.3,
    "whole_page_change_10m_s": 1.0,
    "first_load_10m_s": 5.0,
    "page_rerun_demo_s": 0.2,
    "burst_p50_s": 2.0,
}
SESSION_TIMEOUT_S = 600.0  # a first visit at 10M rows without stored cubes takes tens of seconds on 2 cores
# The overview's section widgets (pages/overview.py) and the values a change cycles through.
SECTION_WIDGETS: dict[str, tuple[str | int, ...]] = {
    "ov_freq": ("day", "month", "week"),
    "ov_dim": ("device", "campaign", "platform"),
    "ov_min_clicks": (100, 150, 200, 250, 300, 350),
}
# Sidebar filters whose change reruns the whole page; content type is below the full cube's grain.
WHOLE_PAGE_FILTERS = {"cf_content_type": "content_types", "cf_device": "devices"}
BURST_SESSIONS = 20
BURST_CHANGES = 10


def _change(widget: Widget, value: str | int) -> dict[str, Any]:
    """rerun() arguments that set `widget` to `value`, in its fragment when it has one."""
    if isinstance(value, int):
        return {"ints": {widget.id: value}, "fragment_id": widget.fragment_id}
    return {"string_arrays": {widget.id: [value]}, "fragment_id": widget.fragment_id}


def _failed(result: RerunResult, what: str) -> str | None:
    return None if result.ok else f"{what}: {result.status} {result.exceptions[:1]}"


async def _section_changes(port: int, runs: int) -> dict[str, Any]:
    """First visit, then `runs` changes of each section widget, timed; says whether each reran a fragment."""
    out: dict[str, Any] = {}
    async with Session(port, timeout_s=SESSION_TIMEOUT_S) as session:
        first = await session.rerun()
        out["first_visit_s"] = first.seconds
        if problem := _failed(first, "first visit"):
            return {"status": "error", "reason": problem}
        for key, values in SECTION_WIDGETS.items():
            widget = first.widget(key)
            if widget is None:
                out[key] = {"status": "not available", "reason": f"no widget {key} on the overview"}
                continue
            samples: list[float] = []
            for i in range(runs):
                result = await session.rerun(**_change(widget, values[i % len(values)]))
                if problem := _failed(result, f"{key} change {i}"):
                    return {**out, "status": "error", "reason": problem}
                samples.append(result.seconds)
            out[key] = {"change": stats(samples), "fragment": bool(widget.fragment_id)}
    return out


def _spend_correct(result: RerunResult, data_dir: Path, spec: CampaignFilter) -> bool:
    """The Spend tile equals the pipeline's total (DuckDB over the data files) for `spec` on the default dates."""
    if "Spend" not in result.metrics:
        return False
    value, tolerance = shown_value(*result.metrics["Spend"])
    return abs(value - pipeline_totals(data_dir, on_overview_dates(data_dir, spec))["spend"]) <= tolerance


async def _whole_page_changes(port: int, runs: int, data_dir: Path) -> dict[str, Any]:
    """First visit, then `runs` new selections of each sidebar filter in WHOLE_PAGE_FILTERS, timed and checked."""
    out: dict[str, Any] = {}
    async with Session(port, timeout_s=SESSION_TIMEOUT_S) as session:
        first = await session.rerun()
        if problem := _failed(first, "first visit"):
            return {"status": "error", "reason": problem}
        for key, field in WHOLE_PAGE_FILTERS.items():
            widget = first.widget(key)
            if widget is None or not widget.options:
                out[key] = {"status": "not available", "reason": f"no multiselect {key} on the overview"}
                continue
            samples, correct = [], 0
            for values in filter_values(list(widget.options), runs):
                result = await session.rerun({widget.id: values})
                if problem := _failed(result, f"{key} = {values}"):
                    return {**out, "status": "error", "reason": problem}
                samples.append(result.seconds)
                correct += _spend_correct(result, data_dir, CampaignFilter(**{field: tuple(values)}))
            # Back to every option, so the next filter's changes start from the unfiltered page.
            await session.rerun({widget.id: list(widget.options)})
            out[key] = {"change": stats(samples), "spend_tile_correct": f"{correct}/{len(samples)}"}
    return out


def _with_server(data_dir: Path, fn: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, running_server(data_dir, Path(tmp) / "server.log") as server:
        return asyncio.run(fn(server.port))


def bench_sections(data_dir: Path, runs: int) -> dict[str, Any]:
    """(a) Each overview section widget changed `runs` times at `data_dir`'s size, on one warm server."""
    return {"data": str(data_dir), **_with_server(data_dir, lambda port: _section_changes(port, runs))}


def bench_whole_page(data_dir: Path, runs: int) -> dict[str, Any]:
    """(b) Content type and device changed `runs` times each on the whole overview, Spend tile checked."""
    return {"data": str(data_dir), **_with_server(data_dir, lambda port: _whole_page_changes(port, runs, data_dir))}


async def _first_visit(port: int) -> dict[str, Any]:
    async with Session(port, timeout_s=SESSION_TIMEOUT_S) as session:
        result = await session.rerun()
    return {
        "seconds": result.seconds,
        "first_kpi_s": result.metric_seconds.get("Spend"),
        "ok": result.ok,
        "status": result.status,
    }


def bench_first_load(data_dir: Path, runs: int) -> dict[str, Any]:
    """(c) The overview's first visit in a fresh server process: once with no stored cubes (they are removed, then
    written by that visit), then `runs` times with them present. Server start-up is not counted."""
    store = data_dir / cube_store.STORE_DIR
    shutil.rmtree(store, ignore_errors=True)
    without = _with_server(data_dir, _first_visit)
    written = sorted(p.name for p in store.glob("*.parquet")) if store.is_dir() else []
    visits = [_with_server(data_dir, _first_visit) for _ in range(runs)]
    return {
        "data": str(data_dir),
        "without_stored_cubes": without,
        "stored_files": written,
        "stored_bytes": sum(p.stat().st_size for p in store.glob("*.parquet")) if store.is_dir() else 0,
        "with_stored_cubes": stats([v["seconds"] for v in visits]),
        "with_stored_cubes_first_kpi": stats([v["first_kpi_s"] for v in visits if v["first_kpi_s"] is not None]),
        "all_ok": without["ok"] and all(v["ok"] for v in visits),
    }


def bench_pages(runs: int, demo_dir: Path) -> dict[str, Any]:
    """(d) Every page's rerun after a filter change on the demo data (bench/sections/apptest.py)."""
    from bench.sections.apptest import bench_apptest

    return bench_apptest(runs, {"demo": demo_dir})["demo"]


def bench_burst(demo_dir: Path, changes: int = BURST_CHANGES) -> dict[str, Any]:
    """(e) BURST_SESSIONS sessions x `changes` platform changes at once against one fresh server (bench/load.py):
    reruns/s, p50, p95, and every KPI answer checked."""
    from bench.sections.sessions import bench_load

    result = bench_load(demo_dir, (BURST_SESSIONS,), changes, "burst")
    return result["levels"].get(str(BURST_SESSIONS), result)


# ---------------------------------------------------------------- results.md


def _met(value: float | None, limit: float) -> str:
    return "—" if value is None or value != value else ("yes" if value <= limit else "no")


def _median(entry: dict[str, Any] | None) -> float | None:
    return entry.get("median") if entry and entry.get("n") else None


def _line(what: str, shown: str, value: float | None, limit: float, note: str) -> str:
    return f"| {what} | {shown} | ≤ {seconds_cell(limit)} | {_met(value, limit)} | {note} |"


def _row(what: str, entry: dict[str, Any] | None, limit: float, extra: str = "") -> str:
    return _line(what, stat_cell(entry), _median(entry), limit, extra)


def _problem(result: dict[str, Any]) -> str | None:
    if result.get("status") in (None, "ok"):
        return None
    return f"{result['status']}: {str(result.get('reason', ''))[:160]}"


def speed_lines(results: dict[str, Any]) -> list[str]:
    """The "Speed as users feel it" table: every figure of this module with its target beside it."""
    lines = [
        "## Speed as users feel it",
        "",
        "Medians (min–max) over the runs, wall time on a shared 2-core machine (load average at start above). "
        "Sections, whole page and first load: a real server at 10M rows through the websocket client; pages: "
        "AppTest on the demo data (component scan cached, as a server does once at start-up); burst: one server, "
        f"{BURST_SESSIONS} sessions changing the platform filter at once, every KPI answer checked.",
        "",
        "| Measure | Measured | Target | Met | Note |",
        "|---|---|---|---|---|",
    ]
    sections = results.get("sections")
    if sections:
        problem = _problem(sections)
        for key in SECTION_WIDGETS:
            part = sections.get(key, {})
            note = problem or _problem(part) or ("fragment rerun" if part.get("fragment") else "whole-page rerun")
            lines.append(
                _row(
                    f"Overview section change `{key}` (10M)", part.get("change"), TARGETS["section_change_10m_s"], note
                )
            )
    whole = results.get("wholepage")
    if whole:
        problem = _problem(whole)
        for key in WHOLE_PAGE_FILTERS:
            part = whole.get(key, {})
            note = problem or _problem(part) or f"Spend tile correct {part.get('spend_tile_correct', '—')}"
            limit = TARGETS["whole_page_change_10m_s"]
            lines.append(_row(f"Overview filter change `{key}`, whole page (10M)", part.get("change"), limit, note))
    first = results.get("firstload")
    if first:
        problem = _problem(first)
        without = first.get("without_stored_cubes", {})
        limit = TARGETS["first_load_10m_s"]
        stored = f"{len(first.get('stored_files', []))} files, {first.get('stored_bytes', 0) / 2**20:.1f} MB"
        lines.append(
            _row(
                "First load of the overview, fresh server, stored cubes (10M)",
                first.get("with_stored_cubes"),
                limit,
                problem or stored,
            )
        )
        seconds = without.get("seconds")
        what = "First load, fresh server, no stored cubes (10M; writes them)"
        lines.append(_line(what, seconds_cell(seconds), seconds, limit, "for comparison"))
    pages = results.get("pages")
    if pages:
        problem = _problem(pages)
        if problem:
            lines.append(f"| Page reruns (demo) | — | — | — | {problem} |")
        for page, part in sorted((k, v) for k, v in pages.items() if isinstance(v, dict)):
            note = _problem(part) or part.get("change", "")
            lines.append(
                _row(
                    f"Page `{page}` rerun after a filter change (demo)",
                    part.get("rerun"),
                    TARGETS["page_rerun_demo_s"],
                    note,
                )
            )
    burst = results.get("burst")
    if burst:
        problem = _problem(burst)
        p50 = burst.get("p50_s")
        answers = (
            f"{burst.get('kpi_correct', '—')}/{burst.get('kpi_checks', '—')} correct, {burst.get('errors', '—')} errors"
        )
        rate = burst.get("reruns_per_s")
        rate_text = "—" if rate is None else f"{rate:.2f} reruns/s, p95 {seconds_cell(burst.get('p95_s'))}, {answers}"
        limit = TARGETS["burst_p50_s"]
        what = f"{BURST_SESSIONS} sessions x {burst.get('changes_per_session', '—')} changes at once: p50 wait (demo)"
        lines.append(_line(what, seconds_cell(p50), p50, limit, problem or rate_text))
    return [*lines, ""]
