"""`python -m pipeline ensure-data` as make runs it: generate, repair, and a fast "ok" when nothing changed."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import config
from pipeline.inputs import demo, demo_stamp

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def ensure(folder: Path) -> dict:
    proc = run("ensure-data", "--data", str(folder), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) == {"status", "message", "directory", "moved_to"}
    assert payload["directory"] == str(folder)
    return payload


def test_generates_a_missing_folder_at_the_default_size_then_repairs_a_truncated_file(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    first = ensure(folder)
    assert first["status"] == "generated" and first["moved_to"] is None
    truth = json.loads((folder / config.GROUND_TRUTH_FILE).read_text())
    assert truth["campaign_rows"] == config.DEFAULT_CAMPAIGN_ROWS
    assert demo.demo_data_problem(folder) is None

    campaigns = folder / config.CAMPAIGNS_FILE
    good = campaigns.read_bytes()
    cut = good.rfind(b"\n", 0, len(good) // 3) + 5  # five bytes into a row: the file ends mid-row
    campaigns.write_bytes(good[:cut])
    second = ensure(folder)
    assert second["status"] == "repaired"
    assert second["message"].startswith(f"{campaigns} ends with an incomplete row")
    assert "regenerated" in second["message"]
    assert (Path(second["moved_to"]) / config.CAMPAIGNS_FILE).read_bytes() == good[:cut]
    assert campaigns.read_bytes() == good  # same seed and size as make data: same bytes

    third = ensure(folder)
    assert (third["status"], third["moved_to"]) == ("ok", None)


def test_an_unchanged_folder_answers_ok_without_loading_pandas(demo_dir: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(demo_dir, tmp_path / "data"))
    assert ensure(folder)["message"].endswith("is complete and readable.")  # the full check, then the stamp
    probe = (
        "import sys\nfrom pipeline.cli import main as cli\n"
        f"code = cli.main(['ensure-data', '--data', {str(folder)!r}, '--json'])\n"
        "print('pandas' in sys.modules, 'pandera' in sys.modules, code, file=sys.stderr)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.stderr.strip().splitlines()[-1] == "False False 0"
    assert json.loads(proc.stdout)["message"].endswith("unchanged since its last full check.")


def test_a_changed_file_brings_the_full_check_back(demo_dir: Path, tmp_path: Path) -> None:
    """Same size, new content (a value that only a full read sees): the stamp no longer matches."""
    folder = Path(shutil.copytree(demo_dir, tmp_path / "data"))
    assert ensure(folder)["status"] == "ok"
    tracking = folder / config.TRACKING_FILE
    lines = tracking.read_text().splitlines(keepends=True)
    fields = lines[500].split(",")
    fields[6] = "x" * len(fields[6])  # orders: same length, not a number
    lines[500] = ",".join(fields)
    tracking.write_text("".join(lines))
    assert demo.quick_demo_data_problem(folder) is None
    assert not demo_stamp.unchanged_since_check(folder)

    payload = ensure(folder)
    assert payload["status"] == "repaired"
    assert payload["message"].startswith(f"{tracking} has values of the wrong type in column 'orders'")


def test_a_bad_data_path_is_one_error_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the folder should be")
    proc = run("ensure-data", "--data", str(not_a_folder), "--json")
    assert proc.returncode == 2 and proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(not_a_folder) in lines[0]


@pytest.mark.parametrize("stamp", ["not json", '{"version": 1, "files": {}}'])
def test_a_broken_or_stale_stamp_is_never_trusted(stamp: str, demo_dir: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(demo_dir, tmp_path / "data"))
    (folder / demo_stamp.STAMP_FILE).write_text(stamp)
    assert not demo_stamp.unchanged_since_check(folder)
    assert ensure(folder)["message"].endswith("is complete and readable.")
    assert demo_stamp.unchanged_since_check(folder)
