"""Ingestion of real-looking ad exports and influencer tables (pipeline/inputs/ingest/)."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import data_generation
from pipeline import kpis
from pipeline.inputs.ingest import headers, reading
from pipeline.inputs.ingest.cells import parse_dates, parse_numbers
from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import campaign_totals, ingest
from pipeline.inputs.ingest.vocabulary import IGNORED
from pipeline.schemas import CAMPAIGNS

EXPORTS = Path(__file__).resolve().parents[2] / "fixtures" / "exports"
META = EXPORTS / "meta_ads_manager.csv"
TIKTOK = EXPORTS / "tiktok_ads_manager.csv"
GOOGLE = EXPORTS / "google_ads_report.csv"
GOOGLE_TOTALS = {"spend": 1834.56, "impressions": 37345.0, "clicks": 1628.0, "conversions": 32.5, "revenue": 5475.0}


def google_tsv(encoding: str) -> bytes:
    """The Google Ads fixture as its "CSV for Excel" variant: tab-separated UTF-16, numbers unquoted."""
    frame = pd.read_csv(GOOGLE, skiprows=2, dtype=str, keep_default_na=False)
    body = frame.to_csv(sep="\t", index=False, lineterminator="\r\n", quoting=3)
    text = "Campaign performance report\r\nMarch 1, 2025 - March 3, 2025\r\n" + body
    return text.encode(encoding)


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


# --------------------------------------------------------------------------- platform exports


def test_meta_export_with_bom_currency_suffix_summary_row_and_blank_cells() -> None:
    assert META.read_bytes().startswith(b"\xef\xbb\xbf")
    result = ingest(META)
    assert result.kind == "campaigns"
    assert result.rows_read == 4 and result.rows_kept == 3
    assert result.dropped == {"summary row": 1}
    assert result.platforms == ["Meta"]
    assert result.mapping["Amount spent (USD)"] == "spend"
    assert result.mapping["Reporting starts"] == "date"
    assert result.mapping["Link clicks"] == "clicks"
    assert result.mapping["Purchases"] == "conversions"
    assert result.mapping["Purchases conversion value"] == "revenue"
    assert result.mapping["Impression device"] == "device"
    # Ratio columns are not measures: we recompute them from sums.
    assert result.mapping["Purchase ROAS (return on ad spend)"] == IGNORED
    assert result.mapping["CTR (link click-through rate)"] == IGNORED
    assert result.mapping["Reporting ends"] == IGNORED
    assert "roas" not in result.frame.columns
    # The summary row equals the sum of the others, so totals prove it was not counted twice.
    assert campaign_totals(result.frame) == pytest.approx(
        {"spend": 1750.5, "impressions": 160000, "clicks": 2400, "conversions": 45, "revenue": 5400}
    )
    last = result.frame.iloc[-1]
    assert (last["conversions"], last["revenue"]) == (0.0, 0.0)  # blank cells mean zero
    assert list(result.frame["device"].astype(str)) == ["Mobile", "Desktop", "Mobile"]
    assert result.frame["reach"].sum() == 90000
    assert "results" in result.frame.columns  # Results lost to Purchases but is kept, not dropped
    assert result.estimated == [] and result.uncertain == []


def test_tiktok_export_maps_and_infers_platform() -> None:
    result = ingest(TIKTOK)
    assert result.platforms == ["TikTok"]
    assert result.mapping["By Day"] == "date"
    assert result.mapping["Ad group name"] == "ad_set"
    assert result.mapping["Clicks (destination)"] == "clicks"
    assert result.mapping["Total complete payment value"] == "revenue"
    assert result.mapping["CTR (destination)"] == IGNORED  # percent-sign ratio column
    assert result.dropped == {"clicks > impressions": 1}
    assert campaign_totals(result.frame) == pytest.approx(
        {"spend": 1250.5, "impressions": 500000, "clicks": 6000, "conversions": 142, "revenue": 5680}
    )
    assert result.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-04-01", "2025-04-02"]


def test_google_ads_export_with_title_lines_quoted_thousands_and_total_rows() -> None:
    result = ingest(GOOGLE)
    assert result.platforms == ["Google Ads"]
    assert result.rows_read == 5 and result.rows_kept == 3
    assert result.dropped == {"summary row": 2}
    assert result.mapping["Impr."] == "impressions"
    assert result.mapping["Conv. value"] == "revenue"
    assert result.mapping["Cost / conv."] == IGNORED
    assert result.mapping["Avg. CPC"] == IGNORED
    assert campaign_totals(result.frame) == pytest.approx(GOOGLE_TOTALS)
    assert list(result.frame["device"].astype(str)) == ["Desktop", "Mobile", "Tablet"]
    assert result.frame["spend"].tolist() == [1234.56, 500.0, 100.0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_google_ads_utf16_tab_separated_variant(encoding: str) -> None:
    raw = google_tsv(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw  # big-endian with its byte-order mark
    result = ingest(raw, name="report.csv")
    assert result.dropped == {"summary row": 2}
    assert campaign_totals(result.frame) == pytest.approx(GOOGLE_TOTALS)
    assert result.platforms == ["Google Ads"]


def test_semicolon_file_with_decimal_comma_day_first_dates_and_currency_symbols() -> None:
    text = (
        "Date;Campaign;Spend (EUR);Impressions;Clicks;Conversions;Revenue\n"
        "13.03.2025;Frühling;1.234,56;10.000;250;10;2.500,00\n"
        "14.03.2025;Frühling;€ 99,5;2.000;40;1;49,90\n"
    )
    for encoding in ("utf-8", "cp1252"):
        result = ingest(csv_bytes(text, encoding), name="export.csv")
        assert campaign_totals(result.frame) == pytest.approx(
            {"spend": 1334.06, "impressions": 12000, "clicks": 290, "conversions": 11, "revenue": 2549.9}
        )
        assert result.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-13", "2025-03-14"]
        assert result.frame["campaign"].astype(str).tolist() == ["Frühling", "Frühling"]


def test_decimal_comma_with_only_thousands_values_in_a_semicolon_file() -> None:
    text = "Date;Campaign;Cost;Impressions\n2025-01-01;A;1.500;12.000\n2025-01-02;A;2.000;3.000\n"
    result = ingest(csv_bytes(text))
    assert campaign_totals(result.frame)["spend"] == 3500.0
    assert campaign_totals(result.frame)["impressions"] == 15000.0


def test_tab_and_comma_delimiters_give_the_same_table() -> None:
    comma = "date,campaign,spend,impressions,clicks\n2025-01-01,A,10.5,1000,10\n2025-01-02,B,4,500,5\n"
    tab = comma.replace(",", "\t")
    left, right = ingest(csv_bytes(comma)).frame, ingest(csv_bytes(tab)).frame
    pd.testing.assert_frame_equal(left, right)


def test_percent_signs_in_a_kept_column_become_fractions() -> None:
    text = "date,campaign,spend,impressions,Viewability\n2025-01-01,A,10,1000,85%\n2025-01-02,A,10,1000,40.5%\n"
    result = ingest(csv_bytes(text))
    assert result.frame["viewability"].tolist() == pytest.approx([0.85, 0.405])


def test_platform_column_values_are_normalised_and_blank_falls_back_to_inferred() -> None:
    text = (
        "date,platform,campaign,spend,impressions\n"
        "2025-01-01,facebook,A,1,100\n"
        "2025-01-01,TIKTOK,B,1,100\n"
        "2025-01-01,google ads,C,1,100\n"
        "2025-01-01,Snapchat,D,1,100\n"
    )
    result = ingest(csv_bytes(text))
    assert result.platforms == ["Google Ads", "Meta", "Snapchat", "TikTok"]


def test_platform_from_file_name_when_headers_are_generic() -> None:
    text = "date,campaign,spend,impressions\n2025-01-01,A,1,100\n"
    assert ingest(csv_bytes(text), name="tiktok_march.csv").platforms == ["TikTok"]
    assert ingest(csv_bytes(text), name="export.csv").platforms == ["(none)"]


def test_trailing_delimiters_do_not_shift_columns() -> None:
    for header in ("date,campaign,spend,impressions,", "date,campaign,spend,impressions"):
        text = header + "\n2025-01-01,A,10,1000,\n2025-01-02,B,5,500,\n"
        result = ingest(csv_bytes(text))
        assert result.frame["campaign"].astype(str).tolist() == ["A", "B"]
        assert campaign_totals(result.frame)["spend"] == 15.0


def test_campaign_called_na_is_a_name_not_a_missing_value() -> None:
    text = "date,campaign,spend,impressions\n2025-01-01,NA,10,1000\n"
    assert ingest(csv_bytes(text)).frame["campaign"].astype(str).tolist() == ["NA"]


# --------------------------------------------------------------------------- dropped rows


def test_bad_rows_are_dropped_and_counted_by_reason() -> None:
    text = (
        "date,campaign,spend,impressions,clicks,conversions,revenue\n"
        "2025-01-01,ok,10,1000,10,1,20\n"
        "not a date,bad date,10,1000,10,1,20\n"
        ",missing date,10,1000,10,1,20\n"
        "2025-01-02,bad number,ten,1000,10,1,20\n"
        "2025-01-02,negative spend,-5,1000,10,1,20\n"
        "2025-01-02,refund,5,1000,10,1,(20.00)\n"
        "2025-01-02,negative clicks,5,1000,-1,0,0\n"
        "2025-01-02,impossible,5,100,200,1,20\n"
        "2025-01-03,view-through,5,1000,2,5,100\n"
        ",,,,,,\n"
    )
    result = ingest(csv_bytes(text))
    assert result.dropped == {
        "empty row": 1,
        "unparseable date": 1,
        "missing date": 1,
        "unparseable number": 1,
        "negative money": 2,
        "negative number": 1,
        "clicks > impressions": 1,
    }
    assert result.rows_read == 10
    assert result.rows_kept + sum(result.dropped.values()) == result.rows_read
    # conversions > clicks is a view-through conversion, not an error.
    assert result.frame["campaign"].astype(str).tolist() == ["ok", "view-through"]


def test_each_row_is_counted_once_under_the_first_reason() -> None:
    text = "date,campaign,spend,impressions,clicks\nbad,A,-1,10,20\n2025-01-01,B,1,10,1\n"
    assert ingest(csv_bytes(text)).dropped == {"unparseable date": 1}


def test_result_frame_passes_the_canonical_schema() -> None:
    frame = ingest(GOOGLE).frame
    CAMPAIGNS.validate(frame.astype({"platform": str, "campaign": str}), lazy=True)
    assert str(frame["date"].dtype) == "datetime64[ns]"
    for column in ("date", "platform", "campaign", "ad_set", "device"):
        assert column in frame.columns
    assert frame["ad_set"].astype(str).unique().tolist() == ["(none)"]


# --------------------------------------------------------------------------- estimation and assumptions


def test_missing_revenue_is_estimated_from_conversions_and_stated_aov() -> None:
    text = "date,campaign,spend,impressions,clicks,conversions\n2025-01-01,A,10,1000,10,4\n"
    default = ingest(csv_bytes(text))
    assert default.estimated == ["revenue"]
    assert default.assumptions == {"average_order_value": 50.0}
    assert default.frame["revenue"].tolist() == [200.0]
    custom = ingest(csv_bytes(text), assumptions={"average_order_value": 12.5})
    assert custom.frame["revenue"].tolist() == [50.0]
    assert custom.assumptions == {"average_order_value": 12.5}


def test_missing_spend_is_estimated_from_impressions_and_cpm() -> None:
    text = "date,campaign,impressions,clicks\n2025-01-01,A,20000,10\n"
    result = ingest(csv_bytes(text), assumptions={"cpm": 7.0})
    assert "spend" in result.estimated
    assert result.frame["spend"].tolist() == [140.0]
    assert result.assumptions == {"cpm": 7.0}


def test_undated_file_gets_the_stated_report_date() -> None:
    text = "campaign,spend,impressions,revenue\nA,10,1000,30\n"
    result = ingest(csv_bytes(text), assumptions={"report_date": 20240315})
    assert result.estimated == ["date"]
    assert result.assumptions == {"report_date": 20240315.0}
    assert result.frame["date"].tolist() == [pd.Timestamp("2024-03-15")]


@pytest.mark.parametrize(
    ("assumptions", "message"),
    [
        ({"aov": 10.0}, "Unknown assumption 'aov'"),
        ({"average_order_value": -1.0}, "non-negative"),
        ({"report_date": 20241399.0}, "YYYYMMDD"),
    ],
)
def test_bad_assumptions_are_rejected(assumptions: dict[str, float], message: str) -> None:
    text = "campaign,spend,impressions,conversions\nA,10,1000,1\n"
    with pytest.raises(IngestError, match=message):
        ingest(csv_bytes(text), assumptions=assumptions)


# --------------------------------------------------------------------------- header mapping


def test_header_normalisation() -> None:
    normalize = headers.normalize_header
    assert normalize("Amount spent (USD)") == "amount spent"
    assert normalize("Amount spent (EUR)") == normalize("amount SPENT (GBP)")
    assert normalize("Impr.") == "impr"
    assert normalize("Total_Conversion") == "total conversion"
    assert normalize("\ufeffReporting starts") == "reporting starts"
    assert normalize("Clicks (all)") == "clicks all"  # "(all)" is not a currency


def test_fuzzy_matches_are_flagged_uncertain() -> None:
    text = "Date,Campaign,Amount spend,Impresions,Unique link clicks\n2025-01-01,A,10,1000,5\n"
    result = ingest(csv_bytes(text))
    assert result.mapping["Impresions"] == "impressions"
    assert result.mapping["Unique link clicks"] == "clicks"
    assert result.mapping["Amount spend"] == "spend"
    assert sorted(result.uncertain) == ["Amount spend", "Impresions", "Unique link clicks"]


def test_similar_words_are_not_guessed() -> None:
    mapping, uncertain = headers.map_headers(["total_likes", "channel_info", "spend"], "campaigns")
    assert mapping["total_likes"] == "total_likes"
    assert mapping["channel_info"] == "channel_info"
    assert uncertain == []


def test_mapping_overrides_win_and_can_ignore_columns() -> None:
    result = ingest(META, mapping_overrides={"Results": "conversions", "Reach": ""})
    assert result.mapping["Results"] == "conversions"
    assert result.mapping["Purchases"] == "purchases"  # demoted to a kept extra column
    assert result.mapping["Reach"] == IGNORED
    assert "reach" not in result.frame.columns


def test_mapping_override_for_a_column_not_in_the_file() -> None:
    with pytest.raises(IngestError, match="not in this file: 'Spend'"):
        ingest(META, mapping_overrides={"Spend": "spend"})


# --------------------------------------------------------------------------- real and peer data


def test_real_facebook_ad_data_totals(shared_data: Path) -> None:
    result = ingest(shared_data / "real" / "kag_conversion_data.csv")
    assert result.kind == "campaigns"
    assert result.rows_read == result.rows_kept == 1143
    assert result.dropped == {}
    assert result.platforms == ["Meta"]
    totals = campaign_totals(result.frame)
    assert totals["impressions"] == 213_434_828
    assert totals["clicks"] == 38_165
    assert totals["spend"] == pytest.approx(58_705.23, abs=0.01)
    assert totals["conversions"] == 3_264
    assert result.mapping["Total_Conversion"] == "conversions"
    assert result.frame["approved_conversion"].sum() == 1_079
    assert {"age", "gender", "interest", "ad_id"} <= set(result.frame.columns)  # kept as dimensions
    assert sorted(result.estimated) == ["date", "revenue"]
    assert set(result.assumptions) == {"report_date", "average_order_value"}
    assert result.frame["date"].notna().all()
    assert sorted(result.frame["campaign"].astype(str).unique()) == ["1178", "916", "936"]
    assert (result.frame["conversions"] > result.frame["clicks"]).sum() == 218  # view-through rows kept


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("peers/campaign-perf/meta_ads.csv", "campaigns"),
        ("peers/campaign-perf/tiktok_ads.csv", "campaigns"),
        ("peers/influencer-roi/influencers.csv", "influencers"),
        ("peers/influencer-roi/posts.csv", "posts"),
        ("peers/influencer-roi/tracking_data.csv", "tracking"),
        ("peers/influencer-roi/payouts.csv", "payouts"),
        ("peers/social-pred/campaign_data.csv", "campaigns"),
    ],
)
def test_peer_tables_are_recognised_by_kind(shared_data: Path, relative: str, kind: str) -> None:
    path = shared_data / relative
    result = ingest(path)
    assert result.kind == kind
    assert result.rows_read == len(pd.read_csv(path))
    assert result.rows_kept + sum(result.dropped.values()) == result.rows_read


def test_peer_campaign_files_drop_their_impossible_rows(shared_data: Path) -> None:
    meta = ingest(shared_data / "peers" / "campaign-perf" / "meta_ads.csv")
    tiktok = ingest(shared_data / "peers" / "campaign-perf" / "tiktok_ads.csv")
    assert (meta.dropped, tiktok.dropped) == ({"clicks > impressions": 1}, {"clicks > impressions": 6})
    assert meta.platforms == ["Meta"] and tiktok.platforms == ["TikTok"]


def test_social_prediction_file_without_dates(shared_data: Path) -> None:
    path = shared_data / "peers" / "social-pred" / "campaign_data.csv"
    result = ingest(path)
    raw = pd.read_csv(path)
    assert result.estimated == ["date"]
    assert result.mapping["total_spend"] == "spend"
    assert result.mapping["Engagement"] == "engagement"
    assert result.platforms == ["Instagram", "Meta", "TikTok"]
    assert result.frame["spend"].sum() == pytest.approx(raw["total_spend"].sum())
    assert result.frame["engagement"].sum() == raw["Engagement"].sum()
    assert set(result.frame["campaign_type"].astype(str)) == set(raw["campaign_type"])
    assert result.frame["device"].astype(str).unique().tolist() == ["All"]


def test_generated_demo_campaigns_round_trip(demo_dir: Path) -> None:
    path = demo_dir / "campaigns.csv"
    result = ingest(path)
    raw = pd.read_csv(path)
    assert result.rows_kept == len(raw) and result.dropped == {}
    assert result.uncertain == [] and result.estimated == []
    for measure in ("spend", "impressions", "reach", "clicks", "conversions", "revenue", "engagement"):
        assert result.frame[measure].sum() == pytest.approx(raw[measure].sum())


def test_parquet_output_ingests_again(tmp_path: Path) -> None:
    first = ingest(GOOGLE)
    out = tmp_path / "google.parquet"
    first.frame.to_parquet(out)
    again = ingest(out)
    assert again.rows_kept == first.rows_kept
    assert campaign_totals(again.frame) == pytest.approx(GOOGLE_TOTALS)
    assert again.platforms == ["Google Ads"]


# --------------------------------------------------------------------------- influencer tables


@pytest.fixture(scope="module")
def influencer_frames() -> dict[str, pd.DataFrame]:
    tables = data_generation.influencer_tables(7, n_influencers=8, users_per_influencer=40)
    return {kind: tables[key] for kind, key in (("influencers", "influencers"), ("posts", "posts"))} | {
        "tracking": tables["tracking_data"],
        "payouts": tables["payouts"],
    }


@pytest.mark.parametrize("kind", ["influencers", "posts", "tracking", "payouts"])
def test_generated_influencer_tables_ingest_unchanged(influencer_frames: dict[str, pd.DataFrame], kind: str) -> None:
    frame = influencer_frames[kind]
    result = ingest(frame.to_csv(index=False).encode())
    assert result.kind == kind
    assert result.rows_kept == len(frame) and result.dropped == {}
    numeric = frame.select_dtypes("number").columns
    for column in numeric:
        assert result.frame[column].sum() == pytest.approx(frame[column].sum())


def test_tracking_groups_from_words_and_bad_groups_dropped() -> None:
    text = (
        "source,campaign,influencer_id,user_id,product,date,orders,revenue,group\n"
        "Instagram,C1,1,10,P,2025-09-01,1,20.5,exposed\n"
        "Instagram,C1,1,11,P,2025-09-01,0,0,control\n"
        "Instagram,C1,1,12,P,2025-09-01,0,0,2\n"
        "Instagram,C1,,13,P,2025-09-01,0,0,1\n"
    )
    result = ingest(csv_bytes(text))
    assert result.kind == "tracking"
    assert result.frame["group"].tolist() == [1, 0]
    assert result.dropped == {"group not 0 or 1": 1, "missing id": 1}


def test_influencer_vocabulary_and_duplicate_ids() -> None:
    text = (
        "id,name,platform,category,gender,influencer_type,follower_count\n"
        '1,A,Instagram,Fitness,Female,micro,"12,000"\n'
        "1,B,Instagram,Fitness,Female,Micro,5000\n"
        "2,C,TikTok,Food,Male,Giant,5000\n"
        "3,D,TikTok,Food,Male,Nano,3.3k\n"
    )
    result = ingest(csv_bytes(text))
    assert result.kind == "influencers"
    assert result.dropped == {"duplicate id": 1, "unknown influencer type": 1}
    assert result.frame["influencer_type"].tolist() == ["Micro", "Nano"]
    assert result.frame["follower_count"].tolist() == [12000, 3300]


def test_payouts_with_unknown_basis() -> None:
    text = "influencer_id,basis,rate,orders,total_payout\n1,order,10,3,30\n2,per click,1,0,0\n"
    result = ingest(csv_bytes(text))
    assert result.kind == "payouts" and result.dropped == {"unknown payout basis": 1}


def test_influencer_table_missing_a_required_column() -> None:
    text = "influencer_id,platform,date,reach,likes\n1,Instagram,2025-09-01,100,5\n"
    with pytest.raises(IngestError, match="posts table but it has no comments column"):
        ingest(csv_bytes(text))


# --------------------------------------------------------------------------- unusable files


def _zip(name: str, payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, payload)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "This file is empty."),
        (b"  \n\n", "This file is empty."),
        (b"Day,Campaign,Cost,Impr.\n", "This file has a header row but no data rows."),
        (b"Day,Campaign,Cost,Impr.\n2025-01-01,A,-5,100\n", r"No usable rows: all 1 rows were dropped \(negative"),
        (bytes(range(256)) * 8, "This file is binary, not a CSV text export."),
        (b"<!DOCTYPE html><html><body>Sign in</body></html>", "HTML web page"),
        (b'{"data": []}', "JSON, not CSV"),
        (_zip("report.csv", b"a,b\n1,2\n"), "This file is a ZIP archive; unzip it and upload the CSV inside."),
        (_zip("[Content_Types].xml", b"<Types/>"), "Excel workbook"),
        (gzip.compress(b"a,b\n1,2\n", mtime=0), "gzip-compressed"),
        (b"%PDF-1.7 binary", "PDF document"),
        (b"name,colour\nA,red\n", "No recognisable measure columns"),
        (b'Day,Campaign,Cost\n2025-01-01,"Spring,10\n2025-01-02,B,5\n', "broken quoting"),
        (b"Day,Campaign,Cost\n2025-01-01,A,1\n2025-01-02,B,1,2,3\n", "Line 3 has 5 fields but the header has 3"),
    ],
)
def test_unusable_files_raise_one_clear_sentence(raw: bytes, message: str) -> None:
    with pytest.raises(IngestError, match=message) as info:
        ingest(raw, name="upload.csv")
    text = str(info.value)
    assert "\n" not in text and text.endswith(".")
    assert "Traceback" not in text


def test_field_count_error_names_the_line_in_the_file_below_title_lines() -> None:
    raw = GOOGLE.read_bytes().replace(b"5.49%,1.82,102.88", b"5.49%,1.82,102.88,extra", 1)
    with pytest.raises(IngestError, match="Line 4 has 12 fields"):
        ingest(raw)


def test_missing_path_and_unknown_kind() -> None:
    with pytest.raises(IngestError, match="File not found"):
        ingest("/no/such/file.csv")
    with pytest.raises(IngestError, match="Unknown table kind"):
        ingest(META, kind="orders")


def test_forced_kind_overrides_detection() -> None:
    text = b"influencer_id,basis,rate,orders,total_payout\n1,order,10,3,30\n"
    result = ingest(text, kind="campaigns")
    assert result.kind == "campaigns" and result.mapping["orders"] == "conversions"


# --------------------------------------------------------------------------- cell parsers


def test_parse_numbers_handles_export_cells() -> None:
    cells = pd.Series(
        ["1,234", "$1,234.50", "12%", "(12.50)", "", None, "--", "abc", "1.5k", "€ 3", "2.5E3", "USD 7", "inf"]
    )
    values, bad = parse_numbers(cells)
    # "--" is an explicit "no value": missing (NaN), not zero and not junk. An empty cell is zero.
    expected = [1234, 1234.5, 0.12, -12.5, 0, 0, np.nan, np.nan, 1500, 3, 2500, 7, np.nan]
    np.testing.assert_allclose(values.to_numpy(), expected)
    assert bad.tolist() == [False] * 7 + [True] + [False] * 4 + [True]


@pytest.mark.parametrize("token", ["n/a", "N/A", "-", "null", "NULL", " none ", "—", "nan"])
def test_parse_numbers_missing_tokens_are_missing_not_zero_nor_junk(token: str) -> None:
    values, bad = parse_numbers(pd.Series(["12", token, ""]))
    assert values.iloc[0] == 12 and np.isnan(values.iloc[1]) and values.iloc[2] == 0
    assert not bad.any()


MISSING_HEADER = "date,platform,campaign,device,spend,impressions,clicks,conversions,revenue"


def test_missing_cells_stay_missing_and_totals_skip_them() -> None:
    text = "\n".join(
        [
            MISSING_HEADER,
            "2025-01-01,Meta,A,Mobile,100,1000,10,1,n/a",  # revenue unknown
            "2025-01-02,Meta,A,Mobile,50,N/A,5,,80",  # impressions unknown; blank conversions mean 0
            "2025-01-03,Meta,A,Mobile,-,500,null,2,40",  # spend and clicks unknown
        ]
    )
    result = ingest(text.encode(), name="missing.csv")
    frame = result.frame
    assert result.rows_kept == 3 and result.dropped == {}
    assert result.missing == {"spend": 1, "impressions": 1, "clicks": 1, "revenue": 1}
    assert np.isnan(frame.loc[0, "revenue"]) and np.isnan(frame.loc[1, "impressions"])
    assert frame.loc[1, "conversions"] == 0.0  # an empty cell is still zero (Meta's convention)
    # Totals are sums over the known cells; a ratio divides those sums, so no KPI is inf or 0 for an unknown.
    assert campaign_totals(frame) == pytest.approx(
        {"spend": 150.0, "impressions": 1500.0, "clicks": 15.0, "conversions": 3.0, "revenue": 120.0}
    )
    totals = kpis.kpi_totals(frame)
    assert totals["ctr"] == pytest.approx(15 / 1500) and totals["roas"] == pytest.approx(120 / 150)


def test_a_measure_column_with_every_cell_missing_totals_unknown_not_zero() -> None:
    text = "\n".join([MISSING_HEADER, "2025-01-01,Meta,A,Mobile,10,100,1,0,n/a", "2025-01-02,Meta,A,Mobile,5,50,1,0,-"])
    result = ingest(text.encode(), name="no_revenue.csv")
    assert np.isnan(campaign_totals(result.frame)["revenue"]) and campaign_totals(result.frame)["spend"] == 15


@pytest.mark.parametrize(
    "rows",
    [
        ["2025-01-01,Meta,A,Mobile,n/a,n/a,n/a,n/a,n/a"],  # loaded as one row of zeros before
        ["2025-01-01,Meta,A,Mobile,lots,n/a,n/a,n/a,n/a", "2025-01-02,Meta,A,Mobile,N/A,-,null,none,--"],
    ],
)
def test_a_file_without_a_number_in_any_measure_is_refused(rows: list[str]) -> None:
    with pytest.raises(IngestError) as refused:
        ingest("\n".join([MISSING_HEADER, *rows]).encode(), name="nothing.csv")
    message = str(refused.value)
    assert "\n" not in message and message.endswith(".")
    assert "no row has a usable number" in message.lower() or "unparseable number" in message


def test_influencer_number_left_missing_drops_the_row() -> None:
    text = "influencer_id,basis,rate,orders,total_payout\n1,post,10,0,10\n2,order,n/a,5,25\n"
    result = ingest(text.encode(), name="payouts.csv")
    assert result.rows_kept == 1 and result.dropped == {"missing number": 1}


def test_parse_numbers_decimal_comma() -> None:
    values, bad = parse_numbers(pd.Series(["1.234,56", "12,5", "1.000", "7"]), decimal_comma=True)
    np.testing.assert_allclose(values.to_numpy(), [1234.56, 12.5, 1000, 7])
    assert not bad.any()


def test_parse_numbers_keeps_numeric_columns_and_zero_fills_blanks() -> None:
    values, bad = parse_numbers(pd.Series([1.0, np.nan, 3.0]))
    assert values.tolist() == [1.0, 0.0, 3.0] and not bad.any()


def test_parse_dates_layouts() -> None:
    values, blank, bad = parse_dates(pd.Series(["2025-01-31", "31/01/2025", "", "soon", "2025-01-31"]))
    assert values[0] == values[1] == values[4] == pd.Timestamp("2025-01-31")
    assert blank.tolist() == [False, False, True, False, False]
    assert bad.tolist() == [False, False, False, True, False]
    us, _, _ = parse_dates(pd.Series(["01/02/2025", "12/31/2025"]))
    assert us.tolist() == [pd.Timestamp("2025-01-02"), pd.Timestamp("2025-12-31")]


def test_decimal_comma_vote() -> None:
    vote = reading._detect_decimal_comma
    assert vote(["12,5", "1.234,56"], ",") is True
    assert vote(["12.50", "1,234.5"], ";") is False
    assert vote(["1.234"], ";") is True  # ambiguous: European semicolon file
    assert vote(["1,234"], ",") is False


def test_find_header_skips_title_lines() -> None:
    lines = GOOGLE.read_bytes().decode().split("\r\n")
    assert reading.find_header(lines) == (2, ",")
    assert reading.find_header(["a;b;c", "1;2;3"]) == (0, ";")
