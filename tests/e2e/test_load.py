"""CI-sized load test: 5 concurrent websocket sessions x 3 filter changes against a real server.

The full run (20 sessions x 10 changes) is in `make bench`. Here: zero errors, every session's KPI
tiles equal pipeline.kpis on its filter, bounded RSS, and the latencies reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bench.load import kpi_mismatches, platform_choice, run_load
from bench.server import Server, running_server
from bench.ws_client import RerunResult, Widget, parse_display_number, process_rss_bytes, rerun_message
from pipeline.inputs.demo import read_campaigns

pytestmark = pytest.mark.e2e

SESSIONS = 5
CHANGES = 3
MAX_SECONDS = 120.0
# One session's server holds the 5k demo set in well under this; 5 sessions must not multiply it.
RSS_LIMIT_MB = 1_000
RSS_GROWTH_LIMIT = 1.5


@pytest.fixture(scope="module")
def server(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("load-server") / "streamlit.log"
    with running_server(demo_dir, log, models_dir=tmp_path_factory.mktemp("models")) as handle:
        yield handle


def test_five_sessions_three_changes_each(server: Server, demo_dir: Path) -> None:
    frame = read_campaigns(demo_dir)
    warm = run_load(server.port, server.pid, frame, sessions=1, changes=1, max_seconds=MAX_SECONDS)
    assert warm.errors == []
    one_session_rss = warm.rss_peak

    report = run_load(server.port, server.pid, frame, sessions=SESSIONS, changes=CHANGES, max_seconds=MAX_SECONDS)
    summary = report.as_dict()
    print(  # shown with pytest -s: the CI-sized latency figures
        f"load {SESSIONS}x{CHANGES}: p50 {summary['p50_s']:.3f} s, p95 {summary['p95_s']:.3f} s, "
        f"{summary['reruns_per_s']:.2f} reruns/s, RSS peak {summary['rss_peak_mb']:.0f} MB"
    )
    assert report.errors == []
    assert report.completed_changes == SESSIONS * CHANGES
    assert report.correct == report.checked == SESSIONS * CHANGES
    assert report.wall_s < MAX_SECONDS
    assert 0 < summary["p50_s"] <= summary["p95_s"] < MAX_SECONDS
    assert 0 < report.rss_peak < RSS_LIMIT_MB * 2**20
    assert report.rss_peak <= RSS_GROWTH_LIMIT * one_session_rss
    assert process_rss_bytes(server.pid) > 0  # the server survived the load


def test_a_wrong_kpi_is_caught() -> None:
    """The correctness check can fail: a tile that disagrees with the pipeline is reported."""
    shown = RerunResult(
        seconds=0.1,
        status="FINISHED_SUCCESSFULLY",
        metrics={
            "Spend": ("$466K", "This period: $465,916. Previous period: $0."),
            "Revenue": ("$794K", "This period: $793,925. Previous period: $0."),
            "Clicks": ("529K", "This period: 529,090. Previous period: 0."),
            "ROAS": ("1.70x", "This period: 1.70x. Previous period: —."),
            "CTR": ("1.01%", "This period: 1.01%. Previous period: —."),
        },
    )
    right = {"spend": 465_916.2, "revenue": 793_925.4, "clicks": 529_090.0, "roas": 1.704, "ctr": 0.01012}
    assert kpi_mismatches(shown, right) == []
    wrong = {**right, "spend": 197_305.0, "ctr": 0.0102}
    problems = kpi_mismatches(shown, wrong)
    assert len(problems) == 2 and problems[0].startswith("Spend")


def test_display_numbers_parse_with_rounding_tolerance() -> None:
    value, tolerance = parse_display_number("$1,234.56")
    assert value == pytest.approx(1234.56) and tolerance == pytest.approx(0.00505, rel=1e-3)
    value, tolerance = parse_display_number("2.35%")
    assert value == pytest.approx(0.0235) and tolerance == pytest.approx(0.00005 * 1.01, rel=1e-3)
    assert parse_display_number("$465.3K")[0] == pytest.approx(465_300)
    with pytest.raises(ValueError):
        parse_display_number("—")


def test_platform_choices_alternate() -> None:
    options = ("Instagram", "Meta", "TikTok")
    picks = [platform_choice(options, 0, change) for change in range(4)]
    assert picks == [["Instagram"], ["Meta", "TikTok"], ["TikTok"], ["Instagram", "Meta"]]
    assert all(isinstance(pick, list) for pick in picks)
    assert pd.Series([len(p) for p in picks]).tolist() == [1, 2, 1, 2]


def test_rerun_message_carries_the_widget_state() -> None:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    message.ParseFromString(rerun_message({"$$ID-abc-cf_platform": ["Meta", "TikTok"]}))
    assert message.WhichOneof("type") == "rerun_script"
    (widget,) = message.rerun_script.widget_states.widgets
    assert widget.id == "$$ID-abc-cf_platform"
    assert list(widget.string_array_value.data) == ["Meta", "TikTok"]
    result = RerunResult(seconds=0.0, widgets=[Widget("$$ID-abc-cf_platform", "multiselect", "Platform", ("Meta",))])
    assert result.widget_id("cf_platform") == "$$ID-abc-cf_platform"
    assert result.widget_id("cf_device") is None
