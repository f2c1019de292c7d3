"""Campaign segments: KMeans on CTR, CPC, CPA and ROI of each campaign x ad set.

Unit: one campaign x ad set (the demo has about 45 of them but only about 15 campaigns, too few to
cluster; an ad set is where targeting and creative differ). Data without an ad_set column is
segmented per campaign. Units without spend, or with an undefined KPI (no clicks or no
conversions), cannot be placed and are listed as excluded.

Features are ratios of sums per unit (pipeline.kpis): CTR = clicks/impressions, CPC = spend/clicks,
CPA = spend/conversions, ROI = (revenue − spend)/spend. CTR, CPC and CPA are right-skewed and
positive, so they are logged; ROI can be negative (down to −1), so it gets asinh, which is log-like
for large values and defined everywhere. Then RobustScaler (median/IQR), then KMeans with k chosen
by the best silhouette over 2..8 (fixed random_state and n_init; ties go to the smaller k).

Segments are numbered by ROI, best first, and labelled from their profile: the two features whose
scaled centroid is furthest from the middle, e.g. "High ROI – Low CPA". When two segments would get
the same label, more features are added, and then a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, RobustScaler
from threadpoolctl import threadpool_limits

from pipeline import kpis

NAME = "segments"  # the saved model: models/segments.joblib
FEATURES = ("ctr", "cpc", "cpa", "roi")
FEATURE_NAMES = {"ctr": "CTR", "cpc": "CPC", "cpa": "CPA", "roi": "ROI"}
K_RANGE = range(2, 9)
RANDOM_STATE = 42
N_INIT = 10
MIN_UNITS = 3  # silhouette needs 2 <= k <= n − 1


def unit_keys(frame: pd.DataFrame) -> list[str]:
    """campaign x ad set when the data has ad sets, else campaign."""
    return ["campaign", "ad_set"] if "ad_set" in frame.columns else ["campaign"]


def unit_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Per unit: keys, platform (when present), a display name, spend and the KPI sums, and the four
    features as ratios of sums. Includes units whose features are undefined (NaN)."""
    keys = unit_keys(frame)
    extra = ["platform"] if "platform" in frame.columns and "platform" not in keys else []
    table = kpis.kpi_table(frame, [*keys, *extra])
    for feature in FEATURES:
        if feature not in table.columns:
            table[feature] = np.nan
    names = [" · ".join(parts) for parts in table[keys].astype(str).itertuples(index=False)]
    return table.assign(name=pd.Series(names, index=table.index, dtype=object)).reset_index(drop=True)


def transform_features(values: np.ndarray) -> np.ndarray:
    """log of CTR, CPC and CPA; asinh of ROI (columns in FEATURES order)."""
    values = np.asarray(values, dtype="float64")
    out = np.empty_like(values)
    out[:, :3] = np.log(values[:, :3])
    out[:, 3] = np.arcsinh(values[:, 3])
    return out


def build_pipeline(k: int) -> Pipeline:
    """log/asinh -> RobustScaler -> KMeans(k)."""
    return Pipeline(
        [
            ("transform", FunctionTransformer(transform_features)),
            ("scale", RobustScaler()),
            ("kmeans", KMeans(n_clusters=k, n_init=N_INIT, random_state=RANDOM_STATE)),
        ]
    )


def silhouette_by_k(values: np.ndarray, k_range: range = K_RANGE) -> pd.DataFrame:
    """Silhouette score of KMeans for each feasible k (2 <= k <= units − 1) in `k_range`."""
    rows = []
    for k in k_range:
        if not 2 <= k <= len(values) - 1:
            continue
        pipeline = build_pipeline(k).fit(values)
        scaled = pipeline[:-1].transform(values)
        labels = pipeline[-1].labels_
        score = silhouette_score(scaled, labels) if len(set(labels)) > 1 else float("nan")
        rows.append({"k": k, "silhouette": float(score)})
    return pd.DataFrame(rows, columns=["k", "silhouette"])


def direction_word(value: float) -> str:
    return "High" if value >= 0 else "Low"


def label_segments(centroids: pd.DataFrame) -> list[str]:
    """Unique human labels from scaled centroids (rows = segments, columns = FEATURES).

    Each label names the features furthest from the middle, most distinctive first."""
    orders = [list(row.abs().sort_values(ascending=False, kind="stable").index) for _, row in centroids.iterrows()]

    def label(i: int, depth: int) -> str:
        row = centroids.iloc[i]
        return " – ".join(f"{direction_word(row[f])} {FEATURE_NAMES[f]}" for f in orders[i][:depth])

    depth = [min(2, len(FEATURES))] * len(centroids)
    labels = [label(i, d) for i, d in enumerate(depth)]
    while True:
        clashes = {lab for lab in labels if labels.count(lab) > 1}
        growable = [i for i, lab in enumerate(labels) if lab in clashes and depth[i] < len(FEATURES)]
        if not growable:
            break
        for i in growable:
            depth[i] += 1
            labels[i] = label(i, depth[i])
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:
        seen[lab] = seen.get(lab, 0) + 1
        unique.append(lab if labels.count(lab) == 1 else f"{lab} ({seen[lab]})")
    return unique


