"""AppTest of the data page with the team's workspace in PostgreSQL (APP_WORKSPACE=postgresql://...): a dataset
kept in one session is switched to from another and opened from a link, and an unreachable server is one
sentence while the page keeps working."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.workspace.postgres_store import PostgresWorkspace
from tests.pages.test_data_page_workspace import (
    EXPORT,
    assert_overview_totals,
    fresh,
    in_use_caption,
    keep,
    open_overview,
    upload_and_use,
)
from tests.postgres_cluster import free_port, fresh_database, running_cluster


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    with running_cluster("pages-pg-") as url:
        yield url


@pytest.fixture
def pg_store(cluster_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[PostgresWorkspace]:
    """A fresh database as the workspace of every session the test starts."""
    with fresh_database(cluster_url) as url:
        monkeypatch.setenv("APP_WORKSPACE", url)
        yield PostgresWorkspace(url)


def test_a_dataset_kept_in_postgres_is_shared_by_sessions_and_links(pg_store: PostgresWorkspace) -> None:
    at = keep(upload_and_use(fresh().run()), "TikTok April")
    assert not at.exception and not at.error
    [record] = pg_store.datasets()
    assert (record.name, record.sources) == ("TikTok April", [EXPORT])
    other = fresh().run()
    other.button(key=f"ws_use_{record.id}").click().run()
    assert not other.exception and not other.error
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(other)
    assert other.query_params["dataset"] == record.id
    assert_overview_totals(open_overview(other), pg_store.load_dataset(record.id)["campaigns"])
    linked = fresh()
    linked.query_params["dataset"] = record.id
    linked.run()
    assert not linked.exception and not linked.warning
    assert "campaigns from **TikTok April (kept)**" in in_use_caption(linked)


def test_an_unreachable_workspace_database_is_one_sentence_and_the_page_works(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("APP_WORKSPACE", f"postgresql://team:s3cret@127.0.0.1:{port}/workspace")
    sentence = (
        f"The workspace database at postgresql://team:***@127.0.0.1:{port}/workspace cannot be reached: "
        f'connection to server at "127.0.0.1", port {port} failed: Connection refused.'
    )
    at = upload_and_use(fresh().run())
    assert not at.exception
    assert [e.value for e in at.error] == [sentence]
    assert f"campaigns from **{EXPORT}**" in in_use_caption(at)  # the upload is in use all the same
    in_use = at.session_state["uploaded_campaigns"]
    overview = open_overview(at)
    assert not overview.exception and not overview.error
    assert_overview_totals(overview, in_use)
    linked = fresh()
    linked.query_params["dataset"] = "0123456789ab"
    linked.run()
    assert not linked.exception
    assert [w.value for w in linked.warning] == [f"{sentence} The link opens on the demo data."]
    assert "campaigns from **demo data**" in in_use_caption(linked)
