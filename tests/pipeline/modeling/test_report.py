"""Static HTML report: sections, embedded PNG charts, numbers from metadata, and the CLI."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.inputs import demo
from pipeline.modeling import report, roi, store

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def html_report(demo_dir: Path, models_dir: Path) -> str:
    return report.build_report(demo.read_campaigns(demo_dir), store.load_models(models_dir).metadata)


def test_report_has_every_section(html_report: str) -> None:
    for heading in ("KPI distributions", "Segments", "ROI models", "Forecaster (held-out rows)", "Data notes"):
        assert f"<h2>{heading}</h2>" in html_report


def test_charts_are_embedded_pngs(html_report: str) -> None:
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html_report)
    assert len(images) == 4  # KPI distributions, segment profiles, pairplot, model comparison
    for encoded in images:
        assert base64.b64decode(encoded).startswith(PNG_SIGNATURE)
    assert "<script" not in html_report and "http" not in html_report  # self-contained


def test_numbers_come_from_the_saved_metadata(html_report: str, models_dir: Path) -> None:
    metadata = store.load_models(models_dir).metadata
    accuracy = metadata["roi_clf_logistic"]["metrics"]["accuracy"]["mean"]
    assert f"{accuracy:.3f}" in html_report
    coverage = metadata["forecaster"]["metrics"]["targets"]["revenue"]["coverage_90"]
    assert f"{coverage:.1%}" in html_report
    assert "5,000 daily rows" in html_report
    assert f"k = {metadata['segments']['metrics']['k']}" in html_report


def test_report_shows_the_baselines_and_the_models_that_do_not_beat_them(html_report: str, models_dir: Path) -> None:
    metadata = store.load_models(models_dir).metadata
    for first, others in (("roi_clf_logistic", roi.CLASSIFIERS), ("roi_reg_linear", roi.REGRESSORS)):
        baseline = metadata[first]["baseline"]
        assert html.escape(baseline["label"]) in html_report
        losers = [metadata[n]["label"] for n in others if not metadata[n]["beats_baseline"]]
        task = metadata[first]["task"]
        sentence = next(line for line in html_report.split("<p") if f"ROI {task}:" in line)
        verdict = f": {', '.join(losers)}." if losers else "every model beats its baseline"
        assert verdict in sentence
    assert "✗ does not beat it" in html_report or all(m.get("beats_baseline", True) for m in metadata.values())


def test_weekly_unit_kpis_are_ratios_of_sums(demo_dir: Path) -> None:
    campaigns = demo.read_campaigns(demo_dir)
    table = report.weekly_unit_kpis(campaigns)
    row = table.iloc[0]
    assert row["ctr"] == pytest.approx(row["clicks"] / row["impressions"])
    assert table["clicks"].sum() == pytest.approx(campaigns["clicks"].sum())


def test_cli_writes_the_report(
    demo_dir: Path, models_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = ["report", "--out", str(out), "--data", str(demo_dir), "--models", str(models_dir)]
    assert main.main(args) == 0
    written = (out / "report.html").read_text(encoding="utf-8")
    assert written.startswith("<!doctype html>") and written.count("data:image/png;base64,") == 4
    assert f"path: {out / 'report.html'}" in capsys.readouterr().out


def test_cli_report_without_data_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["report", "--out", str(tmp_path), "--data", str(tmp_path), "--models", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("error: No campaigns.csv")
