"""Issue 18, the seller's decision: safe by default (no over-target upload file unless asked),
unchecked order states said, where each figure comes from, the review's figures kept, the
approval budget, the proposed plan, the review that updates as it is filled in, and triage
that sorts itself. Through the command line and the Python API."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, FIXTURES, MESSY, invoke

import cancelkit
from cancelkit.errors import OutputError
from cancelkit.ledger.store import Ledger
from cancelkit.review import cells
from cancelkit.review.reader import REVIEW_HEADER

COL = {name: i + 1 for i, name in enumerate(REVIEW_HEADER)}
EU = FIXTURES / "eu-batch.csv"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def uploads(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.txt")) if folder.exists() else []


# -- 1. over the target means no upload file, unless asked --------------------------------------


def test_over_target_writes_no_upload_file_and_says_the_two_ways_on(tmp_path):
    out = tmp_path / "out"
    run = invoke("generate", CLEAN, "--orders-7d", "100", "--cancels-7d", "2", "--out-dir", out)
    assert run.exit_code == 3, run.output
    assert uploads(out) == []
    assert any(p.name.endswith("-report.html") for p in out.iterdir())  # reports are written
    assert (
        "STOPPED, over the target: US 11.00% against a target under 2.50%, 9 counting order(s) "
        "over (approve at most 0 of 9); no upload file was written. Two ways on: approve fewer "
        "rows in a review (`cancelkit review INPUT -o review.xlsx`, then `cancelkit generate "
        "--from-review review.xlsx`), or pass --allow-over-target to write it anyway"
    ) in run.stderr
    report = next(out.glob("*-report.html")).read_text(encoding="utf-8")
    assert "<strong>Stopped:</strong> over the target" in report


def test_allow_over_target_writes_it_says_so_and_the_ledger_records_it(tmp_path):
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite3"
    args = ("generate", CLEAN, "--orders-7d", "100", "--out-dir", out, "--ledger", ledger)
    run = invoke(*args, "--allow-over-target")
    assert run.exit_code == 0, run.output
    (name,) = uploads(out)
    assert f"{name} (OVER THE TARGET in US: written because of --allow-over-target)" in run.stderr
    with Ledger.open(ledger) as book:
        (batch,) = book.batches()
    assert batch.options["allow_over_target"] == ["US"]
    # a batch under the target records nothing of the kind
    run = invoke("generate", CLEAN, "--orders-7d", "4000", "--out-dir", out, "--ledger", ledger)
    with Ledger.open(ledger) as book:
        newest = book.batches()[0]
    assert "allow_over_target" not in newest.options


def test_fail_on_keeps_its_meaning_for_risk_levels(tmp_path):
    # under the target: --fail-on high still stops a batch with high-risk rows
    run = invoke(
        "generate", CLEAN, "--orders-7d", "4000", "--out-dir", tmp_path, "--fail-on", "high"
    )
    assert run.exit_code == 3
    assert "risk gate --fail-on high tripped: records at risk level high" in run.stderr
    assert uploads(tmp_path) == []
    # --allow-over-target does not lift --fail-on
    run = invoke(
        "generate",
        CLEAN,
        "--orders-7d",
        "100",
        "--out-dir",
        tmp_path,
        "--fail-on",
        "high",
        "--allow-over-target",
    )
    assert run.exit_code == 3 and uploads(tmp_path) == []


def test_no_order_volume_is_not_blocked_but_said_first(tmp_path):
    run = invoke("generate", CLEAN, "--out-dir", tmp_path, "--no-ledger")
    assert run.exit_code == 0, run.output
    assert len(uploads(tmp_path)) == 1
    assert run.stderr.splitlines()[0] == (
        "RATE NOT PROJECTED: counting orders (9 in US) and no order volume, so the batch was "
        "not checked against the target; pass --orders-7d N (all orders of the last 7 days)"
    )


def test_a_batch_that_adds_nothing_to_the_rate_is_never_stopped(tmp_path):
    # already over the target before the batch, but nothing in it counts: it goes
    batch = write(
        tmp_path / "requested.csv",
        "order-id,reason,order-item-id,is-buyer-requested-cancellation\n"
        "112-5550193-7782014,BuyerCanceled,27485019374652,true\n",
    )
    run = invoke(
        "generate", batch, "--orders-7d", "100", "--cancels-7d", "5", "--out-dir", tmp_path
    )
    assert run.exit_code == 0, run.output
    assert len(uploads(tmp_path)) == 1


def test_the_python_api_refuses_the_same(tmp_path):
    with cancelkit.check(CLEAN, orders_in_window=100, no_ledger=True) as result:
        assert result.gate_tripped() and result.over_target() == ["US"]
        with pytest.raises(OutputError, match="over the target: US 9.00%") as caught:
            result.write_flat_file(tmp_path / "up.txt")
        assert caught.value.code == "over_target"
        assert not (tmp_path / "up.txt").exists()
        outputs = result.write_outputs(tmp_path / "out")
        assert outputs["flat_file"] is None
        assert result.write_flat_file(tmp_path / "up.txt", allow_over_target=True).exists()
    with cancelkit.check(CLEAN, orders_in_window=100, no_ledger=True, allow_over_target=True) as r:
        assert not r.gate_tripped()
        assert r.write_outputs(tmp_path / "out2")["flat_file"]


def test_an_over_target_marketplace_stops_a_batch_of_several(tmp_path):
    run = invoke(
        "generate", EU, "--orders-7d", "DE=200,FR=60", "--no-ledger", "--out-dir", tmp_path
    )
    assert run.exit_code == 3
    assert uploads(tmp_path) == []
    assert "over the target: FR 3.33%" in run.stderr


# -- 2. unchecked order states, every time ---------------------------------------------------


def test_unchecked_order_states_are_said_in_the_terminal_report_and_json(tmp_path):
    report = tmp_path / "r.md"
    run = invoke("check", CLEAN, "--orders-7d", "4000", "--json", "-", "--report", report)
    assert json.loads(run.stdout)["states_checked"] is False
    assert "warning: order states not checked" in run.stderr
    assert "`cancelkit fetch-orders -o orders.txt`" in run.stderr
    assert "**Order states not checked.**" in report.read_text(encoding="utf-8")
    review = tmp_path / "rev.xlsx"
    invoke("review", CLEAN, "--orders-7d", "4000", "-o", review)
    values = {
        r[0]: r[1] for r in openpyxl.load_workbook(review)["Summary"].iter_rows(values_only=True)
    }
    assert values["order states"].startswith("NOT checked against current order data")


def test_with_an_order_report_the_states_are_checked():
    run = invoke(
        "check",
        FIXTURES / "state-batch.csv",
        "--orders-report",
        FIXTURES / "order-report.txt",
        "--orders-7d",
        "4000",
        "--json",
        "-",
        "-q",
    )
    assert json.loads(run.stdout)["states_checked"] is True
    run = invoke(
        "check", FIXTURES / "state-batch.csv", "--orders-report", FIXTURES / "order-report.txt"
    )
    assert "order states not checked" not in run.stderr


# -- 3. where every figure comes from --------------------------------------------------------


def test_an_empty_ledger_is_only_a_partial_view(tmp_path):
    ledger = tmp_path / "fresh.sqlite3"
    run = invoke(
        "check", CLEAN, "--orders-7d", "4000", "--ledger", ledger, "--report", tmp_path / "r.md"
    )
    assert "  orders in the window: 4000 (from --orders-7d)" in run.stderr
    assert (
        "  earlier seller cancellations: 0 (from ledger (no batches yet)); PARTIAL: the ledger "
        "has no batches yet: give --cancels-7d from Account Health"
    ) in run.stderr
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "partial: the ledger has no batches yet" in text
    run = invoke("check", CLEAN, "--orders-7d", "4000", "--cancels-7d", "12", "--ledger", ledger)
    assert "  earlier seller cancellations: 12 (from --cancels-7d)\n" in run.stderr


def test_a_ledger_with_batches_is_still_partial(tmp_path):
    ledger = tmp_path / "l.sqlite3"
    invoke("generate", CLEAN, "--orders-7d", "4000", "--ledger", ledger, "--out-dir", tmp_path)
    run = invoke("check", CLEAN, "--orders-7d", "4000", "--ledger", ledger)
    assert "PARTIAL: only the ledger's partial view" in run.stderr


# -- 4. generate --from-review keeps the review's figures ------------------------------------


def test_from_review_keeps_the_figures_and_says_what_changed(tmp_path):
    path = tmp_path / "review.xlsx"
    invoke(
        "review",
        EU,
        "--orders-7d",
        "DE=2000,FR=900",
        "--cancels-7d",
        "DE=3,FR=1",
        "-o",
        path,
        "--no-ledger",
    )
    run = invoke(
        "generate", "--from-review", path, "--no-ledger", "--out-dir", tmp_path, "--json", "-"
    )
    assert run.exit_code == 0, run.output
    by_market = json.loads(run.stdout)["metrics_by_marketplace"]
    assert by_market["DE"]["orders_in_window"] == 2000
    assert by_market["FR"]["seller_cancels_in_window"] == 1
    assert by_market["DE"]["orders_source"] == "the review (--orders-7d)"
    run = invoke(
        "generate",
        "--from-review",
        path,
        "--no-ledger",
        "--out-dir",
        tmp_path / "b",
        "--orders-7d",
        "DE=2500,FR=900",
    )
    assert "CHANGED since the review: orders of DE: 2000 in the review, 2500 now (--orders-7d)" in (
        run.stderr
    )
    assert "orders of FR" not in run.stderr.split("CHANGED")[-1]


def test_from_review_keeps_the_marketplace_and_order_report_freshness(tmp_path):
    path = tmp_path / "review.xlsx"
    invoke("review", CLEAN, "--marketplace", "CA", "--orders-7d", "900", "-o", path, "--no-ledger")
    with cancelkit.check(from_review=path, no_ledger=True) as result:
        assert result.metrics["marketplace"] == "CA"
        assert result.metrics["orders_in_window"] == 900
    with cancelkit.check(from_review=path, no_ledger=True, marketplace="UK") as result:
        assert result.options.review_changes == ["marketplace: CA in the review, UK now"]
    path = tmp_path / "states.xlsx"
    invoke(
        "review",
        FIXTURES / "state-batch.csv",
        "--orders-report",
        FIXTURES / "order-report.txt",
        "--orders-7d",
        "900",
        "-o",
        path,
        "--no-ledger",
    )
    with cancelkit.check(from_review=path, no_ledger=True) as result:
        assert result.options.review_order_reports[0].startswith(str(FIXTURES / "order-report.txt"))
    run = invoke("generate", "--from-review", path, "--no-ledger", "--out-dir", tmp_path)
    assert "the review's order states were checked against: " in run.stderr


# -- 5. the budget up front ------------------------------------------------------------------


def test_the_budget_before_anything_is_approved():
    run = invoke("check", CLEAN, "--orders-7d", "400", "--cancels-7d", "2", "--json", "-")
    document = json.loads(run.stdout)
    # under 2.50% of 400: at most 9 counting orders; 2 already: 7 more fit
    assert document["budget"] == {
        "US": {
            "marketplace": "US",
            "threshold": 0.025,
            "counting_orders": 9,
            "fit": 7,
            "over_by": 2,
            "text": "approve at most 7 of the 9 counting order(s) to stay under 2.50% (US)",
        }
    }
    assert "budget: approve at most 7 of the 9 counting order(s) to stay under 2.50% (US)" in (
        run.stderr
    )


def test_the_budget_per_marketplace():
    run = invoke("check", EU, "--orders-7d", "DE=200,FR=60", "--json", "-", "--no-ledger")
    budget = json.loads(run.stdout)["budget"]
    assert {code: entry["fit"] for code, entry in budget.items()} == {"DE": 4, "FR": 1}
    assert "budget: approve at most 1 of the 2 counting order(s) to stay under 2.50% (FR)" in (
        run.stderr
    )


# -- 6. the proposed plan --------------------------------------------------------------------


def _unshipped(tmp_path: Path, lines: list[tuple[str, str, str, str]]) -> Path:
    """An Unshipped Orders report: (order id, item id, sku, verge-of-cancellation)."""
    head = "order-id\torder-item-id\tpurchase-date\tsku\tquantity-to-ship\tverge-of-cancellation\n"
    body = "".join(f"{o}\t{i}\t2026-11-29T10:00:00+00:00\t{s}\t1\t{v}\n" for o, i, s, v in lines)
    return write(tmp_path / "unshipped.txt", head + body)


def test_the_plan_sends_the_soonest_auto_cancellations_first_and_spares_a_listing(tmp_path):
    rows = [
        ("111-0000001-0000001", "10000000000001", "MUG", "false"),
        ("111-0000002-0000002", "10000000000002", "MUG", "false"),
        ("111-0000003-0000003", "10000000000003", "BOWL", "false"),
        ("111-0000004-0000004", "10000000000004", "JUG", "true"),
    ]
    batch = write(
        tmp_path / "b.csv",
        "order-id,reason,order-item-id,sku\n"
        + "".join(f"{o},NoInventory,{i},{s}\n" for o, i, s, _ in rows),
    )
    report = _unshipped(tmp_path, rows)
    # 200 orders: under 2.50% at most 4 counting orders, 1 already: 3 fit of 4
    args = ("check", batch, "--orders-report", report, "--orders-7d", "200", "--cancels-7d", "1")
    run = invoke(*args, "--json", "-", "--plan")
    plan = json.loads(run.stdout.split("\nplan (advice")[0])["plan"]
    sent = [r["order_id"] for r in plan["send"] if r["counts_against_rate"]]
    held = [r["order_id"] for r in plan["hold"]]
    # the order on the verge of auto-cancellation first; the second MUG order would bring
    # its listing to the two-cancellation limit: held
    assert sent == ["111-0000004-0000004", "111-0000001-0000001", "111-0000003-0000003"]
    assert held == ["111-0000002-0000002"]
    assert "close to automatic cancellation" in plan["send"][0]["why"] or any(
        "close to automatic cancellation" in r["why"] for r in plan["send"]
    )
    (hold,) = plan["hold"]
    assert hold["why"].startswith("over the budget: 3 counting order(s) fit under 2.50% (US)")
    assert "listing MUG is at its 30-day limit" in hold["why"]
    assert plan["advice_only"] is True


def test_rows_that_do_not_count_are_always_in_the_plan():
    run = invoke("check", CLEAN, "--orders-7d", "100", "--cancels-7d", "2", "--json", "-", "-q")
    plan = json.loads(run.stdout)["plan"]
    assert plan["send_counting_orders"] == 0  # nothing fits
    free = {r["order_id"] for r in plan["send"]}
    assert free == {"112-5550193-7782014", "114-9012736-3385120"}  # buyer-requested
    assert all("does not count" in r["why"] for r in plan["send"])


def test_check_plan_prints_the_plan(tmp_path):
    run = invoke("check", MESSY, "--orders-7d", "300", "--plan")
    assert "plan (advice: nothing is approved without you): approve 8 row(s) now (7 counting" in (
        run.stdout
    )
    assert "  hold 113-4728391-2038475 item 62845173920562" in run.stdout
    assert "listing MUG-BLUE-12OZ is at its 30-day limit" in run.stdout


def test_without_order_volume_the_plan_holds_the_counting_rows():
    with cancelkit.check(CLEAN, no_ledger=True) as result:
        plan = result.plan()
    assert plan["send_counting_orders"] == 0
    assert plan["hold_counting_orders"] == 9
    assert "the budget is unknown: pass --orders-7d N (US)" in plan["hold"][0]["why"]


def test_the_review_is_prefilled_with_the_plan_and_says_a_left_yes_is_an_approval(tmp_path):
    path = tmp_path / "review.xlsx"
    invoke("review", MESSY, "--orders-7d", "300", "-o", path)
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    by_row = {sheet.cell(n, COL["row"]).value: n for n in range(2, sheet.max_row + 1)}
    assert sheet.cell(by_row[2], COL["approve"]).value == "yes"
    assert sheet.cell(by_row[2], COL["plan"]).value.startswith("approve now: counting order 1 of")
    assert sheet.cell(by_row[5], COL["approve"]).value is None
    assert sheet.cell(by_row[5], COL["plan"]).value.startswith("hold: over the budget")
    help_text = " ".join(str(r[1]) for r in book["Summary"].iter_rows(values_only=True) if r[1])
    assert "A pre-filled yes that you leave is your approval of that row" in help_text
    # the reader takes a left yes like a typed one; nothing else is approved
    with cancelkit.check(from_review=path, orders_in_window=300, no_ledger=True) as result:
        assert result.summary["input_rows"] == 8
        assert not result.over_target()


# -- 7. the review updates as it is filled in --------------------------------------------------


def _summary_values(path: Path) -> dict:
    book = openpyxl.load_workbook(path, data_only=True)
    return {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}


def test_the_summary_formulas_carry_their_values_as_written(tmp_path):
    path = tmp_path / "review.xlsx"
    with cancelkit.check(MESSY, orders_in_window=300, no_ledger=True) as result:
        result.write_review(path)
    values = _summary_values(path)
    assert values["counting orders approved so far (updates as you fill in approve)"] == 7
    assert values["budget left: counting orders you can still approve"] == 0
    assert values["rate after the rows approved so far"] == pytest.approx(7 / 300)
    formulas = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True)
        if r[0]
    }
    assert formulas["rate after the rows approved so far"].startswith("=(0+$B$")
    assert re.fullmatch(
        r"=SUM\(Review!\$P\$2:\$P\$24\)",
        formulas["counting orders approved so far (updates as you fill in approve)"],
    )


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None and os.environ.get("CI") != "true", reason="no LibreOffice")
def test_libreoffice_recalculates_the_summary_as_the_approve_column_changes(tmp_path):
    path = tmp_path / "review.xlsx"
    with cancelkit.check(CLEAN, orders_in_window=1000, cancels_in_window=4, no_ledger=True) as r:
        r.write_review(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    rows = {sheet.cell(n, COL["row"]).value: n for n in range(2, sheet.max_row + 1)}
    # clean-batch: rows 4 and 5 are one order of two items; row 2 an order of its own
    sheet.cell(rows[2], COL["approve"]).value = "no"
    sheet.cell(rows[4], COL["approve"]).value = ""
    sheet.cell(rows[5], COL["approve"]).value = " YES "  # the order still counts once
    sheet.cell(rows[3], COL["approve"]).value = None
    book.save(path)
    profile = tmp_path / "profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(path),
        ],
        capture_output=True,
        timeout=240,
        check=True,
    )
    values = _summary_values(tmp_path / "lo" / "review.xlsx")
    # 9 counting orders pre-approved; rows 2 and 3 (two orders) no longer: 7
    assert values["counting orders approved so far (updates as you fill in approve)"] == 7
    assert values["rate after the rows approved so far"] == pytest.approx((4 + 7) / 1000)
    assert values["budget left: counting orders you can still approve"] == 20 - 7
    assert values["over the target with the rows approved so far"] == "no"
    # the seal does not depend on them: the approved rows read back as approved
    with cancelkit.check(from_review=path, no_ledger=True) as result:
        assert result.summary["counting_orders"] == 7


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None and os.environ.get("CI") != "true", reason="no LibreOffice")
def test_the_live_summary_counts_what_the_reader_approves(tmp_path):
    """`t`, `1`, `x`, `y` approve nothing (review/reader.py), so the live figures do not count
    them either; a checkbox's TRUE counts, before and after LibreOffice saves the sheet."""
    path = tmp_path / "review.xlsx"
    with cancelkit.check(CLEAN, orders_in_window=1000, cancels_in_window=4, no_ledger=True) as r:
        r.write_review(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    rows = {sheet.cell(n, COL["row"]).value: n for n in range(2, sheet.max_row + 1)}
    sheet.cell(rows[2], COL["approve"]).value = "t"
    sheet.cell(rows[3], COL["approve"]).value = True
    sheet.cell(rows[4], COL["approve"]).value = ""
    sheet.cell(rows[5], COL["approve"]).value = "1"  # rows 4 and 5: one order, now none
    book.save(path)
    with cancelkit.check(from_review=path, no_ledger=True) as result:
        approved = result.summary["counting_orders"]
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path / "lo"),
            str(path),
        ],
        capture_output=True,
        timeout=240,
        check=True,
    )
    values = _summary_values(tmp_path / "lo" / "review.xlsx")
    # 9 pre-approved; row 2 and the order of rows 4-5 taken back, row 3 kept by its checkbox
    assert approved == 7
    assert values["counting orders approved so far (updates as you fill in approve)"] == 7
    with cancelkit.check(from_review=tmp_path / "lo" / "review.xlsx", no_ledger=True) as result:
        assert result.summary["counting_orders"] == 7


