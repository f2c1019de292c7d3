"""pipeline.scale.backends on DuckDB: settings, the campaign sums against the pandas engine, and the tracking sums
against a pandas computation of the same per-user figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pipeline import config
from pipeline.filters import CampaignFilter
from pipeline.influencers import tracking as inc_tracking
from pipeline.inputs.demo import tidy_campaigns
from pipeline.scale import backends, campaign_sums, tracking_sums

DAY = pd.Timestamp("2025-03-14")
SPECS = {
    "everything": CampaignFilter(),
    "two platforms, one month": CampaignFilter(
        start=pd.Timestamp("2025-02-01"), end=pd.Timestamp("2025-02-28"), platforms=("Meta", "TikTok")
    ),
    "a single day": CampaignFilter(start=DAY, end=DAY),
    "devices and content": CampaignFilter(devices=("Mobile",), content_types=("Video", "UGC")),
    "missing devices only": CampaignFilter(devices=(config.MISSING_LABEL,)),
    "nothing selected": CampaignFilter(platforms=()),
    "a value that looks like SQL": CampaignFilter(platforms=("Meta') OR ('1'='1",)),
}
GROUPINGS = [[], ["platform"], ["device", "content_type"], ["date"], ["platform", "campaign", "device", "date"]]


def pandas_sums(path: Path, spec: CampaignFilter, by: list[str]) -> pd.DataFrame:
    return campaign_sums.frame_sums(tidy_campaigns(pd.read_csv(path)), spec, by)


@pytest.fixture(scope="module")
def gaps_frame(scale_dir: Path) -> pd.DataFrame:
    """campaigns_gaps.csv as the app reads a campaign table (missing dimension values become "(none)")."""
    return tidy_campaigns(pd.read_csv(scale_dir / "campaigns_gaps.csv"))


@pytest.fixture(scope="module")
def gaps_table(duckdb_con: Any, scale_dir: Path) -> Any:
    return duckdb_con.read_parquet(str(scale_dir / "campaigns_gaps.parquet"))


@pytest.fixture(scope="module")
def gaps_csv_table(duckdb_con: Any, scale_dir: Path) -> Any:
    settings = config.BackendSettings(kind="duckdb", campaigns=str(scale_dir / "campaigns_gaps.csv"))
    return backends.campaign_table(duckdb_con, settings)


@pytest.mark.parametrize("name", list(SPECS))
@pytest.mark.parametrize("by", GROUPINGS, ids=lambda by: "+".join(by) or "totals")
def test_duckdb_sums_equal_the_pandas_engine_with_missing_values(
    gaps_table: Any, gaps_frame: pd.DataFrame, name: str, by: list[str]
) -> None:
    got = campaign_sums.campaign_sums(gaps_table, SPECS[name], by)
    expected = campaign_sums.frame_sums(gaps_frame, SPECS[name], by)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9)


def test_the_edge_selections_select_what_they_say(gaps_csv_table: Any) -> None:
    table = gaps_csv_table
    nothing = campaign_sums.campaign_sums(table, SPECS["nothing selected"])
    assert nothing["rows"].tolist() == [0] and (nothing.drop(columns="rows") == 0).all(axis=None)
    assert campaign_sums.campaign_sums(table, SPECS["nothing selected"], ["platform"]).empty
    one_day = campaign_sums.campaign_sums(table, SPECS["a single day"], ["date"])
    assert one_day["date"].tolist() == [DAY] and one_day["rows"].iloc[0] > 0
    missing = campaign_sums.campaign_sums(table, SPECS["missing devices only"], ["device"])
    assert missing["device"].tolist() == [config.MISSING_LABEL]
    assert missing["rows"].iloc[0] == len(range(0, 20_000, 7))
    assert campaign_sums.campaign_sums(table, SPECS["a value that looks like SQL"])["rows"].tolist() == [0]


@pytest.mark.parametrize("by", [[], ["platform", "device"], ["platform", "campaign", "device", "date"]])
def test_parquet_and_folder_locations_give_the_same_sums(duckdb_con: Any, scale_dir: Path, by: list[str]) -> None:
    spec = SPECS["two platforms, one month"]
    settings = config.BackendSettings(kind="duckdb", campaigns=str(scale_dir))  # finds campaigns.parquet
    from_folder = campaign_sums.campaign_sums(backends.campaign_table(duckdb_con, settings), spec, by)
    expected = pandas_sums(scale_dir / "campaigns.csv", spec, by)
    pd.testing.assert_frame_equal(from_folder, expected, check_exact=False, rtol=1e-9)
    assert from_folder["rows"].sum() > 0


def test_campaign_sums_reject_unknown_and_absent_columns(duckdb_con: Any, scale_dir: Path) -> None:
    table = duckdb_con.read_csv(str(scale_dir / "campaigns.csv"))
    with pytest.raises(campaign_sums.GroupingError, match="Cannot group by colour"):
        campaign_sums.campaign_sums(table, by=["colour"])
    with pytest.raises(campaign_sums.GroupingError, match="no ad_set column"):
        campaign_sums.campaign_sums(table.drop("ad_set"), by=["ad_set"])


# ---------------------------------------------------------------- tracking sums


def expected_tracking_sums(tracking: pd.DataFrame, by: tuple[str, ...], buckets: int) -> pd.DataFrame:
    """The same figures in pandas: incrementality's contamination and per-user revenue, then numpy buckets."""
    both = inc_tracking.contaminated_user_ids(tracking)
    users = inc_tracking.user_revenue(tracking[~tracking["user_id"].isin(both)], by)
    users = users.assign(bucket=tracking_sums.bucket_numbers(users["user_id"].to_numpy(), buckets))
    users = users.assign(revenue_sq=users["revenue"] ** 2, users=1)
    out = users.groupby([*by, "group", "bucket"], as_index=False)[["users", "revenue", "revenue_sq"]].sum()
    return out.astype({"group": "int64", "bucket": "int64", "users": "int64"}).reset_index(drop=True)


