"""Filter change to updated KPI tiles, as a browser sees it, on one server over the websocket protocol.

A page streams its elements while the script runs, so the KPI row (the top of the overview) is on screen
before the charts and tables below it are done. For each filter (platform, device, content type) one
session makes `runs` changes and records when every checked KPI tile has arrived and when the run finished.
Each response's tiles are checked against the pipeline's totals for the same filter (bench.measure.pipeline_totals).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bench.load import CHECKED_TILES, kpi_mismatches
from bench.measure import on_overview_dates, pipeline_totals
from bench.server import running_server
from bench.ws_client import Session, latency_summary
from pipeline.filters import CAMPAIGN_FILTER_COLUMNS, CampaignFilter

FILTER_KEYS = {"cf_platform": "platforms", "cf_device": "devices", "cf_content_type": "content_types"}
RERUN_TIMEOUT_S = 180.0


def selections(options: tuple[str, ...], runs: int) -> list[list[str]]:
    """`runs` distinct selections (singles, then pairs), so no change is served from a cached result."""
    picks = [[o] for o in options] + [[a, b] for i, a in enumerate(options) for b in options[i + 1 :]]
    return [picks[i % len(picks)] for i in range(runs)]


def expected_kpis(data_dir: Path, field: str, chosen: list[str]) -> dict[str, float]:
    spec = CampaignFilter(**{field: tuple(chosen)})
    return pipeline_totals(data_dir, on_overview_dates(data_dir, spec))  # the dates the overview opens on


async def _measure(port: int, data_dir: Path, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with Session(port, timeout_s=RERUN_TIMEOUT_S) as session:
        first = await session.rerun()
        if not first.ok:
            return {"status": "error", "reason": f"first run: {first.status} {first.exceptions[:1]}"}
        out["first_run_s"] = first.seconds
        for key, field in FILTER_KEYS.items():
            widget = first.widget(key)
            if widget is None:
                out[key] = {"status": "not available", "reason": f"no {key} multiselect"}
                continue
            kpi_s, full_s, problems = [], [], []
            for chosen in selections(widget.options, runs):
                result = await session.rerun({widget.id: chosen})
                if not result.ok:
                    problems.append(f"{chosen}: {result.status} {result.exceptions[:1]}")
                    continue
                kpi_s.append(max(result.metric_seconds.get(label, result.seconds) for label in CHECKED_TILES))
                full_s.append(result.seconds)
                problems += kpi_mismatches(result, expected_kpis(data_dir, field, chosen))
            await session.rerun({widget.id: list(widget.options)})  # back to everything for the next filter
            out[key] = {
                "column": CAMPAIGN_FILTER_COLUMNS[field],
                "kpis_updated": latency_summary(kpi_s),
                "full_rerun": latency_summary(full_s),
                "kpi_samples_s": [round(s, 3) for s in kpi_s],
                "full_samples_s": [round(s, 3) for s in full_s],
                "errors": len(problems),
                "error_samples": problems[:3],
            }
    return out


def measure(data_dir: Path, runs: int) -> dict[str, Any]:
    """A fresh server on `data_dir`; per filter, KPI-tiles-updated and full-rerun latency of the overview."""
    with tempfile.TemporaryDirectory() as tmp, running_server(data_dir, Path(tmp) / "server.log") as server:
        return asyncio.run(_measure(server.port, data_dir, runs))
