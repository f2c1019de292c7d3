"""The speed sections' pure parts: the websocket messages a section change sends, the table with its targets, and
`--only` keeping the other sections' results. (The timings themselves are measured by `make bench`, not here.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from bench import run
from bench.sections import speed
from bench.ws_client import Widget, rerun_message


def test_a_fragment_widget_change_asks_for_that_fragment_only() -> None:
    widget = Widget(id="$$ID-abc-ov_min_clicks", kind="number_input", label="Minimum clicks", fragment_id="frag-1")
    message = BackMsg()
    message.ParseFromString(rerun_message(**speed._change(widget, 250)))
    state = message.rerun_script
    assert state.fragment_id == "frag-1"
    assert [(w.id, w.int_value) for w in state.widget_states.widgets] == [("$$ID-abc-ov_min_clicks", 250)]


def test_a_page_widget_change_reruns_the_page_with_the_option_text() -> None:
    widget = Widget(id="$$ID-def-ov_freq", kind="button_group", label="Granularity", options=("day", "week"))
    message = BackMsg()
    message.ParseFromString(rerun_message(**speed._change(widget, "day")))
    state = message.rerun_script
    assert state.fragment_id == ""
    assert [(w.id, list(w.string_array_value.data)) for w in state.widget_states.widgets] == [
        ("$$ID-def-ov_freq", ["day"])
    ]


def timing(median: float) -> dict[str, object]:
    return {"median": median, "min": median, "max": median, "n": 5, "samples": [median] * 5}


def test_every_figure_sits_beside_its_target() -> None:
    results = {
        "sections": {"ov_freq": {"change": timing(0.12), "fragment": True}, "ov_dim": {"change": timing(0.45)}},
        "firstload": {"with_stored_cubes": timing(4.2), "without_stored_cubes": {"seconds": 16.0}},
        "burst": {"p50_s": 1.5, "p95_s": 2.5, "reruns_per_s": 5.1, "kpi_correct": 200, "kpi_checks": 200, "errors": 0},
    }
    lines = speed.speed_lines(results)
    row = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ")}
    assert row["Overview section change `ov_freq` (10M)"].endswith(
        "| 120 ms (120 ms–120 ms) | ≤ 300 ms | yes | fragment rerun |"
    )
    assert "| ≤ 300 ms | no | whole-page rerun |" in row["Overview section change `ov_dim` (10M)"]
    assert (
        "| 4.20 s (4.20 s–4.20 s) | ≤ 5.00 s | yes |"
        in row["First load of the overview, fresh server, stored cubes (10M)"]
    )
    assert "| 16.00 s | ≤ 5.00 s | no |" in row["First load, fresh server, no stored cubes (10M; writes them)"]
    burst = row["20 sessions x — changes at once: p50 wait (demo)"]
    assert "| 1.50 s | ≤ 2.00 s | yes | 5.10 reruns/s, p95 2.50 s, 200/200 correct, 0 errors |" in burst


def test_only_keeps_the_other_sections_results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "results.json"
    saved.write_text(json.dumps({"apptest": {"demo": {}}, "runs": 5}))
    monkeypatch.setattr(run, "RESULTS_JSON", saved)
    assert run.previous_results() == {"apptest": {"demo": {}}, "runs": 5}
    saved.write_text("{not json")
    assert run.previous_results() == {}
