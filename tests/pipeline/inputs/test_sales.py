"""Daily sales: ingestion of shop and GA4 exports as kind "sales", and the data-folder loader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from pipeline import config
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.headers import detect_kind
from pipeline.inputs.ingest.load import ingest
from pipeline.inputs.ingest.vocabulary import IGNORED, SAME_DAY_REASON
from pipeline.inputs.sales import daily_sales, load_sales, missing_days, read_sales
from pipeline.schemas import SALES

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
SHOP = EXPORTS / "shop_daily_sales.csv"
GA4 = EXPORTS / "ga4_sales.csv"
CAMPAIGN_EXPORTS = ("meta_ads_manager.csv", "tiktok_ads_manager.csv", "google_ads_report.csv")


def sales_frame(dates: list[str], revenue: list[float], orders: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "revenue": np.array(revenue, dtype="float64"),
            "orders": np.array(orders, dtype="float64"),
        }
    )


def test_shop_daily_report_uses_total_sales_and_sums_a_repeated_day() -> None:
    result = ingest(SHOP)
    assert result.kind == "sales"
    assert result.mapping["Total sales"] == "revenue"
    assert result.mapping["Orders"] == "orders"
    assert result.mapping["Day"] == "date"
    assert {result.mapping[h] for h in ("Gross sales", "Net sales", "Discounts", "Returns", "Taxes")} == {IGNORED}
    assert (result.rows_read, result.rows_kept) == (6, 5)
    assert result.dropped == {SAME_DAY_REASON: 1}  # two rows for 2025-01-02, summed into one day
    assert result.missing == {"orders": 1}  # a blank orders cell is unknown, not 0
    expected = sales_frame(
        ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"],
        [1280.0, -88.0 + 113.0, 1503.0, 550.0, 1110.0],
        [12.0, 9.0, 15.0, np.nan, 10.0],
    )
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.totals == {"revenue": pytest.approx(4468.0), "orders": 46.0}


def test_ga4_export_with_comment_lines_yyyymmdd_and_a_grand_total_row() -> None:
    assert GA4.read_bytes().startswith(b"# ---")
    result = ingest(GA4)
    assert result.kind == "sales"
    assert result.mapping == {"Date": "date", "Total revenue": "revenue", "Purchases": "orders"}
    assert (result.rows_read, result.rows_kept) == (6, 5)
    assert result.dropped == {"summary row": 1}
    expected = sales_frame(
        ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"],
        [1234.5, 980.0, 0.0, -45.5, 1500.25],  # a refund-heavy day stays negative
        [12.0, 9.0, 0.0, 0.0, 14.0],
    )
    pd.testing.assert_frame_equal(result.frame, expected)
    assert result.totals == {"revenue": pytest.approx(3669.25), "orders": 35.0}


def test_ga4_grand_total_labelled_in_the_date_cell_and_trailing_comments() -> None:
    content = (
        b"# Start date: 20250101\n\nDate,Total revenue,Purchases\n20250101,10,1\n20250102,20,2\n"
        b"Grand total,30,3\n\n# ----------------------------------------\n"
    )
    result = ingest(content, name="ga4.csv")
    assert result.kind == "sales" and result.rows_kept == 2
    assert result.dropped == {"comment line": 1, "summary row": 1}


def test_a_blank_dated_row_that_is_not_the_total_is_a_missing_date() -> None:
    result = ingest(b"date,revenue\n2025-01-01,10\n2025-01-02,20\n,5\n", name="sales.csv")
    assert result.dropped == {"missing date": 1}


@pytest.mark.parametrize(
    ("content", "revenue_header"),
    [
        (b"date,revenue\n2025-01-01,10\n2025-01-02,20.5\n", "revenue"),
        (b"Date,Sales\n2025-01-01,10\n2025-01-02,20.5\n", "Sales"),
        (b"day,revenue,orders\n2025-01-01,10,1\n2025-01-02,20.5,2\n", "revenue"),
        (b"Datum;Umsatz\n01.01.2025;10\n02.01.2025;20,5\n", "Umsatz"),
    ],
)
def test_any_table_with_a_date_and_a_revenue_column(content: bytes, revenue_header: str) -> None:
    result = ingest(content, name="sales.csv")
    assert result.kind == "sales"
    assert result.mapping[revenue_header] == "revenue"
    assert result.frame["date"].tolist() == [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-01-02")]
    assert result.frame["revenue"].tolist() == [10.0, 20.5]
    has_orders = "orders" in result.mapping.values()
    assert result.totals == {"revenue": 30.5, "orders": 3.0 if has_orders else None}
    assert result.frame["orders"].isna().all() != has_orders  # no orders column: NaN, never 0


def test_rows_of_one_day_are_summed_whatever_their_time_and_order() -> None:
    content = b"date,revenue,orders\n2025-01-02,5,1\n2025-01-01 09:00,10,2\n2025-01-01 17:30,-3,\n2025-01-01,1,1\n"
    result = ingest(content, name="sales.csv")
    assert result.dropped == {SAME_DAY_REASON: 2}
    assert result.rows_read == result.rows_kept + sum(result.dropped.values())
    pd.testing.assert_frame_equal(result.frame, sales_frame(["2025-01-01", "2025-01-02"], [8.0, 5.0], [3.0, 1.0]))


def test_bad_cells_are_dropped_and_counted_by_reason() -> None:
    content = (
        b"date,revenue,orders\n2025-01-01,10,1\nnot a day,10,1\n,10,1\n2025-01-02,abc,1\n2025-01-03,n/a,1\n"
        b"2025-01-04,,1\n2025-01-05,1e300,1\n2025-01-06,7,lots\n2025-01-07,8,-2\n"
    )
    result = ingest(content, name="sales.csv")
    assert result.dropped == {
        "unparseable date": 1,
        "missing date": 1,
        "unparseable number": 1,
        "missing number": 2,  # "n/a" and an empty revenue cell: a day's sales are never silently 0
        "number too large": 1,
    }
    # Unusable orders cells leave the day's revenue in, with orders unknown.
    assert result.frame["revenue"].tolist() == [10.0, 7.0, 8.0]
    assert result.frame["orders"].tolist()[0] == 1.0 and result.frame["orders"].iloc[1:].isna().all()
    assert result.missing == {"orders": 2}


def test_the_canonical_frame_passes_the_schema() -> None:
    frame = ingest(SHOP).frame
    pd.testing.assert_frame_equal(SALES.validate(frame), frame)
    with pytest.raises(pa.errors.SchemaError, match="duplicate"):
        SALES.validate(pd.concat([frame, frame.head(1)]))
    with pytest.raises(pa.errors.SchemaError, match="whole_day"):
        SALES.validate(frame.assign(date=frame["date"] + pd.Timedelta(hours=9)))
    with pytest.raises(pa.errors.SchemaError, match="greater_than_or_equal_to"):
        SALES.validate(frame.assign(orders=-1.0))
    SALES.validate(frame.assign(revenue=-1.0))  # refund-heavy days are allowed


@pytest.mark.parametrize("export", CAMPAIGN_EXPORTS)
def test_campaign_exports_are_never_taken_for_sales(export: str) -> None:
    assert ingest(EXPORTS / export).kind == "campaigns"


@pytest.mark.parametrize(
    "headers",
    [
        ["date", "spend", "revenue"],
        ["Date", "Cost", "Total revenue"],
        ["Day", "Impr.", "Sales"],
        ["date", "clicks", "revenue", "orders"],
        ["date", "campaign", "revenue"],
        ["Date", "Amount spend", "Revenue"],  # a misspelt spend column is still a campaign column
        ["Datum", "Kosten", "Umsatz"],
    ],
)
def test_ad_platform_columns_keep_a_table_a_campaign_table(headers: list[str]) -> None:
    assert detect_kind(headers) == "campaigns"


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        (
            ["source", "campaign", "influencer_id", "user_id", "product", "date", "orders", "revenue", "group"],
            "tracking",
        ),
        (["influencer_id", "platform", "date", "url", "caption", "reach", "likes", "comments"], "posts"),
        (["influencer_id", "basis", "rate", "orders", "total_payout"], "payouts"),
    ],
)
def test_influencer_tables_with_dates_and_revenue_stay_what_they_are(headers: list[str], kind: str) -> None:
    assert detect_kind(headers) == kind


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            b"date,revenue\n2025-01-01,n/a\n2025-01-02,-\n",
            "No usable rows: all 2 rows were dropped (missing number: 2)",
        ),
        (b"date,revenue\nsoon,10\nlater,20\n", "No usable rows: all 2 rows were dropped (unparseable date: 2)"),
        (b"date,revenue\n", "no data rows"),
    ],
)
def test_an_unusable_sales_file_raises_one_sentence(content: bytes, fragment: str) -> None:
    with pytest.raises(IngestError) as error:
        ingest(content, name="sales.csv")
    message = str(error.value)
    assert fragment in message and message.endswith(".") and "\n" not in message


def test_a_forced_sales_kind_without_revenue_says_what_is_missing() -> None:
    with pytest.raises(IngestError, match=r"^This looks like a sales table but it has no revenue column; .*\.$"):
        ingest(b"date,visitors\n2025-01-01,10\n", name="sales.csv", kind="sales")


# --------------------------------------------------------------------------- the data-folder loader


def test_load_sales_reads_the_folders_sales_csv_sorted_by_date(tmp_path: Path) -> None:
    (tmp_path / config.SALES_FILE).write_text("date,revenue,orders\n2025-01-03,30,3\n2025-01-01,10,1\n2025-01-02,20,\n")
    frame = load_sales(tmp_path)
    pd.testing.assert_frame_equal(
        frame, sales_frame(["2025-01-01", "2025-01-02", "2025-01-03"], [10.0, 20.0, 30.0], [1.0, np.nan, 3.0])
    )


def test_load_sales_takes_a_shop_or_ga4_export_saved_as_sales_csv(tmp_path: Path) -> None:
    for export in (SHOP, GA4):
        (tmp_path / config.SALES_FILE).write_bytes(export.read_bytes())
        pd.testing.assert_frame_equal(load_sales(tmp_path), ingest(export).frame)


def test_load_sales_without_sales_csv_is_none(tmp_path: Path) -> None:
    assert load_sales(tmp_path) is None
    assert read_sales(tmp_path) is None


def test_a_campaign_table_saved_as_sales_csv_is_refused(tmp_path: Path) -> None:
    (tmp_path / config.SALES_FILE).write_bytes((EXPORTS / "tiktok_ads_manager.csv").read_bytes())
    with pytest.raises(IngestError, match="looks like a campaigns table, not daily sales"):
        load_sales(tmp_path)


def test_read_sales_keeps_the_account_of_dropped_rows(tmp_path: Path) -> None:
    (tmp_path / config.SALES_FILE).write_bytes(GA4.read_bytes())
    result = read_sales(tmp_path)
    assert result is not None and result.dropped == {"summary row": 1}


def test_daily_sales_fills_the_calendar_with_unknown_days() -> None:
    frame = sales_frame(["2025-01-01", "2025-01-04"], [10.0, -5.0], [1.0, 0.0])
    before = frame.copy()
    expected = sales_frame(
        ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"],
        [10.0, np.nan, np.nan, -5.0],
        [1.0, np.nan, np.nan, 0.0],
    )
    pd.testing.assert_frame_equal(daily_sales(frame), expected)
    pd.testing.assert_frame_equal(frame, before)  # not mutated
    assert missing_days(frame) == 2


def test_daily_sales_edges() -> None:
    one = sales_frame(["2025-03-01"], [7.0], [np.nan])
    pd.testing.assert_frame_equal(daily_sales(one), one)
    empty = one.iloc[:0]
    assert daily_sales(empty).empty and list(daily_sales(empty).columns) == ["date", "revenue", "orders"]
    assert missing_days(empty) == 0
