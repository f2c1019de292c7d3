"""Property-based tests (hypothesis) of ingestion: a random well-formed canonical CSV round-trips its totals,
and no input whatsoever raises anything but IngestError.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.inputs.ingest.errors import IngestError
from pipeline.inputs.ingest.load import campaign_totals, ingest
from pipeline.inputs.ingest.vocabulary import CAMPAIGN_SYNONYMS
from pipeline.schemas import DEVICES, PLATFORMS

# database=None: no .hypothesis/ folder in the checkout; failures print their input instead.
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
MEASURES = ("spend", "impressions", "clicks", "conversions", "revenue")

campaign_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", max_size=20)


@st.composite
def canonical_csvs(draw: st.DrawFn) -> tuple[bytes, pd.DataFrame]:
    """A well-formed canonical campaign CSV and the numbers written into it (2 decimals, clicks <= impressions)."""
    rows = draw(st.integers(min_value=1, max_value=25))
    cents = st.integers(min_value=0, max_value=10**9)
    records = []
    for _ in range(rows):
        impressions = draw(st.integers(min_value=0, max_value=10**8))
        clicks = draw(st.integers(min_value=0, max_value=impressions))
        records.append(
            {
                "date": pd.Timestamp("2024-01-01") + pd.Timedelta(days=draw(st.integers(0, 700))),
                "platform": draw(st.sampled_from(PLATFORMS)),
                "campaign": "Campaign " + draw(campaign_name),
                "device": draw(st.sampled_from(DEVICES)),
                "spend": draw(cents) / 100,
                "impressions": impressions,
                "clicks": clicks,
                "conversions": draw(st.integers(min_value=0, max_value=10**6)),
                "revenue": draw(cents) / 100,
            }
        )
    frame = pd.DataFrame(records)
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    text = frame.to_csv(index=False, sep=delimiter, float_format="%.2f", date_format="%Y-%m-%d")
    return text.encode("utf-8"), frame


@SETTINGS
@given(canonical_csvs())
def test_ingest_round_trips_a_canonical_csv(case: tuple[bytes, pd.DataFrame]) -> None:
    content, frame = case
    result = ingest(content, name="upload.csv")
    assert result.kind == "campaigns"
    assert result.rows_read == result.rows_kept == len(frame) and result.dropped == {}
    totals = campaign_totals(result.frame)
    for measure in MEASURES:
        assert totals[measure] == pytest.approx(float(frame[measure].sum()), rel=1e-12, abs=1e-6)
    assert sorted(result.frame["platform"].astype(str)) == sorted(frame["platform"])


def _ingest_or_refuse(content: bytes, name: str) -> None:
    """Anything but an IngestError escaping ingest() fails the test (hypothesis shows the input)."""
    try:
        result = ingest(content, name=name)
    except IngestError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert result.rows_kept == len(result.frame) > 0


file_names = st.sampled_from(["upload.csv", "meta.csv", "google.xlsx", "x.tsv", ""])


@SETTINGS
@given(st.binary(max_size=3000), file_names)
def test_ingest_of_random_bytes_raises_only_ingest_error(content: bytes, name: str) -> None:
    _ingest_or_refuse(content, name)


@SETTINGS
@given(st.text(max_size=2000), st.sampled_from(["utf-8", "utf-16", "cp1252"]), file_names)
def test_ingest_of_random_text_raises_only_ingest_error(text: str, encoding: str, name: str) -> None:
    _ingest_or_refuse(text.encode(encoding, errors="replace"), name)


KNOWN_HEADERS = sorted({name for names in CAMPAIGN_SYNONYMS.values() for name in names})
cell = st.one_of(
    st.sampled_from(["", "0", "-1", "1e308", "inf", "NaN", "(3.5)", "1,234.5", "1.234,5", "12%", "3.3k", "—"]),
    st.sampled_from(["2025-01-01", "31/12/2025", "Jan 2 2025", "0001-01-01", "9999-12-31", "Total: x", '"']),
    st.text(max_size=8),
)


@st.composite
def csv_like(draw: st.DrawFn) -> bytes:
    """Text that looks enough like an export to get past the sniffing and into the parsers."""
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.lists(st.sampled_from(KNOWN_HEADERS), min_size=1, max_size=8))
    width = len(header)
    rows = draw(st.lists(st.lists(cell, min_size=max(0, width - 2), max_size=width + 2), max_size=12))
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return draw(st.sampled_from(["\n", "\r\n"])).join(lines).encode("utf-8")


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_like())
def test_ingest_of_export_like_junk_raises_only_ingest_error(content: bytes) -> None:
    _ingest_or_refuse(content, "upload.csv")
