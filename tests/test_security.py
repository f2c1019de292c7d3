"""Security checks: CSV injection in downloads, no user text rendered as HTML, no unchecked unpickling,
a hardened .streamlit/config.toml, and no secrets in the repository."""

from __future__ import annotations

import ast
import csv
import io
import re
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipeline import export
from pipeline.inputs.ingest.load import ingest
from tests.hostile.corpus import FORMULA_NAME, SCRIPT_NAME, build_corpus
from tests.hostile.datadirs import write_data_dir

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"
UI_DIRS = ("pages", "ui")
ARTIFACTS = Path("pipeline") / "modeling" / "artifacts.py"
SKIP_DIRS = {".venv", "tests", "__pycache__", ".git", "data", "models", "test-output"}
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- CSV downloads


def read_back(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("prefix", DANGEROUS_PREFIXES)
def test_download_defuses_every_formula_prefix(prefix: str) -> None:
    frame = pd.DataFrame({"campaign": [f'{prefix}HYPERLINK("http://x")', "safe"], "spend": [-5.0, 1.0]})
    rows = read_back(export.to_csv_bytes(frame))
    assert rows[1][0] == f'\'{prefix}HYPERLINK("http://x")'  # the quote makes it text, the content is kept
    assert rows[2][0] == "safe"
    assert rows[1][1] == "-5"  # a negative number is a number, not a formula (whole money: no ".0")


def test_download_defuses_headers_categories_and_carriage_returns() -> None:
    frame = pd.DataFrame(
        {"=SUM(A1:A9)": ["\rcmd", "\tcmd"], "platform": pd.Categorical(["@evil", "Meta"]), "clicks": [1, 2]}
    )
    rows = read_back(export.to_csv_bytes(frame))
    assert rows[0] == ["'=SUM(A1:A9)", "platform", "clicks"]
    assert rows[1][:2] == ["'\rcmd", "'@evil"] and rows[2][:2] == ["'\tcmd", "Meta"]
    for row in rows:
        assert not any(cell.startswith(DANGEROUS_PREFIXES) for cell in row)


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
def test_a_line_break_inside_a_cell_cannot_start_a_formula_row(separator: str) -> None:
    """A bare CR inside a cell must be quoted, or a spreadsheet starts a new row there, formula first."""
    frame = pd.DataFrame({"campaign": [f'Spring{separator}=HYPERLINK("http://x")'], "spend": [1.0]})
    data = export.to_csv_bytes(frame)
    rows = read_back(data)
    assert rows == [["campaign", "spend"], [f'Spring{separator}=HYPERLINK("http://x")', "1"]]  # whole money: "1"
    assert pd.read_csv(io.BytesIO(data))["campaign"].tolist() == frame["campaign"].tolist()
    # What a spreadsheet sees as lines outside quotes: none may begin with a formula character.
    unquoted_lines = re.split(r"\r\n|\r|\n", re.sub(r'"[^"]*"', "", data.decode()))
    assert not [line for line in unquoted_lines if line.startswith(DANGEROUS_PREFIXES)]


def test_an_uploaded_formula_file_is_defused_on_the_way_out() -> None:
    item = next(i for i in build_corpus() if i.slug == "formula_cells")
    frame = ingest(item.content, name=item.filename).frame
    assert FORMULA_NAME in set(frame["campaign"].astype(str))  # kept verbatim inside the app
    cells = {cell for row in read_back(export.to_csv_bytes(frame)) for cell in row}
    assert f"'{FORMULA_NAME}" in cells and "'@SUM(A1)" in cells
    assert not any(cell.startswith(DANGEROUS_PREFIXES) for cell in cells)


# --------------------------------------------------------------------------- no user text as HTML


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def html_sinks(path: Path) -> list[str]:
    """Calls that render raw HTML: unsafe_allow_html=..., st.html(...), components.html(...)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        if any(keyword.arg == "unsafe_allow_html" for keyword in node.keywords):
            found.append(f"{path.name}:{node.lineno} unsafe_allow_html")
        if isinstance(node.func, ast.Attribute) and node.func.attr in {"html", "iframe"}:
            found.append(f"{path.name}:{node.lineno} .{node.func.attr}()")
    return found


def test_pages_and_ui_never_render_raw_html() -> None:
    files = python_files(*UI_DIRS)
    assert len(files) >= 5
    assert [sink for path in files for sink in html_sinks(path)] == []


def test_the_html_check_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "page.py"
    sample.write_text('import streamlit as st\nst.markdown(name, unsafe_allow_html=True)\nst.html("<b>x</b>")\n')
    assert html_sinks(sample) == ["page.py:2 unsafe_allow_html", "page.py:3 .html()"]


def iter_elements(node: object):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from iter_elements(child)


def test_a_script_campaign_name_is_shown_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def rename(tables: dict) -> dict:
        campaigns = tables["campaigns"]
        first = campaigns["campaign"].iloc[0]
        return {**tables, "campaigns": campaigns.replace({"campaign": {first: SCRIPT_NAME}})}

    monkeypatch.setenv("APP_DATA_DIR", str(write_data_dir(tmp_path / "xss", "full", rename)))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=120).run()
    assert not at.exception
    assert SCRIPT_NAME in at.multiselect(key="cf_campaign").options  # it reaches the page, as an option label
    at.segmented_control(key="ov_dim").set_value("campaign").run()
    shown = {str(v) for frame in at.dataframe for v in frame.value.get("campaign", pd.Series(dtype=str))}
    assert SCRIPT_NAME in shown  # and as a table cell
    elements = [element for root in (at.main, at.sidebar) for element in iter_elements(root)]
    assert not [e for e in elements if getattr(getattr(e, "proto", None), "allow_html", False)]
    assert not [e for e in elements if type(getattr(e, "proto", None)).__name__ == "Html"]


# --------------------------------------------------------------------------- no unchecked unpickling

UNPICKLERS = {
    ("joblib", "load"),
    ("pickle", "load"),
    ("pickle", "loads"),
    ("pickle", "Unpickler"),
    ("cloudpickle", "load"),
    ("cloudpickle", "loads"),
    ("dill", "load"),
    ("dill", "loads"),
    ("shelve", "open"),
    ("marshal", "loads"),
}


def unpickling_calls(path: Path) -> list[str]:
    """joblib.load / pickle.load(s) / pd.read_pickle / np.load(allow_pickle=True) and friends in one file."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {m for m, _ in UNPICKLERS}:
            found += [f"{node.module}.{a.name}" for a in node.names if (node.module, a.name) in UNPICKLERS]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if (owner, func.attr) in UNPICKLERS or func.attr == "read_pickle":
                found.append(f"{owner}.{func.attr}")
        if any(
            k.arg == "allow_pickle" and not (isinstance(k.value, ast.Constant) and not k.value.value)
            for k in node.keywords
        ):
            found.append("allow_pickle")
    return found


def repo_python_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not SKIP_DIRS & set(path.relative_to(ROOT).parts[:-1]) and not path.name.startswith(".")
    )


