"""The workspace's contract on both stores, and the PostgreSQL store's own cases.

The store-agnostic tests of test_store.py are imported below and run here, unchanged, with `ws` parametrized over
the DuckDB file and a fresh database of a throwaway PostgreSQL cluster. The rest is what only a server has:
choosing it by the setting, an unreachable or silent server, foreign tables, a busy writers' lock, racing writers
and a writer killed mid-transaction."""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pipeline import config
from pipeline.workspace import postgres_store
from pipeline.workspace.postgres_store import PostgresWorkspace, display_url
from pipeline.workspace.store import (
    Workspace,
    WorkspaceError,
    WorkspaceStore,
    open_workspace,
    workspace_location,
    workspace_path,
)
from tests.pipeline.workspace.test_store import (  # noqa: F401  (collected here: they run with this module's `ws`)
    test_a_dataset_needs_a_table,
    test_a_name_of_80_characters_is_kept,
    test_a_plan_that_is_not_json_is_refused,
    test_categories_keep_their_own_dtype,
    test_dataset_round_trip_keeps_values_and_dtypes,
    test_datasets_are_listed_newest_first,
    test_delete_scenario,
    test_pandas_default_string_columns_round_trip,
    test_rename_and_delete_dataset,
    test_same_name_and_data_key_replaces_keeping_the_id,
    test_scenario_round_trip_with_nested_lists,
    test_scenarios_filter_by_data_key_and_newest_first,
    test_threads_of_one_process_take_turns,
)
from tests.postgres_cluster import free_port, fresh_database, running_cluster


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    with running_cluster("workspace-pg-") as url:
        yield url


@pytest.fixture
def db_url(cluster_url: str) -> Iterator[str]:
    """A fresh, empty database on the cluster, dropped afterwards."""
    with fresh_database(cluster_url) as url:
        yield url


@pytest.fixture
def pg(db_url: str) -> PostgresWorkspace:
    return PostgresWorkspace(db_url)


@pytest.fixture(params=["duckdb", "postgres"])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> WorkspaceStore:
    """Each store in turn, empty: the contract tests imported above run against both."""
    if request.param == "duckdb":
        return Workspace(tmp_path / "workspace.duckdb")
    return request.getfixturevalue("pg")


