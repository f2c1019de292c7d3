"""Concurrent websocket sessions against one server: filter changes, latency, RSS and KPI correctness.

Each session opens the overview page, then changes the Platform multiselect `changes` times (alternating
one platform / two platforms), and checks the KPI tiles it gets back against pipeline.kpis on the same
filter. Everything is bounded: `changes` per session, a per-rerun timeout and one overall deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from bench.ws_client import RerunResult, Session, latency_summary, process_rss_bytes, shown_value
from pipeline import kpis
from pipeline.filters import CampaignFilter, apply_campaign_filter

T = TypeVar("T")

PLATFORM_KEY = "cf_platform"
# Tile label -> pipeline.kpis metric; money, counts and ratios so a wrong filter cannot pass by accident.
CHECKED_TILES = {"Spend": "spend", "Revenue": "revenue", "Clicks": "clicks", "ROAS": "roas", "CTR": "ctr"}
RSS_SAMPLE_S = 0.2


@dataclass
class LoadReport:
    sessions: int
    changes_per_session: int
    latencies_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checked: int = 0
    correct: int = 0
    wall_s: float = 0.0
    rss_before: int = 0
    rss_peak: int = 0
    rss_after: int = 0
    completed_changes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "changes_per_session": self.changes_per_session,
            "completed_changes": self.completed_changes,
            "errors": len(self.errors),
            "error_samples": self.errors[:5],
            "kpi_checks": self.checked,
            "kpi_correct": self.correct,
            "reruns_per_s": self.completed_changes / self.wall_s if self.wall_s else float("nan"),
            "wall_s": self.wall_s,
            "rss_before_mb": self.rss_before / 2**20,
            "rss_peak_mb": self.rss_peak / 2**20,
            "rss_after_mb": self.rss_after / 2**20,
            **latency_summary(self.latencies_s),
        }


def platform_choice(options: tuple[str, ...], session: int, change: int) -> list[str]:
    """The platforms a session picks for a change: one platform, then two, rotating through options."""
    first = options[(session + change) % len(options)]
    if change % 2 == 0 or len(options) < 2:
        return [first]
    return [first, options[(session + change + 1) % len(options)]]


class ExpectedKpis:
    """pipeline.kpis totals per platform choice on the overview's default dates (the data's last
    kpis.RECENT_DAYS days), computed once per choice."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.period = kpis.recent_period(frame["date"].min(), frame["date"].max())
        self._cache: dict[tuple[str, ...], dict[str, float]] = {}

    def __call__(self, platforms: list[str]) -> dict[str, float]:
        key = tuple(sorted(platforms))
        if key not in self._cache:
            spec = CampaignFilter(platforms=key, start=self.period.start, end=self.period.end)
            self._cache[key] = kpis.kpi_totals(apply_campaign_filter(self.frame, spec))
        return self._cache[key]


def kpi_mismatches(result: RerunResult, expected: dict[str, float]) -> list[str]:
    """The checked tiles whose shown value is not the pipeline's value (within display rounding)."""
    problems = []
    for label, metric in CHECKED_TILES.items():
        if label not in result.metrics:
            problems.append(f"tile {label} missing")
            continue
        body, help_text = result.metrics[label]
        try:
            value, tolerance = shown_value(body, help_text)
        except ValueError:
            problems.append(f"tile {label} shows {body!r}")
            continue
        if abs(value - expected[metric]) > tolerance:
            problems.append(f"{label} shows {value} but pipeline says {expected[metric]}")
    return problems


async def _one_session(
    port: int, index: int, changes: int, deadline: float, expected: ExpectedKpis, report: LoadReport, timeout_s: float
) -> None:
    try:
        async with Session(port, timeout_s=timeout_s) as session:
            first = await session.rerun()
            if not first.ok:
                report.errors.append(f"session {index} first run: {first.status} {first.exceptions[:1]}")
                return
            widget = first.widget(PLATFORM_KEY)
            if widget is None or not widget.options:
                report.errors.append(f"session {index}: no {PLATFORM_KEY} multiselect on the page")
                return
            for change in range(changes):
                if time.monotonic() > deadline:
                    report.errors.append(f"session {index}: deadline reached after {change} changes")
                    return
                chosen = platform_choice(widget.options, index, change)
                result = await session.rerun({widget.id: chosen})
                if not result.ok:
                    report.errors.append(f"session {index} change {change}: {result.status} {result.exceptions[:1]}")
                    continue
                report.latencies_s.append(result.seconds)
                report.completed_changes += 1
                report.checked += 1
                problems = kpi_mismatches(result, expected(chosen))
                if problems:
                    report.errors.append(f"session {index} change {change} ({chosen}): {'; '.join(problems[:2])}")
                else:
                    report.correct += 1
    except (OSError, TimeoutError, ConnectionError) as exc:
        report.errors.append(f"session {index}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # a websocket protocol error must count as an error, not end the run
        report.errors.append(f"session {index}: {type(exc).__name__}: {exc}")


async def _sample_rss(pid: int, report: LoadReport, stop: asyncio.Event) -> None:
    while not stop.is_set():
        report.rss_peak = max(report.rss_peak, process_rss_bytes(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_SAMPLE_S)


async def run_load_async(
    port: int,
    pid: int,
    frame: pd.DataFrame,
    sessions: int,
    changes: int,
    max_seconds: float = 300.0,
    rerun_timeout_s: float = 120.0,
) -> LoadReport:
    """`sessions` concurrent sessions x `changes` filter changes each, within `max_seconds` overall."""
    report = LoadReport(sessions=sessions, changes_per_session=changes, rss_before=process_rss_bytes(pid))
    expected = ExpectedKpis(frame)
    stop = asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(pid, report, stop))
    started = time.monotonic()
    deadline = started + max_seconds
    tasks = [_one_session(port, i, changes, deadline, expected, report, rerun_timeout_s) for i in range(sessions)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), max_seconds + rerun_timeout_s)
    except TimeoutError:
        report.errors.append(f"load run exceeded {max_seconds + rerun_timeout_s:.0f} s")
    finally:
        report.wall_s = time.monotonic() - started
        stop.set()
        await sampler
    report.rss_after = process_rss_bytes(pid)
    report.rss_peak = max(report.rss_peak, report.rss_after)
    return report


def run_load(
    port: int, pid: int, frame: pd.DataFrame, sessions: int, changes: int, max_seconds: float = 300.0
) -> LoadReport:
    """Synchronous wrapper around run_load_async (see run_on_own_thread)."""
    return run_on_own_thread(run_load_async(port, pid, frame, sessions, changes, max_seconds))


def run_on_own_thread(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to its end on a thread of its own, so that a caller that already runs an event loop
    (Playwright's sync API earlier in the same test process) doesn't get in the way."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
