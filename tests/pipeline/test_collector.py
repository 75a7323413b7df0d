"""The collector's row loop: a read error on either path names the row it reached."""

from __future__ import annotations

from conftest import assert_one_line_error, invoke

HEADER = "order-id,amazon-order-item-code,cancellation-reason-code"


def _rows(count: int) -> list[str]:
    return [
        f"113-4728391-{2000000 + i:07d},628451739{20000 + i:05d},NoInventory" for i in range(count)
    ]


def test_a_read_error_after_fast_path_rows_names_its_row(tmp_path):
    path = tmp_path / "big.csv"
    bad = '113-4728391-9999999,"' + "x" * 200_000 + '",NoInventory'
    path.write_text("\n".join([HEADER, *_rows(3000), bad]) + "\n", encoding="utf-8")
    run = invoke("generate", path, "--out-dir", tmp_path / "out", "--no-ledger")
    assert_one_line_error(run, "row 3002: cannot parse the CSV")


def test_a_read_error_after_record_path_rows_names_its_row(tmp_path):
    path = tmp_path / "big.csv"
    rows = [row.replace("NoInventory", "no inventory") for row in _rows(50)]  # record path
    bad = '113-4728391-9999999,"' + "x" * 200_000 + '",NoInventory'
    path.write_text("\n".join([HEADER, *rows, bad]) + "\n", encoding="utf-8")
    run = invoke("generate", path, "--out-dir", tmp_path / "out", "--no-ledger")
    assert_one_line_error(run, "row 52: cannot parse the CSV")
