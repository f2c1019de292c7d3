"""make bench's api section (bench/sections/api.py) with tiny counts, against the test server."""

from __future__ import annotations

import json

from bench.sections import api as section
from bench.sections.api import ApiServer


def test_latency_load_and_report_with_tiny_counts(server: ApiServer) -> None:
    one = section.latency(server, json.dumps(section.ONE_LINE).encode(), requests=5, warmup=1)
    batch = section.latency(server, section.batch_body(20), requests=2, warmup=0)  # the server's limit is 50
    load = section.load_run(server, clients=3, requests=4, max_s=30.0)
    assert (one["n"], one["errors"], batch["n"], batch["errors"]) == (5, 0, 2, 0)
    assert one["p50_s"] <= one["p95_s"] <= one["max_s"]
    assert (load["ok"], load["errors"], load["unsent"]) == (12, 0, 0)
    assert load["requests_per_s"] > 0
    result = {
        "one_line": one,
        "batch": {**batch, "lines": 20},
        "load": load,
        "target_one_line_p50_s": section.TARGET_ONE_LINE_P50_S,
        "peer_predict_ms": list(section.PEER_PREDICT_MS),
        "speedup_vs_peer": 136 / (one["p50_s"] * 1000),
    }
    text = "\n".join(section.api_lines(result))
    assert "| One line (target p50 ≤ 10.0 ms" in text and "| Load: 3 clients × 4" in text
    assert section.api_lines({}) == []
    assert "error: boom" in "\n".join(section.api_lines({"status": "error", "reason": "boom"}))