# -- 8. triage that sorts itself ---------------------------------------------------------------


def test_the_report_lists_the_highest_risks_first(tmp_path):
    batch = write(
        tmp_path / "mixed.csv",
        "order-id,reason,order-item-id,is-buyer-requested-cancellation\n"
        "112-5550193-7782014,BuyerCanceled,27485019374652,false\n"  # medium, first in input
        "113-4728391-2038475,NoInventory,62845173920562,false\n",  # high
    )
    with cancelkit.check(batch, no_ledger=True, keep_records=False) as result:
        context = result.report_context()
    assert [r["risk"] for r in context["flagged"]] == ["high", "medium"]
    assert context["flagged_exact"] is True
    invoke("check", batch, "--report", tmp_path / "r.html")
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "The highest risks come first (risk, then the rows that count" in text
    assert text.index("113-4728391-2038475") < text.index(
        "112-5550193-7782014", text.index("flagged-heading")
    )


def test_review_triage_colours_labels_and_frozen_order_id(tmp_path):
    path = tmp_path / "review.xlsx"
    invoke("review", MESSY, "-o", path)
    sheet = openpyxl.load_workbook(path)["Review"]
    assert sheet.freeze_panes == "F2"  # approve ... order-id stay in view
    fills = dict(cells.RISK_FILLS)
    assert len(set(fills.values())) == 4 and fills["medium"] != fills["low"]
    assert fills["medium"][1:3] != fills["low"][1:3]  # another hue, not only a shade
    by_row = {sheet.cell(n, COL["row"]).value: n for n in range(2, sheet.max_row + 1)}
    issue = sheet.cell(by_row[5], COL["issue"]).value
    assert issue == "Reason spelling mapped; Counts against your Cancellation Rate"
    assert "was read as NoInventory" in sheet.cell(by_row[5], COL["problems"]).value
    # one line high: no row height set from the full sentences
    assert sheet.row_dimensions[by_row[5]].height is None


