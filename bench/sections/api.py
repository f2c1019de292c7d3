"""The REST API (api/) over loopback HTTP: prediction latency for one line and for a 1,000-line batch, the
forward planner's latency on the media mix model (POST /optimize in budget mode, POST /plan) and the per-line
optimizer's (POST /optimize-lines), and a bounded load run (N concurrent clients x M requests, stopped at a
deadline) with errors and throughput.

Also `running_api`, which starts a real `python -m api` on a free 127.0.0.1 port (shared with tests/api).
Every request goes to 127.0.0.1; every loop is bounded in count and in time.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.server import free_port, wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
BENCH_TOKEN = "bench-token"  # a throwaway token for a server that only ever listens on loopback
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
# The social-prediction peer reloads its model on every call: 136–151 ms per prediction, measured here.
PEER_PREDICT_MS = (136.0, 151.0)
TARGET_ONE_LINE_P50_S = 0.010
SINGLE_REQUESTS, BATCH_REQUESTS, BATCH_LINES = 300, 30, 1_000
LOAD_CLIENTS, LOAD_REQUESTS, LOAD_MAX_S = 20, 200, 120.0
ONE_LINE = {"platform": "Meta", "spend": 1000}
# The planner's requests: the target is a response within 300 ms on 4 channels.
PLANNER_REQUESTS, TARGET_PLANNER_P50_S = 30, 0.300
OPTIMIZE_BODY = {"budget": 100000, "days": 28}
OPTIMIZE_LINES_BODY = {"budget": 50000, "objective": "revenue"}


@dataclass(frozen=True)
class ApiServer:
    url: str
    port: int
    pid: int
    log: Path
    token: str


def _forecaster_settled(body: bytes) -> bool:
    """/health says the forecaster is loaded, or that it can't be (the API then answers 503 on its own)."""
    return json.loads(body)["models"]["forecaster"] in ("ready", "unavailable", "missing")


