"""Segments: ratio-of-sums features, k by silhouette in 2..8, unique labels, determinism, edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline.inputs import demo
from pipeline.modeling import segments


@pytest.fixture(scope="module")
def campaigns() -> pd.DataFrame:
    """The 50,000-row demo table (about 46 campaign x ad set units), generated in memory."""
    return demo.tidy_campaigns(pd.concat(data_generation.campaign_chunks(42, 50_000), ignore_index=True))


@pytest.fixture(scope="module")
def result(campaigns: pd.DataFrame) -> segments.SegmentResult:
    return segments.segment_campaigns(campaigns)


def tiny_frame() -> pd.DataFrame:
    """Two days of three units with hand-checkable sums."""
    rows = [
        # campaign, ad_set, spend, impressions, clicks, conversions, revenue
        ("A", "Broad", 10.0, 1000, 10, 1, 30.0),
        ("A", "Broad", 30.0, 3000, 50, 3, 90.0),
        ("A", "Retargeting", 20.0, 500, 20, 4, 100.0),
        ("B", "Broad", 50.0, 10000, 40, 1, 20.0),
        ("B", "Broad", 0.0, 0, 0, 0, 0.0),
    ]
    frame = pd.DataFrame(
        rows, columns=["campaign", "ad_set", "spend", "impressions", "clicks", "conversions", "revenue"]
    )
    return frame.assign(platform="Meta", date=pd.Timestamp("2025-01-01"))


def test_features_are_ratios_of_sums() -> None:
    units = segments.unit_features(tiny_frame()).set_index("name")
    broad = units.loc["A · Broad"]
    assert broad["ctr"] == pytest.approx(60 / 4000)  # not the mean of 10/1000 and 50/3000
    assert broad["cpc"] == pytest.approx(40 / 60)
    assert broad["cpa"] == pytest.approx(40 / 4)
    assert broad["roi"] == pytest.approx((120 - 40) / 40)
    assert units.loc["B · Broad", "roi"] == pytest.approx((20 - 50) / 50)


def test_k_is_chosen_by_silhouette_within_2_to_8(result: segments.SegmentResult) -> None:
    assert 2 <= result.k <= 8
    assert list(result.silhouette["k"]) == list(range(2, 9))
    assert result.score == pytest.approx(result.silhouette["silhouette"].max())
    assert result.k == int(result.silhouette.loc[result.silhouette["silhouette"].idxmax(), "k"])
    assert result.assignments["segment"].nunique() == result.k


def test_labels_are_unique_and_human(result: segments.SegmentResult) -> None:
    labels = result.profiles["label"].tolist()
    assert len(labels) == len(set(labels)) == result.k
    for label in labels:
        assert any(word in label for word in ("High", "Low"))
        assert any(name in label for name in ("ROI", "CTR", "CPC", "CPA"))


def test_labels_stay_unique_when_profiles_are_identical() -> None:
    same = pd.DataFrame([[0.5, -0.2, -1.0, 2.0]] * 3, columns=list(segments.FEATURES))
    labels = segments.label_segments(same)
    assert len(set(labels)) == 3
    assert labels[0].startswith("High ROI – Low CPA")


def test_labels_extend_before_numbering() -> None:
    centroids = pd.DataFrame(
        [[0.1, 0.2, -1.0, 2.0], [-0.1, 0.3, -1.0, 2.0]],
        columns=list(segments.FEATURES),
    )
    labels = segments.label_segments(centroids)
    assert labels == ["High ROI – Low CPA – High CPC – High CTR", "High ROI – Low CPA – High CPC – Low CTR"]


def test_segments_are_numbered_by_roi_best_first(result: segments.SegmentResult) -> None:
    scaled = segments.transformed_features(result.assignments)
    centroid_roi = scaled["asinh ROI"].groupby(result.assignments["segment"]).mean()
    assert centroid_roi.is_monotonic_decreasing


def test_segmentation_is_deterministic(campaigns: pd.DataFrame, result: segments.SegmentResult) -> None:
    again = segments.segment_campaigns(campaigns)
    pd.testing.assert_frame_equal(again.assignments, result.assignments)
    pd.testing.assert_frame_equal(again.profiles, result.profiles)


def test_profiles_add_up(result: segments.SegmentResult) -> None:
    profiles = result.profiles
    assert profiles["units"].sum() == len(result.assignments)
    assert profiles["spend"].sum() == pytest.approx(result.assignments["spend"].sum())
    assert profiles["spend_share"].sum() == pytest.approx(1.0)
    first = result.assignments[result.assignments["segment"] == 0]
    assert profiles.loc[0, "cpa"] == pytest.approx(first["spend"].sum() / first["conversions"].sum())


def test_units_without_conversions_or_spend_are_excluded() -> None:
    frame = pd.concat(
        [
            tiny_frame(),
            pd.DataFrame(
                [("C", "Broad", 5.0, 100, 2, 0, 0.0), ("D", "Broad", 25.0, 900, 9, 1, 60.0)],
                columns=["campaign", "ad_set", "spend", "impressions", "clicks", "conversions", "revenue"],
            ).assign(platform="TikTok", date=pd.Timestamp("2025-01-02")),
        ],
        ignore_index=True,
    )
    result = segments.segment_campaigns(frame)
    assert set(result.excluded["name"]) == {"C · Broad"}  # CPA undefined: no conversions
    assert len(result.assignments) == 4
    assert result.k == 2  # 4 units allow k = 2..3 only
    assert list(result.silhouette["k"]) == [2, 3]


def test_too_few_units_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        segments.segment_campaigns(tiny_frame()[tiny_frame()["campaign"] == "A"])
    with pytest.raises(ValueError, match="at least 3"):
        segments.segment_campaigns(tiny_frame().iloc[0:0])


def test_data_without_ad_sets_is_segmented_per_campaign() -> None:
    frame = tiny_frame().drop(columns="ad_set")
    assert segments.unit_keys(frame) == ["campaign"]
    assert set(segments.unit_features(frame)["name"]) == {"A", "B"}


def test_transform_logs_costs_and_asinh_roi() -> None:
    values = np.array([[0.01, 0.5, 20.0, -0.5]])
    out = segments.transform_features(values)
    np.testing.assert_allclose(out, [[np.log(0.01), np.log(0.5), np.log(20.0), np.arcsinh(-0.5)]])


def test_train_segments_metadata(campaigns: pd.DataFrame, result: segments.SegmentResult) -> None:
    pipeline, meta = segments.train_segments(campaigns)
    assert meta["metrics"] == {"k": result.k, "silhouette": result.score}
    assert meta["features"] == list(segments.FEATURES)
    values = result.assignments[list(segments.FEATURES)].to_numpy()
    assert len(set(pipeline.predict(values))) == result.k
