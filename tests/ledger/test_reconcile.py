"""Reconciling Amazon's processing reports with the batch of fixtures/clean-batch.csv:
success, errors, a fatal report, a report of another batch, the retry file, the command."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import CLEAN, FIXTURES, assert_one_line_error, invoke

import cancelkit
from cancelkit.errors import InputError
from cancelkit.ledger import reconcile
from cancelkit.ledger.store import Ledger
from cancelkit.read import processing_report
from cancelkit.write import reconcile_text, retry

SUCCESS = FIXTURES / "processing-report-success.txt"
ERRORS = FIXTURES / "processing-report-errors.txt"
FATAL = FIXTURES / "processing-report-fatal.txt"
MISMATCH = FIXTURES / "processing-report-mismatch.txt"
#: records 3 and 7 failed with 5002, Amazon's internal error: a retry can fix them
INTERNAL = FIXTURES / "processing-report-internal.txt"
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.timezone.utc)


def clean_rows() -> list[tuple]:
    """The 12 records of clean-batch.csv's flat file, in file order, as the ledger takes them."""
    with cancelkit.check(CLEAN, no_ledger=True) as result:
        records = [r for r in result.records if r["status"] == "accepted"]
    assert len(records) == 12
    return [
        (
            r["order_id"],
            r["amazon_order_item_code"],
            r["reason"],
            r["sku"],
            None,
            r["counts_against_rate"],
        )
        for r in records
    ]


@pytest.fixture(scope="module")
def rows() -> list[tuple]:
    return clean_rows()


@pytest.fixture
def ledger_path(private_ledger, rows) -> Path:
    """The test's private ledger (CANCELKIT_LEDGER) holding the clean batch, unconfirmed."""
    with Ledger.open(private_ledger) as book:
        book.record_batch({"created_at": NOW, "id": "20261126-080000-c1ea"}, rows)
    return private_ledger


def row_states(path: Path, batch_id: str = "20261126-080000-c1ea") -> list[str]:
    with Ledger.open(path) as book:
        return [r.state for r in book.batch_rows(batch_id)]


# -- parsing ------------------------------------------------------------------------------


def test_the_fixture_reports_parse():
    success = processing_report.parse_processing_report(SUCCESS)
    assert (success.processed, success.successful, success.rows) == (12, 12, [])
    errors = processing_report.parse_processing_report(ERRORS)
    assert (errors.processed, errors.successful) == (12, 10)
    assert [(r.record_number, r.order_id, r.item_code, r.code, r.type) for r in errors.rows] == [
        (3, "111-8837261-4402918", "31947205836174", "18004", "Error"),
        (7, "113-2204987-6619032", "58830127465091", "18004", "Error"),
        (0, None, None, "90061", "Warning"),
    ]
    assert errors.rows[2].message.startswith("The sku field heading is invalid")
    assert not errors.file_failed
    fatal = processing_report.parse_processing_report(FATAL)
    assert fatal.file_failed and fatal.rows[0].code == "90012"


def test_crlf_bom_blank_lines_and_spaces_are_tolerated(tmp_path):
    text = ERRORS.read_text(encoding="utf-8")
    variants = {
        "crlf-bom": ("\n\n" + text.replace("\n", "\r\n\r\n")).encode("utf-8-sig"),
        "cp1252": text.replace("invalid", "invalid – café").encode("cp1252"),
        # tabs turned into runs of spaces, as when the report is pasted from a browser
        "spaces": text.replace("\t\t", "\t").replace("\t", "    ").encode("utf-8"),
    }
    for name, data in variants.items():
        path = tmp_path / f"{name}.txt"
        path.write_bytes(data)
        report = processing_report.parse_processing_report(path)
        assert (report.processed, report.successful) == (12, 10), name
        assert [(r.record_number, r.order_id, r.item_code, r.type) for r in report.rows] == [
            (3, "111-8837261-4402918", "31947205836174", "Error"),
            (7, "113-2204987-6619032", "58830127465091", "Error"),
            (0, None, None, "Warning"),
        ], name


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"order-id,reason\n111-1,x\n", "not an Amazon processing report"),
        (b"Feed Processing Summary:\n", "does not say which records failed"),
        (
            b"original-record-number\terror-code\terror-message\n3\t1\tx\n",
            "no error-type column",
        ),
        (b"Feed Processing Summary:\nsomething else entirely\n", "line 2"),
    ],
)
def test_what_cannot_be_parsed_is_refused(tmp_path, content, fragment):
    path = tmp_path / "report.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        processing_report.parse_processing_report(path)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_a_summary_only_report_of_full_success_is_read(tmp_path):
    path = tmp_path / "report.txt"
    path.write_bytes(
        b"Feed Processing Summary:\r\n\tNumber of records processed\t\t12\r\n"
        b"\tNumber of records successful\t\t12\r\n"
    )
    assert processing_report.parse_processing_report(path).rows == []


