"""Shared helpers of the core pipeline tests: fixture paths, the two ways of running the CLI,
and the expected outcomes read from fixtures/EXPECTED.md."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import time
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import cancelkit
from cancelkit.cli import cli

#: the `standin` fixture: a local stand-in for Amazon's SP-API (tests/spapi_standin.py)
pytest_plugins = ("spapi_standin",)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
CLEAN = FIXTURES / "clean-batch.csv"
MESSY = FIXTURES / "messy-batch.csv"
NUMERIC = FIXTURES / "numeric-items.xlsx"
STATE = FIXTURES / "state-batch.csv"

# Amazon's Order Cancellation template rows (docs/domain.md section 2), as bytes on disk.
TEMPLATE_ROW = (
    b"TemplateType=OrderCancellation\tVersion=1.0/1.0.3\t"
    b"This row for Amazon.com use only.  Do not modify or delete.\r\n"
)
HEADER_ROW = b"order-id\tcancellation-reason-code\tamazon-order-item-code\r\n"

OUTPUT_NAME = re.compile(r"cancellations-\d{8}-\d{6}(?:-\d+)?(?:\.txt|-report\.html|-rejects\.csv)")


@dataclass
class Run:
    """What one CLI run left behind: exit code and the two streams."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture(autouse=True)
def private_ledger(tmp_path_factory, monkeypatch):
    """Every test gets its own ledger file, never the user's real one."""
    folder = tmp_path_factory.mktemp("ledger")
    monkeypatch.setenv("CANCELKIT_LEDGER", str(folder / "ledger.sqlite3"))
    # and its own review key (read/seal.py), never the one in the user's data folder
    monkeypatch.setenv("CANCELKIT_REVIEW_KEY", str(folder / "review-key"))
    return folder / "ledger.sqlite3"


def installed_wheel(tmp_path: Path) -> Path:
    """A fresh venv under `tmp_path` with cancelkit installed from a wheel built of this
    checkout; the project's dependencies come from this interpreter's own site-packages
    (which, when the tests run inside a virtual environment, are not the base interpreter's
    that `system_site_packages` would give), and the wheel stands first. Returns the venv."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    (wheel,) = dist.glob("cancelkit-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site_dir = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (Path(site_dir) / "cancelkit-test-deps.pth").write_text("\n".join(ours) + "\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
    )
    return env_dir


def run_cli(*args, cwd: Path, input: bytes | None = None) -> Run:
    """Run `python -m cancelkit` in a real subprocess (with the test's private ledger)."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "cancelkit", *map(str, args)],
        cwd=cwd,
        input=input if input is not None else b"",
        capture_output=True,
        timeout=120,
        env=env,
    )
    return Run(
        proc.returncode,
        proc.stdout.decode("utf-8", errors="replace"),
        proc.stderr.decode("utf-8", errors="replace"),
    )


