"""Rules that have one definition each (issue 9), tested where users see them: the metric
precedence, the column an error names, the yes words, the refusal of an existing output, the
version string and the reason catalogue's JSON."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, FIXTURES, ROOT, invoke

import cancelkit
from cancelkit.amazon import reasons
from cancelkit.errors import OutputError
from cancelkit.options import Options
from cancelkit.read.words import YES_WORDS, is_yes
from cancelkit.write.files import atomic_write, refuse_existing

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, installed as tomli (pyproject's dependency)
    import tomli as tomllib


# -- the metric precedence ------------------------------------------------------------------
def test_an_explicit_figure_wins_over_the_report_and_the_ledger():
    options = Options(orders_in_window=4000, orders_source="--orders-7d")
    figures = options.window_figures((900, "order report"), (7, "ledger"))
    assert (figures.orders_in_window, figures.orders_source) == (4000, "--orders-7d")
    assert (figures.cancels_in_window, figures.cancels_source) == (7, "ledger")
    figures = Options().window_figures((900, "order report"), (None, None))
    assert (figures.orders_in_window, figures.orders_source) == (900, "order report")
    assert figures.cancels_in_window is None and figures.cancels_source is None


def _summary_lines(path: Path) -> dict[str, object]:
    sheet = openpyxl.load_workbook(path)["Summary"]
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


def test_the_review_summary_projects_with_the_order_report_volume(tmp_path):
    """The bug of issue 9: the Summary sheet took the order volume from the report, then said
    'unknown: pass --orders-7d N' for the pre-approved rate."""
    review = tmp_path / "r.xlsx"
    outcome = invoke(
        "review",
        str(CLEAN),
        "--orders-report",
        str(FIXTURES / "order-report.txt"),
        "-o",
        str(review),
        "--no-ledger",
    )
    assert outcome.exit_code in (0, 1), outcome.output
    lines = _summary_lines(review)
    with cancelkit.check(
        CLEAN, orders_reports=[FIXTURES / "order-report.txt"], no_ledger=True
    ) as result:
        orders = result.metrics["orders_in_window"]
        assert orders, "the fixture report gives an order volume"
        pre = result.project(0)
    assert lines["orders in the window"] == orders
    assert not isinstance(lines["rate if you approve only the pre-approved rows"], str)
    assert lines["rate if you approve only the pre-approved rows"] == pre["rate_after"]


# -- the column an error names --------------------------------------------------------------
def test_errors_name_the_inputs_own_header_in_json_and_rejects(tmp_path):
    rows = [
        {
            "Order ID": "113-4728391-2038475",
            "Reason": "NoInventory",
            "Order Item ID": "62845173920562",
        },
        {
            "Order ID": "113-4728391-2038475",
            "Reason": "BuyerCanceled",
            "Order Item ID": "62845173920562",
        },
    ]
    with cancelkit.check(rows=rows, no_ledger=True) as result:
        errors = [e for r in result.records for e in r["errors"]]
        result.write_rejects(tmp_path / "rejects.csv")
    assert {e["code"] for e in errors} == {"conflicting_reasons"}
    assert {e["column"] for e in errors} == {"Order ID"}
    with open(tmp_path / "rejects.csv", encoding="utf-8-sig", newline="") as stream:
        rejected = list(csv.DictReader(stream))
    assert [r["cancelkit-errors"].split(":")[0] for r in rejected] == ["Order ID", "Order ID"]


def test_a_row_error_names_the_header_as_spelled():
    rows = [{"Order_ID": "12-34", "reason-code": "", "order item id": ""}]
    with cancelkit.check(rows=rows, no_ledger=True) as result:
        (error,) = result.records[0]["errors"]
    assert (error["code"], error["column"]) == ("order_id_format", "Order_ID")


# -- the yes words ----------------------------------------------------------------------------
@pytest.mark.parametrize("word", sorted(YES_WORDS) + [" TRUE ", "Yes", "X"])
def test_yes_words(word):
    assert is_yes(word)


@pytest.mark.parametrize("word", ["", None, "false", "no", "0", "n", "maybe"])
def test_not_yes(word):
    assert not is_yes(word)


def test_buyer_requested_and_approve_read_the_same_words(tmp_path):
    rows = [
        [
            "order-id",
            "cancellation-reason-code",
            "amazon-order-item-code",
            "is-buyer-requested-cancellation",
        ]
    ]
    rows += [["113-4728391-2038475", "BuyerCanceled", "62845173920562", word] for word in ("t",)]
    with cancelkit.check(rows=rows, no_ledger=True) as result:
        assert result.records[0]["counts_against_rate"] is False


# -- one refusal of an existing output ------------------------------------------------------
def test_every_writer_refuses_an_existing_file_with_the_same_words(tmp_path):
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    with pytest.raises(OutputError) as direct:
        refuse_existing(taken)
    with pytest.raises(OutputError) as written:
        atomic_write(taken, lambda out: out.write("x"))
    with cancelkit.check(CLEAN, no_ledger=True) as result, pytest.raises(OutputError) as flat:
        result.write_flat_file(taken)
    expected = f"{taken}: already exists; use --force to replace it"
    assert str(direct.value) == str(written.value) == str(flat.value) == expected
    assert taken.read_text() == "keep me"


# -- one version string ---------------------------------------------------------------------
def test_the_version_has_one_definition():
    from cancelkit import version

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "cancelkit/version.py"
    assert cancelkit.__version__ == version.__version__
    assert invoke("--version").output.strip().endswith(version.__version__)


# -- the reason catalogue as JSON is the library's --------------------------------------------
def test_reasons_json_is_the_librarys_catalogue():
    outcome = invoke("reasons", "--json")
    assert json.loads(outcome.output) == reasons.catalogue_json()
    assert [r["code"] for r in reasons.catalogue_json()] == [r.code for r in reasons.CATALOGUE]
