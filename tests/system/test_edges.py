"""Edges of the command line and the API (issue 16): paths the system cannot hold, other
OS errors on outputs, secrets in the config never echoed, stdin named twice, `check()`
given bytes or options of the wrong type, rows that raise part way, two checks at once in
threads, and `--orders-7d 0` as a figure."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import CLEAN, MESSY, assert_one_line_error, files_under, invoke

import cancelkit
from cancelkit.errors import ConfigError, InputError, OutputError
from cancelkit.options import spapi_settings

SECRET = "Atzr|IwEBIA-" + "x" * 40


# -- paths too long and other OS errors on outputs ----------------------------------------


@pytest.mark.parametrize(
    "option, tail",
    [
        ("--json", "a" * 300 + ".json"),
        ("--flat-file", "f" * 256),
        ("--report", "\u00fc" * 130 + ".md"),
        ("--out-dir", "o" * 300),
        ("--out-dir", "/".join(["d" * 200] * 25)),
    ],
    ids=["json-name", "flat-name", "multibyte-report", "out-dir-name", "out-dir-path"],
)
def test_a_path_too_long_is_one_line_before_anything_is_read(tmp_path, option, tail):
    run = invoke("generate", CLEAN, option, f"{tmp_path}/{tail}", "--no-ledger")
    line = assert_one_line_error(run, "[output_path_too_long]", "too long")
    assert str(tmp_path) in line
    assert files_under(tmp_path) == set()


def test_the_longest_legal_name_is_written(tmp_path):
    """255 bytes is legal: the temporary file's copy of the name is shortened."""
    name = "n" * 250 + ".json"
    run = invoke("generate", CLEAN, "--json", tmp_path / name, "--out-dir", tmp_path / "o")
    assert run.exit_code == 0, run.output
    assert json.loads((tmp_path / name).read_text(encoding="utf-8"))["summary"]


def test_outputs_under_a_file_or_a_loop_of_links(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x", encoding="utf-8")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    run = invoke("generate", CLEAN, "--json", plain / "r.json", "--no-ledger")
    assert_one_line_error(run, "is a file", "[output_folder]")
    run = invoke("generate", CLEAN, "--json", tmp_path / "loop1" / "r.json", "--no-ledger")
    assert_one_line_error(run, "symbolic link that leads nowhere", "[output_folder]")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop1", "loop2", "plain.txt"]


def test_the_api_refuses_a_path_too_long(tmp_path):
    with (
        cancelkit.check(str(CLEAN), no_ledger=True) as result,
        pytest.raises(OutputError) as caught,
    ):
        result.write_json_file(tmp_path / ("j" * 300))
    assert caught.value.code == "output_path_too_long"


# -- a secret under the wrong key is never echoed ----------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f'marketplace = "{SECRET}"',
        f'[cancelkit]\nsheet = "{SECRET}"',
        f'[orders_7d]\nDE = "{SECRET}"',
        f'[policy.US]\nthreshold = "{SECRET}"',
        'fail_on = "' + "0123456789abcdef" * 4 + '"',  # a 64-hex client secret
        f'refresh_token = "{SECRET}"',
    ],
    ids=["marketplace", "sheet", "orders-table", "threshold", "hex-secret", "unknown-key"],
)
def test_a_secret_in_the_wrong_setting_is_not_printed(tmp_path, text):
    config = tmp_path / "c.toml"
    config.write_text(text + "\n", encoding="utf-8")
    run = invoke("check", CLEAN, "--config", config, "--no-ledger")
    line = assert_one_line_error(run, "[config_error]")
    assert "IwEB" not in line and "0123456789abcdef" not in line
    with pytest.raises(ConfigError) as caught:
        cancelkit.check(str(CLEAN), config=str(config), no_ledger=True)
    assert "IwEB" not in str(caught.value)


@pytest.mark.parametrize(
    "table",
    [{"poll_interval": SECRET}, {"sandbox": SECRET}, {"sandbox": 5}, {"lwa_app_idd": SECRET}],
    ids=["poll-interval", "sandbox", "sandbox-number", "unknown-key"],
)
def test_no_value_of_the_amazon_table_is_printed(table):
    with pytest.raises(ConfigError) as caught:
        spapi_settings({}, table, "c.toml")
    assert "IwEB" not in str(caught.value)


def test_fetch_orders_names_the_amazon_key_without_its_value(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'[amazon]\npoll_interval = "{SECRET}"\n', encoding="utf-8")
    run = invoke("fetch-orders", "--config", config, "-o", tmp_path / "o.txt")
    line = assert_one_line_error(run, "'poll_interval' in [amazon]", "[config_error]")
    assert "IwEB" not in line
    assert not (tmp_path / "o.txt").exists()


# -- small things of the same pass ---------------------------------------------------------


def test_stdin_named_twice_is_input_twice(tmp_path):
    run = invoke("generate", "-", "-", "--out-dir", tmp_path / "o", input=CLEAN.read_bytes())
    assert_one_line_error(run, "named twice", "[input_twice]")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "given", [b"in.csv", bytearray(b"in.csv"), [b"in.csv"], 5, [None], {"a": 1}, [str(CLEAN), 3]]
)
def test_check_takes_paths_only(given):
    with pytest.raises(InputError) as caught:
        cancelkit.check(given, no_ledger=True)
    assert caught.value.code == "path_type"
    assert type(given if not isinstance(given, list) else given[-1]).__name__ in str(caught.value)


