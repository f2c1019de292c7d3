"""Several campaign exports stacked into one table: one file per platform (Meta, TikTok, Google Ads), uploaded
together or added later to the data in use.

Decisions worth knowing:
- Every row keeps the name of its file in a categorical `source` column. A frame that already has one (the data
  in use, stacked before) keeps its rows' sources; a name used twice gets " (2)", " (3)"... so sources stay apart.
- Overlapping rows are rows of a later file with the same date, platform, campaign, ad set and device as a row of
  an earlier file (the same export downloaded twice, or two exports covering the same days). They are counted
  once: the earlier file's rows are kept and the later file's rows with that key are left out, whatever their
  numbers. Rows repeating a key within one file are legitimate (several ads in one ad set) and all kept.
- The overlap report names each pair (earlier file, later file), the later file's rows left out, and on how many
  of the repeated keys the numbers (Σ of each measure per key) differ between the two files.
- Dated and undated files are not stacked: an undated file's rows all carry one placeholder date, which would
  appear as a real day among real ones. The odd ones out are refused with one sentence each (the undated ones
  when the files are mixed; when adding, those that differ from the data in use); the others are stacked.
- The stacked table carries provenance.combine of its parts' marks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from pipeline import config
from pipeline.inputs import provenance
from pipeline.inputs.ingest.vocabulary import SOURCE_COLUMN
from pipeline.schemas import CAMPAIGN_DIMENSIONS, CAMPAIGN_MEASURES

# What makes two rows the same row of a report; a later file's row with an earlier file's key is not counted twice.
OVERLAP_KEY = ("date", "platform", "campaign", "ad_set", "device")
CATEGORY_COLUMNS = ("platform", "campaign", "ad_set", "campaign_type", "content_type", "device", SOURCE_COLUMN)


class CombineError(ValueError):
    """Nothing can be stacked (no files); the message is one sentence."""


@dataclass(frozen=True)
class Overlap:
    """Rows of `later` repeating keys of `earlier`: `rows` of them were left out, `keys` distinct keys repeated, and
    on `differing` of those keys the two files' numbers differ."""

    earlier: str
    later: str
    rows: int
    keys: int
    differing: int

    def sentence(self) -> str:
        numbers = (
            "with identical numbers"
            if not self.differing
            else f"with different numbers on {self.differing:,} of {self.keys:,} date, campaign, ad set and device "
            "combinations"
        )
        rows = "row" if self.rows == 1 else "rows"
        return (
            f"{self.rows:,} {rows} of {self.later} repeat {self.earlier} (same date, platform, campaign, ad set and "
            f"device), {numbers}: {self.earlier}'s rows are counted, these are left out."
        )


@dataclass(frozen=True)
class Combined:
    """The stacked table, its rows per source file, the overlaps left out, and the files refused (name ->
    sentence)."""

    frame: pd.DataFrame
    rows_by_source: dict[str, int]
    overlaps: list[Overlap] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)

    @property
    def sources(self) -> list[str]:
        return list(self.rows_by_source)


def stack_campaigns(
    files: Sequence[tuple[str, pd.DataFrame]], in_use: pd.DataFrame | None = None, in_use_name: str = ""
) -> Combined:
    """Stack ingested campaign frames (file name, frame) after `in_use` (the data the session already shows, whose
    rows keep their `source`, else `in_use_name`). Earlier rows win an overlap. Does not change its inputs.
    Raises CombineError when there is nothing to stack."""
    if not files and in_use is None:
        raise CombineError("There are no campaign files to combine.")
    parts: list[pd.DataFrame] = []
    if in_use is not None:
        parts.append(_with_source(in_use, in_use_name or "data in use", set()))
    dated = _reference_dated(files, in_use)
    refused = {name: _refusal(name, dated, in_use is not None) for name, frame in files if _is_dated(frame) != dated}
    names = _sources(parts[0]) if parts else []
    overlaps: list[Overlap] = []
    for name, frame in files:
        if name in refused:
            continue
        part = _with_source(frame, name, set(names))
        names.append(_unique_name(name, set(names)))
        if parts:
            part, found = _drop_overlaps(pd.concat(parts, ignore_index=True), part)
            overlaps += found
        parts.append(part)
    frame = _stacked(parts, names)
    counts = frame[SOURCE_COLUMN].value_counts(sort=False)
    # A file whose every row repeated an earlier file's stays listed, with 0 rows.
    rows_by_source = {source: int(counts.get(source, 0)) for source in names}
    return Combined(frame, rows_by_source, overlaps, refused)


