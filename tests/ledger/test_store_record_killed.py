"""Recording a batch killed with SIGKILL at random moments leaves all of it or none.

The kill is timed by a condition, never a clock: the recorder is killed once the ledger's
write-ahead log has grown past a random size (so inside the batch's one transaction, at a
random point of it), or it finishes first. Either way the ledger opens sound and holds the
batch whole or not at all.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cancelkit.ledger.store import Ledger

pytestmark = pytest.mark.slow

ROWS = 60_000
KILLS = 6

RECORDER = """
import sys
from cancelkit.ledger.store import Ledger

path, rows = sys.argv[1], int(sys.argv[2])
rows_of = ((f"111-{n:07d}-0000001", f"{n:014d}", "NoInventory", f"SKU-{n % 97}", None, True)
           for n in range(rows))
with Ledger.open(path) as book:
    book.record_batch({"marketplace": "US", "id": "killed-batch"}, rows_of)
"""


def kill_when_wal_exceeds(process: subprocess.Popen, wal: Path, size: int) -> bool:
    """SIGKILL the recorder once its WAL holds more than `size` bytes; False when it
    finished first."""
    while process.poll() is None:
        if wal.exists() and wal.stat().st_size > size:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.001)  # polling the condition, not a delay before the signal
    return False


def test_a_killed_recording_leaves_the_whole_batch_or_none(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # the WAL size of a whole recording, to spread the kills over it
    full = tmp_path / "full.sqlite3"
    subprocess.run([sys.executable, "-c", RECORDER, full, str(ROWS)], env=env, check=True)
    with Ledger.open(full) as book:
        assert book.batch("killed-batch").rows == ROWS
    whole = max(os.path.getsize(full), 4096)
    seen = set()
    for round_number in range(KILLS):
        path = tmp_path / f"ledger-{round_number}.sqlite3"
        Ledger.open(path).close()  # created and migrated: the kill lands in the recording
        wal = Path(f"{path}-wal")
        process = subprocess.Popen(
            [sys.executable, "-c", RECORDER, path, str(ROWS)],
            env=env,
            stderr=subprocess.PIPE,
        )
        killed = kill_when_wal_exceeds(process, wal, random.randint(4096, whole * 3 // 4))
        if not killed:
            assert process.returncode == 0, process.stderr.read().decode()
        process.stderr.close()
        db = sqlite3.connect(path)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            batches = db.execute("SELECT id, rows FROM batches").fetchall()
            recorded = db.execute(
                "SELECT (SELECT count(*) FROM batch_rows) + (SELECT total(rows) FROM row_blocks)"
            ).fetchone()[0]
        finally:
            db.close()
        assert batches in ([], [("killed-batch", ROWS)]), batches
        assert recorded == (ROWS if batches else 0)
        seen.add(bool(batches))
        with Ledger.open(path) as book:  # and it opens as a ledger again
            assert book.integrity_check() == "ok"
    assert False in seen  # at least one kill landed inside the transaction
