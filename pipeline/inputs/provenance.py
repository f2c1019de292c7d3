"""What a campaign table's numbers rest on: measures estimated from a stated assumption, and files without dates.

Ingestion marks the frame (in its attrs, which pandas carries through filters and column selections); pages read
the mark to label estimated tiles, charts and downloads, and to hide what an undated file cannot support (trend,
period deltas, anomalies). A frame without a mark is measured data with dates (the demo data, a backend)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

PROVENANCE_ATTR = "provenance"

# The measures ingestion can estimate, and every metric computed from each of them.
DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "revenue": ("revenue", "roas", "roi", "profit"),
    "spend": ("spend", "cpc", "cpa", "cpm", "roas", "roi", "profit"),
}


@dataclass(frozen=True)
class Provenance:
    """`estimated` maps an estimated measure to the assumption it came from ("conversions × $50.00, the assumed
    average order value"); `undated` is True when the file had no date column (its rows carry a placeholder date
    that must never be shown as a period)."""

    estimated: Mapping[str, str] = field(default_factory=dict)
    undated: bool = False

    @property
    def measured(self) -> bool:
        return not self.estimated and not self.undated


def assumption_sentence(measure: str, assumptions: Mapping[str, float]) -> str:
    """How an estimated measure was computed, in words, from the values ingestion used."""
    if measure == "revenue":
        return f"conversions × ${assumptions['average_order_value']:,.2f}, the assumed average order value"
    if measure == "spend":
        return f"impressions × ${assumptions['cpm']:,.2f} / 1,000, the assumed CPM"
    raise ValueError(f"{measure} is not a measure ingestion estimates")


def from_ingest(estimated: Iterable[str], assumptions: Mapping[str, float]) -> Provenance:
    """The provenance of one ingested campaign file (IngestResult.estimated and .assumptions)."""
    estimated = list(estimated)
    sentences = {m: assumption_sentence(m, assumptions) for m in estimated if m in DERIVED_FROM}
    return Provenance(estimated=sentences, undated="date" in estimated)


def mark(frame: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    """Attach `provenance` to `frame` (in place) and return it; a measured, dated table carries no mark."""
    if provenance.measured:
        frame.attrs.pop(PROVENANCE_ATTR, None)
    else:
        frame.attrs[PROVENANCE_ATTR] = {"estimated": dict(provenance.estimated), "undated": provenance.undated}
    return frame


def of(frame: pd.DataFrame) -> Provenance:
    """The provenance a frame was marked with (measured and dated when unmarked)."""
    raw = frame.attrs.get(PROVENANCE_ATTR) or {}
    return Provenance(estimated=dict(raw.get("estimated", {})), undated=bool(raw.get("undated", False)))


def combine(parts: Iterable[Provenance]) -> Provenance:
    """The provenance of several files stacked into one table: a measure is estimated if any file estimated it
    (differing assumptions are all named); the table is undated if any file is."""
    estimated: dict[str, list[str]] = {}
    undated = False
    for part in parts:
        undated |= part.undated
        for measure, sentence in part.estimated.items():
            if sentence not in estimated.setdefault(measure, []):
                estimated[measure].append(sentence)
    return Provenance({m: "; ".join(s) for m, s in estimated.items()}, undated)


def estimated_metrics(provenance: Provenance) -> dict[str, str]:
    """Every metric that rests on an estimate, with the assumption(s) behind it (ROAS names both when both
    revenue and spend are estimated)."""
    out: dict[str, list[str]] = {}
    for measure, sentence in provenance.estimated.items():
        for metric in DERIVED_FROM.get(measure, (measure,)):
            out.setdefault(metric, []).append(f"{measure} = {sentence}")
    return {metric: "; ".join(parts) for metric, parts in out.items()}
