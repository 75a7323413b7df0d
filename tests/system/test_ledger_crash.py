"""The ledger under SIGKILL and under two writers at once.

Processes that record big batches (directly, and through `cancelkit generate`) are killed at
points spread over their whole run (points of the CPU time an uninterrupted run takes, so
they fall alike on a fast or a loaded machine); afterwards the ledger must open, pass
SQLite's integrity check and hold only complete batches: every batch has all its rows or is
absent, and a supersede happened together with the batch that caused it or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import children_cpu_seconds, kill_at_cpu, needs_proc, wait_until

from cancelkit.ledger.store import Ledger

pytestmark = pytest.mark.slow

ROWS = 150_000
ROUNDS = 2
KILLS = 10
SEED = int(os.environ.get("CANCELKIT_CRASH_SEED", "20261126"))

# Records ROUNDS batches of the same orders, so each batch supersedes the one before it.
RECORDER = """
import sys
from cancelkit.ledger.store import Ledger

path, rows, rounds, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ready, go = (sys.argv[5], sys.argv[6]) if len(sys.argv) > 6 else (None, None)


def batch():
    for n in range(rows):
        yield (f"{tag}-{n:07d}-0000001", f"{n:014d}", "NoInventory", f"SKU-{n % 97}", None, True)


if ready:  # at the start line: say so, and wait for the test's go (polled, with a bound)
    import os, time
    open(ready, "w").close()
    deadline = time.monotonic() + 60
    while not os.path.exists(go):
        assert time.monotonic() < deadline, "no go"
        time.sleep(0.0005)
with Ledger.open(path) as book:
    for _ in range(rounds):
        book.record_batch({"marketplace": "US"}, batch())
