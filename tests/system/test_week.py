"""Issue 18's "Done when": a seller's week in one run of the command line. A messy export of
300 rows, Amazon's order reports, a review approved within the budget, generate, and a
processing report with one failure, without an over-target upload file ever being written
unless asked for (fixtures/make_week.py, fixtures/EXPECTED.md "The week")."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from conftest import FIXTURES, invoke

from cancelkit.review.reader import REVIEW_HEADER

COL = {name: i + 1 for i, name in enumerate(REVIEW_HEADER)}
EXPORT = FIXTURES / "week-export.csv"
REPORTS = (
    "--orders-report",
    FIXTURES / "week-unshipped.txt",
    "--orders-report",
    FIXTURES / "week-all-orders.txt",
)
FIGURES = ("--orders-7d", "4000", "--cancels-7d", "12")  # from Account Health
#: the counting orders under 2.50% of 4,000 orders with 12 earlier: ceil(100) - 1 - 12
BUDGET = 87


def uploads(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.txt")) if folder.exists() else []


def test_the_week(tmp_path):
    ledger = tmp_path / "ledger.sqlite3"
    base = (*REPORTS, "--ledger", ledger)

    # 1. the hurried way: everything at once is over the target: no upload file, exit 3
    first = tmp_path / "first"
    run = invoke("generate", EXPORT, *base, *FIGURES, "--out-dir", first, "--json", "-")
    assert run.exit_code == 3, run.output
    assert uploads(first) == []
    assert "STOPPED, over the target: US 5.55% against a target under 2.50%" in run.stderr
    assert f"budget: approve at most {BUDGET} of the 210 counting order(s)" in run.stderr
    document = json.loads(run.stdout)
    assert document["outputs"]["flat_file"] is None
    assert document["states_checked"] is True
    assert document["budget"]["US"]["fit"] == BUDGET
    summary = document["summary"]
    assert (summary["input_rows"], summary["accepted"], summary["rejected"]) == (300, 267, 28)
    assert summary["rejected_by_code"]["order_shipped"] == 17
    assert summary["rejected_by_code"]["order_already_cancelled"] == 3
    assert summary["rejected_by_code"]["order_pending"] == 2
    # every row is accepted, rejected or a duplicate
    assert summary["accepted"] + summary["rejected"] + summary["duplicates"] == 300

    # 2. the plan on the terminal: the budget's worth of counting orders, the soonest
    # auto-cancellations first
    plan_json = tmp_path / "plan.json"
    run = invoke("check", EXPORT, *base, *FIGURES, "--plan", "--json", plan_json)
    assert run.exit_code == 3, run.output
    plan = json.loads(plan_json.read_text(encoding="utf-8"))["plan"]
    assert plan["send_counting_orders"] == BUDGET
    assert plan["hold_counting_orders"] == 210 - BUDGET
    counting_sent = [r for r in plan["send"] if r["counts_against_rate"]]
    assert "close to automatic cancellation" in counting_sent[0]["why"]
    assert f"approve {plan['send_rows']} row(s) now ({BUDGET} counting order(s))" in run.stdout

    # 3. the review: the plan pre-fills the approvals; the Summary says the budget
    path = tmp_path / "review.xlsx"
    run = invoke("review", EXPORT, *base, *FIGURES, "-o", path)
    assert run.exit_code == 1, (
        run.output
    )  # rows were rejected; the over-target gate is the review's
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    summary_values = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary_values["budget (US, before anything is approved)"] == (
        f"approve at most {BUDGET} of the 210 counting order(s) to stay under 2.50% (US)"
    )
    rows = list(range(2, sheet.max_row + 1))
    risks = [
        sheet.cell(n, COL["risk"]).value
        for n in rows
        if sheet.cell(n, COL["result"]).value == "accepted"
    ]
    assert risks == sorted(risks, key=["high", "medium", "low", "none"].index)

    # 4. a person: takes the plan, but swaps one counting order for a held one
    def yes(n: int) -> bool:
        return sheet.cell(n, COL["approve"]).value == "yes"

    counting = [n for n in rows if sheet.cell(n, COL["counts against rate"]).value == "yes"]
    sent = [n for n in counting if yes(n)]
    held = [n for n in counting if not yes(n)]
    single = {
        sheet.cell(n, COL["order-id"]).value
        for n in counting
        if sum(
            sheet.cell(m, COL["order-id"]).value == sheet.cell(n, COL["order-id"]).value
            for m in counting
        )
        == 1
    }
    out_of = next(n for n in reversed(sent) if sheet.cell(n, COL["order-id"]).value in single)
    into = next(n for n in held if sheet.cell(n, COL["order-id"]).value in single)
    sheet.cell(out_of, COL["approve"]).value = "no"
    sheet.cell(into, COL["approve"]).value = "yes"
    book.save(path)

    # 5. generate from the review: the review's figures are kept, the upload file written
    out = tmp_path / "out"
    run = invoke("generate", "--from-review", path, *base, "--out-dir", out, "--json", "-")
    assert run.exit_code == 0, run.output
    assert "kept from the review: orders in the window 4000 (from --orders-7d)" in run.stderr
    assert "kept from the review: earlier seller cancellations 12" in run.stderr
    document = json.loads(run.stdout)
    metrics = document["metrics"]
    assert metrics["over_threshold"] is False
    assert metrics["rate_after"] == (12 + BUDGET) / 4000
    (upload,) = uploads(out)
    body = upload.read_text(encoding="ascii").splitlines()[2:]
    approved_orders = {line.split("\t")[0] for line in body}
    assert sheet.cell(into, COL["order-id"]).value in approved_orders
    assert sheet.cell(out_of, COL["order-id"]).value not in approved_orders
    # no shipped, cancelled or pending order reached the file
    states = {}
    for line in (FIXTURES / "week-all-orders.txt").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        states[cells[0]] = cells[4]
    assert {states[o] for o in approved_orders} == {"Unshipped"}

    # 6. Amazon's processing report: one row refused
    first_failed = body[2].split("\t")
    report = tmp_path / "processing-report.txt"
    report.write_text(
        "Feed Processing Summary:\n"
        f"\tNumber of records processed\t\t{len(body)}\n"
        f"\tNumber of records successful\t\t{len(body) - 1}\n\n"
        "original-record-number\torder-id\torder-item-id\terror-code\terror-type\terror-message\n"
        f"3\t{first_failed[0]}\t{first_failed[2]}\t18004\tError\tThe order item could not be "
        "cancelled because its current status does not allow cancellation.\n",
        encoding="utf-8",
    )
    run = invoke("reconcile", report, "--ledger", ledger)
    assert run.exit_code == 1, run.output
    assert (
        "1" in run.stdout and first_failed[0] in (run.stdout + run.stderr) or "failed" in run.stdout
    )
    history = invoke("history", "--ledger", ledger, "--json")
    (batch,) = json.loads(history.stdout)["batches"]
    assert batch["rows"] == len(body)
    # the week never wrote an upload file over the target
    assert uploads(first) == []
