"""Start and stop a real headless Streamlit server on a free 127.0.0.1 port, and how to launch chromium
against it (shared by make bench and the browser tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STREAMLIT = ROOT / ".venv" / "bin" / "streamlit"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
# Debian's chromium; these flags keep it off this machine's closed network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    url: str
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(
    url: str, process: subprocess.Popen, log: Path, timeout_s: float, name: str, ready: Callable[[bytes], bool]
) -> None:
    """Poll `url` until it answers 200 with a body `ready` accepts; raise with the log's tail if the process
    exits or the time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and ready(response.read()):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{name} was not ready within {timeout_s:.0f} s: {log.read_text()[-2000:]}")


@contextmanager
def running_server(
    data_dir: Path, log: Path, models_dir: Path | None = None, extra_env: dict[str, str] | None = None
) -> Iterator[Server]:
    """`streamlit run app.py` headless on a free loopback port with APP_DATA_DIR=data_dir; stopped by its handle."""
    port = free_port()
    # No eager media mix fit at start-up (a minute of both cores) under measurements and tests: the Media mix
    # page still starts it when opened.
    quiet = {"APP_MMM_BACKGROUND": "0"}
    env = {**os.environ, "APP_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **quiet, **(extra_env or {})}
    if models_dir is not None:
        env["APP_MODELS_DIR"] = str(models_dir)
    command = [
        str(STREAMLIT),
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{url}/_stcore/health", process, log, START_TIMEOUT_S, "streamlit", lambda _: True)
        yield Server(port=port, pid=process.pid, url=url, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
