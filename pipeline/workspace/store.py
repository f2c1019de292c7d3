"""The workspace store: kept datasets and saved scenarios in one embedded DuckDB file.

Storage: each kept table is one Parquet blob in a BLOB column (table `dataset_tables`, see tables.py), not a
DuckDB table per dataset. Parquet carries pandas' own schema metadata, so nullable integers, strings and datetimes
(with their unit and time zone) load back with the same dtypes, and categories are rebuilt from a JSON note; DuckDB
tables would not round-trip a category or pandas' string dtype. It also keeps the schema fixed (no table names
built from user input) and makes "keep" one small transaction. Plans are JSON text.

Concurrency: every operation holds an exclusive lock file beside the database (filelock) for a few milliseconds
and opens its own DuckDB connection, so writers from several processes (the app, the CLI, the API) never
interleave, and DuckDB's own single-writer file lock is never contended. Writes run in one transaction: an error
or a crash before COMMIT leaves the previous state.

The operations themselves (WorkspaceStore) are written once, in SQL that DuckDB and PostgreSQL both run, so the
PostgreSQL store (postgres_store.py, chosen by a postgresql:// workspace setting) only says how to connect, read and
write.
"""

from __future__ import annotations

import json
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import filelock
import pandas as pd

from pipeline import config
from pipeline.workspace.tables import category_dtypes, parquet_bytes, read_table

MAX_NAME_LENGTH = 80
# A writer holds the lock for milliseconds; waiting longer than this means something is stuck.
LOCK_TIMEOUT_S = 15.0
SCHEMA_VERSION = "1"
# The workspace's tables: {column: kind} in order, then the primary key. Each store maps the kinds to its types.
TABLES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "meta": ({"key": "text", "value": "text"}, ("key",)),
    "scenarios": (
        {"id": "text", "name": "text", "data_key": "text", "saved_at": "time", "seq": "int", "plan": "text"},
        ("id",),
    ),
    "datasets": (
        {"id": "text", "name": "text", "sources": "text", "n_rows": "int", "kept_at": "time", "seq": "int"},
        ("id",),
    ),
    "dataset_tables": (
        {"dataset_id": "text", "table_name": "text", "payload": "blob", "categories": "text"},
        ("dataset_id", "table_name"),
    ),
}
DUCKDB_TYPES = {"text": "VARCHAR", "int": "BIGINT", "time": "TIMESTAMP", "blob": "BLOB"}
MARK_VERSION = "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"


def schema_sql(types: dict[str, str]) -> list[str]:
    """CREATE TABLE IF NOT EXISTS statements for TABLES, with `types` naming each kind of column."""
    statements = []
    for table, (columns, key) in TABLES.items():
        defined = ", ".join(f"{column} {types[kind]} NOT NULL" for column, kind in columns.items())
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({defined}, PRIMARY KEY ({', '.join(key)}))")
    return statements


Result = TypeVar("Result")


class WorkspaceError(RuntimeError):
    """The workspace cannot do what was asked; the message is one plain sentence for people."""


@dataclass(frozen=True)
class ScenarioRecord:
    """A saved planner scenario: `plan` is the JSON-able dict the planner saved, `data_key` names its data."""

    id: str
    name: str
    saved_at: pd.Timestamp
    data_key: str
    plan: dict[str, Any]


@dataclass(frozen=True)
class DatasetRecord:
    """A kept dataset: its tables are read with Workspace.load_dataset; `rows` counts the rows of all tables."""

    id: str
    name: str
    sources: list[str]
    rows: int
    kept_at: pd.Timestamp


def _setting() -> str:
    try:
        return config.workspace_setting()
    except config.BackendError as exc:  # secrets.toml is not valid TOML
        raise WorkspaceError(str(exc)) from None


def _file(setting: str, data_dir: Path) -> Path:
    named = setting and not config.is_postgres_url(setting)
    return Path(setting) if named else Path(data_dir) / config.WORKSPACE_FILE


def workspace_path(data_dir: Path) -> Path:
    """The workspace file: the workspace setting (config.workspace_setting, e.g. APP_WORKSPACE) when it names a
    file, else workspace.duckdb in the data folder."""
    return _file(_setting(), data_dir)


def workspace_location(data_dir: Path) -> str:
    """Where the workspace is: the postgresql:// URL of the workspace setting, else the file (workspace_path)."""
    setting = _setting()
    return setting if config.is_postgres_url(setting) else str(_file(setting, data_dir))