def test_orders_7d_zero_is_a_figure_over_the_target(tmp_path):
    run = invoke("check", CLEAN, "--orders-7d", "0", "--no-ledger", "--json", "-")
    document = json.loads(run.stdout)
    assert document["metrics"]["orders_in_window"] == 0
    assert document["metrics"]["over_threshold"] is True
    assert "0 orders in the window (from --orders-7d)" in run.stderr
    assert "pass --orders-7d" not in run.stderr
    gated = invoke(
        "generate", CLEAN, "--orders-7d", "0", "--fail-on", "high", "--out-dir", tmp_path
    )
    assert gated.exit_code == 3
    assert not list(tmp_path.glob("*.txt"))
    report = tmp_path / "r.md"
    invoke("check", CLEAN, "--orders-7d", "0", "--no-ledger", "--report", report)
    text = report.read_text(encoding="utf-8")
    assert "given as 0" in text and "which was not given" not in text


# -- the Python API hostile pass ------------------------------------------------------------


def _rows_then(exc: Exception):
    yield {"order-id": "112-0000001-0000001", "cancellation-reason-code": "NoInventory"}
    yield {"order-id": "112-0000002-0000002", "cancellation-reason-code": "NoInventory"}
    raise exc


class _Unprintable:
    def __str__(self) -> str:
        raise ValueError("no text")


@pytest.mark.parametrize(
    "rows, number",
    [
        (_rows_then(RuntimeError("database went away")), 3),
        (_rows_then(KeyError("x")), 3),
        ([{"order-id": _Unprintable(), "cancellation-reason-code": "NoInventory"}], 1),
        ([["order-id", "cancellation-reason-code"], [_Unprintable(), "NoInventory"]], 2),
    ],
    ids=["generator-runtime", "generator-keyerror", "mapping-value", "sequence-value"],
)
def test_rows_that_raise_part_way_are_one_clear_error_and_no_result(tmp_path, rows, number):
    with pytest.raises(InputError) as caught:
        cancelkit.check(rows=rows, no_ledger=True)
    assert caught.value.code == "rows_failed"
    assert f"row {number}" in str(caught.value)


def test_an_interrupt_inside_the_rows_is_not_swallowed():
    with pytest.raises(KeyboardInterrupt):
        cancelkit.check(rows=_rows_then(KeyboardInterrupt()), no_ledger=True)


@pytest.mark.parametrize(
    "name, value",
    [
        ("sheet", 5),
        ("marketplace", 5),
        ("orders_in_window", "10"),
        ("orders_in_window", 1.5),
        ("orders_in_window", True),
        ("cancels_in_window", -1),
        ("orders_in_window", {"DE": "5"}),
        ("fail_on", "HIGH"),
        ("keep_records", "yes"),
        ("config", 5),
        ("config", b"c.toml"),
        ("today", "2026-01-01"),
        ("from_review", b"r.xlsx"),
        ("orders_reports", 5),
        ("orders_reports", [5]),
        ("ledger", 5),
        ("no_ledger", "no"),
        ("report_max_age_hours", "24"),
        ("orders_in_30d", "5"),
        ("cancels_in_30d", 2.0),
        ("referral_fee_rate", "0.1"),
        ("no_such_option", 1),
    ],
)
def test_every_option_of_check_of_the_wrong_type_names_the_option(name, value):
    options = {"no_ledger": True, name: value}
    with pytest.raises(ConfigError) as caught:
        cancelkit.check(str(CLEAN), **options)
    assert name in str(caught.value)


def test_two_checks_at_once_in_threads_match_the_sequential_results():
    def outcome(path: Path) -> tuple:
        with cancelkit.check(str(path), no_ledger=True) as result:
            return (
                dict(result.summary),
                json.dumps(result.records, sort_keys=True, default=str),
            )

    expected = {path: outcome(path) for path in (CLEAN, MESSY)}
    found: list[tuple[Path, tuple]] = []
    errors: list[BaseException] = []

    def worker(path: Path) -> None:
        try:
            for _ in range(3):
                found.append((path, outcome(path)))
        except BaseException as exc:  # reported below, never lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(p,)) for p in (CLEAN, MESSY, CLEAN, MESSY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(found) == 12
    for path, result in found:
        assert result == expected[path]


@pytest.mark.parametrize("target", ["a\x00b.json", 5, b"x.json", None], ids=repr)
@pytest.mark.parametrize(
    "writer",
    ["write_json_file", "write_report", "write_flat_file", "write_rejects", "write_review"],
)
def test_every_writer_given_no_usable_path_is_path_type(tmp_path, monkeypatch, writer, target):
    monkeypatch.chdir(tmp_path)
    with cancelkit.check(str(MESSY), no_ledger=True) as result:
        with pytest.raises(OutputError) as caught:
            getattr(result, writer)(target)
        assert caught.value.code == "path_type"
        for options in ({"out_dir": 5}, {"json_path": b"r.json"}, {"report": 5}):
            with pytest.raises(OutputError) as caught:
                result.write_outputs(**{"out_dir": tmp_path / "o", **options})
            assert caught.value.code == "path_type"
    assert list(tmp_path.iterdir()) == []