# -- reconcile ----------------------------------------------------------------------------


def test_success_confirms_every_row(ledger_path):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, SUCCESS)  # a path is parsed first
    assert (outcome.confirmed, outcome.failed, outcome.file_failed) == (12, [], False)
    assert outcome.batch.states["confirmed"] == 12
    assert row_states(ledger_path) == ["confirmed"] * 12


def test_errors_fail_their_records_and_warnings_are_reported(ledger_path):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, processing_report.parse_processing_report(ERRORS))
    assert outcome.confirmed == 10
    assert [
        (f.record_number, f.order_id, f.item_code, f.reason, f.sku, f.code) for f in outcome.failed
    ] == [
        (3, "111-8837261-4402918", "31947205836174", "NoInventory", "TEAPOT-CAST-1L", "18004"),
        (
            7,
            "113-2204987-6619032",
            "58830127465091",
            "BuyerCanceled",
            "KETTLE-GOOSENECK-1L",
            "18004",
        ),
    ]
    assert [w.code for w in outcome.warnings] == ["90061"]
    expected = ["confirmed"] * 12
    expected[2] = expected[6] = "failed"
    assert row_states(ledger_path) == expected
    text = reconcile_text.outcome_text(outcome)
    assert "10 of 12 rows confirmed, 2 failed" in text
    assert "record 3: 111-8837261-4402918 item 31947205836174: 18004 The order item" in text
    assert "Warning (file) 90061" in text


def test_a_fatal_report_fails_the_whole_batch(ledger_path):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, processing_report.parse_processing_report(FATAL))
    assert outcome.file_failed and outcome.confirmed == 0
    assert len(outcome.failed) == 12
    assert {f.code for f in outcome.failed} == {"90012"}
    assert row_states(ledger_path) == ["failed"] * 12
    text = reconcile_text.outcome_text(outcome)
    assert "rejected the whole file" in text and "Fatal 90012" in text


def test_a_report_of_another_batch_is_refused_and_changes_nothing(ledger_path):
    report = processing_report.parse_processing_report(MISMATCH)
    with Ledger.open(ledger_path) as book, pytest.raises(InputError) as info:
        reconcile.reconcile(book, report, "20261126-080000-c1ea")
    message = str(info.value)
    assert "does not match batch 20261126-080000-c1ea" in message
    assert (
        "record 3 is order 111-8837261-4402918 in the batch but 112-8042719-3356120 in the "
        "report; wrong batch?"
    ) in message
    # without --batch: it fits none of the batches awaiting a report, each listed with why
    with Ledger.open(ledger_path) as book, pytest.raises(InputError) as info:
        reconcile.reconcile(book, report)
    assert (
        "matches none of the 1 batches awaiting a processing report (20261126-080000-c1ea "
        "(12 rows): record 3 is order 111-8837261-4402918 in the batch but "
        "112-8042719-3356120 in the report)"
    ) in str(info.value)
    assert row_states(ledger_path) == ["generated"] * 12


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (("processed\t\t12", "processed\t\t15"), "counts 15 records, the batch has 12"),
        (("processed\t\t12", "processed\t\t9"), "Amazon processed 9 records"),
        (("\n3\t111-8837261", "\n13\t111-8837261"), "record 13 is beyond the 12 rows"),
        (("31947205836174\t18004", "31947205836188\t18004"), "record 3 is item 31947205836174"),
    ],
)
def test_reports_that_do_not_fit_the_batch_are_refused(ledger_path, tmp_path, edit, fragment):
    path = tmp_path / "report.txt"
    path.write_text(ERRORS.read_text().replace(*edit))
    for batch in ("20261126-080000-c1ea", None):
        with Ledger.open(ledger_path) as book, pytest.raises(InputError, match=fragment):
            reconcile.reconcile(book, processing_report.parse_processing_report(path), batch)
    assert row_states(ledger_path) == ["generated"] * 12