def _is_dated(frame: pd.DataFrame) -> bool:
    return not provenance.of(frame).undated


def _reference_dated(files: Sequence[tuple[str, pd.DataFrame]], in_use: pd.DataFrame | None) -> bool:
    """Adding follows the data in use; files used together are dated if any of them is."""
    if in_use is not None:
        return _is_dated(in_use)
    return any(_is_dated(frame) for _, frame in files)


def _refusal(name: str, dated: bool, adding: bool) -> str:
    if not dated:
        return f"{name} has dates but the data in use has none, so the two cannot be stacked; use it on its own."
    other = "the data in use" if adding else "the other files"
    return (
        f"{name} has no dates, so it cannot be stacked with {other} (its rows would all fall on one invented day); "
        "use it on its own."
    )


def _unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def _sources(frame: pd.DataFrame) -> list[str]:
    """The files a stacked frame came from, in the order they were stacked."""
    return [str(s) for s in frame[SOURCE_COLUMN].cat.categories]


def _with_source(frame: pd.DataFrame, name: str, taken: set[str]) -> pd.DataFrame:
    """A shallow copy with its file name in `source` (a frame stacked before keeps its rows' sources)."""
    out = frame.copy(deep=False)  # columns are replaced, never written into: the input stays as it was
    if SOURCE_COLUMN in out.columns:
        column = out[SOURCE_COLUMN]
        if not isinstance(column.dtype, pd.CategoricalDtype) or column.isna().any():  # keep the stacking order
            out[SOURCE_COLUMN] = column.astype("string").fillna(name or config.MISSING_LABEL).astype("category")
    else:
        out[SOURCE_COLUMN] = pd.Categorical([_unique_name(name, taken)] * len(out))
    return out


def _column_codes(first: pd.Series, second: pd.Series) -> np.ndarray:
    """Integer codes of one key column over both frames' rows (equal values, equal codes; missing is a value).
    Categories are matched by their text and dates by their instant, so two files' dtypes never matter; codes
    instead of text keys keep a million rows at a fraction of a second."""
    if isinstance(first.dtype, pd.CategoricalDtype) and isinstance(second.dtype, pd.CategoricalDtype):
        names = [side.cat.categories.astype("string") for side in (first, second)]
        union = names[0].append(names[1]).unique()
        parts = []
        for side, own in zip((first, second), names, strict=True):
            codes = side.cat.codes.to_numpy()
            parts.append(np.where(codes < 0, -1, union.get_indexer(own)[codes]))
        return np.concatenate(parts)
    both = pd.concat([first, second], ignore_index=True)
    if pd.api.types.is_datetime64_any_dtype(both):
        return pd.factorize(both.to_numpy(dtype="datetime64[ns]"))[0]
    return pd.factorize(both.astype("string").to_numpy(dtype=object))[0]


