"""A throwaway PostgreSQL cluster for tests: started in a temporary folder on 127.0.0.1 and a free port (trust
auth, fsync off) and always stopped and removed afterwards. Needs Debian's server binaries (`make postgres`).

Used by the scale-out tests' and the workspace tests' session fixtures: `with running_cluster() as url: ...`.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

START_TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin folder; fails the test when there is none."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        pytest.fail("PostgreSQL is not installed: run `make postgres` (Debian package postgresql).")
    return Path(found[-1]).parent


@contextmanager
def running_cluster(prefix: str = "test-pg-") -> Iterator[str]:
    """Yield the URL of a fresh cluster's `postgres` database (user postgres, no password). As root the server
    runs as the `postgres` OS user, as PostgreSQL requires. Stopped and removed on exit, also when a test or the
    start-up fails."""
    bin_dir = postgres_bin()
    as_root = os.geteuid() == 0
    # As root, a folder the postgres user can reach (pytest's own tmp folders are private to root).
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp" if as_root else None))
    as_user: list[str] = []
    if as_root:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "server.log"
    port = free_port()
    pg_ctl = [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data)]
    try:
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync"],
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = subprocess.run(
            [*pg_ctl, "-l", str(log), "-w", "-t", str(START_TIMEOUT_S), "-o", options, "start"],
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S + 10,
        )
        if started.returncode != 0:
            detail = log.read_text() if log.is_file() else started.stderr
            pytest.fail(f"PostgreSQL did not start: {detail[-2000:]}")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True, timeout=60)
        time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


def database_url(cluster_url: str, name: str) -> str:
    """The URL of database `name` on the same cluster."""
    return cluster_url.rsplit("/", 1)[0] + "/" + name


_database_numbers = itertools.count(1)


@contextmanager
def fresh_database(cluster_url: str) -> Iterator[str]:
    """Yield the URL of a new, empty database on the cluster; it is dropped on exit (open sessions and all)."""
    import psycopg

    name = f"test_db_{os.getpid()}_{next(_database_numbers)}"
    with psycopg.connect(cluster_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]  # a name made here
    try:
        yield database_url(cluster_url, name)
    finally:
        with psycopg.connect(cluster_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
