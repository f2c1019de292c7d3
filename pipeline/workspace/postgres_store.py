"""The team's workspace in a PostgreSQL database, for a team that already runs one (a postgresql:// workspace
setting, see pipeline.config.workspace_setting).

The same tables as the DuckDB file (store.TABLES, blobs as bytea) in their own schema, `workspace`, so they never
meet the warehouse's own tables; the operations are store.WorkspaceStore's. Each call opens a short-lived
connection, as the DuckDB store does, so a restarted server or a dropped connection costs one call, not the app.

Concurrency: every write is one transaction that first takes a transaction-scoped advisory lock, so writers from
every process and machine take turns, as they do on the DuckDB file's lock file; a row lock could not guard the
first write, which creates the tables. Readers never wait (PostgreSQL's snapshots), and a writer that cannot get
the lock within store.LOCK_TIMEOUT_S is told the workspace is busy. The tables are created inside that first
transaction, so a failed first write leaves no half-made schema behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pipeline import config
from pipeline.workspace.store import (
    LOCK_TIMEOUT_S,
    MARK_VERSION,
    SCHEMA_VERSION,
    TABLES,
    Result,
    WorkspaceError,
    WorkspaceStore,
    schema_sql,
)

PG_SCHEMA = "workspace"
POSTGRES_TYPES = {"text": "VARCHAR", "int": "BIGINT", "time": "TIMESTAMP", "blob": "BYTEA"}
# How information_schema.columns names those types: the shape check compares against these.
CATALOG_TYPES = {
    "text": "character varying",
    "int": "bigint",
    "time": "timestamp without time zone",
    "blob": "bytea",
}
# The advisory lock every writer takes (any fixed number; "wksp" in ASCII, so it is recognisable in pg_locks).
WRITE_LOCK_KEY = 0x776B7370
APPLICATION_NAME = "marketing-analytics-workspace"


def display_url(url: str) -> str:
    """The URL as shown to people: the password masked (config.redact_url), the query (which may
    hold a password too) left out."""
    parts = urlsplit(url.strip())
    return config.redact_url(urlunsplit(parts._replace(query="", fragment="")))


def reason(exc: BaseException) -> str:
    """The first line of a driver error, without libpq's prefix or a closing full stop, to end one sentence."""
    diag = getattr(exc, "diag", None)
    text = (getattr(diag, "message_primary", None) or str(exc)).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return " ".join(first.removeprefix("connection failed: ").split()).rstrip(".")


def connection_string(url: str) -> str:
    """libpq's connection string for `url`, with the workspace schema first on the search path, the lock wait
    bounded and a connect timeout unless the URL sets one. psycopg.ProgrammingError for a malformed URL."""
    params = conninfo_to_dict(url.strip())
    own = f"-c search_path={PG_SCHEMA} -c lock_timeout={int(LOCK_TIMEOUT_S * 1000)}"
    params["options"] = f"{params.get('options') or ''} {own}".strip()  # later settings win over the URL's
    params.setdefault("connect_timeout", str(config.POSTGRES_CONNECT_TIMEOUT_S))
    params.setdefault("application_name", APPLICATION_NAME)
    return make_conninfo("", **params)


class _Connection:
    """A psycopg connection that takes the `?` placeholders the shared SQL is written with (DuckDB's style)."""

    def __init__(self, con: psycopg.Connection) -> None:
        self._con = con

    def execute(self, sql: str, params: list[Any] | None = None) -> psycopg.Cursor:
        if params is None:
            return self._con.execute(sql)  # type: ignore[arg-type]  # the store's own constant SQL
        return self._con.execute(sql.replace("%", "%%").replace("?", "%s"), params)  # type: ignore[arg-type]