def _sql(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as con:
        cursor = con.execute(sql)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def _workspace_tables(url: str) -> list[str]:
    rows = _sql(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'workspace' ORDER BY tablename")
    return [row[0] for row in rows]


# ---------------------------------------------------------------- choosing the store


def test_a_postgresql_setting_chooses_the_database(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "SECRETS_PATH", tmp_path / "secrets.toml")
    monkeypatch.setenv("APP_WORKSPACE", db_url)
    assert workspace_location(tmp_path) == db_url
    assert workspace_path(tmp_path) == tmp_path / "workspace.duckdb"  # no file named after the URL
    store = open_workspace(workspace_location(tmp_path))
    assert isinstance(store, PostgresWorkspace) and store.location == db_url
    store.save_scenario("shared", {"budget": 1})
    assert [s.name for s in PostgresWorkspace(db_url).scenarios()] == ["shared"]
    assert not (tmp_path / "workspace.duckdb").exists()

    monkeypatch.delenv("APP_WORKSPACE")
    assert isinstance(open_workspace(workspace_location(tmp_path)), Workspace)
    (tmp_path / "secrets.toml").write_text(f'[workspace]\nlocation = "{db_url}"\n')
    assert workspace_location(tmp_path) == db_url
    assert [s.name for s in open_workspace(workspace_location(tmp_path)).scenarios()] == ["shared"]


def test_both_stores_share_one_implementation() -> None:
    operations = [name for name in vars(WorkspaceStore) if not name.startswith("_")]
    assert len(operations) == 10
    for name in operations:
        assert getattr(Workspace, name) is getattr(PostgresWorkspace, name) is getattr(WorkspaceStore, name)


# ---------------------------------------------------------------- an empty or foreign database


def test_an_empty_database_reads_empty_and_gets_its_tables_on_the_first_write(pg: PostgresWorkspace, db_url: str):
    assert (pg.datasets(), pg.scenarios(), pg.dataset("x"), pg.scenario("x")) == ([], [], None, None)
    pg.delete_dataset("x")
    pg.delete_scenario("x")
    with pytest.raises(WorkspaceError, match="No kept dataset"):
        pg.load_dataset("x")
    assert _workspace_tables(db_url) == []  # reading and deleting create nothing
    pg.save_scenario("first", {})
    assert _workspace_tables(db_url) == ["dataset_tables", "datasets", "meta", "scenarios"]
    assert _sql(db_url, "SELECT key, value FROM workspace.meta") == [("schema_version", "1")]
    columns = _sql(db_url, "SELECT data_type FROM information_schema.columns WHERE column_name = 'payload'")
    assert columns == [("bytea",)]
    assert [s.name for s in PostgresWorkspace(db_url).scenarios()] == ["first"]


@pytest.mark.parametrize("name", ["", "x" * 81, "a\nb"], ids=["empty", "too long", "line break"])
def test_a_refused_name_writes_nothing(pg: PostgresWorkspace, db_url: str, name: str) -> None:
    with pytest.raises(WorkspaceError):
        pg.keep_dataset(name, {"campaigns": pd.DataFrame({"a": [1]})}, [])
    with pytest.raises(WorkspaceError):
        pg.save_scenario(name, {})
    assert _workspace_tables(db_url) == []


FOREIGN = {
    "some tables missing": "CREATE TABLE workspace.meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    "a column missing": "ALTER TABLE workspace.datasets DROP COLUMN seq",
    "a column of another type": "ALTER TABLE workspace.dataset_tables ALTER COLUMN payload TYPE TEXT",
}


@pytest.mark.parametrize("damage", list(FOREIGN))
def test_foreign_tables_are_reported_and_left_untouched(pg: PostgresWorkspace, db_url: str, damage: str) -> None:
    if damage == "some tables missing":
        _sql(db_url, "CREATE SCHEMA workspace")
    else:
        kept = pg.keep_dataset("kept", {"t": pd.DataFrame({"a": [1]})}, ["a.csv"])
        assert pg.dataset(kept.id) == kept
    _sql(db_url, FOREIGN[damage])
    before = _sql(db_url, "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY 1, 2")
    sentence = (
        f"The workspace database at {db_url} has a workspace schema whose tables are not the workspace's, so it "
        "was left untouched."
    )
    with pytest.raises(WorkspaceError) as caught:
        PostgresWorkspace(db_url)
    assert str(caught.value) == sentence
    for write in (
        lambda: pg.keep_dataset("x", {"t": pd.DataFrame({"a": [1]})}, []),
        lambda: pg.save_scenario("x", {}),
        lambda: pg.rename_dataset("x", "y"),
    ):
        with pytest.raises(WorkspaceError) as caught:
            write()
        assert str(caught.value) == sentence
    for listing in (pg.datasets, pg.scenarios):  # never a traceback: the sentence, or what is still readable
        try:
            listing()
        except WorkspaceError as exc:
            assert "workspace database at" in str(exc)
    after = _sql(db_url, "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY 1, 2")
    assert after == before


# ---------------------------------------------------------------- an unreachable server


def test_an_unreachable_server_is_one_sentence_with_the_password_masked() -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql://alice:s3cret@127.0.0.1:{port}/team?sslmode=disable&" + "password" + "=other"
    with pytest.raises(WorkspaceError) as caught:
        open_workspace(url)
    message = str(caught.value)
    assert message == (
        f"The workspace database at postgresql://alice:***@127.0.0.1:{port}/team cannot be reached: "
        f'connection to server at "127.0.0.1", port {port} failed: Connection refused.'
    )
    assert "s3cret" not in message and "other" not in message and "\n" not in message


def test_a_server_that_goes_away_is_one_sentence_in_every_method(
    pg: PostgresWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = pg.keep_dataset("kept", {"t": pd.DataFrame({"a": [1]})}, [])
    port = free_port()
    monkeypatch.setattr(pg, "_conninfo", f"host=127.0.0.1 port={port} dbname=x user=postgres connect_timeout=5")
    calls: dict[str, Callable[[], object]] = {
        "datasets": pg.datasets,
        "dataset": lambda: pg.dataset(kept.id),
        "load": lambda: pg.load_dataset(kept.id),
        "keep": lambda: pg.keep_dataset("x", {"t": pd.DataFrame({"a": [1]})}, []),
        "rename": lambda: pg.rename_dataset(kept.id, "y"),
        "delete": lambda: pg.delete_dataset(kept.id),
        "scenarios": pg.scenarios,
        "save": lambda: pg.save_scenario("x", {}),
    }
    for call in calls.values():
        with pytest.raises(WorkspaceError, match=rf"^The workspace database at .* cannot be reached: .*port {port}"):
            call()
    monkeypatch.undo()
    assert pg.datasets() == [kept]  # back when the server is


def test_a_server_that_never_answers_is_reported_within_the_connect_timeout() -> None:
    with socket.socket() as silent:  # accepts connections and says nothing, like a hung server
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        started = time.perf_counter()
        with pytest.raises(WorkspaceError) as caught:
            open_workspace(f"postgresql://team@127.0.0.1:{port}/workspace?connect_timeout=2")  # the URL's own wins
        waited = time.perf_counter() - started
    assert str(caught.value) == (
        f"The workspace database at postgresql://team@127.0.0.1:{port}/workspace cannot be reached: "
        "connection timeout expired."
    )
    assert 1.5 < waited < 4


def test_the_connection_string_bounds_the_waits_and_picks_the_schema() -> None:
    params = conninfo_to_dict(postgres_store.connection_string("postgresql://u:pw@db/team?options=-cwork_mem%3D8MB"))
    assert params["options"] == "-cwork_mem=8MB -c search_path=workspace -c lock_timeout=15000"
    assert (params["connect_timeout"], params["password"], params["dbname"]) == ("5", "pw", "team")


def test_a_malformed_address_is_one_sentence() -> None:
    with pytest.raises(WorkspaceError, match=r"^The workspace setting postgresql://u:\*\*\*@h/db is not a usable"):
        PostgresWorkspace("postgresql://u:pw@h/db?no_such_option=1")


def test_display_url_masks_the_password_and_drops_the_query() -> None:
    assert (
        display_url("postgresql://u:pw@db.example:5433/team?" + "password" + "=x")
        == "postgresql://u:***@db.example:5433/team"
    )
    assert display_url("postgresql://u@db/team") == "postgresql://u@db/team"


# ---------------------------------------------------------------- transactions and writers


@contextmanager
def _connect_through(pg: PostgresWorkspace, execute: Callable[..., object]) -> Iterator[None]:
    """While open, every connection `pg` opens runs `execute(con, sql, *args)` instead of its own execute."""
    original = PostgresWorkspace._connect

    @contextmanager
    def connect(self: PostgresWorkspace) -> Iterator[Any]:
        with original(self) as con:
            yield types.SimpleNamespace(execute=lambda sql, *args: execute(con, sql, *args))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresWorkspace, "_connect", connect)
        yield


def test_a_failure_in_the_middle_of_a_write_keeps_the_previous_state(pg: PostgresWorkspace) -> None:
    kept = pg.keep_dataset("kept", {"campaigns": pd.DataFrame({"a": [1]})}, ["a.csv"])
    calls = {"tables": 0}

    def execute(con: Any, sql: str, *args: object) -> object:
        if sql.startswith("INSERT INTO dataset_tables"):
            calls["tables"] += 1
            if calls["tables"] == 2:  # the dataset row and its first table are already written
                raise KeyboardInterrupt
        return con.execute(sql, *args)

    with _connect_through(pg, execute), pytest.raises(KeyboardInterrupt):
        pg.keep_dataset("half", {"campaigns": pd.DataFrame({"a": [2]}), "tracking": pd.DataFrame({"b": [3]})}, [])
    assert calls["tables"] == 2
    assert pg.datasets() == [kept]
    assert sorted(pg.load_dataset(kept.id)) == ["campaigns"]


def test_a_failed_first_write_leaves_no_tables(pg: PostgresWorkspace, db_url: str) -> None:
    def execute(con: Any, sql: str, *args: object) -> object:
        if sql.startswith("INSERT INTO scenarios"):
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return con.execute(sql, *args)

    with _connect_through(pg, execute), pytest.raises(WorkspaceError) as caught:
        pg.save_scenario("first", {})
    assert str(caught.value) == (
        f"The workspace database at {db_url} could not be written, so it was left as it was: "
        "server closed the connection unexpectedly."
    )
    assert _workspace_tables(db_url) == []  # the tables were made in the same transaction


def test_two_writers_saving_the_same_scenario_at_once_keep_one(pg: PostgresWorkspace) -> None:
    """Both look the name up, then insert: without the writers' lock both would find nothing and insert two."""
    looked_up = threading.Barrier(2, timeout=1.0)

    def execute(con: Any, sql: str, *args: object) -> object:
        result = con.execute(sql, *args)
        if sql.startswith("SELECT id FROM scenarios"):
            # Wait for the other writer to look up too: it cannot while this one holds the lock.
            with suppress(threading.BrokenBarrierError):
                looked_up.wait()
        return result

    pg.save_scenario("elsewhere", {}, data_key="other")  # the tables exist: the race is over the scenario alone
    failures: list[BaseException] = []

    def save(budget: int) -> None:
        try:
            pg.save_scenario("Plan A", {"budget": budget}, data_key="demo")
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    with _connect_through(pg, execute):
        threads = [threading.Thread(target=save, args=(budget,)) for budget in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert failures == []
    assert [s.plan["budget"] for s in pg.scenarios("demo")] in ([1], [2])
    assert looked_up.broken  # the second writer waited for the first one's commit


def test_a_writer_waiting_too_long_is_told_the_workspace_is_busy(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postgres_store, "LOCK_TIMEOUT_S", 0.3)
    pg = PostgresWorkspace(db_url)
    pg.save_scenario("before", {})
    with psycopg.connect(db_url) as holder:  # another writer, stuck inside its transaction
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [postgres_store.WRITE_LOCK_KEY])
        started = time.perf_counter()
        with pytest.raises(WorkspaceError) as caught:
            pg.save_scenario("blocked", {})
        assert time.perf_counter() - started < 5
        assert str(caught.value) == f"The workspace database at {db_url} is busy; try again in a moment."
        assert [s.name for s in pg.scenarios()] == ["before"]  # readers never wait
    pg.save_scenario("after", {})
    assert [s.name for s in pg.scenarios()] == ["after", "before"]


@pytest.fixture
def plain_main(monkeypatch: pytest.MonkeyPatch) -> None:
    """A spawned child first re-runs the parent's __main__ file: an empty one makes it import only the target."""
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))


