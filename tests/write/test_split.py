"""`--max-rows-per-file N`: the upload split into numbered files, each a complete Order
Cancellation flat file, rows in input order; one ledger batch per part."""

from __future__ import annotations

import pytest
from conftest import CLEAN, HEADER_ROW, MESSY, TEMPLATE_ROW, assert_one_line_error, invoke

import cancelkit
from cancelkit.amazon import flatfile
from cancelkit.errors import OutputError
from cancelkit.ledger.store import Ledger


def _data_rows(path) -> list[bytes]:
    lines = path.read_bytes().split(b"\r\n")
    assert lines[-1] == b""
    return [line + b"\r\n" for line in lines[:-1]]


def _assert_complete_flat_file(path) -> list[bytes]:
    """The template and header rows, then the data rows (returned)."""
    lines = _data_rows(path)
    assert lines[:2] == [TEMPLATE_ROW, HEADER_ROW]
    assert (TEMPLATE_ROW + HEADER_ROW).decode("ascii") == flatfile.HEADER_LINES
    return lines[2:]


def test_generate_splits_into_numbered_parts(workdir):
    whole = invoke("generate", CLEAN, "--no-ledger", "--flat-file", "whole.txt")
    assert whole.exit_code == 0, whole.stderr
    rows = _assert_complete_flat_file(workdir / "whole.txt")
    assert len(rows) == 12

    run = invoke(
        "generate", CLEAN, "--no-ledger", "--flat-file", "up.txt", "--max-rows-per-file", 5
    )
    assert run.exit_code == 0, run.stderr
    assert not (workdir / "up.txt").exists()
    parts = [workdir / f"up-{n}.txt" for n in (1, 2, 3)]
    assert not (workdir / "up-4.txt").exists()
    found = [_assert_complete_flat_file(part) for part in parts]
    assert [len(rows) for rows in found] == [5, 5, 2]
    assert [row for part in found for row in part] == rows  # input order, nothing lost
    assert "flat files: 3 parts, up-1.txt ... up-3.txt" in run.stderr


def test_each_part_parses_with_record_numbers_from_1(workdir):
    run = invoke(
        "generate", CLEAN, "--no-ledger", "--flat-file", "up.txt", "--max-rows-per-file", 4
    )
    assert run.exit_code == 0, run.stderr
    for n in (1, 2, 3):
        parsed = list(flatfile.parse(workdir / f"up-{n}.txt"))
        assert [row.record_number for row in parsed] == [1, 2, 3, 4]


def test_exact_multiple_and_limit_above_the_batch(workdir):
    run = invoke("generate", CLEAN, "--no-ledger", "--flat-file", "a.txt", "--max-rows-per-file", 6)
    assert run.exit_code == 0, run.stderr
    assert sorted(p.name for p in workdir.glob("a-*.txt")) == ["a-1.txt", "a-2.txt"]
    run = invoke(
        "generate", CLEAN, "--no-ledger", "--flat-file", "b.txt", "--max-rows-per-file", 500
    )
    assert run.exit_code == 0, run.stderr
    assert sorted(p.name for p in workdir.glob("b*.txt")) == ["b-1.txt"]
    assert len(_assert_complete_flat_file(workdir / "b-1.txt")) == 12


