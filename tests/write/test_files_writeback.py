"""`write_parts`: a large output's data is synced in the background as it is written (the
final fsync of `atomic_write` waits for the tail only); the bytes are the parts', and a
failed sync is the write's failure."""

from __future__ import annotations

import os
import threading

import pytest

from cancelkit.errors import OutputError
from cancelkit.write import files
from cancelkit.write.files import atomic_write, write_parts

PARTS = [bytes([n % 256]) * (100 + n) for n in range(300)]


def _sync_name() -> str:
    return "fdatasync" if hasattr(os, "fdatasync") else "fsync"


def test_the_parts_are_written_and_synced_as_they_go(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "WRITEBACK_BYTES", 4096)
    synced: list[int] = []
    called = threading.Event()
    real = getattr(os, _sync_name())

    def sync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)  # what the writer had flushed before the sync
        real(fd)
        called.set()

    def parts():
        yield from PARTS[:100]  # past WRITEBACK_BYTES: a sync is started
        assert called.wait(60), "no sync was started"
        yield from PARTS[100:]

    monkeypatch.setattr(os, _sync_name(), sync)
    path = atomic_write(tmp_path / "out.bin", lambda out: write_parts(out, parts()), mode="wb")
    assert path.read_bytes() == b"".join(PARTS)
    assert 0 < synced[0] < path.stat().st_size and synced == sorted(synced)


def test_a_failed_sync_fails_the_write_and_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "WRITEBACK_BYTES", 4096)

    def sync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, _sync_name(), sync)
    with pytest.raises(OutputError) as caught:
        atomic_write(tmp_path / "out.bin", lambda out: write_parts(out, PARTS), mode="wb")
    assert caught.value.code == "write_failed"
    assert os.listdir(tmp_path) == []


def test_a_failure_while_making_the_parts_waits_for_the_sync(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "WRITEBACK_BYTES", 1)

    def parts():
        yield from PARTS[:50]
        raise ValueError("the parts failed")

    with pytest.raises(ValueError, match="the parts failed"):
        atomic_write(tmp_path / "out.bin", lambda out: write_parts(out, parts()), mode="wb")
    assert os.listdir(tmp_path) == []
