"""Reconcile decides right and fails closed (issues 16 and 18): a report that does not say
clearly what Amazon did confirms nothing (rows `unconfirmed`), a report goes to the batch whose
rows it names and never to the newest by default, advice and the retry file follow Amazon's
error code, a final refusal is recorded and flags a later batch, and the same report
reconciled twice changes nothing."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import CLEAN, FIXTURES, assert_one_line_error, invoke, on_disk

import cancelkit
from cancelkit.amazon import processing_codes, processing_words
from cancelkit.errors import InputError
from cancelkit.ledger import reconcile, schema
from cancelkit.ledger.store import Ledger
from cancelkit.read import processing_report
from cancelkit.write import reconcile_text, retry
from cancelkit.write.ledger_text import history_text

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)
BATCH = "20261126-080000-c1ea"
HEADER = "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message"
SUCCESS = FIXTURES / "processing-report-success.txt"
ERRORS = FIXTURES / "processing-report-errors.txt"
GERMAN = FIXTURES / "processing-report-de.txt"
MIXED = FIXTURES / "processing-report-mixed.txt"


def clean_rows() -> list[tuple]:
    with cancelkit.check(CLEAN, no_ledger=True) as result:
        records = [r for r in result.records if r["status"] == "accepted"]
    return [
        (r["order_id"], r["amazon_order_item_code"], r["reason"], r["sku"], None, True)
        for r in records
    ]


@pytest.fixture(scope="module")
def rows() -> list[tuple]:
    return clean_rows()


@pytest.fixture
def ledger_path(private_ledger, rows) -> Path:
    with Ledger.open(private_ledger) as book:
        book.record_batch({"created_at": NOW, "id": BATCH, "marketplace": "US"}, rows)
    return private_ledger


def states(path: Path, batch: str = BATCH) -> list[str]:
    with Ledger.open(path) as book:
        return [r.state for r in book.batch_rows(batch)]


def report_file(folder: Path, processed, successful, lines: list[str], name="r.txt") -> Path:
    summary = ["Feed Processing Summary:"]
    if processed is not None:
        summary.append(f"\tNumber of records processed\t\t{processed}")
    if successful is not None:
        summary.append(f"\tNumber of records successful\t\t{successful}")
    path = folder / name
    path.write_text("\n".join([*summary, "", HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def error_line(rows, record: int, word="Error", code="18004", number=None) -> str:
    order_id, item, *_ = rows[record - 1]
    shown = str(record) if number is None else number
    return f"{shown}\t{order_id}\t{item}\t{code}\t{word}\tThe order item could not be cancelled."


# -- 1. an unclear report confirms nothing ---------------------------------------------------

UNKNOWN_WORDS = [
    "Errore fatale",
    "Schwerer Fehler",
    "Kritischer Fehler",
    "Erro crítico",
    "Fatal Error",
    "Errоr",  # Cyrillic о
    "Fehlеr",  # Cyrillic е
    "Err or",
    "E",
    "",
    "OK",
    "Success",
]


@pytest.mark.parametrize("word", UNKNOWN_WORDS)
def test_an_unknown_error_type_word_leaves_every_row_unconfirmed(ledger_path, tmp_path, rows, word):
    path = report_file(tmp_path, 12, 11, [error_line(rows, 3, word)])
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, path)
    assert (outcome.confirmed, outcome.failed, outcome.unconfirmed) == (0, [], 12)
    assert not outcome.ok
    assert states(ledger_path) == ["unconfirmed"] * 12
    # the word's line, then the summary (1 failed) that no known row explains
    unclear = outcome.unclear[0]
    assert unclear.line == 6 and outcome.unclear[1].line == 0
    assert f"error-type '{processing_report.visible(word)}' is not a word cancelkit knows" in (
        unclear.shown()
    )
    assert "3\\t111-8837261-4402918" in unclear.shown()  # the line is quoted
    with Ledger.open(ledger_path) as book:
        (first, *_) = book.batch_rows(BATCH)
        summary = book.batch(BATCH)
    assert first.error_code == "report_unclear" and "line 6" in first.error_message
    # unconfirmed rows never count in the rate
    assert summary.confirmed_counting_rows == 0
    with Ledger.open(ledger_path) as book:
        assert book.seller_cancels_in_window(NOW + dt.timedelta(hours=1), 7) == 0


@pytest.mark.parametrize(
    "word, kind",
    [
        ("Fa\u200btal", "Fatal"),
        ("Ｆａｔａｌ", "Fatal"),
        ("Er\u00adror", "Error"),
        ("\ufeffWarning", "Warning"),
        ("  FEHLER  ", "Error"),
        ("erreur\u00a0fatale", "Fatal"),
        ("Ｅｒｒｏｒ", "Error"),
    ],
)
def test_safe_normalisation_before_the_look_up(word, kind):
    assert processing_words.error_type(word) == kind


def test_look_alike_letters_are_never_normalised_into_a_known_word():
    for word in ("Errоr", "Fаtal", "Wаrning"):  # Cyrillic о, а
        assert processing_words.error_type(word) is None


def test_fatal_with_a_zero_width_space_rejects_the_whole_file(ledger_path):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, FIXTURES / "processing-report-zero-width-fatal.txt")
    assert outcome.file_failed and outcome.confirmed == 0 and len(outcome.failed) == 12
    assert states(ledger_path) == ["failed"] * 12


@pytest.mark.parametrize("number", ["+2", "2.0", "N/A", "#2", "two", "", " ", "02", "²", "٢", "-2"])
def test_a_record_number_that_is_not_exactly_a_row_leaves_rows_unconfirmed(
    ledger_path, tmp_path, rows, number
):
    path = report_file(tmp_path, 12, 11, [error_line(rows, 2, number=number)])
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, path)
    assert outcome.confirmed == 0 and outcome.unconfirmed == 12
    assert states(ledger_path) == ["unconfirmed"] * 12
    assert any("is not exactly a record number" in u.why for u in outcome.unclear)


def test_an_unclear_record_number_is_never_glued_to_the_previous_message(tmp_path, rows):
    path = report_file(
        tmp_path, 12, 10, [error_line(rows, 3, code="5002"), error_line(rows, 7, number="N/A")]
    )
    report = processing_report.parse_processing_report(path)
    assert [r.record_number for r in report.rows] == [3, -1]
    assert report.rows[0].message == "The order item could not be cancelled."


@pytest.mark.parametrize(
    "processed, successful, lines, fragment",
    [
        # "0 successful" with no error rows
        (12, 0, [], "the summary says 12 of 12 records failed"),
        # 2 failed while listing 1
        (12, 10, ["E3"], "but the report lists 1 failed record"),
        # 1 failed while listing 2
        (12, 11, ["E3", "E7"], "but the report lists 2 failed records"),
        (12, 13, [], "13 records successful of 12 processed"),
        (None, 12, [], "does not say how many records were processed"),
        (12, None, ["E3"], "does not say how many records were successful"),
        (None, None, ["E3"], "were processed and successful"),
        # a Fatal error with successful records
        (12, 5, ["F0"], "a Fatal error says Amazon rejected the whole file"),
    ],
)
def test_a_summary_that_disagrees_with_the_rows_leaves_rows_unconfirmed(
    ledger_path, tmp_path, rows, processed, successful, lines, fragment
):
    table = {
        "E3": error_line(rows, 3),
        "E7": error_line(rows, 7),
        "F0": "0\t\t\t90012\tFatal\tThe required order-id field is missing from the file.",
    }
    path = report_file(tmp_path, processed, successful, [table[line] for line in lines])
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, path, BATCH)
    assert outcome.confirmed == 0 and outcome.unconfirmed == 12, outcome
    assert any(fragment in u.why for u in outcome.unclear), outcome.unclear
    assert states(ledger_path) == ["unconfirmed"] * 12


@pytest.mark.parametrize(
    "fixture, fragment",
    [
        ("processing-report-unclear-word.txt", "error-type 'Errore fatale' is not a word"),
        ("processing-report-unclear-count.txt", "but the report lists 1 failed record"),
        ("processing-report-unclear-zero.txt", "the summary says 12 of 12 records failed"),
        ("processing-report-unclear-record.txt", "original-record-number '2.0' is not exactly"),
    ],
)
def test_command_unclear_reports_exit_1_quote_the_line_and_write_nothing_else(
    ledger_path, workdir, fixture, fragment
):
    report = workdir / fixture
    shutil.copyfile(FIXTURES / fixture, report)
    run = invoke("reconcile", report)
    assert run.exit_code == 1, run.output
    assert "so no row is confirmed: 12 rows left unconfirmed" in run.stdout
    assert fragment in run.stdout
    assert f"cancelkit confirm --batch {BATCH}" in run.stdout
    assert list(workdir.glob("*retry*")) == []
    assert states(ledger_path) == ["unconfirmed"] * 12
    run = invoke("history")
    assert "12 rows (12 unconfirmed); 0 confirmed rows of 0 orders count against the rate" in (
        run.stdout
    )


def test_invisible_characters_are_shown_escaped(ledger_path, tmp_path, rows):
    path = report_file(tmp_path, 12, 11, [error_line(rows, 3, "Err\u200cor\u202e")])
    run = invoke("reconcile", path)
    # the zero-width non-joiner and the bidi override are removed by the normalisation, so
    # "Error" is known; a Cyrillic letter beside an invisible one is shown escaped
    assert run.exit_code == 1 and "11 of 12 rows confirmed, 1 failed." in run.stdout
    path = report_file(tmp_path, 12, 11, [error_line(rows, 3, "Errо\u200br")], name="s.txt")
    run = invoke("reconcile", path, "--batch", BATCH)
    assert "error-type 'Errо\\u200br' is not a word cancelkit knows" in run.stdout


def test_a_clear_report_later_replaces_the_unconfirmed_state(ledger_path, tmp_path, rows):
    path = report_file(tmp_path, 12, 11, [error_line(rows, 3, "Errore fatale")])
    with Ledger.open(ledger_path) as book:
        reconcile.reconcile(book, path)
        outcome = reconcile.reconcile(book, SUCCESS)  # found again: it awaits a report
    assert outcome.confirmed == 12
    assert states(ledger_path) == ["confirmed"] * 12


def test_confirm_by_hand_confirms_unconfirmed_rows(ledger_path, tmp_path, rows):
    path = report_file(tmp_path, 12, 0, [])
    assert invoke("reconcile", path).exit_code == 1
    run = invoke("confirm")
    assert run.exit_code == 0 and f"Batch {BATCH}: 12 rows confirmed." in run.stdout
    assert states(ledger_path) == ["confirmed"] * 12


def test_a_later_batch_with_an_unconfirmed_order_is_flagged(ledger_path, tmp_path, rows):
    path = report_file(tmp_path, 12, 0, [])
    with Ledger.open(ledger_path) as book:
        reconcile.reconcile(book, path)
    with cancelkit.check(CLEAN, ledger=str(ledger_path)) as result:
        flags = [f for r in result.records for f in r["flags"]]
    unclear = [f for f in flags if f["code"] == "in_unconfirmed_batch"]
    assert len(unclear) == 12
    assert "did not say clearly whether Amazon cancelled it" in unclear[0]["message"]


# -- 2. the batch whose rows the report names ------------------------------------------------


def test_de_and_fr_batches_each_get_their_own_report(private_ledger, rows):
    with Ledger.open(private_ledger) as book:
        de = book.record_batch({"created_at": NOW, "marketplace": "DE"}, rows)
        # FR's batch: 12 other orders, recorded after DE's (the newest)
        other = [(f"4{n:02d}-1234567-{n:07d}", None, None, None, None, True) for n in range(12)]
        fr = book.record_batch(
            {"created_at": NOW + dt.timedelta(seconds=1), "marketplace": "FR"}, other
        )
    run = invoke("reconcile", GERMAN)  # DE's report names DE's orders
    assert run.exit_code == 1, run.output
    assert f"Batch {de}: 10 of 12 rows confirmed, 2 failed." in run.stdout
    assert set(states(private_ledger, fr)) == {"generated"}
    # a report that names no row (all 12 successful) fits both 12-row batches: refused
    with Ledger.open(private_ledger) as book:
        book.record_batch({"created_at": NOW + dt.timedelta(seconds=2), "marketplace": "IT"}, rows)
    run = invoke("reconcile", SUCCESS)
    line = assert_one_line_error(run, "fits 2 batches", "--batch")
    assert fr in line
    # confirm without --batch is refused too, with the candidates
    line = assert_one_line_error(invoke("confirm"), "2 batches await confirmation", fr)
    assert set(states(private_ledger, fr)) == {"generated"}


def test_api_match_batch_names_the_candidates(ledger_path, rows):
    other = [(f"4{n:02d}-1234567-{n:07d}", None, None, None, None, True) for n in range(12)]
    with Ledger.open(ledger_path) as book:
        twin = book.record_batch({"created_at": NOW + dt.timedelta(hours=1)}, other)
        report = processing_report.parse_processing_report(SUCCESS)
        with pytest.raises(InputError) as info:
            reconcile.match_batch(book, report)
        assert BATCH in str(info.value) and twin in str(info.value)
        assert reconcile.match_batch(book, report, twin).id == twin
        # the errors report names orders of the first batch only
        assert (
            reconcile.match_batch(book, processing_report.parse_processing_report(ERRORS)).id
            == BATCH
        )
        # a batch that repeats the same orders supersedes the first one's rows: only it
        # awaits a report, and it is the one the report goes to
        again = book.record_batch({"created_at": NOW + dt.timedelta(hours=2)}, rows)
        assert (
            reconcile.match_batch(book, processing_report.parse_processing_report(ERRORS)).id
            == again
        )


def test_a_report_naming_orders_finds_an_already_reconciled_batch(ledger_path, tmp_path):
    with Ledger.open(ledger_path) as book:
        book.confirm(BATCH)  # confirmed by hand: no batch awaits a report
        outcome = reconcile.reconcile(book, ERRORS)  # Amazon's report is the authority
    assert outcome.batch.id == BATCH and len(outcome.failed) == 2


def test_a_report_that_fits_no_batch_lists_the_candidates(ledger_path, workdir, rows):
    path = report_file(workdir, 5, 5, [])
    line = assert_one_line_error(invoke("reconcile", path), "matches none of the 1 batches")
    assert f"{BATCH} (12 rows, US): Amazon processed 5 records, the batch has 12 rows" in line
    assert states(ledger_path) == ["generated"] * 12


# -- 3. advice by Amazon's error --------------------------------------------------------------


def test_the_code_table_says_what_each_code_means():
    assert processing_codes.advice("18004").action == "final"
    assert processing_codes.advice("18028").action == "final"
    assert processing_codes.advice("90012").retryable
    assert processing_codes.advice("5002").action == "retry"
    for code in ("25", "8026", "18010", "77777", "", " 18004x"):
        assert processing_codes.advice(code).action == "unknown"
    assert processing_codes.advice(" 18004 ").action == "final"


def test_mixed_failures_retry_only_what_a_retry_can_fix(ledger_path, tmp_path):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, MIXED)
    assert [(f.record_number, f.advice.action) for f in outcome.failed] == [
        (3, "final"),
        (5, "retry"),
        (7, "unknown"),
    ]
    assert [f.record_number for f in outcome.retryable] == [5]
    assert [f.record_number for f in outcome.refused] == [3]
    path = retry.write_retry(outcome, tmp_path / "retry.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[1:] == [
        "112-5550193-7782014,BuyerCanceled,27485019374652,COASTER-CORK-4PK"
    ]
    text = reconcile_text.outcome_text(outcome, path)
    assert "-> unknown code: check by hand in Seller Central; not in the retry file" in text
    assert "Retry file with the 1 rows a retry can fix" in text


def test_a_final_refusal_is_recorded_and_a_later_batch_is_flagged(ledger_path, workdir):
    run = invoke("reconcile", ERRORS)
    assert run.exit_code == 1
    with Ledger.open(ledger_path) as book:
        known = book.known(["111-8837261-4402918"])
    assert known[("111-8837261-4402918", "31947205836174")][:2] == ("refused", BATCH)
    # the retry of the two refused rows: flagged, high risk, never silently accepted
    again = workdir / "again.csv"
    again.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code\n"
        "111-8837261-4402918,NoInventory,31947205836174\n"
        "113-2204987-6619032,BuyerCanceled,58830127465091\n",
        encoding="utf-8",
    )
    with cancelkit.check(again, ledger=str(ledger_path)) as result:
        records = result.records
    assert [r["status"] for r in records] == ["accepted", "accepted"]
    for record in records:
        codes = [f["code"] for f in record["flags"]]
        assert "refused_by_amazon" in codes and record["risk"] == "high"
    message = next(f["message"] for f in records[0]["flags"] if f["code"] == "refused_by_amazon")
    assert f"in batch {BATCH}" in message and "18004" in message
    run = invoke("generate", again, "--fail-on", "high", "--flat-file", "up.txt")
    assert run.exit_code == 3, run.output
    assert not (workdir / "up.txt").exists()


def test_a_clear_report_later_replaces_the_refusals(ledger_path):
    with Ledger.open(ledger_path) as book:
        reconcile.reconcile(book, ERRORS)
        reconcile.reconcile(book, SUCCESS, BATCH)
        known = book.known(["111-8837261-4402918"])
    assert known[("111-8837261-4402918", "31947205836174")][0] == "confirmed"
    assert known.refusals == {}


# -- 4. the same report twice -------------------------------------------------------------------


def test_the_same_report_twice_changes_nothing_and_writes_no_second_retry_file(
    ledger_path, workdir
):
    report = workdir / "report.txt"
    shutil.copyfile(FIXTURES / "processing-report-internal.txt", report)
    first = invoke("reconcile", report)
    assert first.exit_code == 1 and (workdir / "report-retry.csv").is_file()
    before = (
        sqlite3.connect(ledger_path)
        .execute("SELECT record_number, state, error_code, updated_at FROM batch_rows ORDER BY 1")
        .fetchall()
    )
    second = invoke("reconcile", report)
    assert second.exit_code == 1, second.output  # the same answer as the first time
    assert "this processing report was already reconciled on" in second.stdout
    assert "(10 confirmed, 2 failed); nothing changed, no retry file written." in second.stdout
    assert sorted(p.name for p in workdir.glob("*retry*")) == ["report-retry.csv"]
    after = (
        sqlite3.connect(ledger_path)
        .execute("SELECT record_number, state, error_code, updated_at FROM batch_rows ORDER BY 1")
        .fetchall()
    )
    assert after == before
    # under another name, or named with --batch: the same bytes are the same report
    renamed = workdir / "copy.txt"
    shutil.copyfile(report, renamed)
    third = invoke("reconcile", renamed, "--batch", BATCH)
    assert "already reconciled" in third.stdout and not list(workdir.glob("copy-retry*"))


def test_the_same_report_twice_through_the_api(ledger_path):
    with Ledger.open(ledger_path) as book:
        first = reconcile.reconcile(book, SUCCESS)
        again = reconcile.reconcile(book, SUCCESS)
    assert first.already is None and first.ok
    assert again.already is not None and again.ok and again.failed == []
    assert again.already["outcome"]["confirmed"] == 12
    unclear_twice = []
    with Ledger.open(ledger_path) as book:
        book.record_batch({"created_at": NOW + dt.timedelta(hours=1), "id": "b2"}, clean_rows())
    path = FIXTURES / "processing-report-unclear-zero.txt"
    with Ledger.open(ledger_path) as book:
        for _ in range(2):
            unclear_twice.append(reconcile.reconcile(book, path, "b2"))
    assert unclear_twice[0].unconfirmed == 12 and not unclear_twice[1].ok
    assert unclear_twice[1].already is not None


# -- 5. history --------------------------------------------------------------------------------


def test_history_counts_only_confirmed_rows_against_the_rate_and_says_rows_and_orders(
    ledger_path,
):
    with Ledger.open(ledger_path) as book:
        reconcile.reconcile(book, ERRORS)
        (batch,) = book.batches()
    orders = {r[0] for n, r in enumerate(clean_rows(), start=1) if n not in (3, 7)}
    assert (batch.confirmed_counting_rows, batch.confirmed_counting_orders) == (10, len(orders))
    assert batch.counts_against_rate == 12 and batch.awaiting_counting_rows == 0
    line = history_text([batch])
    assert (
        f"12 rows (10 confirmed, 2 failed); 10 confirmed rows of {len(orders)} orders count "
        "against the rate"
    ) in line
    run = invoke("history", "--json")
    assert f'"confirmed_counting_orders": {len(orders)}' in run.stdout


def test_history_says_rows_and_orders_when_an_order_has_two_rows(ledger_path):
    with Ledger.open(ledger_path) as book:
        reconcile.reconcile(book, SUCCESS)
    orders = {r[0] for r in clean_rows()}
    assert len(orders) < 12  # an order with two item rows
    run = invoke("history")
    assert f"12 confirmed rows of {len(orders)} orders count against the rate" in run.stdout


def test_history_of_an_open_batch_says_they_count_once_confirmed(ledger_path):
    run = invoke("history")
    assert (
        "12 rows (12 generated); 0 confirmed rows of 0 orders count against the rate, "
        "12 more once confirmed"
    ) in run.stdout


# -- the schema ----------------------------------------------------------------------------------


def test_a_schema_3_ledger_migrates_and_its_final_failures_become_refusals(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    shutil.copy(Path(__file__).parent / "data" / "ledger-v3.sqlite3", path)
    old = sqlite3.connect(path)
    assert old.execute("SELECT version FROM schema_version").fetchone() == (3,)
    old.close()
    with Ledger.open(path) as book:
        assert on_disk(book, "SELECT version FROM schema_version")[0] == (schema.SCHEMA_VERSION,)
        assert [r.state for r in book.batch_rows("v3-done")] == ["confirmed", "failed", "confirmed"]
        assert book.batch("v3-done").states["unconfirmed"] == 0
        known = book.known()
        failed = book.batch_rows("v3-done")[1]
        assert known[(failed.order_id, failed.item_code)][0] == "refused"
        assert [b.id for b in book.batches_awaiting_report()] == ["v3-open"]
        assert book.integrity_check() == "ok"


def test_two_different_counts_of_one_kind_are_refused(tmp_path):
    path = tmp_path / "r.txt"
    path.write_text(
        "Feed Processing Summary:\n\tNumber of records processed\t\t12\n"
        "\tRecords processed (verarbeitet)\t\t3\n\tNumber of records successful\t\t12\n\n"
        f"{HEADER}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="a second 'processed' count"):
        processing_report.parse_processing_report(path)


def test_no_batch_awaiting_and_a_report_that_names_no_row(ledger_path):
    with Ledger.open(ledger_path) as book:
        book.confirm(BATCH)
        with pytest.raises(InputError, match="no batch awaits a processing report"):
            reconcile.reconcile(book, SUCCESS)
        assert reconcile.reconcile(book, SUCCESS, BATCH).confirmed == 12


def test_an_order_id_with_an_invisible_character_does_not_fit_and_is_shown(
    ledger_path, tmp_path, rows
):
    order_id, item, *_ = rows[2]
    line = f"3\t{order_id}\u200b\t{item}\t18004\tError\tx"
    path = report_file(tmp_path, 12, 11, [line])
    run = invoke("reconcile", path)
    assert_one_line_error(run, f"record 3 is order {order_id} in the batch but {order_id}\\u200b")
    assert states(ledger_path) == ["generated"] * 12


def test_an_unclear_report_twice_exits_1_again_even_with_nothing_left_to_change(
    ledger_path, workdir
):
    with Ledger.open(ledger_path) as book:
        book.confirm(BATCH)
    path = FIXTURES / "processing-report-unclear-zero.txt"
    first = invoke("reconcile", path, "--batch", BATCH)
    assert first.exit_code == 1 and "0 rows left unconfirmed" in first.stdout
    assert states(ledger_path) == ["confirmed"] * 12  # an unclear report never un-confirms
    second = invoke("reconcile", path, "--batch", BATCH)
    assert second.exit_code == 1 and "the report was unclear" in second.stdout
