"""After a DE+FR run (one upload file and one ledger batch per marketplace), each processing
report goes to the batch whose rows it names, without --batch and never to the newest batch;
a refused order flags the next run; reconciling a report twice changes nothing (issues 16,
18), through the command line in a real process and through the library."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, assert_one_line_error, invoke, run_cli

from cancelkit.amazon import flatfile
from cancelkit.ledger.store import Ledger
from cancelkit.usecases.reconcile import reconcile_report

EU = FIXTURES / "eu-batch.csv"
HEADER = "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message"


def processing_report(path: Path, flat_file: Path, errors: dict[int, tuple[str, str]]) -> Path:
    """Amazon's answer to `flat_file`: `errors` {record: (code, error-type word)}."""
    rows = list(flatfile.parse(flat_file))
    lines = [
        "Feed Processing Summary:",
        f"\tNumber of records processed\t\t{len(rows)}",
        f"\tNumber of records successful\t\t{len(rows) - len(errors)}",
        "",
        HEADER,
    ]
    for row in rows:
        if row.record_number in errors:
            code, word = errors[row.record_number]
            lines.append(
                f"{row.record_number}\t{row.order_id}\t{row.amazon_order_item_code or ''}\t"
                f"{code}\t{word}\tThe order item could not be cancelled."
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def eu_run(workdir):
    """generate eu-batch.csv: a DE file of 5 rows and an FR file of 2, one batch each (FR is
    recorded last: the newest)."""
    ledger = workdir / "ledger.sqlite3"
    run = run_cli(
        "generate",
        EU,
        "--orders-7d",
        "DE=2000,FR=6000",
        "--ledger",
        ledger,
        "--json",
        "out.json",
        cwd=workdir,
    )
    assert run.exit_code == 1, run.output  # row 8 names no marketplace
    document = json.loads((workdir / "out.json").read_text(encoding="utf-8"))
    de, fr = (workdir / f for f in document["outputs"]["flat_files"])
    with Ledger.open(ledger) as book:
        ids = {b.marketplace: b.id for b in book.batches()}
        assert book.newest_batch().id in ids.values()
    return ledger, ids, de, fr


def states(ledger: Path, batch: str) -> list[str]:
    with Ledger.open(ledger) as book:
        return [r.state for r in book.batch_rows(batch)]


def test_des_report_without_batch_reconciles_des_batch_only(eu_run, workdir):
    ledger, ids, de, fr = eu_run
    report = processing_report(workdir / "de-report.txt", de, {2: ("18004", "Fehler")})
    run = run_cli("reconcile", report, "--ledger", ledger, cwd=workdir)
    assert run.exit_code == 1, run.output
    assert f"Batch {ids['DE']}: 4 of 5 rows confirmed, 1 failed." in run.stdout
    assert states(ledger, ids["DE"]) == [
        "confirmed",
        "failed",
        "confirmed",
        "confirmed",
        "confirmed",
    ]
    assert states(ledger, ids["FR"]) == ["generated", "generated"]
    # FR's report, all successful and naming no row: the one batch of 2 rows awaiting a report
    fr_report = processing_report(workdir / "fr-report.txt", fr, {})
    run = run_cli("reconcile", fr_report, "--ledger", ledger, cwd=workdir)
    assert run.exit_code == 0, run.output
    assert f"Batch {ids['FR']}: 2 of 2 rows confirmed, 0 failed." in run.stdout
    # again: nothing changes, no retry file
    run = run_cli("reconcile", report, "--ledger", ledger, cwd=workdir)
    assert run.exit_code == 1 and "already reconciled" in run.stdout
    assert list(workdir.glob("*retry*")) == []  # 18004 is final: never a retry file


def test_a_report_that_could_be_either_batch_is_refused(eu_run, workdir):
    ledger, ids, de, fr = eu_run
    # a Fatal report of 0 records names no row and no size: it fits both, so it is refused
    fatal = workdir / "fatal.txt"
    fatal.write_text(
        "Feed Processing Summary:\n\tNumber of records processed\t\t0\n"
        "\tNumber of records successful\t\t0\n\n"
        f"{HEADER}\n0\t\t\t90012\tFatal\tThe required order-id field is missing from the file.\n",
        encoding="utf-8",
    )
    run = invoke("reconcile", fatal, "--ledger", ledger)
    line = assert_one_line_error(run, "fits 2 batches", ids["DE"], ids["FR"], "--batch")
    assert "(5 rows, DE)" in line and "(2 rows, FR)" in line
    assert set(states(ledger, ids["DE"])) == set(states(ledger, ids["FR"])) == {"generated"}
    run = invoke("reconcile", fatal, "--ledger", ledger, "--batch", ids["FR"])
    assert run.exit_code == 1 and f"Batch {ids['FR']}: Amazon rejected the whole file" in (
        run.stdout
    )
    assert "fix, then retry" in run.stdout and (workdir / "fatal-retry.csv").is_file()


def test_the_library_matches_the_report_and_the_next_run_is_flagged(eu_run, workdir):
    ledger, ids, de, fr = eu_run
    report = processing_report(
        workdir / "de.txt", de, {1: ("18028", "Error"), 3: ("5002", "Error")}
    )
    outcome, written = reconcile_report(report, ledger)
    assert outcome.batch.id == ids["DE"]
    assert [(f.record_number, f.advice.action) for f in outcome.failed] == [
        (1, "final"),
        (3, "retry"),
    ]
    assert written is not None and len(written.read_text(encoding="utf-8-sig").splitlines()) == 2
    again, none = reconcile_report(report, ledger)
    assert again.already is not None and none is None
    # the next run with the same input: the refused order is flagged, high risk
    run = run_cli(
        "check",
        EU,
        "--orders-7d",
        "DE=2000,FR=6000",
        "--ledger",
        ledger,
        "--json",
        "-",
        "-q",
        cwd=workdir,
    )
    document = json.loads(run.stdout)
    refused = [
        r for r in document["records"] if "refused_by_amazon" in [f["code"] for f in r["flags"]]
    ]
    assert [r["row"] for r in refused] == [2] and refused[0]["risk"] == "high"