def test_the_batch_can_be_named_and_is_never_the_newest_by_default(ledger_path, rows):
    with Ledger.open(ledger_path) as book:
        newer = book.record_batch({"created_at": NOW + dt.timedelta(hours=1)}, rows[:3])
        report = processing_report.parse_processing_report(SUCCESS)
        with pytest.raises(InputError, match=f"does not match batch {newer}"):
            reconcile.reconcile(book, report, newer)  # it has 3 rows, Amazon saw 12
        outcome = reconcile.reconcile(book, report)  # the one batch of 12 rows
        assert outcome.batch.id == "20261126-080000-c1ea" and outcome.confirmed == 12
        # the newer batch repeated three confirmed rows: they are superseded now
        assert book.batch(newer).states["superseded"] == 3


def test_resubmission_is_rejected_after_confirm_and_allowed_after_failure(ledger_path):
    with Ledger.open(ledger_path) as book:
        reconcile.reconcile(book, processing_report.parse_processing_report(ERRORS))
    with cancelkit.check(CLEAN, ledger=str(ledger_path)) as result:
        records = result.records
    accepted = [(r["row"], r["order_id"]) for r in records if r["status"] == "accepted"]
    assert accepted == [(4, "111-8837261-4402918"), (8, "113-2204987-6619032")]
    rejected = [r for r in records if r["status"] == "rejected"]
    assert len(rejected) == 10
    assert {e["code"] for r in rejected for e in r["errors"]} == {"already_confirmed"}
    assert "20261126-080000-c1ea" in rejected[0]["errors"][0]["message"]


# -- the retry file -----------------------------------------------------------------------


def test_the_retry_file_holds_the_failed_rows_and_reads_back(ledger_path, tmp_path):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, processing_report.parse_processing_report(INTERNAL))
    path = retry.write_retry(outcome, tmp_path / "retry.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert path.read_text(encoding="utf-8-sig").splitlines() == [
        "order-id,cancellation-reason-code,amazon-order-item-code,sku",
        "111-8837261-4402918,NoInventory,31947205836174,TEAPOT-CAST-1L",
        "113-2204987-6619032,BuyerCanceled,58830127465091,KETTLE-GOOSENECK-1L",
    ]
    with cancelkit.check(path, no_ledger=True) as result:
        assert (result.summary["accepted"], result.summary["rejected"]) == (2, 0)


def test_the_retry_file_of_a_rejected_file_has_every_row(ledger_path, tmp_path, rows):
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, processing_report.parse_processing_report(FATAL))
    path = retry.write_retry(outcome, tmp_path / "retry.csv")
    with cancelkit.check(path, no_ledger=True) as result:
        got = [
            (r["order_id"], r["amazon_order_item_code"], r["reason"], r["sku"])
            for r in result.records
        ]
    assert got == [r[:3] + (r[3],) for r in rows]


def test_the_default_retry_file_goes_next_to_the_report(tmp_path):
    report = tmp_path / "report.txt"
    assert retry.default_retry_path(report) == tmp_path / "report-retry.csv"
    (tmp_path / "report-retry.csv").write_text("taken")
    assert retry.default_retry_path(report) == tmp_path / "report-retry-2.csv"