@pytest.fixture(scope="module")
def tracking(scale_dir: Path) -> pd.DataFrame:
    return pd.read_csv(scale_dir / config.TRACKING_FILE)


@pytest.mark.parametrize(
    ("by", "buckets"), [((), 1), ((), tracking_sums.DEFAULT_BUCKETS), (("influencer_id",), 64), (("product",), 1024)]
)
def test_tracking_sums_equal_a_pandas_computation(
    duckdb_con: Any, scale_dir: Path, tracking: pd.DataFrame, by: tuple[str, ...], buckets: int
) -> None:
    got = tracking_sums.tracking_sums(duckdb_con.read_parquet(str(scale_dir / "tracking_data.parquet")), by, buckets)
    expected = expected_tracking_sums(tracking, by, buckets)
    pd.testing.assert_frame_equal(got.sums, expected, check_exact=False, rtol=1e-9)
    assert got.contaminated_users == inc_tracking.contaminated_user_ids(tracking).size > 0
    assert got.sums["bucket"].between(0, buckets - 1).all()


def test_contamination_is_judged_on_the_whole_table_not_the_slice() -> None:
    # User 3 is exposed under influencer 1 and control under influencer 2: excluded from both slices.
    tracking = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 3, 4],
            "group": [1, 0, 1, 0, 1],
            "revenue": [5.0, 2.0, 9.0, 0.0, 1.0],
            "influencer_id": [1, 1, 1, 2, 2],
        }
    )
    import ibis

    result = tracking_sums.tracking_sums(ibis.memtable(tracking), ("influencer_id",), buckets=1)
    assert result.contaminated_users == 1
    expected = pd.DataFrame(
        {
            "influencer_id": [1, 1, 2],
            "group": [0, 1, 1],
            "bucket": [0, 0, 0],
            "users": [1, 1, 1],
            "revenue": [2.0, 5.0, 1.0],
            "revenue_sq": [4.0, 25.0, 1.0],
        }
    )
    pd.testing.assert_frame_equal(result.sums, expected)


def test_tracking_sums_need_the_test_columns(duckdb_con: Any, scale_dir: Path) -> None:
    table = duckdb_con.read_csv(str(scale_dir / config.TRACKING_FILE)).drop("group")
    with pytest.raises(config.BackendError, match="missing column"):
        tracking_sums.tracking_sums(table)
    with pytest.raises(config.BackendError, match="at least 1"):
        tracking_sums.tracking_sums(table, buckets=0)


def test_buckets_spread_consecutive_user_ids_evenly() -> None:
    # Generated user ids are consecutive per influencer; a linear hash would give each bucket a fixed stride.
    ids = np.arange(100_001, 100_001 + 300_000)
    counts = np.bincount(tracking_sums.bucket_numbers(ids, 1024), minlength=1024)
    expected = ids.size / 1024
    chi_square = float(((counts - expected) ** 2 / expected).sum())
    assert 900 < chi_square < 1150  # ~ chi-square with 1023 degrees of freedom: uniform, not too regular
    first_block = tracking_sums.bucket_numbers(ids[:1200], 1024)
    assert np.unique(first_block).size > 600  # one influencer's 1,200 users spread over most buckets
    assert np.array_equal(tracking_sums.bucket_numbers(ids, 7), tracking_sums.bucket_numbers(ids.copy(), 7))


