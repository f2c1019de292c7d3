"""Loading real ad-platform exports and influencer tables into the canonical schemas.

`ingest()` takes a path or the raw bytes of an upload and returns an `IngestResult`: the
canonical frame plus an account of what was read, mapped, estimated and dropped, and why.

Decisions worth knowing:
- Rows are dropped only for a stated reason. Each row is counted once, under the first reason
  that applies, in `DROP_REASONS` order.
- conversions > clicks is kept, not dropped: Meta, TikTok and Google Ads count view-through and
  cross-device conversions, so more conversions than clicks is real (218 of the 1,143 rows of the
  public Facebook data set have it). clicks > impressions is impossible and is dropped.
- Empty measure cells mean zero (Meta leaves zero cells empty); an explicit missing token ("n/a", "N/A",
  "-", "null", "none") is missing (NaN), not zero, and is counted in `missing`. Totals and KPIs then
  skip those cells (pandas and SQL sums ignore NaN): a ratio is Σnumerator/Σdenominator over the cells
  that are known. A campaign file with no number in any measure column is refused. Blank dimension
  cells become "(none)".
- Summary rows are Google Ads "Total: ..." rows and Meta's total row, recognised as a row whose
  every dimension (campaign, ad set, device, ...) is blank; they are dropped as "summary row".
- Without a platform column the platform comes from the export's header fingerprint (Meta,
  TikTok, Google Ads; the Kaggle Facebook file is Meta), else the file name, else "(none)".
  Without a device column the device is "All".
- A missing revenue column is estimated as conversions × average_order_value, a missing spend as
  impressions × cpm / 1000, a missing date as report_date (written YYYYMMDD). The values used are
  returned in `assumptions` and the estimated columns in `estimated`. A campaign frame carries the same
  account in its attrs (pipeline.inputs.provenance), so every page that shows it can say what is estimated and
  that an undated file's placeholder date is no period.
- Ratio columns in exports (ROAS, CTR, CPC, cost per result, rates, shares) are ignored: KPIs
  are recomputed as ratios of sums.
- A sales table (kind "sales": a shop's daily report, a GA4 export with its "#" comment lines and yyyymmdd
  dates, or any date + revenue table without ad-platform columns) becomes one row per day: rows sharing a
  date are summed and counted under "same day (summed)"; revenue may be negative (refunds); a blank or
  unusable orders cell is unknown (NaN, counted in `missing`); a "Total" or blank-dated grand-total row is a
  "summary row". Other columns are ignored.
- Hostile-input limits (found by tests/hostile): more than MAX_COLUMNS columns is refused; a number
  above MAX_NUMBER drops its row as "number too large" (two 1e308 cells made totals inf); an id that
  is not a whole number or overflows int64 is an "unparseable number"; dates outside pandas'
  nanosecond range (0001-01-01, 9999-12-31) are unparseable. Common German, French, Spanish, Italian,
  Portuguese and Dutch headers are recognised, accents ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.inputs import provenance
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.headers import detect_kind, map_headers
from pipeline.inputs.ingest.reading import read_source, read_table
from pipeline.inputs.ingest.sales_table import ingest_sales
from pipeline.inputs.ingest.tables import ingest_campaigns, ingest_influencer_kind
from pipeline.inputs.ingest.vocabulary import KINDS, TOTAL_KEYS


@dataclass
class IngestResult:
    kind: str  # "campaigns" | "influencers" | "posts" | "tracking" | "payouts" | "sales"
    frame: pd.DataFrame
    rows_read: int
    rows_kept: int
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> count
    mapping: dict[str, str] = field(default_factory=dict)  # source header -> canonical name (or IGNORED)
    estimated: list[str] = field(default_factory=list)
    platforms: list[str] = field(default_factory=list)  # campaigns only
    uncertain: list[str] = field(default_factory=list)  # source headers mapped by a fuzzy guess
    assumptions: dict[str, float] = field(default_factory=dict)  # values used for estimation
    missing: dict[str, int] = field(default_factory=dict)  # campaigns: measure -> cells left missing ("n/a")
    # Sums over the kept rows: campaign_totals for campaigns, {"revenue", "orders"} for sales (orders None
    # without an orders column); None for the influencer tables.
    totals: dict[str, float | None] | None = None


def ingest(
    source: str | Path | bytes,
    *,
    name: str = "",
    mapping_overrides: dict[str, str] | None = None,
    assumptions: dict[str, float] | None = None,
    kind: str | None = None,
) -> IngestResult:
    """Load an export (path or uploaded bytes) into its canonical table, accounting for every row.

    `name` is the upload's file name (used for format hints and platform inference);
    `mapping_overrides` maps source headers to canonical names (or "" / IGNORED to drop);
    `assumptions` changes the estimation values in DEFAULT_ASSUMPTIONS; `kind` forces the table kind.
    Raises IngestError with one sentence when the file cannot be used at all.
    """
    if kind is not None and kind not in KINDS:
        raise IngestError(f"Unknown table kind {kind!r}; use one of {', '.join(KINDS)}.")
    raw, name = read_source(source, name)
    table = read_table(raw, name, kind)
    headers = [str(h) for h in table.frame.columns]
    table.frame.columns = headers
    if table.frame.empty:
        raise IngestError("This file has a header row but no data rows.")
    kind = kind or detect_kind(headers)
    mapping, uncertain = map_headers(headers, kind, mapping_overrides)
    if kind == "campaigns":
        parts = ingest_campaigns(table, mapping, name, assumptions)
    elif kind == "sales":
        parts = ingest_sales(table, mapping)
    else:
        parts = ingest_influencer_kind(kind, table, mapping)
    frame, drops = parts["frame"], parts["drops"]
    if frame.empty:
        reasons = ", ".join(f"{reason}: {count}" for reason, count in drops.counts.items())
        raise IngestError(f"No usable rows: all {len(table.frame)} rows were dropped ({reasons}).")
    if kind == "campaigns":  # pages label estimated measures and hide what an undated file cannot support
        provenance.mark(frame, provenance.from_ingest(parts["estimated"], parts["assumptions"]))
    return IngestResult(
        kind=kind,
        frame=frame,
        rows_read=len(table.frame),
        rows_kept=len(frame),
        dropped=dict(drops.counts),
        mapping=mapping,
        estimated=parts["estimated"],
        platforms=parts["platforms"],
        uncertain=uncertain,
        assumptions=parts["assumptions"],
        missing=parts["missing"],
        totals=campaign_totals(frame) if kind == "campaigns" else parts.get("totals"),
    )


def campaign_totals(frame: pd.DataFrame) -> dict[str, float]:
    """Σ spend, impressions, clicks, conversions and revenue over the known cells (missing "n/a" cells
    are skipped; NaN for a column the frame lacks or whose every cell is missing)."""
    # min_count=1: a column whose every cell is missing totals NaN (unknown), not 0.
    return {key: float(frame[key].sum(min_count=1)) if key in frame.columns else float("nan") for key in TOTAL_KEYS}
