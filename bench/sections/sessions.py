"""Concurrent websocket sessions against a fresh server per level: RSS, latency and KPI correctness."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bench.load import run_load_async
from bench.server import running_server
from pipeline.inputs import demo

LOAD_LEVELS = (1, 5, 20)
LOAD_CHANGES = 10
LOAD_MAX_S = 300.0
# At 1M rows each rerun is slower, so fewer changes keep this part to a couple of minutes.
LOAD_LEVELS_1M = (1, 20)
LOAD_CHANGES_1M = 2


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
