"""make bench's api section (bench/sections/api.py) with tiny counts, against the test server."""

from __future__ import annotations

import json

from bench.sections import api as section
from bench.sections.api import ApiServer


def test_latency_load_and_report_with_tiny_counts(server: ApiServer) -> None:
    one = section.latency(server, json.dumps(section.ONE_LINE).encode(), requests=5, warmup=1)
    batch = section.latency(server, section.batch_body(20), requests=2, warmup=0)  # the server's limit is 50
    planner = section.planner_latency(server, requests=3)
    lines_body = json.dumps(section.OPTIMIZE_LINES_BODY).encode()
    optimize_lines = section.latency(server, lines_body, requests=3, warmup=0, path="/optimize-lines")
    load = section.load_run(server, clients=3, requests=4, max_s=30.0)
    assert (one["n"], one["errors"], batch["n"], batch["errors"]) == (5, 0, 2, 0)
    assert one["p50_s"] <= one["p95_s"] <= one["max_s"]
    assert (planner["status"], planner["channels"]) == ("ok", 4)
    planned = [planner["optimize"], planner["plan"], optimize_lines]
    assert [(measured["n"], measured["errors"]) for measured in planned] == [(3, 0)] * 3
    assert (load["ok"], load["errors"], load["unsent"]) == (12, 0, 0)
    assert load["requests_per_s"] > 0
    result = {
        "one_line": one,
        "batch": {**batch, "lines": 20},
        "planner": {**planner, "target_p50_s": section.TARGET_PLANNER_P50_S},
        "optimize_lines": optimize_lines,
        "load": load,
        "target_one_line_p50_s": section.TARGET_ONE_LINE_P50_S,
        "peer_predict_ms": list(section.PEER_PREDICT_MS),
        "speedup_vs_peer": 136 / (one["p50_s"] * 1000),
    }
    text = "\n".join(section.api_lines(result))
    assert "| One line (target p50 ≤ 10.0 ms" in text and "| Load: 3 clients × 4" in text
    assert "| POST /optimize, budget mode, 4 channels (target p50 ≤ 300.0 ms" in text
    assert "| POST /plan of the recommended split |" in text and "| POST /optimize-lines" in text
    assert section.api_lines({}) == []
    unplanned = {**result, "planner": {"status": "HTTP 503", "reason": "No saved media mix fit matches this data yet."}}
    assert "| Planner not measured (HTTP 503: No saved media mix fit" in "\n".join(section.api_lines(unplanned))
    assert "error: boom" in "\n".join(section.api_lines({"status": "error", "reason": "boom"}))