def open_workspace(location: str) -> WorkspaceStore:
    """The workspace at `location` (see workspace_location): PostgreSQL for a postgresql:// URL, else the DuckDB
    file. Raises WorkspaceError when it cannot be used (damaged file, unreachable server, foreign tables)."""
    if config.is_postgres_url(location):
        # Imported here: psycopg is loaded only where it is used, and postgres_store imports this module.
        from pipeline.workspace.postgres_store import PostgresWorkspace

        return PostgresWorkspace(location)
    return Workspace(Path(location))


def clean_name(name: str, what: str = "name") -> str:
    """The trimmed name; WorkspaceError when it is empty, too long or holds control characters."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise WorkspaceError(f"Give a {what}: it cannot be empty.")
    if len(text) > MAX_NAME_LENGTH:
        raise WorkspaceError(f"The {what} is {len(text)} characters long; keep it to {MAX_NAME_LENGTH}.")
    if any(ord(char) < 32 for char in text):
        raise WorkspaceError(f"The {what} cannot hold line breaks or other control characters.")
    return text


def _json_value(value: object) -> object:
    """json.dumps fallback for the numpy scalars and timestamps a plan may carry."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def plan_json(plan: dict[str, Any]) -> str:
    """The plan as JSON text; WorkspaceError when it is not a dict of JSON-able values."""
    if not isinstance(plan, dict):
        raise WorkspaceError("A plan must be a dictionary of values.")
    try:
        return json.dumps(plan, default=_json_value)
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(f"The plan holds a value that cannot be saved as JSON ({exc}).") from None


def _now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC").floor("us")  # DuckDB keeps microseconds: a record reads back as saved


def _utc(value: object) -> pd.Timestamp:
    """Stored timestamps are naive UTC; records carry them time-zone aware."""
    return pd.Timestamp(value).tz_localize("UTC")


def _naive_utc(value: pd.Timestamp) -> pd.Timestamp:
    return value.tz_convert("UTC").tz_localize(None)


def _new_id() -> str:
    return uuid.uuid4().hex[:12]