def test_only_the_artifact_store_unpickles() -> None:
    files = repo_python_files()
    assert any(p.relative_to(ROOT) == Path("app.py") for p in files)
    offenders = {
        str(path.relative_to(ROOT)): calls
        for path in files
        if path.relative_to(ROOT) != ARTIFACTS and (calls := unpickling_calls(path))
    }
    assert offenders == {}


def test_the_unpickling_check_can_fail(tmp_path: Path) -> None:
    sample = tmp_path / "loader.py"
    sample.write_text(
        "import joblib, pickle, numpy as np, pandas as pd\nfrom pickle import loads\n"
        "joblib.load(f)\npickle.loads(b)\npd.read_pickle(p)\nnp.load(p, allow_pickle=True)\n"
    )
    assert unpickling_calls(sample) == ["pickle.loads", "joblib.load", "pickle.loads", "pd.read_pickle", "allow_pickle"]


def test_uploads_accept_only_tables() -> None:
    """No uploader takes a model or pickle file, so an uploaded model can never reach the unpickler."""
    uploaders = []
    for path in python_files(*UI_DIRS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "file_uploader":
                types = next((k.value for k in node.keywords if k.arg == "type"), None)
                assert types is not None, f"{path.name}:{node.lineno} accepts any file type"
                uploaders.append(set(ast.literal_eval(types)))
    assert uploaders, "no file_uploader found"
    for types in uploaders:
        assert types <= {"csv", "tsv", "txt"}, types


class Trap:
    """Unpickling this creates a marker file: proof that bytes were unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_tampered_model_bytes_are_never_unpickled(tmp_path: Path) -> None:
    from pipeline.modeling import artifacts

    marker = tmp_path / "unpickled"
    artifacts.save(tmp_path, "trap", Trap(marker), {})
    joblib_path, _ = artifacts.artifact_paths(tmp_path, "trap")
    original = joblib_path.read_bytes()
    joblib_path.write_bytes(original + b"\x00")  # one byte more: the sha256 no longer matches
    with pytest.raises(artifacts.ArtifactInvalid, match="sha256"):
        artifacts.load(tmp_path, "trap")
    assert not marker.exists()
    joblib_path.write_bytes(original)  # control: the verified bytes do get unpickled, so the trap works
    artifacts.load(tmp_path, "trap")
    assert marker.exists()


# --------------------------------------------------------------------------- server configuration

REQUIRED_SETTINGS = {
    ("server", "maxUploadSize"): lambda v: isinstance(v, int) and 0 < v <= 200,
    ("server", "enableXsrfProtection"): lambda v: v is True,
    ("browser", "gatherUsageStats"): lambda v: v is False,
}


def comment_above(lines: list[str], key: str) -> str:
    index = next(i for i, line in enumerate(lines) if re.match(rf"\s*{key}\s*=", line))
    above = lines[index - 1].strip() if index else ""
    return above.lstrip("#").strip() if above.startswith("#") else ""


def test_streamlit_config_is_hardened_and_each_setting_says_why() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    settings = tomllib.loads(text)
    lines = text.splitlines()
    for (section, key), valid in REQUIRED_SETTINGS.items():
        assert valid(settings[section][key]), (section, key, settings[section][key])
        assert len(comment_above(lines, key)) >= 15, f"{key} has no reason comment"
    assert settings["server"].get("address", "127.0.0.1") == "127.0.0.1"  # loopback unless deliberately changed
    for line_no, line in enumerate(lines):  # every setting, not just these, carries its reason
        if re.match(r"\s*\w+\s*=", line):
            assert lines[line_no - 1].lstrip().startswith("#"), f"no comment above: {line}"


def test_readme_explains_binding_safely() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "127.0.0.1" in readme and re.search(r"reverse\s+proxy", readme)


# --------------------------------------------------------------------------- secrets

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY( BLOCK)?-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret key": re.compile(r"aws_secret_access_key\s*[=:]\s*\S{20,}", re.IGNORECASE),
    "password assignment": re.compile(r"(?:password|passwd|pwd)\s*[=:]\s*[\"']?[^\s\"'{}$<>]{4,}", re.IGNORECASE),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "API key assignment": re.compile(r"\b(?:api[_-]?key|secret[_-]?key)\s*[=:]\s*[\"'][A-Za-z0-9/+_-]{16,}[\"']", re.I),
}


def repository_files() -> list[Path]:
    """Tracked files plus new files not ignored (what the next commit could contain)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [ROOT / name for name in listed if (ROOT / name).is_file()]


def secrets_in(text: str) -> list[str]:
    return [name for name, pattern in SECRET_PATTERNS.items() if pattern.search(text)]


def test_no_secret_in_the_repository() -> None:
    files = repository_files()
    assert len(files) > 20
    found = {}
    for path in files:
        data = path.read_bytes()
        if b"\x00" in data[:4096] or len(data) > 5_000_000:  # binary or data file
            continue
        if hits := secrets_in(data.decode("utf-8", errors="replace")):
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}


def test_the_secret_scan_can_fail() -> None:
    fake_key = "AKIA" + "ABCDEFGHIJKLMNOP"
    pem = "-----BEGIN " + "RSA PRIVATE KEY-----"
    assert secrets_in(f"{pem}\nMIIE...") == ["private key"]
    assert secrets_in(f"id = {fake_key}") == ["AWS access key id"]
    assert secrets_in("DB_PASSWORD=" + "hunter22") == ["password assignment"]
    assert secrets_in("password = " + "hunter22") == ["password assignment"]
    assert secrets_in("password: str  # the user's") == []  # a type annotation is not a secret
