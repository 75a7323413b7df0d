"""Every writer of `generate` under SIGKILL.

`cancelkit generate` runs on a big batch and is killed at seeded random moments spread over
its run (reading, validating and each writer): points of the CPU time the full run took,
not of the clock, so they fall alike on a fast or a loaded machine. After every kill, each
file in the output folder is either absent or complete: the flat file parses to the full
run's rows, the report ends with `</html>`, the JSON report loads with the full summary,
the rejects file has every rejected row. The next normal run then removes the temporaries
the kills left behind."""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import children_cpu_seconds, kill_at_cpu, needs_proc

from cancelkit.amazon import flatfile
from cancelkit.write.files import STALE_AFTER_SECONDS, TEMPORARY_NAME, remove_stale_temporaries

ROWS = 50_000
KILLS = 16
SEED = int(os.environ.get("CANCELKIT_CRASH_SEED", "20261126"))


def big_input(path: Path) -> Path:
    """ROWS rows, one in 50 with an unknown reason (so a rejects file is written)."""
    with open(path, "w", encoding="ascii", newline="") as out:
        out.write("order-id,cancellation-reason-code,amazon-order-item-code,sku\r\n")
        for n in range(ROWS):
            reason = "NoInventory" if n % 50 else "NoSuchReason"
            out.write(f"112-{n:07d}-{n * 7 % 9999991:07d},{reason},{n:014d},SKU-{n % 97}\r\n")
    return path


def outcome(process: subprocess.Popen) -> tuple[int, str]:
    """Wait for the process: its exit status and its stderr (the pipe read and closed)."""
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def generate(source: Path, out_dir: Path) -> subprocess.Popen:
    args = ["generate", source, "--out-dir", out_dir, "--no-ledger"]
    args += ["--json", out_dir / "r.json", "--force"]
    # the temporary folder is the test's own: nothing may be left there either
    temp = source.parent / "tmp"
    temp.mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "cancelkit", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ, NO_COLOR="1", TMPDIR=str(temp)),
    )


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if TEMPORARY_NAME.fullmatch(p.name)]


def assert_complete(folder: Path, full: dict, checked: set | None = None) -> dict[str, int]:
    """Every output in the folder is complete and valid; returns how many of each kind.
    Files in `checked` (by name, size and mtime) were checked before and are skipped."""
    kinds = {"flat": 0, "report": 0, "json": 0, "rejects": 0}
    for path in folder.iterdir():
        name = path.name
        if TEMPORARY_NAME.fullmatch(name):
            continue  # a killed writer's temporary: never under an output's name
        stat = path.stat()
        if checked is not None:
            if (name, stat.st_size, stat.st_mtime_ns) in checked:
                continue
            checked.add((name, stat.st_size, stat.st_mtime_ns))
        if name == "r.json":
            document = json.loads(path.read_text(encoding="utf-8"))
            assert document["summary"] == full["summary"], name
            assert len(document["records"]) == ROWS, name
            kinds["json"] += 1
        elif name.endswith("-report.html"):
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), name
            kinds["report"] += 1
        elif name.endswith("-rejects.csv"):
            with open(path, encoding="utf-8-sig", newline="") as stream:
                rows = list(csv.DictReader(stream))
            assert len(rows) == full["summary"]["rejected"], name
            assert rows[-1]["cancelkit-error-codes"], name
            kinds["rejects"] += 1
        elif name.endswith(".txt"):
            assert sum(1 for _ in flatfile.parse(path)) == full["summary"]["accepted"], name
            kinds["flat"] += 1
        else:
            raise AssertionError(f"unexpected file {name}")
    return kinds


@pytest.mark.slow
@needs_proc
def test_killed_generate_leaves_complete_outputs_and_the_next_run_cleans_up(tmp_path):
    source = big_input(tmp_path / "batch.csv")
    reference = tmp_path / "reference"
    before = children_cpu_seconds()
    code, err = outcome(generate(source, reference))
    assert code == 1, err  # 1: rows were rejected
    cpu = children_cpu_seconds() - before  # the CPU seconds of the full run
    full_json = json.loads((reference / "r.json").read_text(encoding="utf-8"))
    assert assert_complete(reference, full_json) == {
        "flat": 1,
        "report": 1,
        "json": 1,
        "rejects": 1,
    }

    out = tmp_path / "out"
    rng = random.Random(SEED)
    killed = 0
    checked: set = set()
    mid_write: set[str] = set()  # the outputs some kill interrupted while being written
    for attempt in range(KILLS):
        # spread over the run; the first ~20% is interpreter start-up and imports; the last
        # aim is at 90% of the reference run's CPU, so that a run is killed, not finished
        point = cpu * (0.2 + 0.7 * (attempt + rng.random()) / KILLS)
        process = generate(source, out)
        try:
            if kill_at_cpu(process, point):
                killed += 1
            else:
                assert process.returncode == 1, process.stderr.read().decode()
        finally:
            process.stderr.close()
        if out.exists():
            assert_complete(out, full_json, checked)
            mid_write.update(p.name.split(".")[1].rsplit("-", 1)[-1] for p in temporaries(out))
    assert killed >= KILLS * 2 // 3, "most runs must be killed, not finish first"

    # the temporaries the kills left are stale by now (their mtime is set back instead of
    # waiting); one that a concurrent run is writing this moment is young and must stay
    old = time.time() - STALE_AFTER_SECONDS - 5
    for path in temporaries(out):
        os.utime(path, (old, old))
    live = out / ".cancelkit-tmp-r.json.abcd1234.tmp"
    live.write_text("{", encoding="utf-8")
    last = generate(source, out)
    code, err = outcome(last)
    assert code == 1, err
    assert temporaries(out) == [live]
    # the killed runs' scratch in the temporary folder went too (a killed run's lock is
    # let go by the kernel), and no run left a lock file there
    assert list((tmp_path / "tmp").iterdir()) == []
    live.unlink()
    kinds = assert_complete(out, full_json)
    assert kinds["json"] == 1 and kinds["flat"] >= 1 and kinds["report"] >= 1
    print(f"kills {killed}/{KILLS}, killed while writing {sorted(mid_write)}, left {kinds}")


def test_remove_stale_temporaries_takes_only_old_files_of_atomic_writes_pattern(tmp_path):
    old = time.time() - STALE_AFTER_SECONDS - 1
    names = {
        ".cancelkit-tmp-upload.txt.k2j_9xq1.tmp": True,  # atomic_write's, stale
        ".cancelkit-tmp-r.json.abcdefgh.tmp": False,  # atomic_write's, being written now
        "upload.txt": False,  # an output
        ".cancelkit-tmp-upload.txt.tmp": False,  # not mkstemp's 8 characters
        "notes.abcdefgh.tmp": False,  # not hidden: not ours
        # another program's temporaries, hour-old: never cancelkit's to delete
        ".video.mkv.part0001.tmp": False,
        ".upload.txt.k2j_9xq1.tmp": False,
    }
    for name, stale in names.items():
        (tmp_path / name).write_text("x", encoding="utf-8")
        if stale or name != ".cancelkit-tmp-r.json.abcdefgh.tmp":
            os.utime(tmp_path / name, (old - 3600, old - 3600))
    removed = remove_stale_temporaries(tmp_path)
    assert [p.name for p in removed] == [".cancelkit-tmp-upload.txt.k2j_9xq1.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        n for n, s in names.items() if not s
    )
    assert remove_stale_temporaries(tmp_path / "missing") == []
