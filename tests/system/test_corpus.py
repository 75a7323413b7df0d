"""The bad-input corpus (tests/corpus/make_corpus.py): every hostile or broken input ends in
the exit code and error code below, never a traceback, never a partial output.

Exit 2 (unusable input): the one-line message ends in `[CODE]` and the out-dir stays empty.
Exit 1 (rows rejected) and 0 (fine): the JSON report on stdout gives the row error codes,
and the out-dir holds complete files only (a flat file that parses, rejects only for 1).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import OUTPUT_NAME, Run, assert_one_line_error, invoke, run_cli
from corpus import make_corpus

from cancelkit.amazon import flatfile
from cancelkit.read import tables as sources

# pipeline.py raises "no data rows below the header row" without a code of its own yet
NO_DATA_ROWS = "no_data_rows"


@dataclass(frozen=True)
class Case:
    exit_code: int
    #: exit 2: the [CODE]; exit 0/1: every row error code in the JSON report
    codes: tuple[str, ...] = ()
    #: the row numbers of the records, when the case is about them
    rows: tuple[int, ...] | None = None
    args: tuple[str, ...] = ()
    #: lowered limits (module constants of cancelkit.read.tables) for this case
    limits: dict = field(default_factory=dict)
    #: run in a real `python -m cancelkit` process instead of click's CliRunner
    process: bool = False
    #: the file a case reuses under another name (with other options)
    file: str | None = None


def unusable(code: str, **options) -> Case:
    return Case(2, (code,), **options)


CASES: dict[str, Case] = {
    # empty, blank, header only
    "empty.csv": unusable("file_empty", process=True),
    "bom-only.csv": unusable("file_empty"),
    "blank-lines.csv": unusable("file_empty"),
    "header-only.csv": unusable(NO_DATA_ROWS),
    "header-and-blank-rows.csv": unusable(NO_DATA_ROWS),
    "header-only.xlsx": unusable(NO_DATA_ROWS),
    "empty-first-sheet.xlsx": unusable("sheet_empty"),
    "empty-first-sheet.xlsx --sheet": Case(
        0, rows=(2, 3, 4), args=("--sheet", "Cancellations"), file="empty-first-sheet.xlsx"
    ),
    "no-such-sheet": unusable("no_such_sheet", args=("--sheet", "Nope"), file="macros.xlsm"),
    # not text at all
    "binary-garbage.csv": unusable("file_binary", process=True),
    "nul-bytes.csv": unusable("file_binary"),
    "pdf-saved-as.csv": unusable("pdf"),
    "report.pdf": unusable("unsupported_type"),
    "old-excel.xls": unusable("ole_workbook"),
    "folder.csv": unusable("is_folder"),
    "missing.csv": unusable("file_not_found"),
    # CSV damage
    "ten-mb-single-line.csv": unusable("csv_parse", process=True),
    "huge-field.csv": unusable("csv_parse"),
    "unbalanced-quotes.csv": Case(1, ("reason_unknown", "reason_without_item")),
    "mixed-separators.csv": Case(1, ("order_id_format",)),
    "mixed-encodings.csv": unusable("mixed_encoding"),
    "columns-1500.csv": unusable("too_many_columns"),
    # encodings and layouts that are fine
    "utf16le-no-bom.csv": Case(0, rows=(2, 3, 4)),
    "utf16be-no-bom.csv": Case(0, rows=(2, 3, 4), process=True),
    "utf8-bom-semicolon.csv": Case(0, rows=(2, 3, 4)),
    "windows-1252.csv": Case(0, rows=(2,)),
    "newline-in-quoted-note.csv": Case(0, rows=(2,)),
    "amazon-template-rows.txt": Case(0, rows=(3, 4, 5)),
    # one format saved as the other
    "csv-saved-as.xlsx": unusable("not_xlsx"),
    "xlsx-saved-as.csv": unusable("zip_not_text"),
    "truncated.xlsx": unusable("workbook_unreadable"),
    "not-a-workbook.xlsx": unusable("workbook_unreadable"),
    "password-protected.xlsx": unusable("ole_workbook"),
    # hostile workbooks
    "size-bomb.xlsx": unusable("xlsx_too_large", process=True),
    "ratio-bomb.xlsx": unusable("zip_bomb"),
    "entity-bomb.xlsx": unusable("xml_entities", process=True),
    "external-entity.xlsx": unusable("xml_entities"),
    "columns-16384.xlsx": unusable("too_many_columns"),
    # the used range is sized from the XML before python-calamine allocates it
    "far-cell-ALL1000000.xlsx": unusable("too_many_cells", process=True),
    "far-cell-ALL20000.xlsx": unusable("too_many_cells"),
    "far-cell-A5000002.xlsx": unusable("too_many_rows"),
    "dimension-ALL1000000.xlsx": unusable("too_many_cells"),
    "dimension-XFD1048576.xlsx": unusable("too_many_columns"),
    "cells-without-references.xlsx": unusable("too_many_columns"),
    "cells-over-budget.xlsx": unusable(
        "too_many_cells", limits={"MAX_CELLS": 8}, file="hidden-rows.xlsx"
    ),
    "rows-over-limit.xlsx": unusable(
        "too_many_rows", limits={"MAX_ROWS": 2}, file="hidden-rows.xlsx"
    ),
    "size-over-limit.xlsx": unusable(
        "xlsx_too_large", limits={"MAX_XLSX_BYTES": 1000}, file="formulas.xlsx"
    ),
    # read, never run: macros are ignored, formulas give their cached value
    "macros.xlsm": Case(0, rows=(2, 3, 4)),
    "formulas.xlsx": Case(0, rows=(2, 3, 4)),
    "formula-without-cached-value.xlsx": Case(1, ("order_id_missing",)),
    "merged-cells.xlsx": Case(1, ("item_without_reason",)),
    "hidden-rows.xlsx": Case(0, rows=(2, 3, 4)),
    # values where ids belong
    "dates-as-ids.xlsx": Case(1, ("order_id_format",)),
    "dates-as-ids.csv": Case(1, ("order_id_format",)),
    "ids-with-letters.csv": Case(1, ("order_id_format",)),
    "arabic-indic-digits.csv": Case(1, ("non_ascii",)),
    "fullwidth-digits.csv": Case(1, ("non_ascii",)),
    "negative-numbers.xlsx": Case(1, ("item_code_format", "order_id_format")),
    "huge-numbers.xlsx": Case(1, ("item_code_scientific", "order_id_format")),
    "scientific-item-code.csv": Case(1, ("item_code_scientific",)),
    "formula-text-in-id.csv": Case(1, ("order_id_format",)),
    # headers
    "duplicate-headers.csv": unusable("duplicate_column"),
    "duplicate-header-aliases.xlsx": unusable("duplicate_column"),
    "title-row1-header-row3.csv": Case(0, rows=(4, 5, 6)),
    "title-row1-header-row3.xlsx": Case(0, rows=(4, 5, 6)),
    "no-header-row.csv": unusable("no_order_id_column"),
    "title-then-no-header.xlsx": unusable("no_order_id_column"),
}


def _input(name: str, case: Case, folder: Path) -> Path:
    name = case.file or name
    if name in make_corpus.COMMITTED:
        path = make_corpus.HERE / name
        assert path.read_bytes() == make_corpus.COMMITTED[name](), (
            f"{name} differs from make_corpus.py; run python tests/corpus/make_corpus.py"
        )
        return path
    path = folder / name
    make_corpus.AT_TEST_TIME[name](path)
    return path


def _run(case: Case, path: Path, out: Path, work: Path) -> Run:
    args = ("generate", path, *case.args, "--out-dir", out, "--no-ledger", "--json", "-")
    if case.process:
        return run_cli(*args, cwd=work)
    return invoke(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_case(name, tmp_path, monkeypatch):
    case = CASES[name]
    for constant, value in case.limits.items():
        monkeypatch.setattr(sources, constant, value)
    inputs, out, work = tmp_path / "in", tmp_path / "out", tmp_path / "work"
    inputs.mkdir()
    work.mkdir()
    path = _input(name, case, inputs)
    run = _run(case, path, out, work)

    assert "Traceback" not in run.output
    assert run.exit_code == case.exit_code, run.output[-2000:]
    if case.exit_code == 2:
        line = assert_one_line_error(run, str(path))
        assert re.search(r" \[([a-z_]+)\]$", line).group(1) == case.codes[0], line
        assert not out.exists() or not any(out.iterdir())
        assert not any(work.iterdir())
        return

    report = json.loads(run.stdout)
    codes = {error["code"] for record in report["records"] for error in record["errors"]}
    assert codes == set(case.codes)
    if case.rows is not None:
        assert tuple(record["row"] for record in report["records"]) == case.rows
    summary = report["summary"]
    total = summary["accepted"] + summary["rejected"] + summary["duplicates"]
    assert summary["input_rows"] == total
    # complete outputs only: the upload file parses and holds every accepted row
    written = {p.name for p in out.iterdir()}
    assert all(OUTPUT_NAME.fullmatch(written_name) for written_name in written), written
    upload = next(out.glob("cancellations-*[0-9].txt"))
    assert len(list(flatfile.parse(upload))) == summary["accepted"]
    assert any(n.endswith("-rejects.csv") for n in written) == (case.exit_code == 1)
