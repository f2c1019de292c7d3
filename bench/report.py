"""bench/results.md from the results dict bench/run.py collects: every Markdown table of `make bench`.

Rendering only: it reads the dict (and nothing else), so a section that did not run or failed shows as such.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bench.measure import seconds_cell, stat_cell
from bench.sections.api import api_lines
from bench.sections.mmm import mmm_lines
from bench.sections.speed import speed_lines

# The figures the app is held to.
TARGETS = {"rerun_1m_s": 0.5, "rerun_10m_s": 1.0, "rss_20_vs_1": 1.5, "kpis_10m_s": 1.0}


# ---------------------------------------------------------------- cells


def _status_cell(result: dict[str, Any], width: int = 140) -> str | None:
    if result.get("status") in (None, "ok"):
        return None
    return f"{result['status']}: {str(result.get('reason', ''))[:width]}"


def _heading(title: str, intro: str = "") -> list[str]:
    """A section's title and its explaining paragraph, each followed by a blank line."""
    return [f"## {title}", "", *([intro, ""] if intro else [])]


def _table(header: str) -> list[str]:
    """A Markdown table's header row and rule, from "Column | Column | ..."."""
    return [f"| {header} |", "|" + "---|" * (header.count("|") + 1)]


def _kpi_entries(kpis_result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The kpis section's per-filter entries (the section also holds its data name, status and first run)."""
    return (e for e in kpis_result.values() if isinstance(e, dict) and "kpis_updated" in e)


# ---------------------------------------------------------------- the document


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
    lines += speed_lines(results)
    lines += _md_apptest(results.get("apptest", {}))
    lines += _md_kpis(results.get("kpis", {}))
    lines += _md_browser(results.get("browser", {}))
    lines += _md_load(results.get("load", {}))
    lines += _md_engine(results.get("engine", {}))
    lines += _md_pipeline(results)
    lines += mmm_lines(results.get("mmm", {}))
    lines += api_lines(results.get("api", {}))
    lines += scale_lines(results.get("scale", {}))
    return "\n".join(lines) + "\n"


def _overview_rerun(results: dict[str, Any], size: str) -> float | None:
    entry = results.get("apptest", {}).get(size, {}).get("overview", {})
    return entry.get("rerun", {}).get("median") if entry.get("status") == "ok" else None


def _met(value: float | None, limit: float) -> str:
    return "—" if value is None else ("yes" if value <= limit else "no")


def _md_headline(results: dict[str, Any]) -> list[str]:
    lines = [*_heading("Against the targets"), *_table("Target | Measured | Met")]
    for size, key in (("1m", "rerun_1m_s"), ("10m", "rerun_10m_s")):
        value = _overview_rerun(results, size)
        limit = TARGETS[key]
        lines.append(
            f"| Overview filter change → updated KPIs at {size.upper()} rows ≤ {limit} s | {seconds_cell(value)}"
            f" | {_met(value, limit)} |"
        )
    kpis_result = results.get("kpis", {})
    for entry in _kpi_entries(kpis_result):
        value = entry["kpis_updated"]["p50_s"]
        lines.append(
            f"| {entry['column'].replace('_', ' ').capitalize()} filter change → KPI tiles updated in the page"
            f" ({kpis_result['data']}, websocket) ≤ {TARGETS['kpis_10m_s']} s | {seconds_cell(value)}"
            f" | {_met(value, TARGETS['kpis_10m_s'])} |"
        )
    return [*lines, *_load_targets(results.get("load", {})), ""]


def _load_targets(load: dict[str, Any]) -> list[str]:
    limit = TARGETS["rss_20_vs_1"]
    ratio = load.get("demo", {}).get("rss_ratio_max_vs_1")
    shown = "—" if ratio is None else f"{ratio:.2f}×"
    lines = [f"| RSS with 20 sessions ≤ 1.5 × one session (demo data) | {shown} | {_met(ratio, limit)} |"]
    for data, part in load.items():
        ratio = part.get("rss_ratio_max_vs_1") if data != "demo" and isinstance(part, dict) else None
        if ratio is not None:
            lines.append(f"| RSS with 20 sessions ≤ 1.5 × one session ({data}) | {ratio:.2f}× | {_met(ratio, limit)} |")
    errors = [
        level.get("errors", 0)
        for part in load.values()
        if isinstance(part, dict)
        for level in part.get("levels", {}).values()
    ]
    verdict = "—" if not errors else ("yes" if not sum(errors) else "no")
    lines.append(f"| No errors under load | {sum(errors) if errors else '—'} errors | {verdict} |")
    return lines


# ---------------------------------------------------------------- the app


def _md_apptest(apptest: dict[str, Any]) -> list[str]:
    lines = [
        *_heading(
            "Rerun time per page after a filter change (AppTest)",
            "`AppTest.from_file(page).run()`, then the page's platform multiselect is set to a new selection and "
            "`.run()` is timed (each run a selection not seen before, so no cached result is reused). "
            "1M and 10M rows apply to the campaign pages only (the influencer data does not grow with them).",
        ),
        *_table("Data | Page | First run | Rerun after a filter change | Note"),
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
                f"| {size} | {page} | {seconds_cell(entry.get('first_run_s'))} | {stat_cell(entry.get('rerun'))}"
                f" | {note} |"
            )
    return [*lines, ""]


def _md_kpis(kpis_result: dict[str, Any]) -> list[str]:
    if not kpis_result:
        return []
    lines = _heading(
        f"Filter change to updated KPI tiles ({kpis_result.get('data', '?')} rows, websocket, one session)",
        "A fresh `streamlit run app.py` on the data set; one session opens the overview and changes one filter at a"
        " time (each change a selection not seen before). *KPI tiles updated*: from sending the change until the"
        " last checked KPI tile (Spend, Revenue, Clicks, ROAS, CTR) has arrived; the page streams its elements, so"
        " this is when a user sees new KPIs. *Whole page*: until the script finished (charts, tables, anomalies)."
        " Every response's tiles are checked against the pipeline's totals for the same filter (DuckDB through"
        " pipeline.scale.backends).",
    )
    status = _status_cell(kpis_result)
    if status:
        return [*lines, status, ""]
    lines += [
        f"First page load (data read, cubes built): {seconds_cell(kpis_result.get('first_run_s'))}",
        "",
        *_table("Filter changed | KPI tiles updated p50 (p95) | Whole page p50 (p95) | Changes | Wrong KPIs or errors"),
    ]
    for entry in _kpi_entries(kpis_result):
        kpi, page = entry["kpis_updated"], entry["full_rerun"]
        lines.append(
            f"| {entry['column']} | {seconds_cell(kpi['p50_s'])} ({seconds_cell(kpi['p95_s'])})"
            f" | {seconds_cell(page['p50_s'])} ({seconds_cell(page['p95_s'])}) | {len(entry['kpi_samples_s'])}"
            f" | {entry['errors']} |"
        )
    return [*lines, ""]


def _md_browser(browser: dict[str, Any]) -> list[str]:
    lines = _heading("Headless Chromium (Playwright) on demo data")
    status = _status_cell(browser)
    if status:
        return [*lines, status, ""]
    return [
        *lines,
        *_table("Measure | Time"),
        f"| Page load to first KPI visible | {stat_cell(browser.get('first_kpi_visible'))} |",
        f"| Filter click to updated KPI | {stat_cell(browser.get('filter_click_to_kpi'))} |",
        f"| Visits that timed out (not counted) | {len(browser.get('failed_visits', []))} |",
        "",
    ]


def _md_load(load: dict[str, Any]) -> list[str]:
    lines = [
        *_heading(
            "Concurrent sessions (websocket protocol client, bench/ws_client.py)",
            "A fresh `streamlit run app.py` on 127.0.0.1 per level; every session opens the overview and changes the "
            "platform filter; every response's Spend, Revenue, Clicks, ROAS and CTR tiles are checked against "
            "`pipeline.kpis` on the same filter. RSS is the server process's, sampled every 0.2 s (idle: before the "
            "first session; after: once every session has finished). Latency is from sending the filter change to "
            "`script_finished`; with N sessions it includes queueing behind the other sessions' reruns.",
        ),
        *_table(
            "Data | Sessions × changes | Errors | KPIs correct | Reruns/s | p50 | p95 | RSS idle | RSS peak | RSS after"
        ),
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
                f" | {r['reruns_per_s']:.2f} | {seconds_cell(r['p50_s'])} | {seconds_cell(r['p95_s'])}"
                f" | {r['rss_idle_mb']:.0f} MB"
                f" | {r['rss_peak_mb']:.0f} MB | {r['rss_after_mb']:.0f} MB |"
            )
    return [*lines, ""]


# ---------------------------------------------------------------- the pipeline


def _md_engine(engine_results: dict[str, Any]) -> list[str]:
    lines = [
        *_heading(
            "Filter + group-by: pandas vs DuckDB (pipeline/scale/campaign_sums.py)",
            "Same rotating filters and groupings on both paths: pandas (`frame_sums`) on the loaded frame, and DuckDB "
            "through pipeline.scale.backends (`campaign_sums`) reading campaigns.parquet (no frame in RAM at all), "
            "or for a set without Parquet its campaigns.csv, loaded once into a DuckDB table (*open*). `identical`: "
            "both paths returned the same frame.",
        ),
        *_table("Rows | Grouping | pandas | DuckDB | identical | DuckDB reads | open | frame in RAM | load frame"),
    ]
    status = _status_cell(engine_results)
    if status:
        return [*lines, f"| — | — | — | — | — | — | — | — | {status} |", ""]
    for r in engine_results.values():
        if not isinstance(r, dict) or "rows" not in r:
            continue
        for name, g in r.items():
            if not isinstance(g, dict) or "pandas" not in g:
                continue  # the set's own figures, not a grouping
            lines.append(
                f"| {r['rows']:,} | {name} | {stat_cell(g['pandas'])} | {stat_cell(g['duckdb'])} | {g['identical']}"
                f" | {r['duckdb_reads']} | {seconds_cell(r['duckdb_open_s'])} | {r['frame_mb']:.0f} MB"
                f" | {seconds_cell(r['frame_load_s'])} |"
            )
    return [*lines, ""]


def _md_pipeline(results: dict[str, Any]) -> list[str]:
    lines = [*_heading("Pipeline"), *_table("Measure | Result")]
    lines += _ingestion_rows(results.get("ingestion", {}))
    lines += _incrementality_rows(results.get("incrementality", {}))
    models = results.get("models", {})
    rows = {"training": _training_rows, "social_pred_benchmark": _social_pred_rows, "forecast": _forecast_rows}
    for name in ("training", "social_pred_benchmark", "forecast", "planner"):
        entry = models.get(name, {})
        if not entry:
            continue
        status = _status_cell(entry)
        if status:
            lines.append(f"| {name} | {status} |")
        else:
            lines += rows.get(name, _plain_rows)(entry)
    return [*lines, ""]


def _ingestion_rows(ing: dict[str, Any]) -> list[str]:
    if _status_cell(ing):
        return [f"| Ingestion of a 1M-row CSV | {_status_cell(ing)} |"]
    if not ing:
        return []
    return [
        f"| Ingestion of a 1M-row CSV ({ing['file_mb']} MB, pipeline.inputs.ingest) | "
        f"{ing['rows_per_s_median']:,.0f} rows/s ({ing['rows_per_s_min']:,.0f}–{ing['rows_per_s_max']:,.0f}); "
        f"{stat_cell(ing['time'])} |"
    ]


def _incrementality_rows(inc: dict[str, Any]) -> list[str]:
    if _status_cell(inc):
        return [f"| Incrementality | {_status_cell(inc)} |"]
    if not inc:
        return []
    cov = inc["coverage"]
    return [
        f"| Incrementality bootstrap, {inc['tracking_rows']:,} tracking rows, {inc['resamples']:,} resamples "
        f"(overall) | {stat_cell(inc['analyse_overall'])} |",
        f"| Same, with every breakdown | {stat_cell(inc['analyse_with_breakdowns'])} |",
        f"| full_coverage({cov['seeds']}): iROAS interval covers the truth | {cov['covered']}/{cov['seeds']} "
        f"({cov['coverage']:.1%}) in {seconds_cell(cov['seconds'])}; contamination counts match: "
        f"{cov['contamination_counts_match']} |",
    ]


def _training_rows(entry: dict[str, Any]) -> list[str]:
    trained = ", ".join(entry.get("trained", []))
    return [
        f"| Training every model (store.ensure_models, {entry['data_rows']:,} rows: {trained}) "
        f"| {seconds_cell(entry['ensure_models_s'])} |",
        f"| Loading every saved model (store.load_models) | {stat_cell(entry.get('load_models'))} |",
    ]


def _social_pred_rows(entry: dict[str, Any]) -> list[str]:
    """bench/studies.social_pred_benchmark: our forecaster on a peer's data and split, against its published R²."""
    ours, seed, coverage = entry["ours_r2"], entry["seed_r2"], entry["ours_coverage_90"]
    return [
        f"| Forecaster on the social-prediction seed's data and 80/20 split ({entry['test_rows']:,} test rows):"
        " test R² impressions / engagement (average) "
        f"| ours {ours['impressions']:.3f} / {ours['engagement']:.3f} ({entry['ours_average']:.3f}); "
        f"the seed's {seed['impressions']:.3f} / {seed['engagement']:.3f} ({entry['seed_average']:.3f}); "
        f"our 90% intervals cover {coverage['impressions']:.0%} / {coverage['engagement']:.0%} |"
    ]


def _forecast_rows(entry: dict[str, Any]) -> list[str]:
    return [
        f"| Forecaster training (forecast_training.train_forecaster) | {seconds_cell(entry['train_forecaster_s'])} |",
        f"| Forecast latency, 1 row | {stat_cell(entry['predict_1_row'])} |",
        f"| Forecast latency, 1,000 rows | {stat_cell(entry['predict_1000_rows'])} |",
    ]


def _plain_rows(entry: dict[str, Any]) -> list[str]:
    return [
        f"| {k} | {stat_cell(v) if isinstance(v, dict) else v} |"
        for k, v in entry.items()
        if k not in ("status", "section_s")
    ]


# ---------------------------------------------------------------- scale out (bench/scale.py)


def _warm_cell(entry: dict[str, Any]) -> str:
    return f"{stat_cell(entry['warm'])}; first {seconds_cell(entry['first_s'])}"


def scale_lines(result: dict[str, Any]) -> list[str]:
    """The section for bench/scale.engine_comparison's result (or its error); none when the section did not run."""
    if not result:
        return []
    lines = _heading("Scale out: DuckDB vs local Spark through the same Ibis expressions (pipeline/scale)")
    status = _status_cell(result, width=300)
    if status:
        return [*lines, status, ""]
    spark, duck = result["spark"], result["duckdb"]
    lines += [
        f"{result['rows']:,} campaign rows from campaigns.parquet; tracking_sums over {result['tracking_rows']:,} "
        f"tracking rows. Warm runs: median (min–max) over {result['runs']} runs with rotating filters; `first` is "
        f"the first query on a fresh connection. Spark runs as {spark['master']} on the same 2 cores; its session "
        f"start took {seconds_cell(spark['session_start_s'])} (DuckDB connects in {seconds_cell(duck['connect_s'])}).",
        "",
        *_table("Query | DuckDB | Spark | identical"),
    ]
    for name, same in result["identical"].items():  # every query, in the order they ran
        lines.append(f"| {name} | {_warm_cell(duck[name])} | {_warm_cell(spark[name])} | {same} |")
    return [*lines, *_interval_lines(result.get("intervals")), ""]


def _interval_lines(intervals: dict[str, Any] | None) -> list[str]:
    if not intervals:
        return []
    lines = [
        "",
        f"Interval methods at scale against the exact per-user bootstrap ({intervals['tracking_rows']:,} "
        f"tracking rows; exact analyse {seconds_cell(intervals['exact_analyse_s'])}): largest endpoint shift as a "
        "share of the exact interval's width.",
        "",
        *_table("Method | iROAS interval | iROAS endpoints | lift endpoints | time from sums"),
    ]
    low, high = intervals["exact"]["iroas_ci"]
    lines.append(f"| exact bootstrap | {low:.3f}–{high:.3f} | — | — | — |")
    for method, m in intervals.items():
        if not isinstance(m, dict) or "seconds" not in m:
            continue  # the exact figures and the counts
        lines.append(
            f"| {method} | {m['iroas_ci'][0]:.3f}–{m['iroas_ci'][1]:.3f} "
            f"| {m['iroas_endpoint_shift_of_width']:.1%} | {m['lift_endpoint_shift_of_width']:.1%} "
            f"| {seconds_cell(m['seconds'])} |"
        )
    return lines
