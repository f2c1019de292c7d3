"""A missing or corrupt demo folder is detected with a sentence naming the file, and regenerated with the old
files kept aside; a healthy folder is never touched; concurrent repairs end with one complete data set."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import data_generation
from pipeline import config
from pipeline.inputs import demo

ROOT = Path(__file__).resolve().parents[3]
REPAIR_ROWS = 5_000  # repairs in these tests regenerate a small set; the CLI test covers the default size


def rewrite_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    change(pd.read_csv(path, dtype=str)).to_csv(path, index=False, lineterminator="\n")


def truncate_mid_row(d: Path) -> None:
    path = d / config.CAMPAIGNS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 - 7])


def binary_junk(d: Path) -> None:
    (d / config.CAMPAIGNS_FILE).write_bytes(bytes(range(256)) * 64)


def html_page(d: Path) -> None:
    (d / config.CAMPAIGNS_FILE).write_text("<html><body>502 Bad Gateway</body></html>\n")


def header_only(d: Path) -> None:
    path = d / config.CAMPAIGNS_FILE
    path.write_text(path.read_text().splitlines()[0] + "\n")


def empty_posts(d: Path) -> None:
    (d / config.POSTS_FILE).write_bytes(b"")


def drop_spend(d: Path) -> None:
    rewrite_csv(d / config.CAMPAIGNS_FILE, lambda f: f.drop(columns="spend"))


def bad_date_mid_file(d: Path) -> None:
    rewrite_csv(d / config.CAMPAIGNS_FILE, lambda f: f.assign(date=f["date"].where(f.index != 2_000, "32/13/2025")))


def text_in_revenue(d: Path) -> None:
    rewrite_csv(d / config.TRACKING_FILE, lambda f: f.assign(revenue=f["revenue"].where(f.index != 900, "12,5 EUR")))


def empty_cells_mid_file(d: Path) -> None:
    rewrite_csv(d / config.PAYOUTS_FILE, lambda f: f.assign(total_payout=f["total_payout"].where(f.index != 5)))


def latin1_names(d: Path) -> None:
    path = d / config.INFLUENCERS_FILE
    path.write_bytes(path.read_bytes().replace(b"Influencer 001", "Influencér 001".encode("latin-1")))


def corrupt_parquet(d: Path) -> None:
    (d / demo.PARQUET_FILE).write_bytes(b"PAR1" + b"\x13" * 500)


def parquet_without_spend(d: Path) -> None:
    demo.read_campaigns(d).drop(columns="spend").to_parquet(d / demo.PARQUET_FILE)


def broken_truth(d: Path) -> None:
    (d / config.GROUND_TRUTH_FILE).write_text('{"iroas": 0.63, "campaign_rows": 50')


def truth_not_an_object(d: Path) -> None:
    (d / config.GROUND_TRUTH_FILE).write_text("[]\n")


def missing_payouts(d: Path) -> None:
    (d / config.PAYOUTS_FILE).unlink()


# kind -> (corrupt the folder, the file the sentence must name, a phrase it must contain)
CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "truncated campaigns.csv": (truncate_mid_row, config.CAMPAIGNS_FILE, "truncated"),
    "binary junk": (binary_junk, config.CAMPAIGNS_FILE, "binary data"),
    "an HTML page": (html_page, config.CAMPAIGNS_FILE, "lacks the columns 'date'"),
    "header only": (header_only, config.CAMPAIGNS_FILE, "has no rows"),
    "empty file": (empty_posts, config.POSTS_FILE, "is empty"),
    "missing column": (drop_spend, config.CAMPAIGNS_FILE, "lacks the column 'spend'"),
    "unparseable date": (bad_date_mid_file, config.CAMPAIGNS_FILE, "not dates (e.g. '32/13/2025')"),
    "text in a number column": (text_in_revenue, config.TRACKING_FILE, "wrong type in column 'revenue'"),
    "empty cells": (empty_cells_mid_file, config.PAYOUTS_FILE, "empty value(s) in column 'total_payout'"),
    "not UTF-8": (latin1_names, config.INFLUENCERS_FILE, "not UTF-8"),
    "corrupt parquet": (corrupt_parquet, demo.PARQUET_FILE, "could not be read as Parquet"),
    "parquet missing a column": (parquet_without_spend, demo.PARQUET_FILE, "lacks the column 'spend'"),
    "broken ground_truth.json": (broken_truth, config.GROUND_TRUTH_FILE, "not valid JSON"),
    "ground truth not an object": (truth_not_an_object, config.GROUND_TRUTH_FILE, "ground-truth object"),
    "missing file": (missing_payouts, config.PAYOUTS_FILE, "is missing"),
}


@pytest.fixture
def folder(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the session's healthy demo folder."""
    return Path(shutil.copytree(demo_dir, tmp_path / "data"))


def snapshot(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir() if path.is_file()}