class PostgresWorkspace(WorkspaceStore):
    """Kept datasets and saved scenarios in a PostgreSQL database (see the module docstring for the design).

    An empty database reads as an empty workspace and gets its tables on the first write. An unreachable server,
    or a `workspace` schema whose tables are not the workspace's, raises WorkspaceError (here and in every method)
    with one sentence that names the database without its password; those tables are never written to.
    """

    _driver_errors = (psycopg.Error,)

    def __init__(self, url: str) -> None:
        self.location = display_url(url)
        try:
            self._conninfo = connection_string(url)
        except psycopg.Error as exc:
            raise WorkspaceError(
                f"The workspace setting {self.location} is not a usable PostgreSQL address: {reason(exc)}."
            ) from None
        self._read(self._check_shape)  # fail now, with the sentence, when unreachable or not a workspace

    def __repr__(self) -> str:
        return f"PostgresWorkspace({self.location!r})"

    # ------------------------------------------------------------ sentences

    def _unreachable(self, exc: BaseException) -> WorkspaceError:
        return WorkspaceError(f"The workspace database at {self.location} cannot be reached: {reason(exc)}.")

    def _foreign(self) -> WorkspaceError:
        return WorkspaceError(
            f"The workspace database at {self.location} has a {PG_SCHEMA} schema whose tables are not the "
            "workspace's, so it was left untouched."
        )

    def _write_failed(self, exc: Exception) -> WorkspaceError:
        if isinstance(exc, errors.LockNotAvailable):
            return WorkspaceError(f"The workspace database at {self.location} is busy; try again in a moment.")
        return WorkspaceError(
            f"The workspace database at {self.location} could not be written, so it was left as it was: {reason(exc)}."
        )

    # ------------------------------------------------------------ connections

    @contextmanager
    def _connect(self) -> Iterator[_Connection]:
        try:
            con = psycopg.connect(self._conninfo, autocommit=True)  # transactions are begun explicitly
        except psycopg.Error as exc:
            raise self._unreachable(exc) from None
        try:
            yield _Connection(con)
        finally:
            con.close()

    def _read(self, query: Callable[[_Connection], Result], empty: Result = None) -> Result:
        """Run `query`; `empty` while the database holds no workspace tables."""
        with self._connect() as con:
            try:
                found = self._tables_found(con)
                if found == 0:
                    return empty
                if found != len(TABLES):
                    raise self._foreign()
                return query(con)
            except psycopg.OperationalError as exc:  # the server went away in the middle
                raise self._unreachable(exc) from None
            except psycopg.Error as exc:
                raise WorkspaceError(
                    f"The workspace database at {self.location} could not be read: {reason(exc)}."
                ) from None

    def _write(self, change: Callable[[_Connection], Result]) -> Result:
        """Run `change` in one transaction, after the writers' lock, creating the tables on first use."""

        def locked_change(con: _Connection) -> Result:
            con.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK_KEY])
            found = self._tables_found(con)  # counted under the lock: no other writer is creating them now
            if found == 0:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}")
                for statement in schema_sql(POSTGRES_TYPES):
                    con.execute(statement)
                con.execute(MARK_VERSION, [SCHEMA_VERSION])
            else:
                self._check_shape(con)  # never write into tables that are not the workspace's
            return change(con)

        with self._connect() as con:
            return self._in_transaction(con, locked_change)

    def _holds_nothing(self) -> bool:
        return self._read(lambda con: False, True)

    @staticmethod
    def _tables_found(con: _Connection) -> int:
        names = ", ".join(f"'{table}'" for table in TABLES)  # constants
        row = con.execute(
            f"SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = ? AND tablename IN ({names})", [PG_SCHEMA]
        ).fetchone()
        return int(row[0]) if row else 0

    def _check_shape(self, con: _Connection) -> None:
        """WorkspaceError unless the workspace tables have exactly the workspace's columns and types."""
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = ?",
            [PG_SCHEMA],
        ).fetchall()
        found = {(table, column, kind) for table, column, kind in rows if table in TABLES}
        expected = {
            (table, column, CATALOG_TYPES[kind])
            for table, (columns, _) in TABLES.items()
            for column, kind in columns.items()
        }
        if found != expected:
            raise self._foreign()
