"""The ledger: where it lives, its schema, every row state transition, supersede, the
resubmission rule, the window figures, and the confirm/history commands."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from pathlib import Path

import pytest
from conftest import assert_one_line_error, invoke, on_disk

import cancelkit
from cancelkit import options as options_module
from cancelkit.codes import Flag, Problem
from cancelkit.enrich.ledger_findings import check_row
from cancelkit.errors import LedgerError
from cancelkit.ledger import connection, migrations, schema
from cancelkit.ledger.store import Ledger

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
A, B, C, D = (
    "111-0000001-0000001",
    "112-0000002-0000002",
    "113-0000003-0000003",
    "114-0000004-0000004",
)


def row(order_id, item=None, reason="NoInventory", sku=None, asin=None, counts=True):
    return (order_id, item, reason if item else None, sku, asin, counts)


def states(book: Ledger, batch_id: str) -> list[tuple]:
    return [(r.order_id, r.item_code, r.state) for r in book.batch_rows(batch_id)]


@pytest.fixture
def book(tmp_path) -> Ledger:
    with Ledger.open(tmp_path / "ledger.sqlite3") as opened:
        yield opened


def at(days_ago: float = 0, hours: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days_ago, hours=hours)


# -- where it lives -----------------------------------------------------------------------


def test_the_path_comes_from_the_option_then_the_environment_then_the_data_folder(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("CANCELKIT_LEDGER", str(tmp_path / "env.sqlite3"))
    assert options_module.resolve_ledger_path(None) == tmp_path / "env.sqlite3"
    assert options_module.resolve_ledger_path(str(tmp_path / "opt.db")) == tmp_path / "opt.db"
    assert options_module.resolve_ledger_path(str(tmp_path / "opt.db"), no_ledger=True) is None
    assert options_module.resolve_ledger_path(None, no_ledger=True) is None
    monkeypatch.delenv("CANCELKIT_LEDGER")
    default = options_module.resolve_ledger_path(None)
    assert default == options_module.default_ledger_path()
    assert default.name == "ledger.sqlite3" and default.parent.name == "cancelkit"
    from platformdirs import user_data_dir

    assert default.parent == Path(user_data_dir("cancelkit", appauthor=False))


def test_open_creates_the_folders_and_a_wal_database_with_a_schema_version(tmp_path):
    path = tmp_path / "deep" / "er" / "ledger.sqlite3"
    with Ledger.open(path) as book:
        assert on_disk(book, "PRAGMA journal_mode") == [("wal",)]  # kept in the file
        assert book.integrity_check() == "ok"
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(schema.SCHEMA_VERSION,)]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"schema_version", "batches", "batch_rows", "submissions"} <= tables


def test_a_missing_ledger_is_not_created_when_only_read(tmp_path):
    with pytest.raises(LedgerError, match="no ledger yet"):
        Ledger.open(tmp_path / "none.sqlite3", create=False)
    assert not (tmp_path / "none.sqlite3").exists()


@pytest.mark.parametrize("kind", ["text", "other-sqlite", "folder"])
def test_a_file_that_is_not_a_ledger_is_refused(tmp_path, kind):
    path = tmp_path / "ledger.sqlite3"
    if kind == "text":
        path.write_text("order-id,reason\n" * 100)
    elif kind == "other-sqlite":
        sqlite3.connect(path).execute("CREATE TABLE invoices (id)")
    else:
        path.mkdir()
    with pytest.raises(LedgerError) as info:
        Ledger.open(path)
    assert str(path) in str(info.value)


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    Ledger.open(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 7")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="schema version 7, newer"):
        Ledger.open(path)


def test_the_next_schema_version_is_one_migration_function(tmp_path, monkeypatch):
    path = tmp_path / "ledger.sqlite3"
    with Ledger.open(path) as book:
        batch = book.record_batch({"created_at": NOW}, [row(A, "1")])
    calls = []

    def to_next(db):
        calls.append(1)
        db.execute("ALTER TABLE batches ADD COLUMN note TEXT")

    following = schema.SCHEMA_VERSION + 1
    monkeypatch.setattr(connection, "MIGRATIONS", (*migrations.MIGRATIONS, to_next))
    monkeypatch.setattr(connection, "SCHEMA_VERSION", following)
    for _ in range(2):  # migrated once, then left alone
        with Ledger.open(path) as book:
            assert book.batch(batch).rows == 1
            version = on_disk(book, "SELECT version FROM schema_version")[0][0]
            assert version == following
    assert calls == [1]


# -- recording ----------------------------------------------------------------------------


def test_record_batch_keeps_the_rows_in_file_order_and_the_batch_facts(book, tmp_path):
    flat = tmp_path / "upload.txt"
    flat.write_bytes(b"flat file bytes")
    meta = {
        "created_at": NOW,
        "marketplace": "US",
        "options": {"fail_on": "high", "orders_in_window": 4000},
        "inputs": [{"path": "in.csv", "sha256": "ab" * 32, "rows": 3}],
        "flat_file": str(flat),
    }
    rows = [
        row(A, "11111111111111", sku="MUG"),
        row(B, None, sku="POT", asin="B0X"),
        row(A, "11111111111122", "BuyerCanceled", counts=False),
    ]
    batch_id = book.record_batch(meta, iter(rows))
    local = NOW.astimezone().strftime("%Y%m%d-%H%M%S")
    assert re.fullmatch(rf"{local}-[0-9a-f]{{4}}", batch_id)
    summary = book.batch(batch_id)
    assert summary.created_at == "2026-11-26T08:00:00Z"
    assert (summary.marketplace, summary.rows, summary.tool_version) == (
        "US",
        3,
        cancelkit.__version__,
    )
    assert summary.options == {"fail_on": "high", "orders_in_window": 4000}
    assert summary.inputs == meta["inputs"]
    assert summary.flat_file == str(flat)
    import hashlib

    assert summary.flat_file_sha256 == hashlib.sha256(b"flat file bytes").hexdigest()
    assert summary.states == {
        "generated": 3,
        "confirmed": 0,
        "failed": 0,
        "unconfirmed": 0,
        "superseded": 0,
    }
    assert summary.counts_against_rate == 2
    stored = book.batch_rows(batch_id)
    assert [r.record_number for r in stored] == [1, 2, 3]
    assert [
        (r.order_id, r.item_code, r.reason, r.sku, r.asin, r.counts_against_rate) for r in stored
    ] == [
        (A, "11111111111111", "NoInventory", "MUG", None, True),
        (B, None, None, "POT", "B0X", True),
        (A, "11111111111122", "BuyerCanceled", None, None, False),
    ]
    assert all(r.state == "generated" and r.updated_at is None for r in stored)
    assert book.rows_at(batch_id, [3, 1, 9]).keys() == {1, 3}


def test_a_batch_is_all_or_nothing(book):
    def rows():
        for number in range(2000):
            if number == 1500:
                raise RuntimeError("killed half way")
            yield row(f"111-{number:07d}-0000001", f"{number:014d}")

    with pytest.raises(RuntimeError):
        book.record_batch({"created_at": NOW}, rows())
    assert book.batches() == []
    assert on_disk(book, "SELECT count(*) FROM batch_rows")[0][0] == 0


def test_bad_batch_fields_are_refused(book):
    with pytest.raises(ValueError, match="flatfile"):
        book.record_batch({"flatfile": "x"}, [])
    batch = book.record_batch({"id": "fixed-id"}, [row(A)])
    with pytest.raises(LedgerError):
        book.record_batch({"id": batch}, [row(B)])
    assert [b.id for b in book.batches()] == ["fixed-id"]


def test_batch_ids_by_prefix_and_the_newest(book):
    first = book.record_batch({"created_at": at(1), "id": "20261125-080000-aaaa"}, [row(A)])
    second = book.record_batch({"created_at": at(0), "id": "20261126-080000-bbbb"}, [row(B)])
    book.record_batch({"created_at": at(0), "id": "20261126-080000-bbcc"}, [row(C)])
    assert book.batch("20261125").id == first
    assert book.batch("20261126-080000-bbb").id == second
    with pytest.raises(LedgerError, match="ambiguous"):
        book.batch("20261126-080000-bb")
    with pytest.raises(LedgerError, match="no batch '1999'.*history"):
        book.batch("1999")
    assert book.newest_batch().id == "20261126-080000-bbcc"  # same time: recorded last
    assert book.resolve_batch(None).id == "20261126-080000-bbcc"
    assert [b.id for b in book.batches(days=0.5, now=NOW)] == [
        "20261126-080000-bbcc",
        second,
    ]


def test_an_empty_ledger(book):
    assert book.newest_batch() is None
    assert book.known() == {}
    assert book.seller_cancels_in_window(NOW, 7) == 0
    assert book.listing_cancellations(NOW) == {}
    with pytest.raises(LedgerError, match="no batches yet"):
        book.resolve_batch(None)


# -- state transitions --------------------------------------------------------------------


def test_generated_to_confirmed(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1"), row(B)])
    assert book.confirm(batch) == 2
    assert states(book, batch) == [(A, "1", "confirmed"), (B, None, "confirmed")]
    assert all(r.updated_at for r in book.batch_rows(batch))
    assert book.confirm(batch) == 0  # nothing left to confirm


def test_reconcile_marks_failed_and_confirmed_rows(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1"), row(B, "2"), row(C)])
    counts = book.apply_reconcile(
        batch,
        {2: ("18004", "status does not allow cancellation")},
        False,
        warnings={3: ("90061", "Warning: heading ignored")},
    )
    assert counts == {"confirmed": 2, "failed": 1}
    stored = book.batch_rows(batch)
    assert [r.state for r in stored] == ["confirmed", "failed", "confirmed"]
    assert (stored[1].error_code, stored[1].error_message) == (
        "18004",
        "status does not allow cancellation",
    )
    assert (stored[2].error_code, stored[0].error_code) == ("90061", None)


def test_reconcile_of_a_rejected_file_fails_every_row(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1"), row(B)])
    book.confirm(batch)  # confirmed too early: Amazon's report is the authority
    counts = book.apply_reconcile(batch, {}, True, ("90012", "order-id field missing"))
    assert counts == {"confirmed": 0, "failed": 2}
    assert {(r.state, r.error_code) for r in book.batch_rows(batch)} == {("failed", "90012")}


def test_reconcile_of_records_outside_the_batch_changes_nothing(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1"), row(B)])
    with pytest.raises(LedgerError, match="record 3 is not one"):
        book.apply_reconcile(batch, {1: ("1", "x"), 3: ("1", "x")}, False)
    assert [s for _, _, s in states(book, batch)] == ["generated", "generated"]


def test_a_later_batch_supersedes_the_same_items_of_an_unconfirmed_one(book):
    first = book.record_batch(
        {"created_at": at(hours=2)},
        [row(A, "1"), row(A, "2"), row(B), row(C, "3"), row(D, "4")],
    )
    second = book.record_batch(
        {"created_at": at(hours=1)},
        # same item; whole order over an item row; item over a whole-order row
        [row(A, "1"), row(C), row(B, "5")],
    )
    assert states(book, first) == [
        (A, "1", "superseded"),
        (A, "2", "generated"),  # another item of the same order stays
        (B, None, "superseded"),
        (C, "3", "superseded"),
        (D, "4", "generated"),
    ]
    assert all(state == "generated" for _, _, state in states(book, second))


def test_confirmed_and_failed_rows_are_never_superseded(book):
    first = book.record_batch({"created_at": at(2)}, [row(A, "1"), row(B, "2"), row(C, "3")])
    book.apply_reconcile(first, {2: ("18004", "no")}, False)
    book.record_batch({"created_at": at(1)}, [row(A, "1"), row(B, "2"), row(C)])
    assert [s for _, _, s in states(book, first)] == ["confirmed", "failed", "confirmed"]


def test_confirming_an_older_batch_supersedes_its_rows_in_newer_unconfirmed_ones(book):
    older = book.record_batch({"created_at": at(2)}, [row(A, "1"), row(B, "2")])
    newer = book.record_batch({"created_at": at(1)}, [row(A, "1"), row(C, "3")])
    assert states(book, older)[0][2] == "superseded"
    # the seller uploaded the older file after all, and Amazon processed it
    book.apply_reconcile(older, {}, False)
    assert states(book, older) == [(A, "1", "confirmed"), (B, "2", "confirmed")]
    assert states(book, newer) == [(A, "1", "superseded"), (C, "3", "generated")]


def test_supersede_when_either_side_is_the_bigger_one(book):
    small = [row(f"111-{n:07d}-0000001", f"{n:014d}") for n in range(3)]
    big = [row(f"111-{n:07d}-0000001", f"{n:014d}") for n in range(50)]
    first = book.record_batch({"created_at": at(3)}, small)
    book.record_batch({"created_at": at(2)}, big)
    assert {s for _, _, s in states(book, first)} == {"superseded"}
    third = book.record_batch({"created_at": at(1)}, small)
    assert {s for _, _, s in states(book, third)} == {"generated"}
    assert book.batch(book.batches()[1].id).states["superseded"] == 3


# -- the resubmission rule ----------------------------------------------------------------


def test_a_confirmed_item_is_an_error_naming_the_batch_and_date(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1")])
    book.confirm(batch)
    found = check_row(book.known(), A, "1")
    assert isinstance(found, Problem) and found.code == "already_confirmed"
    assert (found.column, found.value) == ("order_id", A)
    message = found.message
    assert batch in message and "2026-11-26 08:00:00 UTC" in message
    assert check_row(book.known(), A, "2") is None  # another item of the order is fine
    assert check_row(book.known(), B, "1") is None


def test_an_unconfirmed_item_is_a_flag(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1")])
    found = check_row(book.known(), A, "1")
    assert isinstance(found, Flag) and found.code == "in_unconfirmed_batch"
    message = found.message
    assert batch in message and "not yet confirmed" in message


def test_resubmission_after_failure_is_allowed(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1"), row(B, "2")])
    book.apply_reconcile(batch, {1: ("18004", "no")}, False)
    known = book.known()
    assert check_row(known, A, "1") is None
    assert check_row(known, B, "2").code == "already_confirmed"


def test_whole_order_and_item_rows_meet_each_other(book):
    whole = book.record_batch({"created_at": at(1)}, [row(A)])
    items = book.record_batch({"created_at": at(0)}, [row(B, "7"), row(B, "8")])
    book.confirm(whole)
    book.confirm(items)
    known = book.known()
    assert check_row(known, A, "5").code == "already_confirmed"  # the whole order is gone
    assert whole in check_row(known, A, "5").message
    assert check_row(known, B, None).code == "already_confirmed"  # its items are gone
    assert "item 7 of" in check_row(known, B, None).message
    # the same rule on a plain dict
    plain = dict(known)
    assert check_row(plain, B, None).code == "already_confirmed"
    assert check_row(plain, C, None) is None


def test_confirmed_wins_over_unconfirmed(book):
    first = book.record_batch({"created_at": at(2)}, [row(A, "1")])
    book.confirm(first)
    book.record_batch({"created_at": at(1)}, [row(A, "1")])
    assert book.known()[(A, "1")] == ("confirmed", first, "2026-11-24T08:00:00Z")


def test_known_can_be_limited_to_the_batch_orders(book):
    batch = book.record_batch({"created_at": NOW}, [row(A, "1"), row(B, "2"), row(C)])
    book.apply_reconcile(batch, {}, False)
    book.record_batch({"created_at": NOW}, [row(D, "4")])
    assert set(book.known({A, C, D})) == {(A, "1"), (C, None), (D, "4")}
    assert set(book.known([B])) == {(B, "2")}
    assert book.known(set()) == {}
    assert len(book.known()) == 4


def test_known_finds_few_orders_among_many_unconfirmed_rows(book):
    many = [row(f"111-{n:07d}-0000009", f"{n:014d}") for n in range(120_000)]
    batch = book.record_batch({"created_at": NOW}, many)
    found = book.known({"111-0000007-0000009", A})
    assert found == {
        ("111-0000007-0000009", "00000000000007"): ("generated", batch, "2026-11-26T08:00:00Z")
    }


# -- window figures -----------------------------------------------------------------------


def test_seller_cancels_in_window_counts_confirmed_counting_orders_once(book):
    inside = book.record_batch(
        {"created_at": at(2)},
        [
            row(A, "1"),
            row(A, "2"),  # same order: counted once
            row(B, "3", "BuyerCanceled", counts=False),  # does not count
            row(C),
        ],
    )
    book.confirm(inside)
    old = book.record_batch({"created_at": at(8)}, [row(D, "4")])
    book.confirm(old)
    book.record_batch({"created_at": at(1)}, [row("115-0000005-0000005", "5")])  # unconfirmed
    failed = book.record_batch({"created_at": at(1)}, [row("116-0000006-0000006", "6")])
    book.apply_reconcile(failed, {1: ("1", "x")}, False)
    assert book.seller_cancels_in_window(NOW, 7) == 2
    assert book.seller_cancels_in_window(NOW, 9) == 3
    assert book.seller_cancels_in_window(at(3), 7) == 1  # the window ends at `now`
    assert book.seller_cancels_in_window(NOW.isoformat(), 7) == 2


def test_listing_cancellations_of_the_last_30_days(book):
    first = book.record_batch(
        {"created_at": at(20)},
        [
            row(A, "1", sku="MUG"),
            row(A, "2", sku="MUG"),  # one order
            row(B, "3", sku="MUG"),
            row(C, "4", sku=None, asin="B0POT"),
            row(D, "5", "BuyerCanceled", sku="MUG", counts=False),
        ],
    )
    book.confirm(first)
    old = book.record_batch({"created_at": at(40)}, [row("115-0000005-0000005", "6", sku="MUG")])
    book.confirm(old)
    assert book.listing_cancellations(NOW) == {"MUG": (2, [A, B]), "B0POT": (1, [C])}
    assert book.listing_cancellations(NOW, days=45)["MUG"][0] == 3
    assert book.listing_cancellations(NOW, listed=1)["MUG"] == (2, [A])


# -- the confirm and history commands -------------------------------------------------------


def test_history_of_a_missing_ledger_creates_nothing(private_ledger):
    run = invoke("history")
    assert run.exit_code == 0
    assert str(private_ledger) in run.stdout and "no batches" in run.stdout
    assert not private_ledger.exists()


def test_history_and_confirm_commands(private_ledger):
    with Ledger.open(private_ledger) as book:
        old = book.record_batch({"created_at": at(40)}, [row(A, "1")])
        new = book.record_batch({"created_at": at(1)}, [row(B, "2"), row(C)])
    run = invoke("history")
    assert run.exit_code == 0
    lines = run.stdout.splitlines()
    assert lines[1].startswith(new) and "2 rows (2 generated)" in lines[1]
    assert lines[2].startswith(old)
    run = invoke("history", "--days", "30", "--json")
    document = json.loads(run.stdout)
    assert document["ledger"] == str(private_ledger)
    assert [b["id"] for b in document["batches"]] == [new]
    assert document["batches"][0]["states"]["generated"] == 2

    # two batches await confirmation: `confirm` without --batch never picks the newest
    run = invoke("confirm")
    assert_one_line_error(run, "2 batches await confirmation", new, old, "--batch")
    with Ledger.open(private_ledger) as book:
        assert book.batch(new).states["generated"] == 2
    run = invoke("confirm", "--batch", new)
    assert run.exit_code == 0 and f"Batch {new}: 2 rows confirmed" in run.stdout
    run = invoke("confirm")  # the one batch left awaiting confirmation
    assert run.exit_code == 0 and f"Batch {old}: 1 rows confirmed" in run.stdout
    run = invoke("confirm", "--batch", old)
    assert "nothing to confirm (1 confirmed)" in run.stdout
    with Ledger.open(private_ledger) as book:
        assert book.batch(new).states["confirmed"] == 2


def test_confirm_errors_are_one_line(private_ledger, tmp_path):
    assert_one_line_error(invoke("confirm"), "no ledger yet")
    Ledger.open(private_ledger).close()
    assert_one_line_error(invoke("confirm"), "no batches yet")
    assert_one_line_error(invoke("confirm", "--batch", "nope"), "no batch 'nope'")
    other = tmp_path / "other.sqlite3"
    with Ledger.open(other) as book:
        batch = book.record_batch({}, [row(A)])
    run = invoke("confirm", "--ledger", str(other))
    assert run.exit_code == 0 and batch in run.stdout


# -- speed --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_million_rows_are_recorded_in_a_few_seconds(book):

    def rows():
        for n in range(1_000_000):
            yield (
                f"11{n % 4}-{n:07d}-{n * 7 % 9999991:07d}",
                f"{n:014d}",
                "NoInventory",
                f"SKU-{n % 3000}",
                None,
                True,
            )

    batch = book.record_batch({"created_at": NOW}, rows())
    assert book.batch(batch).rows == 1_000_000  # its time is benchmarks' (no clock here)