@dataclass(frozen=True)
class SegmentResult:
    """Output of segment_campaigns; frames are new objects, safe to display or download."""

    assignments: pd.DataFrame  # one row per unit: keys, name, platform, spend, features, segment, label
    profiles: pd.DataFrame  # one row per segment: label, units, spend, share of spend, KPIs (ratio of sums)
    silhouette: pd.DataFrame  # k, silhouette
    k: int
    score: float
    excluded: pd.DataFrame  # units that could not be placed (no spend or an undefined KPI)
    pipeline: Pipeline

    def summary(self) -> dict[str, Any]:
        return {"k": self.k, "silhouette": self.score, "units": len(self.assignments), "excluded": len(self.excluded)}


def segment_profiles(assignments: pd.DataFrame) -> pd.DataFrame:
    """Per segment: units, spend, share of spend and CTR/CPC/CPA/ROI/ROAS as ratios of the segment's sums."""
    measures = kpis.measures_in(assignments)
    sums = assignments.groupby(["segment", "label"], sort=True)[measures].sum().reset_index()
    sums["units"] = assignments.groupby("segment").size().to_numpy()
    profiles = kpis.add_ratios(sums)
    profiles["spend_share"] = kpis.safe_divide(profiles["spend"], profiles["spend"].sum())
    columns = ["segment", "label", "units", "spend", "spend_share", "ctr", "cpc", "cpa", "roi", "roas"]
    return profiles[[c for c in columns if c in profiles.columns]]


def segment_campaigns(frame: pd.DataFrame, k_range: range = K_RANGE) -> SegmentResult:
    """Cluster the campaign x ad set units of `frame`; raises ValueError when fewer than 3 can be placed."""
    units = unit_features(frame)
    usable = (
        (units["spend"] > 0)
        & np.isfinite(units[list(FEATURES)]).all(axis=1)
        & (units[["ctr", "cpc", "cpa"]] > 0).all(axis=1)
    )
    placed, excluded = units[usable].reset_index(drop=True), units[~usable].reset_index(drop=True)
    if len(placed) < MIN_UNITS:
        raise ValueError(
            f"Segmenting needs at least {MIN_UNITS} campaign x ad set units with spend, clicks and conversions; "
            f"this selection has {len(placed)}."
        )
    values = placed[list(FEATURES)].to_numpy(dtype="float64")
    # A few dozen points: threads only add overhead, and on a shared machine they add a lot.
    with threadpool_limits(limits=1):
        scores = silhouette_by_k(values, k_range)
        if scores.empty:
            raise ValueError("No number of segments in the allowed range fits this many units.")
        best = scores.loc[scores["silhouette"].fillna(-np.inf).idxmax()]
        k = int(best["k"])
        pipeline = build_pipeline(k).fit(values)
    scaled = pd.DataFrame(pipeline[:-1].transform(values), columns=list(FEATURES))
    raw_labels = pipeline[-1].labels_
    # Number segments by the ROI of their centroid, best first, so the numbering is stable.
    centroids = scaled.groupby(raw_labels).mean()
    order = centroids["roi"].sort_values(ascending=False, kind="stable").index
    renumber = {old: new for new, old in enumerate(order)}
    segment = np.array([renumber[c] for c in raw_labels])
    centroids = centroids.loc[order].reset_index(drop=True)
    names = label_segments(centroids)
    assignments = placed.assign(segment=segment, label=[names[s] for s in segment])
    return SegmentResult(
        assignments=assignments,
        profiles=segment_profiles(assignments),
        silhouette=scores,
        k=k,
        score=float(best["silhouette"]),
        excluded=excluded,
        pipeline=pipeline,
    )


def transformed_features(assignments: pd.DataFrame) -> pd.DataFrame:
    """The four features on the clustering scale (log CTR/CPC/CPA, asinh ROI), for scatter matrices."""
    values = transform_features(assignments[list(FEATURES)].to_numpy(dtype="float64"))
    names = {"ctr": "log CTR", "cpc": "log CPC", "cpa": "log CPA", "roi": "asinh ROI"}
    return pd.DataFrame(values, columns=[names[f] for f in FEATURES], index=assignments.index)


def train_segments(campaigns: pd.DataFrame) -> tuple[Pipeline, dict[str, Any]]:
    """Fit segments on the whole table; (pipeline, metadata for models/segments.json)."""
    result = segment_campaigns(campaigns)
    meta = {
        "kind": "segments",
        "features": list(FEATURES),
        "unit": unit_keys(campaigns),
        "metrics": {"k": result.k, "silhouette": result.score},
        "silhouette_by_k": result.silhouette.to_dict("list"),
        "labels": sorted(set(result.assignments["label"])),
        "profiles": result.profiles.to_dict("list"),
        "units": len(result.assignments),
        "excluded": len(result.excluded),
    }
    return result.pipeline, meta