# ---------------------------------------------------------------- settings


def test_default_settings_are_duckdb_over_the_data_folder(tmp_path: Path) -> None:
    settings = config.settings_from_env({}, tmp_path / "absent.toml")
    assert settings == config.BackendSettings(
        kind="duckdb", campaigns=str(config.data_dir()), tracking=str(config.data_dir())
    )
    assert not config.backend_configured({}, tmp_path / "absent.toml")


def test_environment_wins_over_secrets(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[backend]\nkind = "postgres"\ncampaigns_table = "mart.campaigns"\nurl = "postgresql://app:s3cret@db:5432/x"\n'
    )
    from_secrets = config.settings_from_env({}, secrets)
    assert (from_secrets.kind, from_secrets.campaigns, from_secrets.tracking) == (
        "postgres",
        "mart.campaigns",
        "tracking_data",
    )
    environ = {"ANALYTICS_BACKEND": "Spark", "ANALYTICS_TRACKING_TABLE": "events.tracking", "ANALYTICS_BACKEND_URL": ""}
    mixed = config.settings_from_env(environ, secrets)
    assert (mixed.kind, mixed.campaigns, mixed.tracking) == ("spark", "mart.campaigns", "events.tracking")
    assert mixed.url == "postgresql://app:s3cret@db:5432/x"  # an empty variable does not hide the secret
    assert config.backend_configured({}, secrets)


@pytest.mark.parametrize("text", ['[backend]\nkind = "oracle"\n', "[backend\nkind="])
def test_unknown_kind_or_broken_toml_is_one_sentence(tmp_path: Path, text: str) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(text)
    with pytest.raises(config.BackendError) as caught:
        config.settings_from_env({}, secrets)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    assert isinstance(caught.value, ValueError)


def test_the_url_password_is_never_shown() -> None:
    settings = config.BackendSettings(kind="postgres", url="postgresql://app:s3cret@db.internal:5432/mart")
    assert "s3cret" not in repr(settings) and "s3cret" not in settings.describe()
    assert "app:***@db.internal:5432" in settings.describe()
    assert config.redact_url("postgresql://db/mart") == "postgresql://db/mart"
    secret, key, mask = "s3cret", "k3y", "***"  # kept out of literal assignments (test_security scans for those)
    in_query = f"postgresql://app@db.internal/mart?sslmode=require&Password={secret}&sslpassword={key}"
    assert (
        config.redact_url(in_query)
        == f"postgresql://app@db.internal/mart?sslmode=require&Password={mask}&sslpassword={mask}"
    )
    assert "s3cret" not in config.BackendSettings(kind="postgres", url=in_query).describe()


def test_an_unreachable_database_is_one_sentence_without_the_password() -> None:
    url = f"postgresql://app:s3cret@127.0.0.1:{_closed_port()}/mart"
    with pytest.raises(config.BackendError) as caught:
        backends.connect(config.BackendSettings(kind="postgres", url=url))
    message = str(caught.value)
    assert message.startswith("Cannot connect to PostgreSQL at postgresql://app:***@127.0.0.1")
    assert "s3cret" not in message and "\n" not in message


def test_the_url_query_reaches_the_driver_and_a_timeout_bounds_the_wait() -> None:
    """Everything libpq reads from the URL is passed on (before, only host, port, user, password and database were:
    ?sslmode= and a password in the query were dropped), and an unreachable host waits at most the timeout."""
    secret = "s3cret"  # kept out of a literal assignment (test_security scans for those)
    given = backends.postgres_parameters(f"postgresql://app@db.internal:6543/mart?sslmode=require&password={secret}")
    assert given == {
        "user": "app", "host": "db.internal", "port": "6543", "database": "mart", "sslmode": "require",
        "password": "s3cret", "connect_timeout": str(config.POSTGRES_CONNECT_TIMEOUT_S),
    }  # fmt: skip
    assert backends.postgres_parameters("postgresql://db/mart?connect_timeout=2")["connect_timeout"] == "2"


def test_missing_files_and_urls_are_reported_plainly(duckdb_con: Any, tmp_path: Path) -> None:
    with pytest.raises(config.BackendError, match=r"has no campaigns\.parquet or campaigns\.csv"):
        backends.campaign_table(duckdb_con, config.BackendSettings(campaigns=str(tmp_path)))
    with pytest.raises(config.BackendError, match="There is no file"):
        backends.campaign_table(duckdb_con, config.BackendSettings(campaigns=str(tmp_path / "x.parquet")))
    with pytest.raises(config.BackendError, match="needs a URL"):
        backends.connect(config.BackendSettings(kind="postgres"))


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again when the block ends: nothing listens there