"""


def start(*args: object, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )


def outcome(process: subprocess.Popen) -> tuple[int, str]:
    """Wait for the process: its exit status and its stderr (the pipe read and closed)."""
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode()


def cpu_of(process: subprocess.Popen) -> tuple[int, str, float]:
    """Wait for the process: its exit status, its stderr and the CPU seconds it used."""
    before = children_cpu_seconds()
    code, err = outcome(process)
    return code, err, children_cpu_seconds() - before


def kill_at(process: subprocess.Popen, cpu_s: float) -> bool:
    """SIGKILL the process once it has used `cpu_s` seconds of CPU; False when it finished
    first. Its stderr is closed either way."""
    try:
        return kill_at_cpu(process, cpu_s)
    finally:
        if process.stderr is not None:
            process.stderr.close()


def assert_sound(path: Path, rows_per_batch: int | None = None) -> list[tuple[str, int]]:
    """The ledger opens, passes the integrity check and holds only whole batches whose
    supersedes are in place; returns (batch id, rows) oldest first."""
    with Ledger.open(path) as book, contextlib.closing(sqlite3.connect(path)) as db:
        assert book.integrity_check() == "ok"
        batches = db.execute("SELECT id, rows FROM batches ORDER BY created_at, rowid").fetchall()
        for batch_id, rows in batches:
            numbers = [row.record_number for row in book.batch_rows(batch_id)]
            assert numbers == list(range(1, rows + 1)), (batch_id, len(numbers), rows)
            # packed (ledger/blocks.py) or expanded, never half of each
            expanded, packed = (
                db.execute(
                    f"SELECT count(*) FROM {table} WHERE batch_id = ?", (batch_id,)
                ).fetchone()[0]
                for table in ("batch_rows", "row_blocks")
            )
            assert not (expanded and packed), (batch_id, expanded, packed)
            if rows_per_batch is not None:
                assert rows == rows_per_batch
        for table in ("batch_rows", "row_blocks", "block_listings"):
            orphans = db.execute(
                f"SELECT count(*) FROM {table} WHERE batch_id NOT IN (SELECT id FROM batches)"
            ).fetchone()[0]
            assert orphans == 0, table
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    return batches


def states_of(path: Path) -> list[dict[str, int]]:
    with Ledger.open(path) as book:
        return [b.states for b in reversed(book.batches())]  # oldest first


@needs_proc
def test_killed_recorders_leave_whole_batches_or_none(tmp_path):
    # one uninterrupted run sets the scale of the kills: the CPU time it takes
    baseline = tmp_path / "baseline.sqlite3"
    code, err, duration = cpu_of(start("-c", RECORDER, baseline, ROWS, ROUNDS, "111"))
    assert code == 0, err
    assert len(assert_sound(baseline, ROWS)) == ROUNDS

    rng = random.Random(SEED)
    killed = 0
    for attempt in range(KILLS):
        # every ledger is used by two runs in a row: the second starts from a killed one
        path = tmp_path / f"ledger-{attempt // 2}.sqlite3"
        delay = duration * (attempt + rng.random()) / KILLS
        process = start("-c", RECORDER, path, ROWS, ROUNDS, "111")
        killed += kill_at(process, delay)
        if not path.exists():
            continue  # killed before SQLite created the file
        batches = assert_sound(path, ROWS)
        # the same orders every time: all but the newest batch are superseded, atomically
        for position, tally in enumerate(states_of(path)):
            newest = position == len(batches) - 1
            state = "generated" if newest else "superseded"
            assert tally[state] == ROWS, (attempt, delay, position, tally)
    assert killed >= KILLS // 2, "most runs must be killed, not finish first"


def big_input(path: Path, rows: int, prefix: str) -> Path:
    with open(path, "w", encoding="ascii", newline="") as out:
        out.write("order-id,cancellation-reason-code,amazon-order-item-code,sku\r\n")
        for n in range(rows):
            out.write(
                f"{prefix}-{n:07d}-{n * 7 % 9999991:07d},NoInventory,{n:014d},SKU-{n % 97}\r\n"
            )
    return path


def generate(source: Path, out_dir: Path, ledger: Path) -> subprocess.Popen:
    temp = source.parent / "tmp"  # the test's own temporary folder: nothing may stay there
    temp.mkdir(exist_ok=True)
    env = dict(os.environ, NO_COLOR="1", CANCELKIT_LEDGER=str(ledger), TMPDIR=str(temp))
    return start(
        "-m", "cancelkit", "generate", source, "--out-dir", out_dir, "--ledger", ledger, env=env
    )


@needs_proc
def test_killed_generate_runs_leave_whole_batches_or_none(tmp_path):
    source = big_input(tmp_path / "batch.csv", 100_000, "112")
    ledger = tmp_path / "ledger.sqlite3"
    code, err, duration = cpu_of(generate(source, tmp_path / "out-full", ledger))
    assert code == 0, err
    assert len(assert_sound(ledger, 100_000)) == 1

    rng = random.Random(SEED)
    for attempt in range(6):
        delay = duration * (attempt + rng.random()) / 6
        kill_at(generate(source, tmp_path / f"out-{attempt}", ledger), delay)
        assert_sound(ledger, 100_000)
        # a recorded batch names its upload file, which is in place and unchanged
        with Ledger.open(ledger) as book:
            for batch in book.batches():
                flat = Path(batch.flat_file)
                assert flat.exists(), batch.id
                assert hashlib.sha256(flat.read_bytes()).hexdigest() == batch.flat_file_sha256
                with open(flat, "rb") as stream:
                    assert sum(1 for _ in stream) == batch.rows + 2
    # one more run removes what the killed ones left in the temporary folder, and leaves
    # nothing of its own there (no lock file, no work folder)
    last = generate(source, tmp_path / "out-last", ledger)
    code, err = outcome(last)
    assert code == 0, err
    assert list((tmp_path / "tmp").iterdir()) == []


def test_two_recorders_at_once_both_succeed(tmp_path):
    path = tmp_path / "shared.sqlite3"  # created by the two of them at the same moment
    go = tmp_path / "go"  # both start writing at the same moment, once both are ready
    ready = [tmp_path / f"ready-{prefix}" for prefix in ("113", "114")]
    runs = [
        start("-c", RECORDER, path, 40_000, 4, prefix, flag, go)
        for prefix, flag in zip(("113", "114"), ready)
    ]
    wait_until(lambda: all(flag.exists() for flag in ready), 60, "both recorders ready")
    go.touch()
    for run in runs:
        code, err = outcome(run)
        assert code == 0, err
    batches = assert_sound(path, 40_000)
    assert len(batches) == 8
    with Ledger.open(path) as book:
        per_prefix = Counter(
            row.order_id[:3]
            for batch_id, _ in batches
            for row in book.batch_rows(batch_id)
            if row.state == "generated"
        )
    # each recorder's newest batch is generated, its older ones superseded by it
    assert per_prefix == {"113": 40_000, "114": 40_000}


def test_two_generate_runs_at_once_both_succeed(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    sources = [big_input(tmp_path / f"in-{p}.csv", 30_000, p) for p in ("113", "114")]
    runs = [generate(s, tmp_path / f"out-{i}", ledger) for i, s in enumerate(sources)]
    for run in runs:
        code, err = outcome(run)
        assert code == 0, err
    assert list((tmp_path / "tmp").iterdir()) == []
    batches = assert_sound(ledger, 30_000)
    assert len(batches) == 2
    assert [sum(t.values()) for t in states_of(ledger)] == [30_000, 30_000]


# Records, confirms and reconciles batches of partly the same orders (the window figures
# move between batches), in a loop (issue 21).
CONFIRMER = """
import sys
from cancelkit.ledger.store import Ledger