def aside_folders(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{demo.CORRUPT_PREFIX}*"))


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_each_corruption_is_named_in_one_sentence(kind: str, folder: Path) -> None:
    corrupt, file_name, phrase = CORRUPTIONS[kind]
    corrupt(folder)
    problem = demo.demo_data_problem(folder)
    assert problem is not None
    assert problem.startswith(str(folder / file_name) + " ")
    assert phrase in problem
    assert problem.endswith(".") and "\n" not in problem and len(problem) < 400


@pytest.mark.parametrize("kind", list(CORRUPTIONS))
def test_repair_keeps_every_old_file_aside_and_regenerates_a_readable_set(kind: str, folder: Path) -> None:
    CORRUPTIONS[kind][0](folder)
    before = snapshot(folder)

    repair = demo.repair_demo_data(folder, rows=REPAIR_ROWS)

    assert repair.status == "repaired"
    assert [repair.moved_to] == aside_folders(folder)
    assert snapshot(repair.moved_to) == before  # nothing lost: every replaced file, byte for byte
    assert repair.message.startswith(str(folder / CORRUPTIONS[kind][1]) + " ")
    assert "regenerated" in repair.message and str(repair.moved_to) in repair.message
    assert demo.demo_data_problem(folder) is None
    assert not (folder / demo.PARQUET_FILE).exists()  # a stale Parquet would shadow the new CSV
    assert len(demo.read_campaigns(folder)) == REPAIR_ROWS
    assert not list(folder.glob(".generating-*"))


def test_the_loader_path_reports_what_only_a_full_read_shows(folder: Path) -> None:
    """The quick check (file starts and ends) misses a bad value mid-file; reading the table catches it."""
    bad_date_mid_file(folder)
    assert demo.quick_demo_data_problem(folder) is None
    with pytest.raises(demo.DemoDataError, match=r"campaigns\.csv has values in column 'date' that are not"):
        demo.read_campaigns(folder)


def test_a_truncated_file_fails_the_read_even_without_the_quick_check(folder: Path) -> None:
    truncate_mid_row(folder)
    with pytest.raises(demo.DemoDataError, match=r"campaigns\.csv has \d+ empty value\(s\) in column"):
        demo.read_campaigns(folder)


def test_a_healthy_folder_is_untouched(folder: Path) -> None:
    # Files only: a page may have kept its cubes in the folder's .cubes/ (pipeline.campaigns.cube_store).
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir() if path.is_file()}
    assert demo.quick_demo_data_problem(folder) is None
    assert demo.demo_data_problem(folder) is None

    repair = demo.repair_demo_data(folder, rows=REPAIR_ROWS)

    assert (repair.status, repair.moved_to) == ("ok", None)
    assert not aside_folders(folder)
    after = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir() if path.is_file()}
    assert {name: value for name, value in after.items() if name != demo.LOCK_FILE} == before


def test_an_empty_folder_is_generated_not_repaired(tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "data"
    repair = demo.repair_demo_data(folder, rows=REPAIR_ROWS)
    assert repair.status == "generated" and repair.moved_to is None
    assert "generated" in repair.message and str(folder) in repair.message
    assert demo.demo_data_problem(folder) is None
    assert not aside_folders(folder)


def test_new_files_appear_only_by_rename_never_half_written(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generation writes into a staging folder; the demo folder keeps its old files until the renames."""
    truncate_mid_row(folder)
    broken = (folder / config.CAMPAIGNS_FILE).read_bytes()
    real_generate = data_generation.generate
    seen: list[Path] = []

    def generate_and_look(out: Path, seed: int, rows: int) -> dict[str, object]:
        truth = real_generate(out, seed=seed, rows=rows)
        seen.append(out)
        assert out.parent == folder and out != folder
        assert (folder / config.CAMPAIGNS_FILE).read_bytes() == broken  # nothing replaced yet
        return truth

    monkeypatch.setattr(data_generation, "generate", generate_and_look)
    assert demo.repair_demo_data(folder, rows=REPAIR_ROWS).status == "repaired"
    assert len(seen) == 1 and not seen[0].exists()


def test_two_threads_repairing_at_once_regenerate_once(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions of one server: the second waits for the lock, checks again and finds the repaired set."""
    truncate_mid_row(folder)
    real_generate = data_generation.generate
    generated: list[Path] = []

    def slow_generate(out: Path, seed: int, rows: int) -> dict[str, object]:
        generated.append(out)
        time.sleep(0.5)  # long enough that the other thread is surely waiting on the lock
        return real_generate(out, seed=seed, rows=rows)

    monkeypatch.setattr(data_generation, "generate", slow_generate)
    results: list[demo.DataRepair] = []
    threads = [
        threading.Thread(target=lambda: results.append(demo.repair_demo_data(folder, rows=REPAIR_ROWS)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(r.status for r in results) == ["ok", "repaired"]
    assert len(generated) == 1 and len(aside_folders(folder)) == 1
    assert demo.demo_data_problem(folder) is None


REPAIR_SCRIPT = """
import json, sys, time
from pathlib import Path
from pipeline.inputs import demo

folder, go = Path(sys.argv[1]), Path(sys.argv[2])
Path(sys.argv[3]).touch()  # ready: imports done
while not go.exists():
    time.sleep(0.005)
repair = demo.repair_demo_data(folder, rows=int(sys.argv[4]))
print(json.dumps({"status": repair.status, "moved_to": str(repair.moved_to)}))
"""


def test_two_processes_repairing_at_once_end_with_one_complete_set(folder: Path, tmp_path: Path) -> None:
    truncate_mid_row(folder)
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{n}" for n in range(2)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", REPAIR_SCRIPT, str(folder), str(go), str(flag), str(REPAIR_ROWS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(flag.exists() for flag in ready) and time.monotonic() < deadline:
            time.sleep(0.01)
        go.touch()  # both start repairing within a few milliseconds of each other
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
    statuses = sorted(json.loads(out)["status"] for out, _ in outputs)
    assert statuses == ["ok", "repaired"]
    assert len(aside_folders(folder)) == 1
    assert demo.demo_data_problem(folder) is None
    assert len(demo.read_campaigns(folder)) == REPAIR_ROWS
    assert not list(folder.glob(".generating-*"))
