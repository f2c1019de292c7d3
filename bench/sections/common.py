"""What every section shares: the guard that records a section's failure, the data sets and the machine."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import subprocess
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import data_generation
from pipeline import config
from pipeline.inputs import demo

ROOT = Path(__file__).resolve().parents[2]
BENCH_DATA = Path(os.environ.get("BENCH_DATA_DIR", "/tmp/bench-data"))
DEMO_ROWS = config.DEFAULT_CAMPAIGN_ROWS
PACKAGES = ("streamlit", "pandas", "numpy", "pyarrow", "duckdb", "scikit-learn", "scipy", "plotly", "websockets")
NOT_AVAILABLE = "not available"


def guarded(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one section; a missing module or page records "not available", any other failure its error."""
    print(f"[bench] {name} ...", flush=True)
    started = time.perf_counter()
    try:
        result = fn()
    except (ImportError, AttributeError, FileNotFoundError) as exc:
        result = {"status": NOT_AVAILABLE, "reason": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:  # a broken section must not lose the other measurements
        result = {"status": "error", "reason": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-1500:]}
    result.setdefault("status", "ok")
    result["section_s"] = round(time.perf_counter() - started, 1)
    print(f"[bench] {name}: {result['status']} in {result['section_s']} s", flush=True)
    return result


def ensure_data(name: str, rows: int) -> Path:
    """A generated data set under BENCH_DATA/name (seed 42), reused when complete."""
    out = BENCH_DATA / name
    complete = (out / config.GROUND_TRUTH_FILE).is_file() and (
        rows < 1_000_000 or (out / config.CAMPAIGNS_PARQUET).is_file()
    )
    if not complete:
        print(f"[bench] generating {rows:,} rows into {out} ...", flush=True)
        data_generation.generate(out, seed=config.DEFAULT_SEED, rows=rows)
    return out


def demo_data() -> Path:
    """The app's demo data (data/ as `make data` writes it), else a generated copy under BENCH_DATA."""
    if demo.demo_data_present(config.data_dir()):
        return config.data_dir()
    return ensure_data("demo", DEMO_ROWS)


def machine() -> dict[str, Any]:
    """Where and when the bench ran: CPU, cores, memory, OS, package versions, commit, load average."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line)
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = NOT_AVAILABLE
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit.strip(),
        "load_average_at_start": os.getloadavg(),
    }