class WorkspaceStore(ABC):
    """The workspace's operations, written once in SQL that DuckDB and PostgreSQL both run (`?` placeholders).

    A store says how to reach its data: `_read` runs a query (returning `empty` while nothing was ever written),
    `_write` runs a change in one transaction (creating the tables on first use), `_holds_nothing` tells whether a
    delete has anything to do. `location` names the store in messages and cache keys; it never holds a password.
    """

    location: str
    # The driver's own errors: a write that fails with one of them is rolled back and reported in one sentence.
    _driver_errors: tuple[type[Exception], ...] = ()

    @abstractmethod
    def _read(self, query: Callable[[Any], Result], empty: Result = None) -> Result: ...

    @abstractmethod
    def _write(self, change: Callable[[Any], Result]) -> Result: ...

    @abstractmethod
    def _holds_nothing(self) -> bool: ...

    @abstractmethod
    def _write_failed(self, exc: Exception) -> WorkspaceError:
        """The sentence for a write that failed with a driver error (and was rolled back)."""

    def _in_transaction(self, con: Any, change: Callable[[Any], Result]) -> Result:
        """Run `change` between BEGIN and COMMIT; anything raised (even an interrupt) rolls it all back."""
        con.execute("BEGIN TRANSACTION")
        try:
            result = change(con)
            con.execute("COMMIT")
        except BaseException as exc:
            with suppress(*self._driver_errors):  # a broken connection has nothing left to roll back
                con.execute("ROLLBACK")
            if isinstance(exc, self._driver_errors):
                raise self._write_failed(exc) from exc
            raise
        return result

    @staticmethod
    def _next_seq(con: Any, table: str) -> int:
        """A counter that orders records saved within the same clock tick (newest first)."""
        row = con.execute(f"SELECT coalesce(max(seq), 0) + 1 FROM {table}").fetchone()  # table: a constant
        return int(row[0]) if row else 1

    # ------------------------------------------------------------ scenarios

    def save_scenario(self, name: str, plan: dict[str, Any], data_key: str = "") -> ScenarioRecord:
        """Save a named plan for `data_key`; a scenario with the same name and data key is replaced (keeping its
        id, so links to it still open it)."""
        name = clean_name(name, "scenario name")
        text = plan_json(plan)
        saved_at = _now()

        def change(con: Any) -> str:
            row = con.execute("SELECT id FROM scenarios WHERE name = ? AND data_key = ?", [name, data_key]).fetchone()
            scenario_id = row[0] if row else _new_id()
            con.execute("DELETE FROM scenarios WHERE id = ?", [scenario_id])
            con.execute(
                "INSERT INTO scenarios VALUES (?, ?, ?, ?, ?, ?)",
                [scenario_id, name, data_key, _naive_utc(saved_at), self._next_seq(con, "scenarios"), text],
            )
            return scenario_id

        scenario_id = self._write(change)
        return ScenarioRecord(scenario_id, name, saved_at, data_key, json.loads(text))

    def scenarios(self, data_key: str | None = None) -> list[ScenarioRecord]:
        """Saved scenarios, newest first; only those of `data_key` unless it is None."""
        where, params = ("WHERE data_key = ?", [data_key]) if data_key is not None else ("", [])
        sql = f"SELECT id, name, saved_at, data_key, plan FROM scenarios {where} ORDER BY saved_at DESC, seq DESC"
        rows = self._read(lambda con: con.execute(sql, params).fetchall(), [])
        return [ScenarioRecord(r[0], r[1], _utc(r[2]), r[3], json.loads(r[4])) for r in rows]

    def scenario(self, scenario_id: str) -> ScenarioRecord | None:
        """One saved scenario by id, or None."""
        sql = "SELECT id, name, saved_at, data_key, plan FROM scenarios WHERE id = ?"
        row = self._read(lambda con: con.execute(sql, [str(scenario_id)]).fetchone())
        return ScenarioRecord(row[0], row[1], _utc(row[2]), row[3], json.loads(row[4])) if row else None

    def delete_scenario(self, scenario_id: str) -> None:
        """Forget a scenario (nothing happens when it does not exist)."""
        if not self._holds_nothing():
            self._write(lambda con: con.execute("DELETE FROM scenarios WHERE id = ?", [str(scenario_id)]))

    # ------------------------------------------------------------ datasets

    def keep_dataset(self, name: str, tables: dict[str, pd.DataFrame], sources: list[str]) -> DatasetRecord:
        """Keep named tables (e.g. {"campaigns": frame}) under a new id; `sources` lists the files they came from."""
        name = clean_name(name, "dataset name")
        if not tables or not all(isinstance(key, str) and key for key in tables):
            raise WorkspaceError("A kept dataset needs at least one named table.")
        # Encoded before the write begins: it is the slow part.
        blobs = {key: (parquet_bytes(frame), category_dtypes(frame)) for key, frame in tables.items()}
        record = DatasetRecord(
            _new_id(), name, [str(source) for source in sources], sum(len(f) for f in tables.values()), _now()
        )

        def change(con: Any) -> None:
            con.execute(
                "INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
                [
                    record.id,
                    record.name,
                    json.dumps(record.sources),
                    record.rows,
                    _naive_utc(record.kept_at),
                    self._next_seq(con, "datasets"),
                ],
            )
            for key, (blob, categories) in blobs.items():
                con.execute("INSERT INTO dataset_tables VALUES (?, ?, ?, ?)", [record.id, key, blob, categories])

        self._write(change)
        return record

    def datasets(self) -> list[DatasetRecord]:
        """Kept datasets, newest first."""
        sql = "SELECT id, name, sources, n_rows, kept_at FROM datasets ORDER BY kept_at DESC, seq DESC"
        return [_dataset_record(row) for row in self._read(lambda con: con.execute(sql).fetchall(), [])]

    def dataset(self, dataset_id: str) -> DatasetRecord | None:
        """One kept dataset by id, or None."""
        sql = "SELECT id, name, sources, n_rows, kept_at FROM datasets WHERE id = ?"
        row = self._read(lambda con: con.execute(sql, [str(dataset_id)]).fetchone())
        return _dataset_record(row) if row else None

    def load_dataset(self, dataset_id: str) -> dict[str, pd.DataFrame]:
        """The kept tables by name, with the dtypes they were kept with; WorkspaceError when the id is unknown."""
        sql = "SELECT table_name, payload, categories FROM dataset_tables WHERE dataset_id = ? ORDER BY table_name"
        rows = self._read(lambda con: con.execute(sql, [str(dataset_id)]).fetchall(), [])
        if not rows:
            raise WorkspaceError(f"No kept dataset has the id {dataset_id!r}; it may have been deleted.")
        return {key: read_table(payload, categories) for key, payload, categories in rows}

    def rename_dataset(self, dataset_id: str, name: str) -> None:
        """Give a kept dataset a new name; WorkspaceError when the id is unknown."""
        name = clean_name(name, "dataset name")

        def change(con: Any) -> None:
            if not con.execute("SELECT 1 FROM datasets WHERE id = ?", [str(dataset_id)]).fetchone():
                raise WorkspaceError(f"No kept dataset has the id {dataset_id!r}; it may have been deleted.")
            con.execute("UPDATE datasets SET name = ? WHERE id = ?", [name, str(dataset_id)])

        self._write(change)

    def delete_dataset(self, dataset_id: str) -> None:
        """Forget a kept dataset and its tables (nothing happens when it does not exist)."""
        if self._holds_nothing():
            return

        def change(con: Any) -> None:
            con.execute("DELETE FROM dataset_tables WHERE dataset_id = ?", [str(dataset_id)])
            con.execute("DELETE FROM datasets WHERE id = ?", [str(dataset_id)])

        self._write(change)