@contextmanager
def running_api(
    data_dir: Path, models_dir: Path, log: Path, token: str = BENCH_TOKEN, extra_env: dict[str, str] | None = None
) -> Iterator[ApiServer]:
    """`python -m api` on a free loopback port with the given folders and token; stopped by its handle."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYTICS_")}  # no backend, no stray limits
    env |= {"APP_DATA_DIR": str(data_dir), "APP_MODELS_DIR": str(models_dir), "PYTHONUNBUFFERED": "1"}
    env |= {"ANALYTICS_API_TOKEN": token, **(extra_env or {})}
    command = [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(f"{url}/health", process, log, START_TIMEOUT_S, "python -m api", _forecaster_settled)
        yield ApiServer(url=url, port=port, pid=process.pid, log=log, token=token)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# ---------------------------------------------------------------- measuring


class Client:
    """One keep-alive HTTP connection to the server, as a client program would hold it."""

    def __init__(self, server: ApiServer) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self.headers = {"Authorization": f"Bearer {server.token}", "Content-Type": "application/json"}

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.connection.request("POST", path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()


def percentiles(samples: list[float]) -> dict[str, Any]:
    """p50, p95, min and max of latencies in seconds."""
    if not samples:
        return {"n": 0, "p50_s": None, "p95_s": None, "min_s": None, "max_s": None}
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    median = statistics.median(ordered)
    return {"n": len(ordered), "p50_s": median, "p95_s": p95, "min_s": ordered[0], "max_s": ordered[-1]}


def batch_body(lines: int) -> bytes:
    """A batch of `lines` lines spread over the platforms and spends."""
    platforms = ("Meta", "TikTok", "Instagram")
    rows = [{"platform": platforms[i % 3], "spend": 50.0 + (i * 7) % 2000} for i in range(lines)]
    return json.dumps({"lines": rows}).encode()


def latency(server: ApiServer, body: bytes, requests: int, warmup: int = 5, path: str = "/predict") -> dict[str, Any]:
    """Sequential POSTs to `path` over one connection: p50/p95 after `warmup` unmeasured requests."""
    client, samples, errors = Client(server), [], 0
    try:
        for i in range(warmup + requests):
            started = time.perf_counter()
            status, _ = client.post(path, body)
            elapsed = time.perf_counter() - started
            errors += status != 200
            if i >= warmup:
                samples.append(elapsed)
    finally:
        client.close()
    return {**percentiles(samples), "errors": errors}


def load_run(server: ApiServer, clients: int, requests: int, max_s: float) -> dict[str, Any]:
    """`clients` threads, each with its own connection, sending up to `requests` one-line predictions until
    `max_s` has passed; errors are non-200 answers and failed connections."""
    deadline = time.monotonic() + max_s
    lock, samples, counts = threading.Lock(), [], {"ok": 0, "errors": 0, "unsent": 0}
    body = json.dumps(ONE_LINE).encode()

    def one_client() -> None:
        client, mine, ok, errors = Client(server), [], 0, 0
        try:
            for _ in range(requests):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                try:
                    status, _ = client.post("/predict", body)
                except (OSError, http.client.HTTPException):
                    status = 0
                    client.close()
                    client = Client(server)
                mine.append(time.perf_counter() - started)
                ok, errors = ok + (status == 200), errors + (status != 200)
        finally:
            client.close()
        with lock:
            samples.extend(mine)
            counts["ok"] += ok
            counts["errors"] += errors
            counts["unsent"] += requests - ok - errors

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_s + 30)
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests_per_client": requests,
        **counts,
        "wall_s": wall,
        "requests_per_s": counts["ok"] / wall if wall else 0.0,
        "latency": percentiles(samples),
    }


def planner_latency(server: ApiServer, requests: int) -> dict[str, Any]:
    """POST /optimize (budget mode) and POST /plan of the split it recommends, on the media mix fit; when the
    server cannot plan (no fit, data it cannot model), its status and sentence instead."""
    client = Client(server)
    try:
        status, answer = client.post("/optimize", json.dumps(OPTIMIZE_BODY).encode())
    finally:
        client.close()
    if status != 200:
        return {"status": f"HTTP {status}", "reason": json.loads(answer).get("error", "")}
    split = {line["channel"]: line["spend"] for line in json.loads(answer)["allocation"]}
    plan_body = {"spend": split, "days": OPTIMIZE_BODY["days"]}
    optimize = latency(server, json.dumps(OPTIMIZE_BODY).encode(), requests, warmup=2, path="/optimize")
    plan = latency(server, json.dumps(plan_body).encode(), requests, warmup=2, path="/plan")
    return {"status": "ok", "channels": len(split), "optimize": optimize, "plan": plan}


def bench_api(
    data_dir: Path,
    models_dir: Path,
    log: Path,
    single: int = SINGLE_REQUESTS,
    batches: int = BATCH_REQUESTS,
    clients: int = LOAD_CLIENTS,
    requests: int = LOAD_REQUESTS,
    max_s: float = LOAD_MAX_S,
) -> dict[str, Any]:
    """Latency of one line, of a BATCH_LINES batch, of the planner and of the per-line optimizer, then the load
    run, on one fresh server."""
    with running_api(data_dir, models_dir, log) as server:
        one = latency(server, json.dumps(ONE_LINE).encode(), single)
        batch = latency(server, batch_body(BATCH_LINES), batches, warmup=2)
        planner = planner_latency(server, PLANNER_REQUESTS)
        lines_body = json.dumps(OPTIMIZE_LINES_BODY).encode()
        optimize_lines = latency(server, lines_body, PLANNER_REQUESTS, warmup=2, path="/optimize-lines")
        load = load_run(server, clients, requests, max_s)
    p50 = one["p50_s"]
    return {
        "one_line": one,
        "batch": {**batch, "lines": BATCH_LINES},
        "planner": {**planner, "target_p50_s": TARGET_PLANNER_P50_S},
        "optimize_lines": optimize_lines,
        "load": load,
        "target_one_line_p50_s": TARGET_ONE_LINE_P50_S,
        "peer_predict_ms": list(PEER_PREDICT_MS),
        "speedup_vs_peer": PEER_PREDICT_MS[0] / (p50 * 1000) if p50 else None,
    }


def api_models(data_dir: Path, scratch: Path) -> Path:
    """The app's models folder when its forecaster is valid and its media mix fit matches `data_dir`; else
    `scratch`, with the app's forecaster (or one trained from `data_dir`) and a media mix fit of `data_dir` (a
    minute or more; none when the data cannot be modelled: the planner's rows then say why)."""
    from pipeline import config
    from pipeline.modeling import artifacts, mmm, store

    app_dir = config.models_dir()
    forecaster_ok = artifacts.check(app_dir, store.FORECASTER) is None
    dataset = _mmm_dataset(data_dir)
    settings = mmm.SamplerSettings.from_environment()
    if forecaster_ok and (dataset is None or mmm.cached_fit(app_dir, dataset, settings) is not None):
        return app_dir
    scratch.mkdir(parents=True, exist_ok=True)
    if forecaster_ok:
        for path in artifacts.artifact_paths(app_dir, store.FORECASTER):
            shutil.copy2(path, scratch / path.name)
    else:
        store.ensure_models(data_dir, scratch, (store.FORECASTER,), check_data=False)
    if dataset is not None:
        mmm.load_or_fit(scratch, dataset, settings)
    return scratch