# -- the command --------------------------------------------------------------------------


def copy(source: Path, folder: Path) -> Path:
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def test_command_success_exits_0(ledger_path, workdir):
    run = invoke("reconcile", copy(SUCCESS, workdir))
    assert run.exit_code == 0, run.output
    assert "12 of 12 rows confirmed, 0 failed" in run.stdout
    assert list(workdir.glob("*retry*")) == []


def test_command_with_failures_exits_1_and_writes_the_retry_file(ledger_path, workdir):
    report = copy(INTERNAL, workdir)
    run = invoke("reconcile", report)
    assert run.exit_code == 1, run.output
    retry = workdir / "processing-report-internal-retry.csv"
    assert f"Retry file with the 2 rows a retry can fix: {retry}" in run.stdout
    assert "113-2204987-6619032 item 58830127465091: 5002 An internal error" in run.stdout
    assert "-> retry (an internal error at Amazon): in the retry file" in run.stdout
    assert len(retry.read_text(encoding="utf-8-sig").splitlines()) == 3


def test_command_final_refusals_exit_1_without_a_retry_file(ledger_path, workdir):
    report = copy(ERRORS, workdir)  # records 3 and 7: 18004, final
    run = invoke("reconcile", report)
    assert run.exit_code == 1, run.output
    assert "10 of 12 rows confirmed, 2 failed." in run.stdout
    assert "113-2204987-6619032 item 58830127465091: 18004" in run.stdout
    assert run.stdout.count("-> final (the order's status does not allow cancellation)") == 2
    assert "No retry file: no failed row is one a retry can fix." in run.stdout
    assert list(workdir.glob("*retry*")) == []


def test_command_fatal_exits_1(ledger_path, workdir):
    run = invoke("reconcile", copy(FATAL, workdir), "--retry", workdir / "again.csv")
    assert run.exit_code == 1
    assert len((workdir / "again.csv").read_text(encoding="utf-8-sig").splitlines()) == 13


def test_command_refuses_a_mismatch_with_exit_2(ledger_path, workdir):
    run = invoke("reconcile", MISMATCH, "--batch", "20261126-080000-c1ea")
    assert_one_line_error(run, "does not match batch 20261126-080000-c1ea", "wrong batch?")
    run = invoke("reconcile", MISMATCH)
    assert_one_line_error(
        run, "matches none of the 1 batches awaiting a processing report", "--batch"
    )
    assert row_states(ledger_path) == ["generated"] * 12


def test_command_refuses_an_unparseable_report_and_an_existing_retry_file(ledger_path, workdir):
    bad = workdir / "bad.txt"
    bad.write_text("hello\n")
    assert_one_line_error(invoke("reconcile", bad), "not an Amazon processing report")
    taken = workdir / "taken.csv"
    taken.write_text("keep me")
    run = invoke("reconcile", INTERNAL, "--retry", taken)
    assert_one_line_error(run, "already exists; use --force")
    assert row_states(ledger_path) == ["generated"] * 12
    run = invoke("reconcile", INTERNAL, "--retry", taken, "--force")
    assert run.exit_code == 1 and "keep me" not in taken.read_text()


def test_command_with_another_ledger_and_batch(tmp_path, workdir, rows):
    other = tmp_path / "elsewhere" / "book.sqlite3"
    with Ledger.open(other) as book:
        batch = book.record_batch({"created_at": NOW}, rows)
        book.record_batch({"created_at": NOW + dt.timedelta(hours=1)}, rows[:1])
    run = invoke("reconcile", SUCCESS, "--ledger", other, "--batch", batch)
    assert run.exit_code == 0, run.output
    assert row_states(other, batch) == ["confirmed"] * 12
    assert_one_line_error(invoke("reconcile", SUCCESS), "no ledger yet")


# -- processing reports in other languages -------------------------------------------------

GERMAN = FIXTURES / "processing-report-de.txt"
FRENCH = FIXTURES / "processing-report-fr.txt"
UNKNOWN_TYPE = FIXTURES / "processing-report-unknown-type.txt"


