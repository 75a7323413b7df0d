"""Unusable inputs: exit 2, one line on stderr, no traceback, nothing written. And the
awkward-but-valid inputs (encodings, separators, line endings) that must be accepted."""

from __future__ import annotations

import codecs
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import (
    CLEAN,
    HEADER_ROW,
    NUMERIC,
    TEMPLATE_ROW,
    assert_one_line_error,
    files_under,
    invoke,
    run_cli,
)

import cancelkit
from cancelkit.amazon import flatfile
from cancelkit.read import csv_text

GOOD_HEADER = "order-id,cancellation-reason-code,amazon-order-item-code"
GOOD_ROW = "113-4728391-2038475,NoInventory,62845173920562"


def _xlsx(path: Path, *rows) -> None:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


def _zip(path: Path, name: str = "word/document.xml") -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(name, "<document/>")


# name -> (how to make it, fragments the one-line message must hold)
BAD_INPUTS = {
    "empty.csv": (lambda p: p.write_bytes(b""), ["the file is empty"]),
    "empty.xlsx": (lambda p: p.write_bytes(b""), ["the file is empty"]),
    "bom-only.csv": (lambda p: p.write_bytes(codecs.BOM_UTF8), ["the file is empty"]),
    "blank-lines.csv": (lambda p: p.write_bytes(b"\r\n  \r\n;;\r\n"), ["the file is empty"]),
    "binary.csv": (lambda p: p.write_bytes(bytes(range(256)) * 8), ["binary data"]),
    "controls.txt": (lambda p: p.write_bytes(bytes(range(1, 32)) * 16), ["binary data"]),
    "image.csv": (
        lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
        ["binary data"],
    ),
    "header-only.csv": (lambda p: p.write_text(GOOD_HEADER + "\n"), ["no data rows"]),
    "header-and-blanks.csv": (
        lambda p: p.write_text(GOOD_HEADER + "\n\n,,\n"),
        ["no data rows below the header row"],
    ),
    "header-only.xlsx": (
        lambda p: _xlsx(p, GOOD_HEADER.split(",")),
        ["no data rows below the header row"],
    ),
    "document.pdf": (lambda p: p.write_bytes(b"%PDF-1.7\n"), ["unsupported file type '.pdf'"]),
    "letter.docx": (_zip, ["unsupported file type '.docx'"]),
    "old.xls": (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60), ["old .xls"]),
    "pdf-named.csv": (lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n"), ["PDF document"]),
    "zip-named.csv": (_zip, ["zip/Excel workbook", "name it .xlsx"]),
    "ole-named.csv": (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60), ["old .xls"]),
    "text-named.xlsx": (
        lambda p: p.write_text(GOOD_HEADER + "\n" + GOOD_ROW + "\n"),
        ["not an xlsx workbook", "name it .csv"],
    ),
    "ole-named.xlsx": (
        lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 60),
        ["password-protected"],
    ),
    "broken.xlsx": (
        lambda p: p.write_bytes(b"PK\x03\x04" + b"\x00broken" * 40),
        ["cannot read the workbook"],
    ),
    "word-named.xlsx": (_zip, ["cannot read the workbook"]),
    "no-order-column.csv": (
        lambda p: p.write_text("sku;Reason;Order Item ID\nMUG;NoInventory;62845173920562\n"),
        ["no order-id column", "columns found: 'sku', 'Reason', 'Order Item ID'"],
    ),
    "no-order-column.xlsx": (
        lambda p: _xlsx(p, ["Buyer", "reason"], ["x", "NoInventory"]),
        ["no order-id column", "columns found: 'Buyer', 'reason'"],
    ),
    "two-order-columns.csv": (
        lambda p: p.write_text("order-id,amazon-order-id\n113-4728391-2038475,x\n"),
        ["columns 'order-id' and 'amazon-order-id' both give the order-id"],
    ),
    "huge-field.csv": (
        lambda p: p.write_text(f'{GOOD_HEADER},note\n{GOOD_ROW},"{"x" * 200_000}"\n'),
        ["cannot parse the CSV", "field larger than field limit"],
    ),
}