def _mmm_dataset(data_dir: Path) -> Any:
    """The media mix model's data set of `data_dir`, or None when the model cannot use the data."""
    from pipeline.inputs.demo import DemoDataError
    from pipeline.inputs.ingest.errors import IngestError
    from pipeline.modeling import mmm

    try:
        return mmm.dataset_from_folder(data_dir)
    except (mmm.MmmInputError, DemoDataError, IngestError):
        return None


def run_section(data_dir: Path, quick: bool) -> dict[str, Any]:
    """make bench's api section on `data_dir` (quick: a few requests and 5 clients x 20)."""
    with tempfile.TemporaryDirectory() as tmp:
        models_dir = api_models(data_dir, Path(tmp) / "models")
        log = Path(tmp) / "api.log"
        if quick:
            return bench_api(data_dir, models_dir, log, single=30, batches=5, clients=5, requests=20, max_s=30.0)
        return bench_api(data_dir, models_dir, log)


# ---------------------------------------------------------------- report (bench/report.py)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:.1f} ms"


def _row(label: str, measured: dict[str, Any]) -> str:
    return f"| {label} | {_ms(measured['p50_s'])} | {_ms(measured['p95_s'])} | {measured['n']} | {measured['errors']} |"


def planner_rows(result: dict[str, Any]) -> list[str]:
    """Table rows for the planner (POST /optimize, POST /plan) and the per-line optimizer (older results: none)."""
    planner, rows = result.get("planner"), []
    if planner and planner["status"] != "ok":
        rows.append(f"| Planner not measured ({planner['status']}: {str(planner.get('reason', ''))[:200]}) | | | | |")
    elif planner:
        target = planner["target_p50_s"]
        met = "yes" if planner["optimize"]["p50_s"] is not None and planner["optimize"]["p50_s"] <= target else "no"
        label = f"POST /optimize, budget mode, {planner['channels']} channels (target p50 ≤ {_ms(target)}: {met})"
        rows += [_row(label, planner["optimize"]), _row("POST /plan of the recommended split", planner["plan"])]
    if result.get("optimize_lines"):
        rows.append(_row("POST /optimize-lines (the forecaster's per-line optimizer)", result["optimize_lines"]))
    return rows


def api_lines(result: dict[str, Any]) -> list[str]:
    """The Markdown section for bench_api's result (or its error); none when the section did not run."""
    if not result:
        return []
    lines = ["## REST API over loopback HTTP (api/, python -m api)", ""]
    if result.get("status") not in (None, "ok"):
        return [*lines, f"{result['status']}: {str(result.get('reason', ''))[:300]}", ""]
    one, batch, load = result["one_line"], result["batch"], result["load"]
    met = "yes" if one["p50_s"] is not None and one["p50_s"] <= result["target_one_line_p50_s"] else "no"
    peer = " to ".join(f"{ms:.0f}" for ms in result["peer_predict_ms"])
    lines += [
        "POST /predict with a bearer token over one keep-alive connection (client in the same 2-core machine); "
        f"the model is loaded once per process. The social-prediction peer took {peer} ms per prediction.",
        "",
        "| Measure | p50 | p95 | Requests | Errors |",
        "|---|---|---|---|---|",
        f"| One line (target p50 ≤ {_ms(result['target_one_line_p50_s'])}: {met}; "
        f"{result['speedup_vs_peer']:.0f}× faster than the peer) | {_ms(one['p50_s'])} | {_ms(one['p95_s'])} "
        f"| {one['n']} | {one['errors']} |",
        f"| {batch['lines']:,}-line batch | {_ms(batch['p50_s'])} | {_ms(batch['p95_s'])} | {batch['n']} "
        f"| {batch['errors']} |",
        *planner_rows(result),
        f"| Load: {load['clients']} clients × {load['requests_per_client']} one-line requests "
        f"({load['requests_per_s']:.0f} requests/s over {load['wall_s']:.1f} s; {load['unsent']} unsent at the "
        f"deadline) | {_ms(load['latency']['p50_s'])} | {_ms(load['latency']['p95_s'])} "
        f"| {load['ok'] + load['errors']} | {load['errors']} |",
        "",
    ]
    return lines