def test_review_help_says_how_to_approve_a_group_at_once(tmp_path):
    path = tmp_path / "review.xlsx"
    invoke("review", CLEAN, "-o", path)
    help_text = " ".join(
        str(r[1])
        for r in openpyxl.load_workbook(path)["Summary"].iter_rows(values_only=True)
        if r[1]
    )
    assert "To approve a whole group at once" in help_text
    assert "fill it down over the visible rows" in help_text
    assert (
        "sorted by risk" in help_text or "highest risk first (high, medium, low, none)" in help_text
    )


def test_a_cut_listing_list_says_how_many_are_left_out(tmp_path):
    lines = "".join(
        f"11{n % 3 + 1}-{n:07d}-{n:07d},NoInventory,{10**13 + n},SKU-{n // 2}\n" for n in range(20)
    )
    batch = write(tmp_path / "b.csv", "order-id,reason,order-item-id,sku\n" + lines)
    run = invoke("check", batch, "--no-ledger")
    assert "  ... and 5 more listing(s) at risk left out here: all are in the report, the JSON" in (
        run.stderr
    )


def test_a_reason_without_item_code_points_to_the_order_report_first(tmp_path):
    batch = write(
        tmp_path / "b.csv",
        "order-id,reason,order-item-id,sku\n113-4728391-2038475,NoInventory,,MUG\n",
    )
    run = invoke("check", batch, "--json", "-", "-q")
    (record,) = json.loads(run.stdout)["records"]
    assert record["errors"][0]["message"].startswith(
        "a reason is given but no amazon-order-item-code; pass --orders-report"
    )
