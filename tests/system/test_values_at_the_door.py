"""Every value checked at the door: config keys and API options with their types and ranges,
impossible figures refused, numbers in inputs and reports that are not plain numbers turned
into codes, and text from files made safe for the terminal and for spreadsheets."""

from __future__ import annotations

import csv
import json
import math

import pytest
from conftest import CLEAN, assert_one_line_error, invoke

import cancelkit
from cancelkit.codes import printable
from cancelkit.errors import ConfigError, InputError


@pytest.mark.parametrize(
    "toml, fragment",
    [
        ('policy = "x"', "'policy' = 'x' is not valid"),
        ("[policy]\nUS = 5", "'policy.US' = 5 is not valid"),
        ("[policy.US]\nthreshold = nan", "'policy.US.threshold' = nan is not valid"),
        ('[policy.US]\nthreshold = "abc"', "'policy.US.threshold' = 'abc' is not valid"),
        ("[policy.US]\nthreshold = -1.0", "'policy.US.threshold' = -1.0 is not valid"),
        ("[policy.US]\nthreshold = inf", "'policy.US.threshold' = inf is not valid"),
        ("[policy.US]\nwindow_days = -3", "'policy.US.window_days' = -3 is not valid"),
        ("[policy.US]\nwindow = 7", "unknown setting 'policy.US.window'"),
        ("orders_7d = true", "'orders_7d' = True is not valid"),
        ("orders_7d = -5", "'orders_7d' = -5 is not valid"),
        ('orders_7d = "4000"', "'orders_7d' = '4000' is not valid"),
        ("cancels_7d = 1.5", "'cancels_7d' = 1.5 is not valid"),
        ('fail_on = "low"', "'fail_on' = 'low' is not valid"),
        ("max_cells = 0", "'max_cells' = 0 is not valid"),
        ("colour = 1", "unknown setting 'colour'"),
    ],
)
def test_config_values_name_the_file_the_key_and_the_value(tmp_path, toml, fragment):
    config = tmp_path / "cancelkit.toml"
    config.write_text(toml + "\n", encoding="utf-8")
    run = invoke("check", CLEAN, "--config", config, "--no-ledger")
    assert_one_line_error(run, str(config), fragment, "[config_error]")


def test_a_valid_policy_override_is_applied(tmp_path):
    config = tmp_path / "cancelkit.toml"
    config.write_text("[policy.us]\nthreshold = 0.02\nwindow_days = 14\n", encoding="utf-8")
    with cancelkit.check(CLEAN, config=str(config), no_ledger=True) as result:
        assert (result.metrics["threshold"], result.metrics["window_days"]) == (0.02, 14)


@pytest.mark.parametrize(
    "options, name",
    [
        ({"orders_in_window": "4000"}, "orders_in_window = '4000'"),
        ({"orders_in_window": math.nan}, "orders_in_window = nan"),
        ({"orders_in_window": math.inf}, "orders_in_window = inf"),
        ({"orders_in_window": True}, "orders_in_window = True"),
        ({"orders_in_window": -1}, "orders_in_window = -1"),
        ({"cancels_in_window": 2.5}, "cancels_in_window = 2.5"),
        ({"marketplace": 5}, "marketplace = 5"),
        ({"fail_on": "low"}, "fail_on = 'low'"),
        ({"keep_records": "no"}, "keep_records = 'no'"),
    ],
)
def test_api_options_of_the_wrong_type_or_range_raise_config_error(options, name):
    with pytest.raises(ConfigError, match=f"option {name} is not valid"):
        cancelkit.check(CLEAN, no_ledger=True, **options)


def test_cancels_above_orders_are_impossible():
    with pytest.raises(ConfigError) as caught:
        cancelkit.check(CLEAN, orders_in_window=10, cancels_in_window=500, no_ledger=True)
    assert caught.value.code == "impossible_figures"
    run = invoke("check", CLEAN, "--orders-7d", "10", "--cancels-7d", "500", "--no-ledger")
    assert_one_line_error(run, "500 seller cancellations cannot be more than the 10 orders")


def test_orders_7d_zero_is_a_figure(tmp_path):
    rows = [{"order-id": "113-4728391-2038475", "cancellation-reason-code": ""}]
    run = invoke("check", CLEAN, "--orders-7d", "0", "--json", "-", "--no-ledger")
    document = json.loads(run.stdout)
    assert document["metrics"]["orders_in_window"] == 0
    assert document["metrics"]["orders_source"] == "--orders-7d"
    # whole-order rows count, and 0 orders hold none: over the target, never "not given"
    assert document["metrics"]["over_threshold"] is True
    assert "0 orders in the window (from --orders-7d)" in run.stderr
    with cancelkit.check(rows=rows[:0] or [{"order-id": "x"}], orders_in_window=0) as result:
        assert result.metrics["orders_in_window"] == 0


@pytest.mark.parametrize("days", ["inf", "1e999", "nan", "\u0663", "\u00b2", "-inf"])
def test_unusable_numbers_in_inputs_are_a_code(days):
    rows = [
        {
            "order-id": "113-4728391-2038475",
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": "62845173920562",
            "days-past-promise": days,
        }
    ]
    with cancelkit.check(rows=rows, no_ledger=True) as result:
        (record,) = result.records
    notes = [f for f in record["flags"] if f["code"] == "unusable_number"]
    assert notes and f"'{days}' is not a number of days" in notes[0]["message"]
    assert record["status"] == "accepted"