def test_exit_codes_unchanged_and_rejects_not_split(workdir):
    run = invoke("generate", MESSY, "--no-ledger", "--flat-file", "m.txt", "--max-rows-per-file", 3)
    assert run.exit_code == 1
    with cancelkit.check(MESSY, no_ledger=True) as result:
        accepted = result.accepted
    parts = sorted(workdir.glob("m-*.txt"), key=lambda p: int(p.stem.split("-")[1]))
    assert len(parts) == -(-accepted // 3)
    assert sum(len(_assert_complete_flat_file(p)) for p in parts) == accepted
    split = ("--flat-file", "g.txt", "--max-rows-per-file", 3)
    gate = invoke("generate", MESSY, "--no-ledger", "--fail-on", "medium", *split)
    assert gate.exit_code == 3
    assert not list(workdir.glob("g*.txt"))


def test_default_names_in_out_dir_and_json_outputs(workdir):
    import json

    run = invoke("generate", CLEAN, "--no-ledger", "--max-rows-per-file", 5, "--json", "-")
    assert run.exit_code == 0, run.stderr
    outputs = json.loads(run.stdout)["outputs"]
    assert len(outputs["flat_files"]) == 3
    assert outputs["flat_file"] == outputs["flat_files"][0]
    assert outputs["flat_file"].endswith("-1.txt")
    for name in outputs["flat_files"]:
        assert (workdir / name).is_file()
    assert outputs["report"] and outputs["flat_files"][0][: -len("-1.txt")] in outputs["report"]


def test_no_overwrite_without_force_and_nothing_half_done(workdir):
    (workdir / "up-2.txt").write_text("mine")
    run = invoke(
        "generate", CLEAN, "--no-ledger", "--flat-file", "up.txt", "--max-rows-per-file", 5
    )
    assert_one_line_error(run, "up-2.txt", "--force")
    assert not (workdir / "up-1.txt").exists()
    assert (workdir / "up-2.txt").read_text() == "mine"
    split = ("--flat-file", "up.txt", "--max-rows-per-file", 5)
    run = invoke("generate", CLEAN, "--no-ledger", *split, "--force")
    assert run.exit_code == 0, run.stderr
    assert len(_assert_complete_flat_file(workdir / "up-2.txt")) == 5


def test_zero_limit_is_a_usage_error(workdir):
    run = invoke("generate", CLEAN, "--max-rows-per-file", 0)
    assert run.exit_code == 2
    assert not (workdir / "cancelkit-out").exists()


def test_library_write_flat_file_with_max_rows(tmp_path):
    with cancelkit.check(CLEAN, no_ledger=True) as result:
        first = result.write_flat_file(tmp_path / "x.txt", max_rows=7)
        assert first == tmp_path / "x-1.txt"
        assert result.outputs["flat_files"] == [
            str(tmp_path / "x-1.txt"),
            str(tmp_path / "x-2.txt"),
        ]
        with pytest.raises(OutputError):
            result.write_flat_file(tmp_path / "x.txt", max_rows=7)
        with pytest.raises(ValueError):
            result.write_flat_file(tmp_path / "y.txt", max_rows=0)
        result.write_flat_file(tmp_path / "whole.txt")
        assert result.outputs["flat_files"] == [str(tmp_path / "whole.txt")]
    whole = _assert_complete_flat_file(tmp_path / "whole.txt")
    parts = [_assert_complete_flat_file(tmp_path / f"x-{n}.txt") for n in (1, 2)]
    assert parts[0] + parts[1] == whole


def test_one_ledger_batch_per_part(workdir, private_ledger):
    run = invoke("generate", CLEAN, "--flat-file", "up.txt", "--max-rows-per-file", 5)
    assert run.exit_code == 0, run.stderr
    with Ledger.open(private_ledger) as book:
        batches = sorted(book.batches(), key=lambda b: b.flat_file)
        assert [b.flat_file for b in batches] == [str(workdir / f"up-{n}.txt") for n in (1, 2, 3)]
        assert [b.rows for b in batches] == [5, 5, 2]
        assert [b.options["part"] for b in batches] == ["1/3", "2/3", "3/3"]
        for n, batch in enumerate(batches, start=1):
            rows = book.batch_rows(batch.id)
            parsed = list(flatfile.parse(workdir / f"up-{n}.txt"))
            assert [r.record_number for r in rows] == [p.record_number for p in parsed]
            assert [(r.order_id, r.item_code) for r in rows] == [
                (p.order_id, p.amazon_order_item_code) for p in parsed
            ]
    assert "ledger batches: " in run.stderr and "one per part" in run.stderr
