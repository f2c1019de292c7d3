"""Measures a file offers more than one column for: the public Facebook export has Total_Conversion and
Approved_Conversion, and the user chooses which one counts as conversions. The choice goes through ingest's
mapping_overrides; the column not chosen stays in the table as an extra numeric column."""

from __future__ import annotations

import pandas as pd

from pipeline.inputs.ingest.headers import normalize_header, snake_name
from pipeline.inputs.ingest.load import IngestResult
from pipeline.inputs.ingest.vocabulary import IGNORED, SOURCE_COLUMN
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES

# Words that make a kept extra column a plausible alternative for a measure ("Approved_Conversion").
MEASURE_WORDS: dict[str, frozenset[str]] = {
    "conversions": frozenset({"conversion", "conversions", "conv", "purchase", "purchases", "orders", "results"}),
    "revenue": frozenset({"revenue", "value", "sales"}),
    "spend": frozenset({"spend", "spent", "cost", "amount"}),
}


def measure_candidates(result: IngestResult) -> dict[str, list[str]]:
    """measure -> the source headers that could be it, the one ingestion picked first; only measures that read
    from a column (not estimated) and have at least one numeric extra column whose name says the same thing."""
    if result.kind != "campaigns":
        return {}
    canonical = {*CAMPAIGN_DIMENSIONS, *CAMPAIGN_MEASURES}
    out = {}
    for measure, words in MEASURE_WORDS.items():
        current = [h for h, target in result.mapping.items() if target == measure]
        others = [
            header
            for header, target in result.mapping.items()
            if target not in canonical
            and target != IGNORED
            and target in result.frame.columns
            and pd.api.types.is_numeric_dtype(result.frame[target])
            and set(normalize_header(header).split()) & words
        ]
        if current and others:
            out[measure] = current + others
    return out


def measure_overrides(result: IngestResult, measure: str, header: str) -> dict[str, str]:
    """The mapping_overrides that make `header` the `measure` column and keep the column it replaces as an extra
    (under its own snake_case name); {} when `header` already is that column."""
    current = next((h for h, target in result.mapping.items() if target == measure), None)
    if header not in result.mapping:
        raise ValueError(f"{header!r} is not a column of this file")
    if current is None or current == header:
        return {}
    taken = {t for h, t in result.mapping.items() if h != header} | set(CAMPAIGN_MEASURES) | {SOURCE_COLUMN}
    name, suffix = snake_name(current), 2
    while name in taken:
        name, suffix = f"{snake_name(current)}_{suffix}", suffix + 1
    return {header: measure, current: name}
