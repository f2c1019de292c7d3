import pandas as pd

from pipeline.inputs import provenance


def test_unmarked_frame_is_measured_and_dated():
    assert provenance.of(pd.DataFrame({"a": [1]})).measured


def test_mark_survives_filtering_and_names_the_assumption():
    frame = pd.DataFrame({"spend": [1.0, 2.0], "conversions": [1, 2]})
    prov = provenance.from_ingest(["revenue", "date"], {"average_order_value": 50.0, "report_date": 20250101})
    provenance.mark(frame, prov)
    back = provenance.of(frame[frame["spend"] > 1][["spend"]])
    assert back.undated
    assert back.estimated == {"revenue": "conversions × $50.00, the assumed average order value"}


def test_estimated_metrics_follow_their_inputs():
    prov = provenance.Provenance({"spend": "s"})
    metrics = provenance.estimated_metrics(prov)
    assert set(metrics) == {"spend", "cpc", "cpa", "cpm", "roas", "roi", "profit"}
    assert "revenue" not in metrics and "ctr" not in metrics


def test_combine_keeps_every_assumption_once():
    a = provenance.Provenance({"revenue": "x"})
    b = provenance.Provenance({"revenue": "y"}, undated=True)
    both = provenance.combine([a, b, a])
    assert both.estimated == {"revenue": "x; y"} and both.undated


def test_marking_measured_data_removes_an_old_mark():
    frame = provenance.mark(pd.DataFrame({"a": [1]}), provenance.Provenance({"revenue": "x"}))
    provenance.mark(frame, provenance.Provenance())
    assert provenance.of(frame).measured