path, rows, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with Ledger.open(path) as book:
    for r in range(rounds):
        batch = [
            (f"115-{(n + r * rows // 2):07d}-0000001", f"{r:02d}{n:012d}", "NoInventory",
             f"SKU-{n % 97}", None, n % 5 != 0)
            for n in range(rows)
        ]
        batch_id = book.record_batch({"marketplace": "US" if r % 2 else "DE"}, batch)
        book.confirm(batch_id)
        book.apply_reconcile(batch_id, {n: ("18004", "x") for n in range(1, rows, 3)}, False)
"""


def assert_window_figures_whole(path: Path) -> None:
    """The kept window figures are the ones the rows give: a rebuild changes nothing."""

    def figures() -> list:
        with contextlib.closing(sqlite3.connect(path)) as db:  # the test's own connection
            orders = db.execute("SELECT * FROM window_orders ORDER BY 1").fetchall()
            listings = db.execute("SELECT * FROM window_listings ORDER BY 1, 2").fetchall()
            counted = db.execute(
                "SELECT count(DISTINCT order_id) FROM batch_rows "
                "WHERE state = 'confirmed' AND counts_against_rate"
            ).fetchone()[0]
        return [[row for row in orders if any(row[1:])], listings, counted]

    kept = figures()
    with Ledger.open(path) as book:
        book.rebuild_window_figures()
        assert book.seller_cancels_in_window(None, 7) == kept[2]
    assert figures() == kept


@needs_proc
def test_killed_confirms_and_reconciles_leave_the_window_figures_whole(tmp_path):
    baseline = tmp_path / "baseline.sqlite3"
    code, err, duration = cpu_of(start("-c", CONFIRMER, baseline, 30_000, 3))
    assert code == 0, err
    assert_sound(baseline, 30_000)
    assert_window_figures_whole(baseline)
    rng = random.Random(SEED)
    for attempt in range(6):
        path = tmp_path / f"ledger-{attempt}.sqlite3"
        point = duration * (attempt + rng.random()) / 6
        kill_at(start("-c", CONFIRMER, path, 30_000, 3), point)
        if not path.exists():
            continue
        assert_sound(path, 30_000)
        assert_window_figures_whole(path)