def _make(folder: Path, name: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    BAD_INPUTS[name][0](path)
    return path


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(workdir, tmp_path, name):
    path = _make(tmp_path / "inputs", name)
    before = path.read_bytes() if path.is_file() else None
    run = invoke("generate", path, "--json", "-")
    line = assert_one_line_error(run, str(path), *BAD_INPUTS[name][1])
    assert line.startswith(f"cancelkit: error: {path}: ")
    assert files_under(workdir) == set()
    assert files_under(tmp_path / "inputs") == {name}
    assert path.read_bytes() == before


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_raises_the_project_exception_from_the_api(tmp_path, name):
    path = _make(tmp_path, name)
    with pytest.raises(cancelkit.InputError):
        cancelkit.check(path)


@pytest.mark.parametrize(
    "name", ["empty.csv", "binary.csv", "header-only.csv", "document.pdf", "no-order-column.csv"]
)
def test_bad_input_in_a_real_process(tmp_path, name):
    path = _make(tmp_path / "inputs", name)
    work = tmp_path / "work"
    work.mkdir()
    run = run_cli("generate", path, cwd=work)
    assert_one_line_error(run, *BAD_INPUTS[name][1])
    assert files_under(work) == set()


def test_missing_path(workdir):
    assert_one_line_error(invoke("generate", "nope.csv"), "nope.csv: no such file")
    assert_one_line_error(invoke("check", "nope.xlsx"), "nope.xlsx: no such file")
    assert files_under(workdir) == set()


@pytest.mark.parametrize("name", ["folder", "folder.csv", "folder.xlsx"])
def test_folder_given_as_input(workdir, name):
    (workdir / name).mkdir()
    assert_one_line_error(invoke("generate", name), "is a folder, not a file")
    assert files_under(workdir) == set()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(workdir):
    path = workdir / "locked.csv"
    path.write_text(GOOD_HEADER + "\n" + GOOD_ROW + "\n")
    path.chmod(0)
    try:
        assert_one_line_error(invoke("generate", path), "locked.csv: cannot read")
    finally:
        path.chmod(0o644)
    assert files_under(workdir) == {"locked.csv"}


def test_permission_denied_is_one_line(workdir, monkeypatch):
    """The same as an unreadable file, for test runs as root: open() refuses the file."""
    path = workdir / "locked.csv"
    path.write_text(GOOD_HEADER + "\n" + GOOD_ROW + "\n")
    real_open = open

    def refusing_open(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(csv_text, "open", refusing_open, raising=False)
    run = invoke("generate", path)
    assert_one_line_error(run, f"{path}: cannot read (Permission denied)")
    assert files_under(workdir) == {"locked.csv"}


def test_unknown_sheet(workdir):
    run = invoke("generate", NUMERIC, "--sheet", "Sheet9")
    assert_one_line_error(run, "no sheet named 'Sheet9'; sheets: Cancellations, Other")
    assert files_under(workdir) == set()


def test_one_bad_input_among_good_ones_writes_nothing(workdir, tmp_path):
    bad = _make(tmp_path / "inputs", "header-only.csv")
    assert_one_line_error(invoke("generate", CLEAN, bad), "no data rows")
    assert files_under(workdir) == set()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "the file is empty"),
        (bytes(range(256)) * 4, "binary data"),
        (b"PK\x03\x04" + b"\x00" * 30, "zip/Excel workbook"),
        (GOOD_HEADER.encode() + b"\n", "no data rows"),
    ],
    ids=["empty", "binary", "workbook", "header-only"],
)
def test_bad_stdin(workdir, data, fragment):
    run = invoke("generate", "-", input=data)
    assert_one_line_error(run, "<stdin>", fragment)
    assert files_under(workdir) == set()


def test_mixed_encodings_is_one_line(workdir):
    """UTF-8 with an accent in the sample, then a Windows-1252 byte much further on."""
    lines = [f"{GOOD_HEADER},note", f"{GOOD_ROW},café"]
    lines += [f"114-2093847-{n:07d},NoInventory,6284517392{n:04d},ok" for n in range(2000)]
    path = workdir / "mixed.csv"
    path.write_bytes(
        ("\n".join(lines) + "\n").encode() + "112-3348201-5569047,,,caf\xe9\n".encode("cp1252")
    )
    run = invoke("generate", path)
    assert_one_line_error(run, "mixed.csv: row ", "not utf-8", "save it again as CSV UTF-8")
    assert files_under(workdir) == {"mixed.csv"}


def test_read_error_names_the_row_it_happened_in(workdir):
    path = _make(workdir, "huge-field.csv")
    assert_one_line_error(invoke("check", path), "huge-field.csv: row 2: cannot parse the CSV")


def test_mixed_encodings_message_points_near_the_bad_row(workdir):
    lines = [f"{GOOD_HEADER},note", f"{GOOD_ROW},café"]
    lines += [f"114-2093847-{n:07d},NoInventory,6284517392{n:04d},ok" for n in range(2000)]
    path = workdir / "mixed.csv"
    path.write_bytes(
        ("\n".join(lines) + "\n").encode() + "112-3348201-5569047,,,caf\xe9\n".encode("cp1252")
    )
    line = assert_one_line_error(invoke("check", path), "not utf-8")
    row = int(re.search(r"row (\d+)", line).group(1))
    assert 1800 <= row <= 2003  # the bad bytes are on row 2003; decoding reads ahead in blocks


# -- awkward but valid ----------------------------------------------------------------------------

ROWS = [
    ("113-4728391-2038475", "NoInventory", "62845173920562"),
    ("112-3348201-5569047", "", ""),
]
UPLOAD = (
    TEMPLATE_ROW
    + HEADER_ROW
    + (b"113-4728391-2038475\tNoInventory\t62845173920562\r\n112-3348201-5569047\t\t\r\n")
)


def _encoded(delimiter: str, newline: str, encoding: str, bom: bytes = b"") -> bytes:
    header = delimiter.join(("Order ID", "Reason", "Order Item ID", "Note"))
    rows = [delimiter.join((*row, "Müller café")) for row in ROWS]
    return bom + (newline.join([header, *rows]) + newline).encode(encoding)