def _writer(url: str, prefix: str, count: int, start: Any) -> None:
    pg = open_workspace(url)
    start.wait(timeout=60)  # both processes begin writing together, after their slow imports
    for index in range(count):
        pg.save_scenario(f"{prefix}-{index}", {"i": index, "who": prefix}, data_key="demo")
        pg.save_scenario("shared", {"who": prefix}, data_key="demo")  # both replace one scenario
        pg.keep_dataset(f"{prefix}-{index}", {"t": pd.DataFrame({"i": [index] * (index + 1)})}, [f"{prefix}.csv"])
        pg.datasets()


@pytest.mark.usefixtures("plain_main")
def test_two_processes_writing_at_once_leave_a_consistent_store(db_url: str) -> None:
    context = multiprocessing.get_context("spawn")  # a clean interpreter, as the CLI or the API would be
    start = context.Barrier(2)
    workers = [context.Process(target=_writer, args=(db_url, who, 8, start)) for who in ("app", "cli")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    pg = PostgresWorkspace(db_url)
    expected = {f"{who}-{i}" for who in ("app", "cli") for i in range(8)}
    assert sorted(s.name for s in pg.scenarios("demo")) == sorted(expected | {"shared"})
    records = pg.datasets()
    assert {r.name for r in records} == expected
    for record in records:
        index = int(record.name.split("-")[1])
        table = pg.load_dataset(record.id)["t"]
        assert record.rows == len(table) == index + 1
        assert set(table["i"]) == {index}
    seqs = _sql(db_url, "SELECT seq FROM workspace.datasets")
    assert len(set(seqs)) == len(seqs) == 16  # writers took turns: every record has its own place in the order


def _crash_mid_write(url: str) -> None:
    """Insert a dataset row inside the write's transaction, then die before COMMIT, as a killed process would."""
    pg = PostgresWorkspace(url)

    def change(con: Any) -> None:
        con.execute("INSERT INTO datasets VALUES ('dead', 'half', '[]', 1, now()::TIMESTAMP, 99)")
        os._exit(3)

    pg._write(change)


@pytest.mark.usefixtures("plain_main")
def test_a_process_killed_mid_write_leaves_the_previous_state(pg: PostgresWorkspace) -> None:
    kept = pg.keep_dataset("kept", {"t": pd.DataFrame({"a": [1, 2]})}, ["a.csv"])
    worker = multiprocessing.get_context("spawn").Process(target=_crash_mid_write, args=(pg.location,))
    worker.start()
    worker.join(timeout=120)
    assert worker.exitcode == 3
    assert pg.datasets() == [kept]
    assert pg.dataset("dead") is None
    pg.save_scenario("after", {})  # the dead writer's lock went with its session
    assert [s.name for s in pg.scenarios()] == ["after"]
