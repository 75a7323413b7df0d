"""The migration to schema 5 builds the window figures of an existing ledger once, with a
progress line, from each older schema: real ledger files made by the code of that schema
(tests/ledger/data/make_ledger.py, make_v1_ledger.py), which also wrote what that code
answered; the migrated ledger answers the same."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import on_disk

from cancelkit.ledger import connection, migrations, schema
from cancelkit.ledger.store import Ledger

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)


def _version(path: Path) -> int:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT version FROM schema_version").fetchone()[0]
    finally:
        db.close()


def _name(version: int) -> str:
    """The fixture of a schema: ledger-v1 (make_v1_ledger.py), windows-vN (make_ledger.py)."""
    return "ledger-v1" if version == 1 else f"windows-v{version}"


def _copy(version: int, tmp_path: Path) -> Path:
    path = tmp_path / f"{_name(version)}.sqlite3"
    shutil.copy(DATA / f"{_name(version)}.sqlite3", path)
    return path


def _answers(book: Ledger) -> dict:
    found = {}
    for name, now in (("now", NOW), ("yesterday", NOW - dt.timedelta(days=1))):
        for days in (7, 30, 60):
            for market in (None, "DE", "FR"):
                found[f"cancels {name} {days} {market}"] = book.seller_cancels_in_window(
                    now, days, market
                )
            for listed in (1, 20, 25):
                found[f"listings {name} {days} {listed}"] = [
                    [listing, count, ids]
                    for listing, (count, ids) in book.listing_cancellations(
                        now, days, listed
                    ).items()
                ]
    return found


@pytest.mark.parametrize("version", [2, 3, 4, 5, 6])
def test_each_fixture_was_made_by_its_schema(version):
    assert _version(DATA / f"{_name(version)}.sqlite3") == version
    expected = json.loads((DATA / f"{_name(version)}.json").read_text(encoding="utf-8"))
    assert expected["schema"] == version


def test_the_current_schema_has_its_fixture():
    assert (DATA / f"windows-v{schema.SCHEMA_VERSION}.sqlite3").exists(), (
        "run tests/ledger/data/make_ledger.py with this tree to add the current schema's ledger"
    )


@pytest.mark.parametrize("version", [2, 3, 4])
def test_an_older_ledger_migrates_with_a_progress_line_and_answers_as_its_code_did(
    version, tmp_path, capsys
):
    path = _copy(version, tmp_path)
    expected = json.loads((DATA / f"{_name(version)}.json").read_text(encoding="utf-8"))
    with Ledger.open(path) as book:
        err = capsys.readouterr().err
        assert "cancelkit: ledger: building the window figures of 38 confirmed rows" in err
        assert "window figures built in" in err
        assert _version(path) == schema.SCHEMA_VERSION
        assert _answers(book) == expected["answers"]
        assert book.integrity_check() == "ok"
        # every row is kept
        assert on_disk(book, "SELECT count(*) FROM batch_rows")[0][0] == 41
    with Ledger.open(path) as book:  # migrated once: no second build
        assert capsys.readouterr().err == ""
        assert _answers(book) == expected["answers"]


def test_the_current_schemas_ledger_opens_as_it_is(tmp_path, capsys):
    path = _copy(schema.SCHEMA_VERSION, tmp_path)
    expected = json.loads((DATA / f"windows-v{schema.SCHEMA_VERSION}.json").read_text("utf-8"))
    with Ledger.open(path) as book:
        assert capsys.readouterr().err == ""
        assert _answers(book) == expected["answers"]
    # and its figures are the ones a rebuild from the rows gives
    db = sqlite3.connect(path)
    stored = db.execute("SELECT * FROM window_listings ORDER BY 1, 2").fetchall()
    db.close()
    with Ledger.open(path) as book:
        book.rebuild_window_figures()
        rebuilt = on_disk(book, "SELECT * FROM window_listings ORDER BY 1, 2")
    assert rebuilt == stored


def test_a_schema_1_ledger_migrates_through_every_step(tmp_path, capsys):
    path = _copy(1, tmp_path)
    expected = json.loads((DATA / "ledger-v1.json").read_text(encoding="utf-8"))
    with Ledger.open(path) as book:
        assert "building the window figures of 8 confirmed rows" in capsys.readouterr().err
        now = NOW
        assert book.seller_cancels_in_window(now, 7) == expected["cancels_7"]
        assert book.seller_cancels_in_window(now, 60) == expected["cancels_60"]
        listings = {k: list(v) for k, v in book.listing_cancellations(now).items()}
        assert listings == expected["listings_30"]
        listings = {k: list(v) for k, v in book.listing_cancellations(now, 60, 1).items()}
        assert listings == expected["listings_60_1"]


def test_an_empty_ledger_migrates_without_a_progress_line(tmp_path, capsys, monkeypatch):
    path = tmp_path / "ledger.sqlite3"
    monkeypatch.setattr(connection, "SCHEMA_VERSION", 4)
    monkeypatch.setattr(connection, "MIGRATIONS", migrations.MIGRATIONS[:4])
    Ledger.open(path).close()
    monkeypatch.undo()
    assert _version(path) == 4
    with Ledger.open(path) as book:
        assert capsys.readouterr().err == ""
        assert book.seller_cancels_in_window(NOW, 7) == 0
    assert _version(path) == schema.SCHEMA_VERSION


def _raw_rows(path: Path) -> dict[str, list[tuple]]:
    """Every batch's rows as the fixture file holds them (the old schema's batch_rows)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found: dict[str, list[tuple]] = {}
        for row in db.execute(
            "SELECT batch_id, record_number, order_id, item_code, reason, sku, asin, "
            "counts_against_rate, state FROM batch_rows ORDER BY batch_id, record_number"
        ):
            found.setdefault(row[0], []).append((*row[1:7], bool(row[7]), row[8]))
        return found
    finally:
        db.close()