VALID = {
    "comma-lf.csv": _encoded(",", "\n", "utf-8"),
    "comma-crlf.csv": _encoded(",", "\r\n", "utf-8"),
    "semicolon-crlf-bom.csv": _encoded(";", "\r\n", "utf-8", codecs.BOM_UTF8),
    "tab.tsv": _encoded("\t", "\r\n", "utf-8"),
    "tab.txt": _encoded("\t", "\n", "utf-8"),
    "unicode-text.txt": _encoded("\t", "\r\n", "utf-16-le", codecs.BOM_UTF16_LE),
    "utf16-be.csv": _encoded(",", "\r\n", "utf-16-be", codecs.BOM_UTF16_BE),
    "windows-1252.csv": _encoded(";", "\r\n", "cp1252"),
    "old-mac-cr.csv": _encoded(",", "\r", "utf-8"),
    "no-extension": _encoded(",", "\n", "utf-8"),
}


@pytest.mark.parametrize("name", list(VALID))
def test_awkward_but_valid_inputs_are_accepted(workdir, name):
    (workdir / name).write_bytes(VALID[name])
    run = invoke("generate", name, "--flat-file", "upload.txt")
    assert run.exit_code == 0, run.stderr
    assert "Traceback" not in run.output
    assert (workdir / "upload.txt").read_bytes() == UPLOAD
    with cancelkit.check(workdir / name) as result:
        assert [r["row"] for r in result.records] == [2, 3]
        assert {r["note"] for r in result.records} == {"Müller café"}


def test_valid_input_in_a_real_process(tmp_path):
    (tmp_path / "in.txt").write_bytes(VALID["unicode-text.txt"])
    run = run_cli("generate", "in.txt", "--flat-file", "upload.txt", cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert list(flatfile.parse(tmp_path / "upload.txt")) == [
        flatfile.FlatFileRow(1, *ROWS[0]),
        flatfile.FlatFileRow(2, ROWS[1][0], None, None),
    ]


# -- bounded reading of any workbook -------------------------------------------------------
FAR_CELL = Path(__file__).resolve().parents[1] / "corpus" / "far-cell-ALL1000000.xlsx"


def test_a_far_cell_is_refused_quickly_in_bounded_memory(tmp_path):
    """The 2 KB workbook whose only far cell is ALL1000000 (a used range of 10^9 cells,
    about 32 GB in python-calamine) is refused from its XML in a process limited to 1 GB of
    address space, within seconds; the message names the budget and the code."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    proc = subprocess.run(
        [sys.executable, "-m", "cancelkit", "check", str(FAR_CELL), "--no-ledger"],
        capture_output=True,
        timeout=60,
        preexec_fn=limit,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.environ.get("PYTHONPATH", "")},
    )
    stderr = proc.stderr.decode()
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr and "panicked" not in stderr
    assert "1,000,000 rows x 1,000 columns" in stderr
    assert "over the budget of 12,000,000 cells" in stderr
    assert stderr.rstrip().endswith("[too_many_cells]")


def test_the_cell_budget_is_set_in_the_config(tmp_path):
    config = tmp_path / "cancelkit.toml"
    config.write_text("max_cells = 6\n", encoding="utf-8")
    workbook = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["order-id", "cancellation-reason-code", "amazon-order-item-code"])
    book.active.append(["113-4728391-2038475", "NoInventory", "62845173920562"])
    book.active.append(["112-3348201-5569047", "NoInventory", "51938274610385"])
    book.save(workbook)
    run = invoke("check", workbook, "--config", config, "--no-ledger")
    assert_one_line_error(run, "(9 cells), over the budget of 6 cells", "[too_many_cells]")
    config.write_text("max_cells = 9\n", encoding="utf-8")
    assert invoke("check", workbook, "--config", config, "--no-ledger").exit_code == 0


def test_a_nul_byte_after_the_first_64_kb_is_refused_at_its_row(tmp_path):
    path = tmp_path / "late-nul.csv"
    rows = [GOOD_HEADER] + [GOOD_ROW] * 3000
    rows[2500] += "\x00"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="ascii")
    assert path.stat().st_size > 1 << 16
    run = invoke("check", path, "--no-ledger")
    assert_one_line_error(run, "row 2501: a NUL byte (binary data)", "[file_binary]")


def test_utf8_further_down_a_windows_1252_file_is_mixed_encoding_at_its_row(tmp_path):
    path = tmp_path / "cp-then-utf8.csv"
    head = f"{GOOD_HEADER},note\r\n{GOOD_ROW},Caf\xe9\r\n".encode("cp1252")
    body = "".join(f"{GOOD_ROW},\r\n" for _ in range(3000)).encode()
    path.write_bytes(head + body + f"{GOOD_ROW},M\u00fcller\r\n".encode())
    run = invoke("check", path, "--no-ledger")
    assert_one_line_error(
        run, "row 3003: UTF-8 text in a file read as Windows-1252", "[mixed_encoding]"
    )