def _row_keys(earlier: pd.DataFrame, later: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One integer key per row of each frame from OVERLAP_KEY: equal keys, same date, platform, campaign, ad set
    and device."""
    key = np.zeros(len(earlier) + len(later), dtype=np.int64)
    for column in OVERLAP_KEY:
        codes = _column_codes(earlier[column], later[column]).astype(np.int64) + 1  # missing (-1) becomes 0
        key = pd.factorize(key * (int(codes.max()) + 1) + codes)[0].astype(np.int64)  # stays below the row count
    return key[: len(earlier)], key[len(earlier) :]


def _drop_overlaps(earlier: pd.DataFrame, later: pd.DataFrame) -> tuple[pd.DataFrame, list[Overlap]]:
    """`later` without the rows whose key an earlier row has, and one Overlap per earlier source involved."""
    earlier_keys, later_keys = _row_keys(earlier, later)
    repeated = np.isin(later_keys, earlier_keys)
    if not repeated.any():
        return later, []
    involved = np.isin(earlier_keys, later_keys[repeated])
    earlier, earlier_keys = earlier.loc[involved], earlier_keys[involved]
    first_source = pd.Series(earlier[SOURCE_COLUMN].astype(str).to_numpy(), index=earlier_keys)
    first_source = first_source[~first_source.index.duplicated()]  # the first file holding each key
    measures = [m for m in CAMPAIGN_MEASURES if m in earlier.columns and m in later.columns]
    earlier_sums = earlier[measures].groupby(earlier_keys).sum(min_count=1)
    later_sums = later.loc[repeated, measures].groupby(later_keys[repeated]).sum(min_count=1)
    same = _same_numbers(earlier_sums.loc[later_sums.index], later_sums)
    owner = first_source.loc[later_keys[repeated]].to_numpy()
    key_owner = first_source.loc[later_sums.index].to_numpy()
    later_name = str(later[SOURCE_COLUMN].iloc[0])
    overlaps = [
        Overlap(
            earlier=source,
            later=later_name,
            rows=int((owner == source).sum()),
            keys=int((key_owner == source).sum()),
            differing=int((~same.to_numpy() & (key_owner == source)).sum()),
        )
        for source in dict.fromkeys(owner)
    ]
    return later.loc[~repeated], overlaps


def _same_numbers(first: pd.DataFrame, second: pd.DataFrame) -> pd.Series:
    """Per key: every measure equal (to float precision; both missing counts as equal)."""
    if first.empty or not len(first.columns):
        return pd.Series(True, index=first.index)
    a, b = first.to_numpy(dtype="float64"), second.to_numpy(dtype="float64")
    return pd.Series(np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True).all(axis=1), index=first.index)


def _stacked(parts: list[pd.DataFrame], sources: list[str]) -> pd.DataFrame:
    """The parts in one frame: canonical columns first, then extras as they appear, `source` last (its categories
    the files in stacking order); categories united; the provenance of every part combined (concat keeps attrs
    only when all parts agree)."""
    marks = provenance.combine(provenance.of(part) for part in parts)
    columns = [c for c in CATEGORY_COLUMNS if any(c in part.columns for part in parts)]
    united = {column: _united_categories(parts, column) for column in columns}
    frame = pd.concat(
        [part.drop(columns=[c for c in columns if c in part.columns]) for part in parts], ignore_index=True
    )
    for column, values in united.items():
        frame[column] = values
    frame[SOURCE_COLUMN] = frame[SOURCE_COLUMN].cat.set_categories(pd.Index(sources, dtype="string"))
    canonical = [c for c in (*CAMPAIGN_DIMENSIONS, *CAMPAIGN_MEASURES) if c in frame.columns]
    extras = [c for c in frame.columns if c not in canonical and c != SOURCE_COLUMN]
    frame = frame[[*canonical, *extras, SOURCE_COLUMN]]
    frame.attrs = {}
    return provenance.mark(frame, marks)


def _united_categories(parts: list[pd.DataFrame], column: str) -> pd.Categorical:
    """One categorical column over every part's rows, its categories the union of theirs (sorted), by codes: casting
    a million rows to text and back took a second. A dimension a part lacks reads "(none)", as ingest fills it."""
    pieces = []
    for part in parts:
        if column not in part.columns:
            pieces.append(pd.Categorical.from_codes(np.full(len(part), -1), categories=pd.Index([], dtype="string")))
            continue
        values = part[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("string").astype("category")
        categories = values.cat.categories.astype("string")
        pieces.append(pd.Categorical.from_codes(values.cat.codes.to_numpy(), categories=categories))
    united = union_categoricals(pieces, sort_categories=True)
    if column in CAMPAIGN_DIMENSIONS and united.isna().any():
        if config.MISSING_LABEL not in united.categories:
            united = united.add_categories([config.MISSING_LABEL])
        united = united.fillna(config.MISSING_LABEL)
    return united