def _api_rows(book: Ledger) -> dict[str, list[tuple]]:
    return {
        batch.id: [
            (r.record_number, r.order_id, r.item_code, r.reason, r.sku, r.asin,
             r.counts_against_rate, r.state)
            for r in book.batch_rows(batch.id)
        ]
        for batch in book.batches()
    }  # fmt: skip


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_every_row_of_an_older_ledger_reads_back_the_same_after_the_migration(version, tmp_path):
    """Schema 6 packs the rows of new batches (ledger/blocks.py); the batches of an older
    ledger stay expanded and read back as its own schema wrote them."""
    path = _copy(version, tmp_path)
    raw = _raw_rows(path)
    with Ledger.open(path) as book:
        assert _version(path) == schema.SCHEMA_VERSION
        assert {k: v for k, v in _api_rows(book).items() if v} == raw
        assert on_disk(book, "SELECT count(*) FROM row_blocks")[0][0] == 0


def test_a_schema_5_ledger_migrates_without_a_rebuild_and_answers_as_schema_6(tmp_path, capsys):
    """The same ledger made by schema 5 (its open batch w6 expanded) and by schema 6 (w6
    packed): after the migration, the same answers, the same rows, the same look-ups."""
    old, new = _copy(5, tmp_path), _copy(6, tmp_path)
    expected = json.loads((DATA / "windows-v5.json").read_text(encoding="utf-8"))
    with Ledger.open(old) as migrated, Ledger.open(new) as native:
        assert capsys.readouterr().err == ""  # the window figures are kept as they were
        assert on_disk(native, "SELECT batch_id FROM row_blocks") == [("w6",)]
        assert _answers(migrated) == expected["answers"] == _answers(native)
        assert _api_rows(migrated) == _api_rows(native)
        assert migrated.known() == native.known()
        assert dict(migrated.known(["235-0000035-0000105"])) == {
            ("235-0000035-0000105", "350"): ("generated", "w6", native.batch("w6").created_at)
        }
        summaries = [
            [{**b.as_dict(), "tool_version": None} for b in book.batches()]
            for book in (migrated, native)
        ]
        assert summaries[0] == summaries[1]
        # confirming the open batch expands it and counts it the same in both
        for book in (migrated, native):
            assert book.confirm("w6") == 1
        assert _answers(migrated) == _answers(native)
        assert on_disk(native, "SELECT count(*) FROM row_blocks")[0][0] == 0
