"""`make bench`: measured speed, memory and scale; writes bench/results.json and bench/results.md.

Every measurement is a function that returns a plain dict (bench/sections, bench/kpi_latency.py, bench/scale.py).
One that cannot run yet (a page or a pipeline module that does not exist) records "not available" instead of
stopping the run. Timings are the median, min and max over RUNS runs. Big data sets are generated once under
BENCH_DATA (reused when present). All traffic goes to servers this script starts on 127.0.0.1; every loop is
bounded in count and time. bench/report.py renders the Markdown.

    python -m bench.run                  # everything (~15-25 min on 2 cores, first run generates 10M rows)
    python -m bench.run --only engine    # one or more sections
    python -m bench.run --quick          # smoke run: fewer runs, no 10M

With --only, the other sections' results already in bench/results.json are kept, so one section can be rerun alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import kpi_latency, scale  # noqa: E402
from bench.report import render_markdown  # noqa: E402
from bench.sections import api as api_section  # noqa: E402
from bench.sections import mmm as mmm_section  # noqa: E402
from bench.sections import sessions, speed  # noqa: E402
from bench.sections.apptest import bench_apptest  # noqa: E402
from bench.sections.browser import bench_browser  # noqa: E402
from bench.sections.common import demo_data, ensure_data, guarded, machine  # noqa: E402
from bench.sections.engine import bench_engine  # noqa: E402
from bench.sections.pipeline_steps import bench_incrementality, bench_ingestion, bench_models  # noqa: E402

RESULTS_JSON = ROOT / "bench" / "results.json"
RESULTS_MD = ROOT / "bench" / "results.md"
RUNS = 5
SIZES = {"1m": 1_000_000, "10m": 10_000_000}
SECTIONS = (
    "engine", "ingestion", "incrementality", "models", "mmm", "api", "apptest", "kpis", "browser", "load",
    "sections", "wholepage", "firstload", "pages", "burst", "scale",
)  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per measurement (at least 5 for results)")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 runs, no 10M, small load")
    return parser.parse_args(argv)


def run_load(demo_dir: Path, big: dict[str, Path], quick: bool) -> dict[str, Any]:
    """The load section: demo data always; at 1M rows also with fewer glibc malloc arenas (unless quick)."""
    changes = 2 if quick else sessions.LOAD_CHANGES
    out = {"demo": guarded("load demo", lambda: sessions.bench_load(demo_dir, sessions.LOAD_LEVELS, changes, "demo"))}
    if quick:
        return out
    levels, changes_1m = sessions.LOAD_LEVELS_1M, sessions.LOAD_CHANGES_1M
    out["1m"] = guarded("load 1m", lambda: sessions.bench_load(big["1m"], levels, changes_1m, "1m"))
    # Evidence for a deployment setting: fewer glibc malloc arenas keep concurrent threads' freed
    # memory from staying resident.
    arenas = {"MALLOC_ARENA_MAX": "2"}
    out["1m, MALLOC_ARENA_MAX=2"] = guarded(
        "load 1m arenas", lambda: sessions.bench_load(big["1m"], levels, changes_1m, "1m arenas", arenas)
    )
    return out


def run_sections(wanted: set[str], runs: int, quick: bool, demo_dir: Path, big: dict[str, Path]) -> dict[str, Any]:
    """Each wanted section's result, in SECTIONS order (scale last: Spark's JVM must not share the cores)."""
    every_size = {"demo": demo_dir, **big}
    largest = big.get("10m", big["1m"])
    sections = {
        "engine": lambda: guarded("engine", lambda: bench_engine(runs, every_size)),
        "ingestion": lambda: guarded("ingestion", lambda: bench_ingestion(runs, big["1m"])),
        "incrementality": lambda: guarded("incrementality", lambda: bench_incrementality(runs, 20 if quick else 200)),
        "models": lambda: guarded("models", lambda: bench_models(runs, demo_dir)),
        "mmm": lambda: guarded("mmm", lambda: mmm_section.run_section(quick)),
        "api": lambda: guarded("api", lambda: api_section.run_section(demo_dir, quick)),
        "apptest": lambda: guarded("apptest", lambda: bench_apptest(runs, every_size)),
        "kpis": lambda: guarded("kpis", lambda: {"data": largest.name, **kpi_latency.measure(largest, runs)}),
        "browser": lambda: guarded("browser", lambda: bench_browser(runs, demo_dir)),
        "load": lambda: run_load(demo_dir, big, quick),
        "sections": lambda: guarded("sections", lambda: speed.bench_sections(largest, runs)),
        "wholepage": lambda: guarded("wholepage", lambda: speed.bench_whole_page(largest, runs)),
        "firstload": lambda: guarded("firstload", lambda: speed.bench_first_load(largest, min(runs, 3))),
        "pages": lambda: guarded("pages", lambda: speed.bench_pages(runs, demo_dir)),
        "burst": lambda: guarded("burst", lambda: speed.bench_burst(demo_dir, 2 if quick else speed.BURST_CHANGES)),
        "scale": lambda: guarded("scale", lambda: scale.engine_comparison(largest, runs)),
    }
    return {name: sections[name]() for name in SECTIONS if name in wanted}


def previous_results() -> dict[str, Any]:
    """The last run's results (bench/results.json), so `--only` replaces just its sections; {} if unreadable."""
    try:
        previous = json.loads(RESULTS_JSON.read_text())
    except (OSError, ValueError):
        return {}
    return previous if isinstance(previous, dict) else {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = 2 if args.quick else max(1, args.runs)
    started = time.perf_counter()
    demo_dir = demo_data()
    big = {name: ensure_data(name, rows) for name, rows in SIZES.items() if not (args.quick and name == "10m")}
    results: dict[str, Any] = previous_results() if args.only else {}
    results.update(
        {
            "machine": machine(),
            "runs": runs,
            "data": {"demo": str(demo_dir), **{k: str(v) for k, v in big.items()}},
        }
    )
    results.update(run_sections(set(args.only or SECTIONS), runs, args.quick, demo_dir, big))
    results["total_s"] = time.perf_counter() - started

    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    RESULTS_MD.write_text(render_markdown(results))
    print(
        f"[bench] wrote {RESULTS_JSON.relative_to(ROOT)} and {RESULTS_MD.relative_to(ROOT)}"
        f" in {results['total_s'] / 60:.1f} min"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