class Workspace(WorkspaceStore):
    """Kept datasets and saved scenarios in one DuckDB file (see the module docstring for the design).

    A missing file reads as empty and is created on the first write. A file that is not a readable workspace
    raises WorkspaceError (here and in every method) and is never written to.
    """

    _driver_errors = (duckdb.Error,)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        if self.path.exists():
            self._read(self._check)  # fail now, with the sentence, when the file is damaged

    # ------------------------------------------------------------ connections

    @contextmanager
    def _locked(self) -> Iterator[None]:
        try:
            with filelock.FileLock(self._lock_path, timeout=LOCK_TIMEOUT_S):
                yield
        except filelock.Timeout:
            raise WorkspaceError(f"The workspace file {self.path} is busy; try again in a moment.") from None

    def _damaged(self) -> WorkspaceError:
        return WorkspaceError(
            f"The workspace file {self.path} is damaged or not a workspace, so it was left untouched."
        )

    def _write_failed(self, exc: Exception) -> WorkspaceError:
        return WorkspaceError(f"The workspace file {self.path} could not be written, so it was left as it was.")

    def _holds_nothing(self) -> bool:
        return not self.path.exists()

    @contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        try:
            con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            if "lock" in str(exc).lower():  # another program holds DuckDB's own lock on the file
                raise WorkspaceError(f"The workspace file {self.path} is open in another program.") from None
            raise self._damaged() from None
        try:
            yield con
        finally:
            con.close()

    def _read(self, query: Callable[[duckdb.DuckDBPyConnection], Result], empty: Result = None) -> Result:
        """Run `query` on the file under the lock; `empty` when the file or the workspace tables do not exist."""
        if not self.path.exists():
            return empty
        with self._locked(), self._connect() as con:
            try:
                if not self._has_schema(con):
                    return empty
                return query(con)
            except duckdb.Error:
                raise self._damaged() from None

    def _write(self, change: Callable[[duckdb.DuckDBPyConnection], Result]) -> Result:
        """Run `change` in one transaction under the lock (creating the file and tables on first use)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked(), self._connect() as con:
            try:
                if self._has_schema(con):
                    self._check(con)  # never write into a damaged file: it stays as it was for a rescue
                for statement in schema_sql(DUCKDB_TYPES):
                    con.execute(statement)
                con.execute(MARK_VERSION, [SCHEMA_VERSION])
            except duckdb.Error:
                raise self._damaged() from None
            return self._in_transaction(con, change)

    @staticmethod
    def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
        names = ", ".join(f"'{table}'" for table in TABLES)  # constants
        found = con.execute(f"SELECT count(*) FROM information_schema.tables WHERE table_name IN ({names})").fetchone()
        return bool(found and found[0] == len(TABLES))

    @staticmethod
    def _check(con: duckdb.DuckDBPyConnection) -> None:
        """Read every record and every stored table's bytes once: a truncated file fails here, on opening, rather
        than later when someone picks a dataset (DuckDB checks each block's checksum as it reads it)."""
        con.execute("SELECT count(*) FROM (SELECT * FROM scenarios)").fetchone()
        con.execute("SELECT count(*) FROM (SELECT * FROM datasets)").fetchone()
        con.execute("SELECT count(DISTINCT md5(payload)) FROM dataset_tables").fetchone()


def _dataset_record(row: tuple) -> DatasetRecord:
    return DatasetRecord(row[0], row[1], list(json.loads(row[2])), int(row[3]), _utc(row[4]))