def _processing_report(path, record: str, message: str = "bad") -> None:
    path.write_text(
        "Feed Processing Summary:\n"
        "Number of records processed\t\t12\n"
        "Number of records successful\t\t11\n\n"
        "original-record-number\torder-id\tamazon-order-item-code\terror-code\terror-type\t"
        "error-message\n"
        f"{record}\t113-4728391-2038475\t62845173920562\t18028\tError\t{message}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("record", ["\u00b2", "\u0662", "1e3", "inf"])
def test_a_processing_report_record_number_must_be_digits(tmp_path, record):
    report = tmp_path / "report.txt"
    _processing_report(report, record)
    assert invoke("generate", CLEAN, "--out-dir", tmp_path / "out").exit_code == 0
    run = invoke("reconcile", report)
    # never read as a number: the report is unclear, so no row is confirmed (exit 1)
    assert run.exit_code == 1, run.output
    assert "is not exactly a record number (digits 0-9 only)" in run.stdout
    assert "12 rows left unconfirmed" in run.stdout


def test_reconcile_escapes_control_characters_from_the_report(tmp_path):
    assert invoke("generate", CLEAN, "--out-dir", tmp_path / "out").exit_code == 0
    report = tmp_path / "report.txt"
    _processing_report(report, "1", "bad \x1b]0;pwned\x07 \x1b[2J value")
    run = invoke("reconcile", report, "--retry", tmp_path / "retry.csv")
    assert "\x1b" not in run.output and "\x07" not in run.output
    assert "bad \\x1b]0;pwned\\x07 \\x1b[2J value" in run.stdout


def test_printable_keeps_text_and_tabs():
    assert printable("Müller\tcafé") == "Müller\tcafé"
    assert printable("a\x00b\x9bc\x7f") == "a\\x00b\\x9bc\\x7f"


def test_header_names_are_guarded_in_the_rejects_file(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(
        'order-id,=HYPERLINK("http://x"),@SUM(1),+cmd,-2\r\nbad,a,b,c,d\r\n', encoding="utf-8"
    )
    with cancelkit.check(str(source), no_ledger=True) as result:
        result.write_rejects(tmp_path / "rejects.csv")
    with open(tmp_path / "rejects.csv", encoding="utf-8-sig", newline="") as stream:
        header = next(csv.reader(stream))
    assert header[:5] == ["order-id", '\'=HYPERLINK("http://x")', "'@SUM(1)", "'+cmd", "'-2"]
    # and fed back in, the guard comes off again (the readers strip it from headers too)
    with cancelkit.check(str(tmp_path / "rejects.csv"), no_ledger=True) as again:
        assert again.summary["rejected"] == 1


def test_a_dataframe_passed_as_rows_works():
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(CLEAN, dtype=str)
    with cancelkit.check(rows=frame, no_ledger=True) as result:
        assert result.summary["input_rows"] == 12
        assert result.summary["accepted"] == 12


@pytest.mark.parametrize(
    "rows, fragment",
    [
        ("order-id\n113-4728391-2038475", "not a str"),
        ({"order-id": "113-4728391-2038475"}, "not a dict"),
        (42, "not a int"),
        (["order-id", "113-4728391-2038475"], "row 1 is a str"),
        ([{"order-id": "x"}, ["x"]], "row 2 is a list"),
    ],
)
def test_anything_else_as_rows_is_an_input_error_saying_what_was_given(rows, fragment):
    with pytest.raises(InputError, match=fragment) as caught:
        cancelkit.check(rows=rows, no_ledger=True)
    assert caught.value.code == "rows_type"


class _FrameLike:
    """What cancelkit relies on of a pandas DataFrame (pandas is an optional extra): it
    iterates over its column names, and `to_dict("records")` gives the rows."""

    def __init__(self, records: list[dict]) -> None:
        self._records = records
        self.columns = list(records[0])
        self.iloc = None

    def __iter__(self):
        return iter(self.columns)

    def to_dict(self, orient: str) -> list[dict]:
        assert orient == "records"
        return self._records


def test_a_dataframe_is_read_by_its_records_not_its_column_names():
    with open(CLEAN, encoding="utf-8", newline="") as stream:
        records = list(csv.DictReader(stream))
    with cancelkit.check(rows=_FrameLike(records), no_ledger=True) as result:
        assert result.summary["input_rows"] == 12
        assert result.summary["accepted"] == 12


def test_a_fifo_input_is_one_line_naming_it(tmp_path):
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    run = invoke("check", fifo, "--no-ledger")
    assert_one_line_error(run, str(fifo), "not a regular file", "[not_a_file]")


def test_a_damaged_ledger_json_names_the_ledger(tmp_path, private_ledger):
    import sqlite3

    assert invoke("generate", CLEAN, "--out-dir", tmp_path / "out").exit_code == 0
    with sqlite3.connect(private_ledger) as db:
        db.execute("UPDATE batches SET options = '{broken'")
    run = invoke("history")
    assert_one_line_error(run, str(private_ledger), "damaged ledger", "unreadable options")


def test_an_error_message_quoting_a_header_escapes_its_control_characters(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("sku\x1b[2J,reason\x07\r\nA,B\r\n", encoding="utf-8")
    run = invoke("check", path, "--no-ledger")
    line = assert_one_line_error(run, "[no_order_id_column]")
    assert "\x1b" not in line and "\x07" not in line
    assert "sku\\x1b[2J" in line
