"""Segments: ratio-of-sums features, k by silhouette in 2..8, unique labels, determinism, edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

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


# Planted segment centres: (CTR, CPC, CPA, ROI), each a few times apart from the others on the log scale.
PLANTED_CENTRES = (
    (0.004, 0.40, 8.0, 2.0),
    (0.030, 2.50, 60.0, -0.4),
    (0.010, 0.15, 25.0, 0.5),
    (0.060, 1.00, 3.0, 5.0),
    (0.002, 4.00, 150.0, -0.8),
)


def planted_frame(k: int, units_per_segment: int = 6, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """One daily row per campaign x ad set whose ratios sit within ±5% of one of k planted centres;
    (frame, planted segment per unit in unit_features order)."""
    rng = np.random.default_rng(seed)
    rows, truth = [], {}
    for segment, (ctr, cpc, cpa, roi_value) in enumerate(PLANTED_CENTRES[:k]):
        for unit in range(units_per_segment):
            ctr_u, cpc_u, cpa_u = (v * rng.uniform(0.95, 1.05) for v in (ctr, cpc, cpa))
            impressions = 1_000_000.0
            clicks = ctr_u * impressions
            spend = cpc_u * clicks
            name = f"C{segment}-{unit}"
            truth[name] = segment
            rows.append(
                {
                    "campaign": name,
                    "ad_set": "Broad",
                    "platform": "Meta",
                    "date": pd.Timestamp("2025-01-01"),
                    "spend": spend,
                    "impressions": impressions,
                    "clicks": clicks,
                    "conversions": spend / cpa_u,
                    "revenue": spend * (1 + roi_value * rng.uniform(0.95, 1.05)),
                }
            )
    frame = pd.DataFrame(rows)
    order = segments.unit_features(frame)["campaign"].astype(str)
    return frame, order.map(truth).to_numpy()


@pytest.mark.parametrize("k", [2, 3, 5])
def test_planted_segments_are_recovered(k: int) -> None:
    frame, truth = planted_frame(k)
    result = segments.segment_campaigns(frame)
    assert result.k == k
    found = result.assignments["segment"].to_numpy()
    # Same partition whatever the numbering: every planted segment maps to exactly one found segment.
    pairs = set(zip(truth, found, strict=True))
    assert len(pairs) == k and len({t for t, _ in pairs}) == len({f for _, f in pairs}) == k


def test_the_chosen_k_has_the_best_silhouette_recomputed_independently() -> None:
    frame, _ = planted_frame(3)
    result = segments.segment_campaigns(frame)
    values = result.assignments[list(segments.FEATURES)].to_numpy()
    logged = np.column_stack([np.log(values[:, :3]), np.arcsinh(values[:, 3])])
    quartiles = np.percentile(logged, [25, 50, 75], axis=0)
    scaled = (logged - quartiles[1]) / (quartiles[2] - quartiles[0])  # RobustScaler by hand
    for k in range(2, 9):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(scaled)
        assert silhouette_score(scaled, labels) <= result.score + 1e-9, k
    assert result.score == pytest.approx(silhouette_score(scaled, result.assignments["segment"]))


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


def test_train_segments_metadata_matches_an_independent_recomputation() -> None:
    planted, _ = planted_frame(3)
    empty = planted.iloc[:1].assign(campaign="No sales", conversions=0.0, revenue=0.0)  # CPA undefined
    frame = pd.concat([planted, empty], ignore_index=True)
    pipeline, meta = segments.train_segments(frame)
    assert meta["metrics"]["k"] == 3 and meta["units"] == len(planted) and meta["excluded"] == 1
    # The saved profiles are ratios of each segment's sums, recomputed here from the raw rows.
    found = pipeline.predict(
        frame.assign(
            ctr=frame["clicks"] / frame["impressions"],
            cpc=frame["spend"] / frame["clicks"],
            cpa=frame["spend"] / frame["conversions"],
            roi=(frame["revenue"] - frame["spend"]) / frame["spend"],
        )
        .iloc[: len(planted)][list(segments.FEATURES)]
        .to_numpy()
    )
    profiles = pd.DataFrame(meta["profiles"])
    assert sorted(profiles["units"]) == sorted(np.bincount(found).tolist())
    sums = planted.assign(cluster=found).groupby("cluster")[["spend", "conversions", "revenue"]].sum()
    expected_cpa = sorted((sums["spend"] / sums["conversions"]).round(6))
    assert sorted(profiles["cpa"].round(6)) == expected_cpa
    expected_roi = sorted(((sums["revenue"] - sums["spend"]) / sums["spend"]).round(6))
    assert sorted(profiles["roi"].round(6)) == expected_roi
    assert profiles["roi"].is_monotonic_decreasing  # numbered by ROI, best first
    assert profiles["spend_share"].sum() == pytest.approx(1.0)
    silhouettes = pd.DataFrame(meta["silhouette_by_k"])
    assert meta["metrics"]["silhouette"] == pytest.approx(silhouettes["silhouette"].max())
