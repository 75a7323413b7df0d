"""A run is a transaction (docs/design.md): the output plan checks every path before the first
row is read, the outputs are renamed into place together with the ledger batch, and a
failure or an interrupt leaves the folders and the ledger as they were."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CLEAN, MESSY, assert_one_line_error, files_under, invoke

from cancelkit.errors import LedgerError
from cancelkit.ledger.store import Ledger
from cancelkit.read import scratch
from cancelkit.write import files, plan

INPUT = CLEAN.read_bytes()


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(MESSY.read_bytes())
    return path


def batches(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    with sqlite3.connect(ledger) as db:
        return db.execute("SELECT count(*) FROM batches").fetchone()[0]


@pytest.mark.parametrize(
    "option", ["--flat-file", "--rejects", "--json", "--report"], ids=lambda o: o[2:]
)
@pytest.mark.parametrize("spelling", ["same", "symlink", "dotdot", "hardlink"])
def test_an_output_never_replaces_an_input(tmp_path, batch, option, spelling):
    before = batch.read_bytes()
    name = {
        "same": batch,
        "symlink": tmp_path / "link.csv",
        "dotdot": tmp_path / "sub" / ".." / "in.csv",
        "hardlink": tmp_path / "hard.csv",
    }[spelling]
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        os.symlink(batch, name)
    if spelling == "hardlink":
        os.link(batch, name)
    if option == "--report":
        name = Path(str(name))  # a .csv report is refused for its suffix too; same code first
    out = tmp_path / "out"
    run = invoke("generate", batch, option, name, "--force", "--out-dir", out)
    assert_one_line_error(run, "an output never replaces an input", "[output_is_input]")
    assert batch.read_bytes() == before
    assert not out.exists()


def test_review_output_never_replaces_its_input(tmp_path, batch):
    before = batch.read_bytes()
    run = invoke("review", batch, "-o", batch, "--force")
    assert_one_line_error(run, "[output_is_input]")
    assert batch.read_bytes() == before


def test_two_outputs_on_one_path_are_refused(tmp_path, batch, private_ledger):
    target = tmp_path / "x.txt"
    run = invoke("generate", batch, "--flat-file", target, "--json", target, "--force")
    assert_one_line_error(run, "named as both the upload file", "[output_twice]")
    assert not target.exists()
    assert batches(private_ledger) == 0
    same = invoke(
        "generate", batch, "--rejects", target, "--report", tmp_path / "." / "x.txt", "--force"
    )
    assert_one_line_error(same, "[output_twice]")


def test_an_output_over_the_ledger_is_refused(tmp_path, batch, private_ledger):
    assert invoke("generate", batch, "--out-dir", tmp_path / "first").exit_code == 1
    size = private_ledger.stat().st_size
    run = invoke("generate", batch, "--json", private_ledger, "--force", "--out-dir", tmp_path)
    assert_one_line_error(run, "is the input the ledger", "[output_is_input]")
    assert private_ledger.stat().st_size == size


def test_json_into_a_folder_or_under_a_file_is_refused_before_anything_is_written(
    tmp_path, batch, private_ledger
):
    folder = tmp_path / "reports"
    folder.mkdir()
    out = tmp_path / "out"
    run = invoke("generate", batch, "--json", folder, "--force", "--out-dir", out)
    assert_one_line_error(run, "is a folder", "[output_is_folder]")
    regular = tmp_path / "notes.txt"
    regular.write_text("mine", encoding="utf-8")
    run = invoke("generate", batch, "--json", regular / "r.json", "--out-dir", out)
    assert_one_line_error(run, f"as {regular} is a file", "[output_folder]")
    assert not out.exists()
    assert batches(private_ledger) == 0


def test_a_ledger_folder_that_cannot_be_created_stops_the_run_before_writing(tmp_path, batch):
    regular = tmp_path / "plain-file"
    regular.write_text("x", encoding="utf-8")
    out = tmp_path / "out"
    run = invoke("generate", batch, "--ledger", regular / "ledger.sqlite3", "--out-dir", out)
    assert_one_line_error(run, "[output_folder]")
    assert not out.exists()


def test_a_read_only_ledger_stops_the_run_before_writing(tmp_path, batch, monkeypatch):
    ledger = tmp_path / "ledger.sqlite3"
    Ledger.open(ledger).close()
    ledger.chmod(0o444)

    # root may write any file, so the refusal is shown as a user without write access sees it
    def access(path, mode):
        return not (mode & os.W_OK and Path(path) == ledger)

    monkeypatch.setattr(plan.os, "access", access)
    out = tmp_path / "out"
    run = invoke("generate", batch, "--ledger", ledger, "--out-dir", out)
    assert_one_line_error(run, "the ledger is read-only", "[ledger_read_only]")
    assert not out.exists()


@pytest.mark.parametrize("content", ["", "'text'"], ids=["empty", "text"])
def test_a_ledger_with_a_damaged_schema_version_is_one_line(tmp_path, batch, content):
    ledger = tmp_path / "ledger.sqlite3"
    Ledger.open(ledger).close()
    with sqlite3.connect(ledger) as db:
        db.execute("DELETE FROM schema_version")
        if content:
            db.execute(f"INSERT INTO schema_version VALUES ({content})")
    out = tmp_path / "out"
    run = invoke("generate", batch, "--ledger", ledger, "--out-dir", out)
    assert_one_line_error(run, "damaged ledger (its schema version is")
    assert not out.exists()


def test_an_existing_output_is_refused_before_reading(tmp_path, batch, monkeypatch):
    target = tmp_path / "upload.txt"
    target.write_text("yesterday", encoding="utf-8")
    read = []
    monkeypatch.setattr("cancelkit.pipeline.run.open_tables", lambda *a: read.append(a))
    run = invoke("generate", batch, "--flat-file", target, "--out-dir", tmp_path / "out")
    assert_one_line_error(run, "already exists; use --force", "[output_exists]")
    assert read == []  # refused before the first row was read
    assert target.read_text(encoding="utf-8") == "yesterday"


def test_a_full_disk_leaves_nothing_behind(tmp_path, batch, private_ledger, monkeypatch):
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 3:  # the flat file and the rejects are staged; the JSON fails
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    out = tmp_path / "out"
    run = invoke("generate", batch, "--out-dir", out, "--json", out / "r.json")
    line = assert_one_line_error(run, "r.json: cannot write (No space left on device)")
    assert line.endswith("[write_failed]")
    assert files_under(out) == set()
    assert batches(private_ledger) == 0


def test_a_ledger_failure_takes_the_written_files_back(
    tmp_path, batch, private_ledger, monkeypatch
):
    existing = tmp_path / "upload.txt"
    existing.write_text("yesterday", encoding="utf-8")

    def fail(self, meta, rows):
        raise LedgerError(f"{self.path}: ledger error (disk I/O error)")

    monkeypatch.setattr(Ledger, "record_batch", fail)
    out = tmp_path / "out"
    run = invoke("generate", batch, "--out-dir", out, "--flat-file", existing, "--force")
    assert_one_line_error(run, "ledger error (disk I/O error)")
    assert existing.read_text(encoding="utf-8") == "yesterday"  # restored from its backup
    assert files_under(out) == set()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".cancelkit-tmp-")] == []


def test_an_interrupt_while_writing_leaves_nothing(tmp_path, batch, private_ledger, monkeypatch):
    from cancelkit.write.result import Result

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Result, "write_report", interrupted)
    out = tmp_path / "out"
    run = invoke("generate", batch, "--out-dir", out)
    assert run.exit_code == 130
    assert run.stderr.strip() == "cancelkit: interrupted"
    assert "Aborted" not in run.output and "Traceback" not in run.output
    assert not out.exists()  # not even the out-dir the run would have made
    assert batches(private_ledger) == 0


def wait_for_work_folder(process: subprocess.Popen, temp: Path) -> None:
    """Until the run has made its work folder (`scratch.make_workdir`, just before the rows
    are read); polled, with a bound, never a fixed sleep."""
    deadline = time.monotonic() + 60
    while not any(p.name.startswith(scratch.RUN_PREFIX) for p in temp.iterdir()):
        assert process.poll() is None, "the run ended before it read its rows"
        assert time.monotonic() < deadline, "the run never made its work folder"
        time.sleep(0.005)


@pytest.mark.slow
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_a_real_run_with_its_exit_code_and_nothing_written(
    tmp_path, signum, code, private_ledger
):
    source = tmp_path / "big.csv"
    with open(source, "w", encoding="ascii", newline="") as out:
        out.write("order-id,cancellation-reason-code,amazon-order-item-code\r\n")
        for n in range(400_000):
            out.write(f"112-{n:07d}-{n * 7 % 9999991:07d},NoInventory,{n:014d}\r\n")
    folder = tmp_path / "out"
    temp = tmp_path / "tmp"  # the run's own temporary folder: its work folder shows there
    temp.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "cancelkit", "generate", str(source), "--out-dir", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, NO_COLOR="1", TMPDIR=str(temp)),
    )
    wait_for_work_folder(process, temp)  # past start-up: the rows are being read
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    text = stderr.decode()
    assert process.returncode == code, text
    assert "Traceback" not in text and "Aborted" not in text
    assert not folder.exists()
    assert batches(private_ledger) == 0


def test_concurrent_runs_into_one_out_dir_each_get_their_own_names(tmp_path):
    out = tmp_path / "out"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "cancelkit", "generate", str(CLEAN), "--out-dir", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=dict(os.environ, NO_COLOR="1", CANCELKIT_LEDGER=str(tmp_path / f"l{n}.sqlite3")),
        )
        for n in range(4)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
    uploads = sorted(p.name for p in out.glob("cancellations-*.txt"))
    reports = sorted(p.name for p in out.glob("cancellations-*-report.html"))
    assert len(uploads) == len(reports) == 4
    assert len({name[: -len(".txt")] for name in uploads}) == 4


@pytest.mark.parametrize("spelling", ["symlink", "dotdot"])
def test_the_same_input_under_two_names_is_refused(tmp_path, batch, spelling):
    (tmp_path / "sub").mkdir()
    if spelling == "symlink":
        other = tmp_path / "link.csv"
        os.symlink(batch, other)
    else:
        other = tmp_path / "sub" / ".." / "in.csv"
    run = invoke("check", batch, other)
    assert_one_line_error(run, "the same input is named twice", "[input_twice]")


def test_template_and_reconcile_use_the_plan(tmp_path):
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    run = invoke("template", "-o", tmp_path / "plain" / "t.xlsx")
    assert_one_line_error(run, "[output_folder]")
    report = tmp_path / "processing.txt"
    report.write_text("x", encoding="utf-8")
    run = invoke("reconcile", report, "--retry", report, "--force")
    assert_one_line_error(run, "[output_is_input]")


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01binary\x00" * 20, b"sku,reason\r\nA,B\r\n", b""],
    ids=["binary", "no-order-id", "empty"],
)
def test_a_refused_stdin_leaves_no_copy_behind(tmp_path, monkeypatch, content):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    run = invoke("check", "-", input=content)
    assert run.exit_code == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("cancelkit-stdin-")] == []


def test_the_library_writers_never_replace_an_input(tmp_path, batch):
    import cancelkit
    from cancelkit.errors import OutputError

    before = batch.read_bytes()
    with cancelkit.check(str(batch), no_ledger=True) as result:
        for write in (
            result.write_flat_file,
            result.write_rejects,
            result.write_report,
            result.write_review,
        ):
            with pytest.raises(OutputError) as caught:
                write(tmp_path / "sub" / ".." / "in.csv", force=True)
            assert caught.value.code == "output_is_input"
        with pytest.raises(OutputError):
            result.to_json(batch, force=True)
    assert batch.read_bytes() == before


def test_check_writes_its_report_and_json_together_or_neither(tmp_path, batch, monkeypatch):
    real = os.fsync
    calls = []

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)
    run = invoke(
        "check",
        batch,
        "--report",
        tmp_path / "r.html",
        "--json",
        tmp_path / "r.json",
        "--no-ledger",
    )
    assert_one_line_error(run, "r.json: cannot write", "[write_failed]")
    assert not (tmp_path / "r.html").exists()


def test_check_and_review_never_write_over_the_ledger_they_read(tmp_path, batch, private_ledger):
    assert invoke("generate", batch, "--out-dir", tmp_path / "out").exit_code == 1
    size = private_ledger.stat().st_size
    run = invoke("check", batch, "--json", private_ledger, "--force")
    assert_one_line_error(run, "[output_is_input]")
    run = invoke("review", batch, "-o", private_ledger, "--force")
    assert_one_line_error(run, "[output_is_input]")
    assert private_ledger.stat().st_size == size