def invoke(*args, input: bytes | str | None = None) -> Run:
    """Run the CLI in-process with click's CliRunner; any exception other than the exit is
    re-raised, as it would reach the user as a traceback."""
    result = CliRunner().invoke(cli, [str(a) for a in args], input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def assert_one_line_error(run: Run, *fragments: str) -> str:
    """Exit 2, nothing on stdout, one line on stderr holding every fragment, no traceback."""
    assert run.exit_code == 2, run.output
    assert "Traceback" not in run.output
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    line = lines[0]
    assert line.startswith("cancelkit: error: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


def files_under(folder: Path) -> set[str]:
    """Every file below a folder, as paths relative to it."""
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def on_disk(ledger: object, sql: str, params: tuple = ()) -> list[tuple]:
    """The rows of a query on a ledger's file (a `Ledger` or its path), on a connection of
    the test's own: tests look at what is on disk, never at the Ledger's connection."""
    path = getattr(ledger, "path", ledger)
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return db.execute(sql, params).fetchall()


#: tests that stop a child at a point of its CPU time read it from Linux's /proc
needs_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads a process's CPU time from /proc"
)


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a child process has used so far, from /proc: how far
    it has got in its work, whatever the load of the machine. Tests that stop a process at
    a point of its run wait for this, never for a fixed time."""
    # after the command's name in parentheses: field 3 (the state) first, utime 14, stime 15
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """The CPU time of the child processes waited for so far (take the difference around a
    run for the CPU time it took)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def kill_at_cpu(process: subprocess.Popen, cpu_s: float, bound_s: float = 120.0) -> bool:
    """SIGKILL a child once it has used `cpu_s` seconds of CPU: a point of its work, not of
    the clock, so a loaded machine does not move it. False when it finished first."""
    wait_until(
        lambda: process.poll() is not None or cpu_seconds(process.pid) >= cpu_s,
        bound_s,
        "the end or the kill point of the run",
    )
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


def wait_until(condition, bound_s: float = 60.0, what: str = "the condition") -> None:
    """Poll `condition()` until it holds; a test failure after `bound_s` seconds (a
    generous bound, never a timing assertion)."""
    deadline = time.monotonic() + bound_s
    while not condition():
        assert time.monotonic() < deadline, f"{what} never came"
        time.sleep(0.001)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder that is also the current directory (the default out-dir
    ./cancelkit-out lands here)."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


# -- fixtures/EXPECTED.md ---------------------------------------------------------------


def _section(title: str) -> str:
    text = (FIXTURES / "EXPECTED.md").read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def expected_table(title: str) -> list[dict[str, str]]:
    """The first table of an EXPECTED.md section, as dicts keyed by its header cells."""
    lines = _section(title).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    block = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    header, rows = block[0], block[2:]
    return [dict(zip(header, row)) for row in rows]


def expected_totals(title: str) -> list[dict[str, int]]:
    """Every `input_rows N = accepted A + rejected R [+ duplicates D]` line of a section."""
    found = re.findall(
        r"input_rows (\d+) = accepted (\d+) \+ rejected (\d+)(?: [^+*]*\+ duplicates (\d+))?",
        _section(title),
    )
    return [
        {
            "input_rows": int(rows),
            "accepted": int(accepted),
            "rejected": int(rejected),
            "duplicates": int(duplicates or 0),
        }
        for rows, accepted, rejected, duplicates in found
    ]


def codes_in(cell: str) -> list[str]:
    """The `code` spans of a table cell, in order."""
    return re.findall(r"`([a-z_]+)`", cell)


def normalised(cell: str) -> str | None:
    """A normalised value of EXPECTED.md; '-' (with or without a remark) means none."""
    if cell == "" or cell.startswith("-") or cell == "(whole order)":
        return None
    return cell


# -- the JSON report (docs/design.md, schema_version 1) ----------------------------------------

SUMMARY_KEYS = {"input_rows", "accepted", "rejected", "duplicates", "orders", "counts_against_rate"}
METRICS_KEYS = {
    "marketplace",
    "window_days",
    "threshold",
    "orders_in_window",
    "seller_cancels_in_window",
    "rate_before",
    "rate_after",
    "over_threshold",
    "headroom_orders",
}
RECORD_KEYS = {
    "source",
    "row",
    "order_id",
    "amazon_order_item_code",
    "reason",
    "status",
    "counts_against_rate",
    "risk",
    "flags",
    "errors",
}


def assert_schema_v1(document: dict) -> None:
    """The keys and value types of docs/design.md's JSON report; keys may only be added."""
    assert document["schema_version"] == 1
    assert document["tool"]["name"] == "cancelkit"
    assert document["tool"]["version"] == cancelkit.__version__
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", document["generated_at"])
    assert {
        "inputs",
        "summary",
        "metrics",
        "listing_risks",
        "records",
        "outputs",
    } <= set(document)
    for entry in document["inputs"]:
        assert {"path", "sha256", "rows"} <= set(entry)
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"])
        assert isinstance(entry["rows"], int)
    summary = document["summary"]
    assert set(summary) >= SUMMARY_KEYS
    assert all(isinstance(summary[key], int) for key in SUMMARY_KEYS)
    assert set(summary["risk"]) == {"high", "medium", "low", "none"}
    assert set(document["metrics"]) >= METRICS_KEYS
    for risk in document["listing_risks"]:
        assert {"sku", "seller_cancellations_30d", "order_ids"} <= set(risk)
    for record in document["records"]:
        assert set(record) >= RECORD_KEYS
        assert "seq" not in record and "values" not in record
        assert record["status"] in {"accepted", "rejected", "duplicate"}
        assert isinstance(record["row"], int)
        for flag in record["flags"]:
            assert set(flag) == {"code", "message"}
        for error in record["errors"]:
            assert set(error) == {"code", "column", "value", "message"}
    assert set(document["outputs"]) >= {"flat_file", "rejects", "report", "review"}


@pytest.fixture(autouse=True)
def closed_http_clients(monkeypatch):
    """Every httpx client a test opens is closed when the test ends, made with `with` or
    not (pytest turns an unclosed socket's ResourceWarning into an error)."""
    try:
        import httpx
    except ImportError:  # the SP-API extra is not installed: no test opens a client
        yield
        return
    opened: list = []
    original = httpx.Client.__init__

    def tracked(self, *args, **kwargs):
        original(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(httpx.Client, "__init__", tracked)
    yield
    for client in opened:
        client.close()
