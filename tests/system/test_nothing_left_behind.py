"""Nothing left behind, anywhere (issue 16): no run leaves a lock file or scratch in the
system temporary folder, nor in the out-dir; what a killed run left there is removed by
the next run, and a live run's scratch is never touched.

Each test points TMPDIR (and tempfile's cached folder) at its own folder: other engineers'
test runs use the real temporary folder at the same time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from conftest import CLEAN, MESSY, invoke

import cancelkit
from cancelkit.read import scratch
from cancelkit.write import plan


@pytest.fixture
def temp(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_generate_check_review_leave_nothing_in_the_temporary_folder(tmp_path, temp):
    out = tmp_path / "out"
    assert invoke("generate", MESSY, "--out-dir", out).exit_code == 1
    assert invoke("generate", CLEAN, "--out-dir", out, "--json", tmp_path / "r.json").exit_code == 0
    assert invoke("check", MESSY, "--json", "-").exit_code == 1
    assert invoke("review", CLEAN, "-o", tmp_path / "review.xlsx").exit_code == 0
    run = invoke("generate", "-", "--out-dir", out, input=CLEAN.read_bytes())
    assert run.exit_code == 0
    assert list(temp.iterdir()) == []
    # and no lock file in the out-dir: only the outputs
    assert all(p.name.startswith("cancellations-") for p in out.iterdir())


def test_real_runs_leave_nothing_in_the_temporary_folder(tmp_path):
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = dict(os.environ, NO_COLOR="1", TMPDIR=str(temp))
    for args in (
        ["generate", CLEAN, "--out-dir", tmp_path / "out"],
        ["generate", CLEAN, "--out-dir", tmp_path / "out"],  # a second run: -2 names
        ["generate", "-", "--out-dir", tmp_path / "out"],
        ["generate", MESSY, "--out-dir", tmp_path / "no" / "such" / "out", "--fail-on", "medium"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "cancelkit", *map(str, args)],
            input=CLEAN.read_bytes(),
            capture_output=True,
            env=env,
            timeout=120,
        )
        assert done.returncode in (0, 1, 3), done.stderr.decode()
    assert list(temp.iterdir()) == []


def test_a_run_whose_outputs_are_all_named_makes_no_out_dir(tmp_path, temp):
    out = tmp_path / "cancelkit-out"
    run = invoke(
        "generate",
        CLEAN,
        "--out-dir",
        out,
        "--flat-file",
        tmp_path / "up.txt",
        "--report",
        tmp_path / "r.html",
    )
    assert run.exit_code == 0, run.output
    assert not out.exists()
    assert (tmp_path / "up.txt").exists()


def test_a_failed_run_takes_back_the_out_dir_and_its_parents(tmp_path, temp):
    existing = tmp_path / "up.txt"
    existing.write_text("x", encoding="utf-8")
    out = tmp_path / "a" / "b" / "out"
    run = invoke("generate", CLEAN, "--out-dir", out, "--flat-file", existing)
    assert run.exit_code == 2
    assert not (tmp_path / "a").exists()


def test_the_out_dir_lock_serialises_and_survives_a_removed_folder(tmp_path):
    """Two holders of one out-dir, one after the other; a holder that removed the empty
    folder does not let the next one lock a dead folder."""
    out = tmp_path / "out"
    order = []
    inside = threading.Event()
    release = threading.Event()

    def first():
        with plan.reserved_names(out):
            order.append("first in")
            inside.set()
            release.wait(30)
            order.append("first out")  # the folder is empty: removed when it lets go

    def second():
        inside.wait(30)
        with plan.reserved_names(out):
            order.append("second in")
            assert out.is_dir()
            (out / "kept.txt").write_text("x", encoding="utf-8")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    inside.wait(30)
    release.set()
    for thread in threads:
        thread.join(30)
    assert order == ["first in", "first out", "second in"]
    assert (out / "kept.txt").exists()
    assert [p.name for p in out.iterdir()] == ["kept.txt"]


def test_the_next_run_removes_a_killed_runs_scratch_and_never_a_live_ones(tmp_path, temp):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from cancelkit.read import scratch;"
            "w = scratch.make_workdir(); open(w + '/flat.txt', 'w').write('x');"
            "c = scratch.make_stdin_copy(); c.write(b'x'); c.close();"
            "print(w, c.name, flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        env=dict(os.environ, TMPDIR=str(temp)),
    )
    workdir, copy = holder.stdout.readline().decode().split()
    try:
        assert scratch.remove_abandoned(str(temp)) == []  # alive: its lock is held
        assert Path(workdir, "flat.txt").exists() and Path(copy).exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    stranger = temp / "cancelkit-run-not-ours-by-name"  # a name alone is not enough:
    stranger.symlink_to(tmp_path)  # a symlink is never followed nor removed
    other = temp / "someone-elses.txt"
    other.write_text("x", encoding="utf-8")
    cancelkit.check(str(CLEAN), no_ledger=True).close()  # every run cleans up first
    assert sorted(p.name for p in temp.iterdir()) == sorted([stranger.name, other.name])
    assert tmp_path.exists()


def test_threads_in_one_process_never_remove_each_others_scratch(tmp_path, temp):
    results = []

    def one():
        with cancelkit.check(str(MESSY), no_ledger=True) as result:
            results.append(result.summary["rejected"])

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(results) == 4 and len(set(results)) == 1
    assert list(temp.iterdir()) == []