def test_german_report_fehler_and_warnung(ledger_path):
    report = processing_report.parse_processing_report(GERMAN)
    assert (report.processed, report.successful) == (12, 10)
    assert [(r.record_number, r.type, r.word) for r in report.rows] == [
        (3, "Error", "Fehler"),
        (7, "Error", "Fehler"),
        (0, "Warning", "Warnung"),
    ]
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, report)
    assert (outcome.confirmed, [f.record_number for f in outcome.failed]) == (10, [3, 7])
    assert not outcome.file_failed
    expected = ["confirmed"] * 12
    expected[2] = expected[6] = "failed"
    assert row_states(ledger_path) == expected


def test_french_report_colon_summary_and_info_row(ledger_path):
    report = processing_report.parse_processing_report(FRENCH)
    assert (report.processed, report.successful) == (12, 11)
    assert [(r.record_number, r.type, r.word) for r in report.rows] == [
        (5, "Error", "Erreur"),
        (0, "Info", "Info"),
    ]
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, report)
    assert outcome.confirmed == 11 and [f.record_number for f in outcome.failed] == [5]
    assert not outcome.file_failed  # Info on record 0 is not a rejection of the file
    assert [w.type for w in outcome.warnings] == ["Info"]
    assert "Info (file) 90200" in reconcile_text.outcome_text(outcome)


@pytest.mark.parametrize(
    "word, kind",
    [
        ("ERROR", "Error"),
        ("warning", "Warning"),
        ("FEHLER", "Error"),
        ("Avertissement", "Warning"),
        ("Errore", "Error"),
        ("Avviso", "Warning"),
        ("Advertencia", "Warning"),
        ("Fout", "Error"),
        ("Waarschuwing", "Warning"),
        ("Fel", "Error"),
        ("Varning", "Warning"),
        ("Błąd", "Error"),
        ("Ostrzeżenie", "Warning"),
        ("エラー", "Error"),
        ("警告", "Warning"),
        (" info ", "Info"),
        ("Fatal", "Fatal"),
    ],
)
def test_error_type_words_of_every_language(tmp_path, word, kind):
    path = tmp_path / "report.txt"
    path.write_text(
        "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message\n"
        f"2\t\t\t18004\t{word}\tx\n",
        encoding="utf-8",
    )
    (row,) = processing_report.parse_processing_report(path).rows
    assert row.type == kind


def test_unknown_error_type_leaves_every_row_unconfirmed(ledger_path):
    report = processing_report.parse_processing_report(UNKNOWN_TYPE)
    (row,) = report.rows
    assert (row.type, row.word, row.line, row.record_number) == ("Unknown", "Avería", 6, 4)
    with Ledger.open(ledger_path) as book:
        outcome = reconcile.reconcile(book, report)
    assert (outcome.confirmed, outcome.failed, outcome.unconfirmed) == (0, [], 12)
    assert not outcome.ok
    assert row_states(ledger_path) == ["unconfirmed"] * 12
    text = reconcile_text.outcome_text(outcome)
    assert "so no row is confirmed: 12 rows left unconfirmed" in text
    assert "line 6: error-type 'Avería' is not a word cancelkit knows: 4\\t111-8837261" in text


def test_german_report_through_the_command(ledger_path, workdir):
    run = invoke("reconcile", copy(GERMAN, workdir))
    assert run.exit_code == 1, run.output
    assert "10 of 12 rows confirmed, 2 failed" in run.output


def test_line_break_inside_a_message_is_rejoined(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(
        "Feed Processing Summary:\n\tNumber of records processed\t\t12\n"
        "\tNumber of records successful\t\t11\n\n"
        "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message\n"
        "3\t111-8837261-4402918\t31947205836174\t18004\tError\tThe order item could not\n"
        "be cancelled.\n",
        encoding="utf-8",
    )
    (row,) = processing_report.parse_processing_report(path).rows
    assert (row.record_number, row.message) == (3, "The order item could not\nbe cancelled.")
