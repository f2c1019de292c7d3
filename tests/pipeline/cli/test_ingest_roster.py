"""`python -m pipeline ingest` on an influencer roster says what the file is and where the app uses it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import answers
from pipeline.cli.options import CliError

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def roster_file(shared_data: Path) -> Path:
    return shared_data / "real" / "top_insta_influencers_data.csv"


def test_the_cli_names_a_roster_and_sends_it_to_the_influencers_page(roster_file: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "ingest", str(roster_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: " + answers.ROSTER_ELSEWHERE.format(name=roster_file.name)
    assert "influencer profile list (a roster)" in proc.stderr and "Influencers page" in proc.stderr


def test_an_uploaded_roster_gets_the_same_sentence(roster_file: Path) -> None:
    with pytest.raises(CliError) as refusal:
        answers.ingest_upload(roster_file.read_bytes(), "creators.csv")
    assert str(refusal.value) == answers.ROSTER_ELSEWHERE.format(name="creators.csv")


def test_another_unusable_file_keeps_ingests_own_sentence(tmp_path: Path) -> None:
    path = tmp_path / "header_only.csv"
    path.write_bytes(b"date,campaign,spend\n")
    with pytest.raises(CliError, match="header row but no data rows"):
        answers.ingest_path(path)


def test_an_influencer_profile_table_refused_for_its_rows_is_not_called_a_roster() -> None:
    table = b"id,name,platform,category,gender,influencer_type,follower_count\n1.5,Ann,Instagram,Food,Female,Nano,100\n"
    with pytest.raises(CliError) as refusal:
        answers.ingest_upload(table, "influencers.csv")
    assert "roster" not in str(refusal.value) and str(refusal.value).startswith("No usable rows")
