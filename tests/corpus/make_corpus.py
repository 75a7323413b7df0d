"""The bad-input corpus: hostile and broken files for tests/system/test_corpus.py.

`python tests/corpus/make_corpus.py` writes the small cases (COMMITTED) into this folder;
they are committed and the test checks they still match this script byte for byte. The big
ones (AT_TEST_TIME: a 10 MB line, zip bombs, a folder, a missing file) are made by the test
in its tmp_path. Workbooks are written part by part with zipfile, with a fixed timestamp,
so every run gives the same bytes and each case carries exactly the XML it is about.
"""

from __future__ import annotations

import codecs
import random
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = ("order-id", "cancellation-reason-code", "amazon-order-item-code")
GOOD = [
    ("113-4728391-2038475", "NoInventory", "62845173920562"),
    ("112-3348201-5569047", "NoInventory", "51938274610385"),
    ("114-2093847-1029384", "", ""),
]
_STAMP = (2026, 11, 26, 0, 0, 0)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


# -- text files --------------------------------------------------------------------------


def csv_text(rows, delimiter: str = ",", newline: str = "\r\n") -> str:
    return "".join(delimiter.join(row) + newline for row in rows)


def good_csv(encoding: str = "utf-8", bom: bytes = b"") -> bytes:
    return bom + csv_text([HEADER, *GOOD]).encode(encoding)


def _rows_with(order_ids, items=None) -> bytes:
    items = items or ["62845173920562"] * len(order_ids)
    rows = [(oid, "NoInventory", item) for oid, item in zip(order_ids, items)]
    return csv_text([HEADER, *rows]).encode("utf-8")


def mixed_encodings() -> bytes:
    """UTF-8 with an accent early on, a Windows-1252 byte far past the sniffed sample."""
    lines = [",".join((*HEADER, "note")), ",".join((*GOOD[0], "café"))]
    lines += [f"114-2093847-{n:07d},NoInventory,6284517392{n:04d},ok" for n in range(2000)]
    tail = "112-3348201-5569047,,,caf\xe9\r\n".encode("cp1252")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8") + tail


def binary_garbage() -> bytes:
    return random.Random(6).randbytes(4096)


def nul_bytes() -> bytes:
    return good_csv().replace(b"-", b"-\x00")


def wide_csv(columns: int = 1500) -> bytes:
    header = list(HEADER) + [f"extra-{n}" for n in range(columns - len(HEADER))]
    row = list(GOOD[0]) + [""] * (columns - len(HEADER))
    return csv_text([header, row]).encode("utf-8")


# -- workbooks ---------------------------------------------------------------------------


def column_letters(index: int) -> str:
    """1 -> A, 16384 -> XFD."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, value) -> str:
    """A cell: str (inline string), int/float (number), ("date", serial) (date style),
    ("formula", text, cached) (a formula with its cached value; cached None: none saved)."""
    if isinstance(value, tuple) and value[0] == "date":
        return f'<c r="{ref}" s="1"><v>{value[1]}</v></c>'
    if isinstance(value, tuple) and value[0] == "formula":
        _, formula, cached = value
        if cached is None:
            return f'<c r="{ref}"><f>{_escape(formula)}</f></c>'
        if isinstance(cached, str):
            return f'<c r="{ref}" t="str"><f>{_escape(formula)}</f><v>{_escape(cached)}</v></c>'
        return f'<c r="{ref}"><f>{_escape(formula)}</f><v>{cached}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_escape(value)}</t></is></c>'


def sheet_xml(rows, *, hidden=(), merged=(), far_cell: int | None = None, prolog="") -> str:
    body = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            _cell(f"{column_letters(i)}{number}", v) for i, v in enumerate(row, 1) if v != ""
        )
        if far_cell and number == 1:
            cells += _cell(f"{column_letters(far_cell)}1", "stray")
        flag = ' hidden="1"' if number in hidden else ""
        body.append(f'<row r="{number}"{flag}>{cells}</row>')
    merge = ""
    if merged:
        refs = "".join(f'<mergeCell ref="{ref}"/>' for ref in merged)
        merge = f'<mergeCells count="{len(merged)}">{refs}</mergeCells>'
    return (
        f'{_XML_DECL}{prolog}<worksheet xmlns="{_MAIN}"><sheetData>{"".join(body)}</sheetData>'
        f"{merge}</worksheet>"
    )


_STYLES = (
    f'{_XML_DECL}<styleSheet xmlns="{_MAIN}"><fonts count="1"><font/></fonts>'
    '<fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def xlsx(sheets, *, macros: bool = False, extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook from {sheet name: sheet XML}; `macros` adds a vbaProject.bin (xlsm)."""
    main_type = (
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
        if macros
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    )
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for n in range(1, len(sheets) + 1)
    )
    types = (
        f'{_XML_DECL}<Types xmlns="{_PKG}/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{main_type}"/>{overrides}'
        '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.styles+xml"/></Types>'
    )
    root_rels = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    entries = "".join(
        f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(sheets, start=1)
    )
    workbook = (
        f'{_XML_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{entries}</sheets>'
        "</workbook>"
    )
    rels = [
        f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, len(sheets) + 1)
    ]
    rels.append(f'<Relationship Id="rIdS" Type="{_REL}/styles" Target="styles.xml"/>')
    if macros:
        rels.append(
            '<Relationship Id="rIdV" Type="http://schemas.microsoft.com/office/2006/'
            'relationships/vbaProject" Target="vbaProject.bin"/>'
        )
    workbook_rels = (
        f'{_XML_DECL}<Relationships xmlns="{_PKG}/relationships">{"".join(rels)}</Relationships>'
    )
    parts = {
        "[Content_Types].xml": types,
        "_rels/.rels": root_rels,
        "xl/workbook.xml": workbook,
        "xl/_rels/workbook.xml.rels": workbook_rels,
        "xl/styles.xml": _STYLES,
    }
    for n, xml in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{n}.xml"] = xml
    if macros:
        # an OLE container as Excel stores the VBA project; never opened by cancelkit
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name" * 8
    parts.update(extra or {})
    return zip_bytes(parts)


def zip_bytes(parts: dict[str, str | bytes]) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, date_time=_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buffer.getvalue()


def book(rows, **sheet_options) -> bytes:
    return xlsx({"Cancellations": sheet_xml(rows, **sheet_options)})


def good_book(**options) -> bytes:
    return book([HEADER, *GOOD], **options)


_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">'
        for n in range(1, 10)
    )
    + "]>\n"
)


def entity_bomb() -> bytes:
    """Billion laughs in the sheet: 10^9 'lol's if a parser expands &lol9;."""
    rows = [HEADER, (GOOD[0][0], "&lol9;", GOOD[0][2])]
    xml = sheet_xml(rows, prolog=_LAUGHS).replace("&amp;lol9;", "&lol9;")
    return xlsx({"Cancellations": xml})


def external_entity() -> bytes:
    """XXE: a shared string that would pull in a local file."""
    strings = (
        f'{_XML_DECL}<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>'
    )
    return xlsx(
        {"Cancellations": sheet_xml([HEADER, *GOOD])}, extra={"xl/sharedStrings.xml": strings}
    )


def ratio_bomb() -> bytes:
    """A 40 MB sheet part of spaces that packs into a few KB: under the size limit, but no
    real sheet compresses a thousandfold."""
    xml = sheet_xml([HEADER, GOOD[0]]).replace("<sheetData>", "<sheetData>" + " " * (40 << 20))
    return xlsx({"Cancellations": xml})


# -- personal data in an input (never copied into an output) ------------------------------
BUYER = {
    "buyer-email": "jane.doe@marketplace.amazon.com",
    "buyer-name": "Jane Doe",
    "buyer-phone-number": "+1 206-555-0142",
    "recipient-name": "Jane Q. Doe",
    "ship-address-1": "1200 Pine Street",
    "ship-postal-code": "98101-4242",
    "cpf": "123.456.789-09",
    "gift-message-text": "Happy birthday Jane",
    "bill-address-1": "77 Billing Road",
}
#: every personal value the cases below hold: none may appear in any output
BUYER_VALUES = tuple(BUYER.values())


def buyer_rows(columns: tuple[str, ...], spelled: dict[str, str] | None = None) -> list:
    """A header with personal-data columns beside the cancellation columns, one good row and
    one rejected row (so the rejects file and the report list it)."""
    names = [spelled.get(c, c) if spelled else c for c in columns]
    header = (*HEADER, *names, "note")
    values = tuple(BUYER[c] for c in columns)
    return [header, (*GOOD[0], *values, "ok"), ("11-bad", "NoInventory", GOOD[1][2], *values, "x")]


def unshipped_export() -> bytes:
    """An Unshipped Orders export used directly as the input (docs/domain.md 5), a reason added."""
    header = (
        "order-id",
        "order-item-id",
        "purchase-date",
        "buyer-email",
        "buyer-name",
        "buyer-phone-number",
        "sku",
        "recipient-name",
        "ship-address-1",
        "ship-postal-code",
        "ship-country",
        "gift-message-text",
        "reason",
    )
    row = lambda oid, item: (  # noqa: E731
        oid,
        item,
        "2026-11-20T08:00:00+00:00",
        BUYER["buyer-email"],
        BUYER["buyer-name"],
        BUYER["buyer-phone-number"],
        "SKU-1",
        BUYER["recipient-name"],
        BUYER["ship-address-1"],
        BUYER["ship-postal-code"],
        "US",
        BUYER["gift-message-text"],
        "NoInventory",
    )
    return csv_text([header, row(GOOD[0][0], GOOD[0][2]), row("11-bad", GOOD[1][2])], "\t").encode()


def far_cell(ref: str, rows: int = 0) -> bytes:
    """A small workbook whose only far cell is `ref` (e.g. ALL1000000), after `rows` rows:
    a few KB that a reader sizing the used range from A1 would inflate to gigabytes."""
    body = [HEADER, *GOOD] + [GOOD[0]] * rows
    letters = ref.rstrip("0123456789")
    row = f'<row r="{ref[len(letters) :]}">{_cell(ref, "stray")}</row>'
    return xlsx({"Cancellations": sheet_xml(body).replace("</sheetData>", row + "</sheetData>")})


def declared_dimension(ref: str) -> bytes:
    """A workbook of three rows that declares the dimension A1:`ref`."""
    xml = sheet_xml([HEADER, *GOOD]).replace(
        "<sheetData>", f'<dimension ref="A1:{ref}"/><sheetData>'
    )
    return xlsx({"Cancellations": xml})


def cells_without_references(count: int) -> bytes:
    """A row of `count` cells without `r` attributes (allowed by the format): their
    positions follow one another, so the row is `count` columns wide."""
    cells = "".join(f"<c><v>{n}</v></c>" for n in range(count))
    xml = sheet_xml([HEADER, *GOOD]).replace("</sheetData>", f"<row>{cells}</row></sheetData>")
    return xlsx({"Cancellations": xml})


COMMITTED: dict[str, Callable[[], bytes]] = {
    "empty.csv": lambda: b"",
    "bom-only.csv": lambda: codecs.BOM_UTF8,
    "blank-lines.csv": lambda: b"\r\n   \r\n,,\r\n",
    "header-only.csv": lambda: csv_text([HEADER]).encode(),
    "header-and-blank-rows.csv": lambda: csv_text([HEADER, ("", "", ""), ("", "", "")]).encode(),
    "binary-garbage.csv": binary_garbage,
    "nul-bytes.csv": nul_bytes,
    "unbalanced-quotes.csv": lambda: (
        csv_text([HEADER, GOOD[0]])
        + '112-3348201-5569047,"NoInventory,51938274610385\r\n'
        + csv_text(GOOD[2:])
    ).encode(),
    "mixed-separators.csv": lambda: (";".join(HEADER) + "\r\n" + csv_text(GOOD, ",")).encode(),
    "mixed-encodings.csv": mixed_encodings,
    "utf16le-no-bom.csv": lambda: good_csv("utf-16-le"),
    "utf16be-no-bom.csv": lambda: good_csv("utf-16-be"),
    "utf8-bom-semicolon.csv": lambda: codecs.BOM_UTF8 + csv_text([HEADER, *GOOD], ";").encode(),
    "windows-1252.csv": lambda: csv_text(
        [(*HEADER, "note"), (*GOOD[0], "Müller café")], ";"
    ).encode("cp1252"),
    "csv-saved-as.xlsx": good_csv,
    "xlsx-saved-as.csv": good_book,
    "truncated.xlsx": lambda: good_book()[:700],
    "not-a-workbook.xlsx": lambda: zip_bytes({"word/document.xml": "<document/>"}),
    "password-protected.xlsx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "old-excel.xls": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
    "pdf-saved-as.csv": lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
    "report.pdf": lambda: b"%PDF-1.7\n",
    "entity-bomb.xlsx": entity_bomb,
    "external-entity.xlsx": external_entity,
    "ratio-bomb.xlsx": ratio_bomb,
    "macros.xlsm": lambda: xlsx({"Cancellations": sheet_xml([HEADER, *GOOD])}, macros=True),
    "columns-16384.xlsx": lambda: good_book(far_cell=16384),
    "far-cell-ALL1000000.xlsx": lambda: far_cell("ALL1000000"),
    "far-cell-ALL20000.xlsx": lambda: far_cell("ALL20000", rows=100),
    "far-cell-A5000002.xlsx": lambda: far_cell("A5000002"),
    "dimension-ALL1000000.xlsx": lambda: declared_dimension("ALL1000000"),
    "dimension-XFD1048576.xlsx": lambda: declared_dimension("XFD1048576"),
    "cells-without-references.xlsx": lambda: cells_without_references(1200),
    "prefixed-far-cell.xlsx": lambda: xlsx(
        {
            "Cancellations": sheet_xml([HEADER, *GOOD])
            .replace("<worksheet ", '<x:worksheet xmlns:x="' + _MAIN + '" ')
            .replace("</worksheet>", "</x:worksheet>")
            .replace(
                "</sheetData>", '<row r="900000"><c r="AAA900000"><v>1</v></c></row></sheetData>'
            )
        }
    ),
    "row-far-down.xlsx": lambda: xlsx(
        {
            "Cancellations": sheet_xml([HEADER, *GOOD]).replace(
                "</sheetData>", '<row r="6000000"/></sheetData>'
            )
        }
    ),
    "dimension-small-cells-fine.xlsx": lambda: declared_dimension("C4"),
    "far-cell-second-sheet.xlsx": lambda: xlsx(
        {
            "Notes": sheet_xml([("notes",)]),
            "Cancellations": sheet_xml([HEADER, *GOOD]).replace(
                "</sheetData>", '<row r="1000000"><c r="ALL1000000"><v>1</v></c></row></sheetData>'
            ),
        }
    ),
    # personal data beside the cancellation columns
    "unshipped-export.txt": unshipped_export,
    "buyer-columns.csv": lambda: csv_text(buyer_rows(tuple(BUYER))).encode(),
    "buyer-columns-spelled.csv": lambda: csv_text(
        buyer_rows(
            ("buyer-email", "buyer-name", "ship-address-1"),
            {
                "buyer-email": "Buyer Email",
                "buyer-name": "BUYER_NAME",
                "ship-address-1": "Ship Address 1",
            },
        )
    ).encode(),
    "buyer-columns-utf16.csv": lambda: (
        codecs.BOM_UTF16_LE
        + csv_text(buyer_rows(("buyer-name", "recipient-name")), "\t").encode("utf-16-le")
    ),
    "buyer-columns.xlsx": lambda: book(buyer_rows(("buyer-email", "cpf", "bill-address-1"))),
    "gift-message-only.tsv": lambda: csv_text(buyer_rows(("gift-message-text",)), "\t").encode(),
    # numbers that are no plain numbers, text unsafe for a terminal or a spreadsheet
    **{
        f"days-past-promise-{name}.csv": (
            lambda v: lambda: csv_text([(*HEADER, "days-past-promise"), (*GOOD[0], v)]).encode()
        )(value)
        for name, value in (
            ("inf", "inf"),
            ("1e999", "1e999"),
            ("nan", "nan"),
            ("arabic-indic", "\u0663"),
            ("superscript", "\u00b2"),
        )
    },
    "formula-headers.csv": lambda: csv_text(
        [(*HEADER, "=HYPERLINK(1)", "@SUM(1)"), ("11-bad", "NoInventory", GOOD[0][2], "a", "b")]
    ).encode(),
    "control-characters.csv": lambda: csv_text(
        [
            (*HEADER, "note"),
            *[(*row, "a note of a usual length") for row in GOOD * 4],
            ("11-bad\x1b[2J", "NoInventory", GOOD[0][2], "\x1b]0;title\x07"),
        ]
    ).encode(),
    "columns-1500.csv": wide_csv,
    "formulas.xlsx": lambda: book(
        [
            HEADER,
            (("formula", 'CONCAT("113-","4728391-2038475")', GOOD[0][0]), *GOOD[0][1:]),
            (GOOD[1][0], ("formula", 'IF(1,"NoInventory","")', "NoInventory"), GOOD[1][2]),
            (GOOD[2][0], "", ""),
        ]
    ),
    "formula-without-cached-value.xlsx": lambda: book(
        [HEADER, (("formula", 'CONCAT("113-","4728391-2038475")', None), *GOOD[0][1:])]
    ),
    "merged-cells.xlsx": lambda: book(
        [HEADER, GOOD[0], (GOOD[1][0], "", GOOD[1][2])], merged=["B2:B3"]
    ),
    "hidden-rows.xlsx": lambda: good_book(hidden=(3,)),
    "dates-as-ids.xlsx": lambda: book([HEADER, (("date", 46352), "NoInventory", GOOD[0][2])]),
    "dates-as-ids.csv": lambda: _rows_with(["2026-11-26", "11/26/2026"]),
    "ids-with-letters.csv": lambda: _rows_with(["113-47283A1-2038475", "ABC-4728391-2038475"]),
    "arabic-indic-digits.csv": lambda: _rows_with(["١١٣-٤٧٢٨٣٩١-٢٠٣٨٤٧٥"]),
    "fullwidth-digits.csv": lambda: _rows_with(["１１３-４７２８３９１-２０３８４７５"]),
    "negative-numbers.xlsx": lambda: book([HEADER, (-1134728391, "NoInventory", -62845173920562)]),
    "huge-numbers.xlsx": lambda: book([HEADER, (1e300, "NoInventory", 6.2845173920562e300)]),
    "scientific-item-code.csv": lambda: _rows_with([GOOD[0][0]], ["6.28452E+13"]),
    "formula-text-in-id.csv": lambda: _rows_with(["=1134728391+2038475"]),
    "duplicate-headers.csv": lambda: csv_text([("order-id", "order-id"), GOOD[0][:2]]).encode(),
    "duplicate-header-aliases.xlsx": lambda: book(
        [("Order ID", "amazon-order-id", "reason"), (GOOD[0][0], GOOD[0][0], "NoInventory")]
    ),
    "title-row1-header-row3.csv": lambda: (
        "Cancellations for November;;\r\n;;\r\n" + csv_text([HEADER, *GOOD], ";")
    ).encode(),
    "title-row1-header-row3.xlsx": lambda: book(
        [("Cancellations for November",), (), HEADER, *GOOD], merged=["A1:C1"]
    ),
    "no-header-row.csv": lambda: csv_text(GOOD).encode(),
    "title-then-no-header.xlsx": lambda: book([("Cancellations",), ("sku", "reason")]),
    "empty-first-sheet.xlsx": lambda: xlsx(
        {"Blank": sheet_xml([]), "Cancellations": sheet_xml([HEADER, *GOOD])}
    ),
    "header-only.xlsx": lambda: book([HEADER]),
    "newline-in-quoted-note.csv": lambda: (
        ",".join((*HEADER, "note")) + "\r\n" + ",".join(GOOD[0]) + ',"first line\r\nsecond"\r\n'
    ).encode(),
    "amazon-template-rows.txt": lambda: (
        "TemplateType=OrderCancellation\tVersion=1.0/1.0.3\tThis row for Amazon.com use "
        "only.  Do not modify or delete.\r\n" + csv_text([HEADER, *GOOD], "\t")
    ).encode(),
}


def ten_mb_line(path: Path) -> None:
    path.write_bytes(b"order-id" + b"x" * (10 << 20))


def _bytes_file(content: bytes):
    from io import BytesIO

    return BytesIO(content)


def size_bomb(path: Path) -> None:
    """210 MB of XML (over the 200 MB limit) in a file of about 1 MB."""
    source = zipfile.ZipFile(_bytes_file(good_book()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
        with archive.open("xl/worksheets/padding.xml", "w", force_zip64=True) as part:
            chunk = b" " * (1 << 20)
            for _ in range(210):
                part.write(chunk)


# -- review workbooks (made at test time: the review key is the test's own) --------------
def _review_positions() -> dict[str, int]:
    """The Review sheet's column positions (0-based), by header (review/reader.py)."""
    from cancelkit.review.reader import REVIEW_HEADER

    return {name: i for i, name in enumerate(REVIEW_HEADER)}


class _Positions(dict):
    def __missing__(self, key):
        self.update(_review_positions())
        return dict.__getitem__(self, key)


_AT = _Positions()


def _review(path: Path, source_rows=None) -> list[list]:
    """Write a review of GOOD plus a rejected and a duplicate row into `path`; returns the
    Review sheet's rows (header first) for a case to edit."""
    import cancelkit

    rows = source_rows or [
        {"order-id": GOOD[0][0], "cancellation-reason-code": "", "amazon-order-item-code": ""},
        dict(zip(HEADER, GOOD[1])),
        {"order-id": "11-bad", "cancellation-reason-code": "NoInventory"},
        dict(zip(HEADER, GOOD[1])),
    ]
    with cancelkit.check(rows=rows, no_ledger=True) as result:
        result.write_review(path, force=True)
    import openpyxl

    sheet = openpyxl.load_workbook(path)["Review"]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def _rewrite(path: Path, rows: list[list]) -> None:
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    sheet.delete_rows(1, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)


def _edit(path: Path, *, meta: dict | None = None, prolog: bytes = b"", far: str = "", **change):
    import openpyxl

    book = openpyxl.load_workbook(path)
    for cell, value in (meta or {}).items():
        book["_cancelkit"][cell] = value
    for cell, value in change.items():
        book["Review"][cell] = value
    if far:
        book["Review"][far] = "stray"
    book.save(path)
    if prolog:
        data = {
            i.filename: (i, zipfile.ZipFile(path).read(i)) for i in zipfile.ZipFile(path).infolist()
        }
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, (info, content) in data.items():
                if name == "xl/workbook.xml":
                    end = content.index(b"?>") + 2 if b"?>" in content[:200] else 0
                    content = content[:end] + prolog + content[end:]
                archive.writestr(info, content)


# Review sheet columns (review/reader.py REVIEW_COLUMNS): A approve, B result, E order-id,
# F item code, G reason, L source, M row; the hidden evidence and token columns by header
def _at(header: list, name: str) -> int:
    return header.index(name)


def review_case(kind: str) -> Callable[[Path], None]:
    """A review whose sheet rows are: 2 a whole order (accepted), 3 an item (accepted), 4 a
    rejected row, 5 a duplicate. Row 3 is approved in every case but `untouched` and
    `nothing`; the case then does what its name says to the others."""

    def make(path: Path) -> None:
        rows = _review(path)
        header, body = rows[0], rows[1:]
        token = _at(header, "review-token")
        if kind == "untouched":
            return
        body[1][0] = "no" if kind == "nothing" else "yes"
        whole = body[0]
        if kind == "result-edited":  # the rejected row, marked accepted and approved
            body[2][0], body[2][1] = "yes", "accepted"
        elif kind == "duplicate-accepted":
            body[3][0], body[3][1] = "yes", "accepted"
        elif kind == "typed-in":
            body.append(["yes", "accepted", "none", "no", "114-1111111-2222222"])
        elif kind == "copied":
            whole[0] = "yes"
            body.append(list(whole))
        elif kind == "copied-edited":
            copy = list(whole)
            copy[0], copy[_AT["order-id"]] = "yes", "114-1111111-2222222"
            body.append(copy)
        elif kind == "row-edited":
            whole[0], whole[_AT["row"]] = "yes", 99
        elif kind == "source-edited":
            whole[0], whole[_AT["source"]] = "yes", "other.csv"
        elif kind == "token-cleared":
            whole[0], whole[token] = "yes", None
        elif kind == "token-garbage":
            whole[0], whole[token] = "yes", "ck3.AAAA.BBBB"
        elif kind == "token-swapped":
            whole[0] = "yes"
            whole[token], body[1][token] = body[1][token], whole[token]
        elif kind == "sorted":
            whole[0] = "yes"
            body.sort(key=lambda r: str(r[_AT["order-id"]]), reverse=True)
        elif kind == "corrected":
            body[1][_AT["cancellation-reason-code"]] = "ShippingAddressUndeliverable"
        elif kind == "deleted":
            del body[0]
        _rewrite(path, [header, *body])

    return make


# -- states: order states and order reports (issue 16 "Fail closed", issue 17) -------------
_S_ORDER, _S_ITEM = "113-4728391-2038475", "62845173920562"
_S_ALL = ("amazon-order-id", "last-updated-date", "order-status", "fulfillment-channel")


def state_batch(status: str = "", channel: str = "", order_id: str = _S_ORDER):
    """A one-row batch with its own order-status / fulfillment-channel columns."""

    def make(path: Path) -> None:
        header = [*HEADER, "order-status", "fulfillment-channel"]
        row = [order_id, "NoInventory", _S_ITEM, status, channel]
        path.write_bytes(csv_text([header, row]).encode("utf-8"))

    return make


def state_report(
    *lines, header=_S_ALL, batch: Callable[[Path], None] | None = None, name="orders.txt"
):
    """A one-row batch (or `batch`) and an order report `orders.txt` beside it."""

    def make(path: Path) -> None:
        (batch or (lambda p: p.write_bytes(_rows_with([_S_ORDER]))))(path)
        text = "\t".join(header) + "\n" + "".join("\t".join(line) + "\n" for line in lines)
        (path.parent / "orders.txt").write_text(text, encoding="utf-8")

    return make


def two_reports(old: tuple, new: tuple) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes(_rows_with([_S_ORDER]))
        for name, line in (("old.txt", old), ("new.txt", new)):
            text = "\t".join(_S_ALL) + "\n" + "\t".join(line) + "\n"
            (path.parent / name).write_text(text, encoding="utf-8")

    return make


def broken_line_report(path: Path) -> None:
    path.write_bytes(_rows_with([_S_ORDER]))
    (path.parent / "orders.txt").write_text(
        "order-id\torder-item-id\tproduct-name\torder-status\tfulfillment-channel\n"
        f"{_S_ORDER}\t{_S_ITEM}\tMug, gift for\n"
        "114-0000002-0000002\tShipped\tMerchant\n"
        "111-0000003-0000003\t33333333333333\tTea\tUnshipped\tMerchant\n",
        encoding="utf-8",
    )


STATE_CASES: dict[str, Callable[[Path], None]] = {
    "states-status-fullwidth.csv": state_batch("\uff33\uff48\uff49\uff50\uff50\uff45\uff44"),
    "states-status-zwsp.csv": state_batch("Ship\u200bped"),
    "states-status-soft-hyphen.csv": state_batch("Sh\u00adipped"),
    "states-status-one-fullwidth-letter.csv": state_batch("\uff33hipped"),
    "states-status-cyrillic-i.csv": state_batch("Sh\u0456pped"),
    "states-status-cyrillic-a.csv": state_batch("C\u0430ncelled"),
    "states-status-cyrillic-unshipped.csv": state_batch("Un\u0455hipped"),
    "states-status-versandt.csv": state_batch("Versandt"),
    "states-status-storniert.csv": state_batch("Storniert"),
    "states-status-expedie.csv": state_batch("Exp\u00e9di\u00e9"),
    "states-status-hassouzumi.csv": state_batch("\u767a\u9001\u6e08\u307f"),
    "states-status-dispatched.csv": state_batch("Dispatched"),
    "states-status-two-states.csv": state_batch("Unshipped; Shipped"),
    "states-status-invisible-only.csv": state_batch("\u200b\u2060"),
    "states-status-bidi-mark.csv": state_batch("\u200fShipped"),
    "states-channel-fullwidth-afn.csv": state_batch("Unshipped", "\uff21\uff26\uff2e"),
    "states-channel-zwsp-afn.csv": state_batch("Unshipped", "AF\u200bN"),
    "states-channel-fulfillment-by-amazon.csv": state_batch("Unshipped", "Fulfillment by Amazon"),
    "states-channel-afn-eu.csv": state_batch("Unshipped", "AFN-EU"),
    "states-channel-cyrillic-merchant.csv": state_batch("Unshipped", "Merch\u0430nt"),
    "states-report-two-status-columns.csv": state_report(
        [_S_ORDER, "Unshipped", "Shipped", "Merchant"],
        header=("amazon-order-id", "order-status", "status", "fulfillment-channel"),
    ),
    "states-batch-shipped-report-unshipped.csv": state_report(
        [_S_ORDER, "", "Unshipped", "Merchant"], batch=state_batch("Shipped")
    ),
    "states-report-order-id-zwsp.csv": state_report(
        ["113-47\u200b28391-2038475", "", "Shipped", "Merchant"]
    ),
    "states-report-order-id-bom.csv": state_report(
        [f"\ufeff{_S_ORDER}", "", "Cancelled", "Merchant"]
    ),
    "states-report-broken-line.csv": broken_line_report,
    "states-unshipped-listing-missing.csv": state_report(
        ["111-0000001-0000001", "11111111111111", "2026-11-20T10:00:00Z", "1"],
        header=("order-id", "order-item-id", "purchase-date", "quantity-to-ship"),
    ),
    "states-all-orders-pending-paid.csv": state_report(
        [_S_ORDER, "", "Pending", "Merchant", "Unshipped", "2026-11-25T01:14:02+09:00"],
        header=(*_S_ALL, "item-status", "payments-date"),
    ),
    "states-all-orders-pending-unpaid.csv": state_report(
        [_S_ORDER, "", "Pending", "Merchant", "Unshipped", ""],
        header=(*_S_ALL, "item-status", "payments-date"),
    ),
    "states-item-status-shipped.csv": state_report(
        [_S_ORDER, _S_ITEM, "PartiallyShipped", "Merchant", "Shipped"],
        header=(
            "amazon-order-id",
            "order-item-id",
            "order-status",
            "fulfillment-channel",
            "item-status",
        ),
    ),  # fmt: skip
    "states-quantity-all-shipped.csv": state_report(
        [_S_ORDER, _S_ITEM, "2", "2", "0"],
        header=(
            "order-id",
            "order-item-id",
            "quantity-purchased",
            "quantity-shipped",
            "quantity-to-ship",
        ),
    ),  # fmt: skip
    "states-newer-report-unshipped.csv": two_reports(
        (_S_ORDER, "2026-11-28T10:00:00Z", "Pending", "Merchant"),
        (_S_ORDER, "2026-11-29T10:00:00Z", "Unshipped", "Merchant"),
    ),
    "states-newer-report-shipped.csv": two_reports(
        (_S_ORDER, "2026-11-28T10:00:00Z", "Unshipped", "Merchant"),
        (_S_ORDER, "2026-11-29T10:00:00Z", "Shipped", "Merchant"),
    ),
    "states-older-shipped-newer-unshipped.csv": two_reports(
        (_S_ORDER, "2026-11-28T10:00:00Z", "Shipped", "Merchant"),
        (_S_ORDER, "2026-11-29T10:00:00Z", "Unshipped", "Merchant"),
    ),
    "states-report-future-date.csv": state_report(
        [_S_ORDER, "2099-01-01T00:00:00Z", "Unshipped", "Merchant"]
    ),
}


def review_from_other(path: Path) -> None:
    """A row pasted from another review of the same rows: its token is of that review."""
    other = _review(path.with_name("other-review.xlsx"))
    rows = _review(path)
    rows[1][0] = rows[2][0] = "yes"
    token = _at(rows[0], "review-token")
    rows[1][token] = other[1][token]
    _rewrite(path, rows)


# -- review: hostile edits of issue 16 (a sealed row cannot be moved, copied or rewritten;
# a review is a review in any form) -------------------------------------------------------
#: noise a copied token may carry; each either is the same token (then the copy is a reuse)
#: or an unknown one
TOKEN_NOISE = {
    "bang": lambda t: t + "!",
    "space-inside": lambda t: t[:6] + " " + t[6:],
    "padding": lambda t: f"  {t}==  ",
    "zero-width": lambda t: t[:5] + "\u200b" + t[5:],
    "soft-hyphen": lambda t: t[:5] + "\u00ad" + t[5:],
    "fullwidth": lambda t: "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in t),
    "case": lambda t: t.swapcase(),
    "newline": lambda t: t + "\n",
}


def review_token_noise(noise: str) -> Callable[[Path], None]:
    """Rows 2 and 3 approved, row 3 copied below as another order with its token plus
    noise: the copy is never uploaded, and row 3 neither when the noisy token is the same
    token; row 2 is."""

    def make(path: Path) -> None:
        rows = _review(path)
        header, body = rows[0], rows[1:]
        token = _at(header, "review-token")
        body[0][0] = body[1][0] = "yes"
        copy = list(body[1])
        copy[_at(header, "order-id")] = "114-1111111-2222222"
        copy[token] = TOKEN_NOISE[noise](copy[token])
        body.append(copy)
        _rewrite(path, [header, *body])

    return make


def review_tamper(kind: str) -> Callable[[Path], None]:
    """Rows 2 (a whole order) and 3 (an item) approved; then a sealed value is changed."""

    def make(path: Path) -> None:
        rows = _review(path)
        header, body = rows[0], rows[1:]
        whole, item = body[0], body[1]
        whole[0] = item[0] = "yes"
        order, code = _at(header, "order-id"), _at(header, "amazon-order-item-code")
        evidence, token = _at(header, "review-evidence"), _at(header, "review-token")
        if kind == "order-edited":
            whole[order] = "114-1111111-2222222"
        elif kind == "item-edited":
            whole[code] = "12345678901234"  # whole order made an item: kind and item code
        elif kind == "item-cleared":
            item[code] = None  # an item row made a whole-order cancellation
        elif kind == "sku-edited":
            whole[_at(header, "sku")] = "OTHER-SKU"
        elif kind == "values-swapped":  # order ids swapped between the two approved rows
            whole[order], item[order] = item[order], whole[order]
            whole[0], body[2][0] = "yes", "no"
        elif kind == "evidence-forged":  # the order id changed in the cell and the evidence
            new = "114-1111111-2222222"
            whole[evidence] = whole[evidence].replace(whole[order], new)
            whole[order] = new
        elif kind == "evidence-copied":  # another row's evidence and token pasted over
            whole[evidence], whole[token] = item[evidence], item[token]
        elif kind == "reason-and-note":  # what may be corrected: checked again, flagged
            item[_at(header, "cancellation-reason-code")] = "ShippingAddressUndeliverable"
            item[_at(header, "note")] = "corrected"
        elif kind == "approve-t":
            whole[0] = "t"
        elif kind == "approve-one":
            whole[0] = 1
        _rewrite(path, [header, *body])

    return make


def review_as_text(kind: str) -> Callable[[Path], None]:
    """A review saved as CSV/TSV and edited, given as a plain input."""

    def make(path: Path) -> None:
        rows = _review(path.with_name("source-review.xlsx"))
        header = rows[0]
        token = _at(header, "review-token")
        if kind == "token-dropped":
            rows = [[v for i, v in enumerate(r) if i != token] for r in rows]
        elif kind == "token-renamed":
            header[token] = "x"
            rows = [
                [v for i, v in enumerate(r) if i != _at(header, "review-evidence")] for r in rows
            ]
        elif kind == "only-order-columns":  # the review's own columns dropped, tokens kept
            keep = [
                _at(header, n)
                for n in ("order-id", "cancellation-reason-code", "amazon-order-item-code")
            ]
            rows = [[r[i] for i in keep] + [r[token]] for r in rows]
            rows[0][-1] = "ref"
        elif kind == "leading-dropped":
            rows = [r[3:] for r in rows]
            rows = [[v for i, v in enumerate(r) if i != token - 3] for r in rows]
        elif kind == "upper-case-header":
            rows[0] = [str(h).upper() for h in header]
        sep = "\t" if path.suffix == ".tsv" else ","
        path.write_text(
            "".join(
                sep.join(
                    "" if v is None else str(v).replace(sep, " ").replace('"', "'") for v in row
                )
                + "\r\n"
                for row in rows
            ),
            encoding="utf-8",
        )

    return make


def review_summary_csv(path: Path) -> None:
    """The Summary sheet saved as CSV (its first cell says `cancelkit review`)."""
    _review(path.with_name("source-review.xlsx"))
    path.write_text("cancelkit review\r\nverdict,Review before upload\r\n", encoding="utf-8")


def review_meta_csv(path: Path) -> None:
    """The hidden sheet saved as CSV (format, version, review id)."""
    path.write_text(
        "format,cancelkit-review/4\r\ncancelkit-version,0.1.0\r\n"
        "review-id,0123456789abcdef01234567\r\n",
        encoding="utf-8",
    )


def review_as_ods(path: Path) -> None:
    """A review saved as OpenDocument (.ods) keeps its hidden sheet's name."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "content.xml",
            '<?xml version="1.0"?><office:document-content><office:body><office:spreadsheet>'
            '<table:table table:name="Review"/><table:table table:name="_cancelkit"/>'
            "</office:spreadsheet></office:body></office:document-content>",
        )


def review_xlsx_renamed(path: Path) -> None:
    """A review workbook under another suffix (.dat): still a review."""
    _review(path.with_name("source-review.xlsx"))
    path.write_bytes(path.with_name("source-review.xlsx").read_bytes())


def review_saved_as_csv(path: Path) -> None:
    rows = _review(path.with_suffix(".xlsx"))
    path.write_text(
        "".join(",".join("" if v is None else str(v) for v in row) + "\r\n" for row in rows),
        encoding="utf-8",
    )


def review_long_note(path: Path) -> None:
    rows = [{**dict(zip(HEADER, GOOD[0])), "note": "n" * 40_000}, dict(zip(HEADER, GOOD[1]))]
    review = _review(path, rows)
    for row in review[1:]:
        row[0] = "yes"
    _rewrite(path, review)


def review_edit(**options) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        _review(path)
        _edit(path, **options)

    return make


def linked(kind: str) -> Callable[[Path], None]:
    """The good CSV, and a second name of it for `{other}` (a symlink or dir/../name)."""

    def make(path: Path) -> None:
        path.write_bytes(good_csv())
        (path.parent / "sub").mkdir(exist_ok=True)
        if kind == "symlink":
            (path.parent / "other.csv").symlink_to(path)
        else:
            (path.parent / "other.csv").symlink_to(path)  # unused; the case spells dir/..

    return make


def _fixture_copy(name: str) -> Callable[[Path], None]:
    def make(path: Path) -> None:
        path.write_bytes((HERE.parent.parent / "fixtures" / name).read_bytes())

    return make


# -- markets (issue 16 marketplace bullet, issue 17) ----------------------------------------
_JP_ORDER = "250-1183047-2290562"
_REPORT_HEAD = "order-id\torder-item-id\tpurchase-date\tsku\t"


def _batch(rows, header=HEADER) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(csv_text([header, *rows]).encode("utf-8"))


def _with_report(
    rows, columns: str, values: str, header=HEADER, item: str = "6123049857120"
) -> Callable[[Path], None]:
    """A batch and, beside it as report.txt, an order report of one line of _JP_ORDER."""

    def make(path: Path) -> None:
        path.write_bytes(csv_text([header, *rows]).encode("utf-8"))
        (path.parent / "report.txt").write_text(
            f"{_REPORT_HEAD}{columns}\n"
            f"{_JP_ORDER}\t{item}\t2026-11-25T01:12:33+09:00\tX\t{values}\n",
            encoding="utf-8",
        )

    return make


def _comma_report(path: Path) -> None:
    path.write_bytes(good_csv())
    (path.parent / "report.txt").write_text(
        "order-id,order-item-id,purchase-date\n113-4728391-2038475,1,2026-11-25\n",
        encoding="utf-8",
    )


def _float_item(path: Path) -> None:
    path.write_bytes(book([HEADER, (GOOD[0][0], "NoInventory", 9007199254740993.0)]))


def _report_as_batch(extra: str, value: str) -> Callable[[Path], None]:
    """An Amazon Unshipped Orders report given as the batch, with one more column."""
    header = ("order-id", "order-item-id", "purchase-date", "sku", extra, "buyer-name")
    row = (GOOD[0][0], GOOD[0][2], "2026-11-25T01:12:33+00:00", "MUG", value, BUYER["buyer-name"])
    return lambda p: p.write_bytes(csv_text([header, row], "\t").encode("utf-8"))


def _upload_with_bom(path: Path) -> None:
    text = (
        "TemplateType=OrderCancellation\tVersion=1.0/1.0.3\t"
        "This row for Amazon.com use only.  Do not modify or delete.\r\n"
        "order-id\tcancellation-reason-code\tamazon-order-item-code\r\n"
        f"{GOOD[0][0]}\tNoInventory\t6284517392056\r\n"
    )
    path.write_bytes(codecs.BOM_UTF8 + text.encode("ascii"))


_JP_ROW = [(_JP_ORDER, "NoInventory", "6123049857120")]
MARKETS_FILES: dict[str, Callable[[Path], None]] = {
    "markets-item-13-digits.csv": _batch([(GOOD[0][0], "NoInventory", "6284517392056")]),
    "markets-item-13-digits-leading-zero.csv": _batch(
        [(GOOD[0][0], "NoInventory", "0628451739205")]
    ),
    "markets-item-15-digits.csv": _batch([(GOOD[0][0], "NoInventory", "628451739205621")]),
    "markets-item-12-digits.csv": _batch([(GOOD[0][0], "NoInventory", "628451739205")]),
    "markets-item-16-digits.csv": _batch([(GOOD[0][0], "NoInventory", "6284517392056211")]),
    "markets-item-16-digits-listed.csv": _with_report(
        [(_JP_ORDER, "NoInventory", "6123049857120123")],
        "ship-country",
        "US",
        item="6123049857120123",
    ),
    "markets-item-16-digits-other-order.csv": _with_report(
        [(GOOD[0][0], "NoInventory", "6123049857120123")],
        "ship-country",
        "US",
        item="6123049857120123",
    ),
    "markets-item-sci-15.csv": _batch([(GOOD[0][0], "NoInventory", "6.28452E+14")]),
    "markets-item-plus-sign.csv": _batch([(GOOD[0][0], "NoInventory", "+6284517392056")]),
    "markets-item-thousands.csv": _batch([(GOOD[0][0], "NoInventory", "6,284,517,392,056")]),
    "markets-item-zero-width.csv": _batch([(GOOD[0][0], "NoInventory", "6284517392056\u200b")]),
    "markets-item-float-beyond-2-53.xlsx": _float_item,
    "markets-mcf-order.csv": _batch([("S01-1234567-1234567", "NoInventory", "6284517392056")]),
    "markets-report-tr-with-uk.csv": _with_report(_JP_ROW, "sales-channel", "Amazon.com.tr"),
    "markets-report-za-column-uk.csv": _with_report(
        [(*_JP_ROW[0], "UK")], "sales-channel", "Amazon.co.za", (*HEADER, "marketplace")
    ),
    "markets-report-za-column-za.csv": _with_report(
        [(*_JP_ROW[0], "ZA")], "sales-channel", "Amazon.co.za", (*HEADER, "marketplace")
    ),
    "markets-report-channel-zero-width.csv": _with_report(
        _JP_ROW, "sales-channel", "Amazon.de\u200b"
    ),
    "markets-report-channel-non-amazon.csv": _with_report(_JP_ROW, "sales-channel", "Non-Amazon"),
    "markets-column-fullwidth.csv": _batch([(*GOOD[0], "\uff24\uff25")], (*HEADER, "marketplace")),
    "markets-report-ships-to-jp.csv": _with_report(_JP_ROW, "ship-country", "JP"),
    "markets-report-ships-to-jp-given.csv": _with_report(_JP_ROW, "ship-country", "JP"),
    "markets-report-eur.csv": _with_report(_JP_ROW, "currency", "EUR"),
    "markets-report-eur-uk.csv": _with_report(_JP_ROW, "currency", "EUR"),
    "markets-report-jpy.csv": _with_report(_JP_ROW, "currency", "JPY"),
    "markets-report-jpy-us.csv": _with_report(_JP_ROW, "currency", "JPY"),
    "markets-report-comma.csv": _comma_report,
    "markets-marketplace-tr.csv": lambda p: p.write_bytes(good_csv()),
    "markets-marketplace-site.csv": lambda p: p.write_bytes(good_csv()),
    "markets-marketplace-unknown.csv": lambda p: p.write_bytes(good_csv()),
    "markets-figures-impossible-de.csv": lambda p: p.write_bytes(good_csv()),
    "markets-figures-alias-impossible.csv": lambda p: p.write_bytes(good_csv()),
    "markets-figures-plain-beside.csv": lambda p: p.write_bytes(good_csv()),
    "markets-policy-gb-and-uk.csv": lambda p: p.write_bytes(good_csv()),
    "markets-policy-unknown.csv": lambda p: p.write_bytes(good_csv()),
    "markets-config-figures-twice.csv": lambda p: p.write_bytes(good_csv()),
    "markets-buyer-identification.tsv": _report_as_batch(
        "buyer-identification-number", BUYER["cpf"]
    ),
    "markets-unknown-report-column.tsv": _report_as_batch(
        "delivery-instructions", BUYER["ship-address-1"]
    ),
    "markets-seller-buyer-prefix.csv": _batch(
        [(*GOOD[0], BUYER["buyer-email"], "Hall B")], (*HEADER, "Buyer Nickname", "warehouse")
    ),
    "markets-upload-file-bom.txt": _upload_with_bom,
}


AT_TEST_TIME: dict[str, Callable[[Path], None]] = {
    "ten-mb-single-line.csv": ten_mb_line,
    "huge-field.csv": lambda p: p.write_bytes(
        csv_text([(*HEADER, "note"), (*GOOD[0], "x" * 200_000)]).encode()
    ),
    "size-bomb.xlsx": size_bomb,
    "folder.csv": lambda p: p.mkdir(),
    "missing.csv": lambda p: None,
    # bytes far beyond the sniffed first 64 KB
    "nul-byte-late.csv": lambda p: p.write_bytes(
        csv_text(
            [HEADER] + [GOOD[1]] * 3000 + [(GOOD[0][0], "NoInventory\x00", GOOD[0][2])]
        ).encode()
    ),
    "cp1252-then-utf8-late.csv": lambda p: p.write_bytes(
        csv_text([(*HEADER, "note"), (*GOOD[0], "Caf\xe9")]).encode("cp1252")
        + csv_text([(*GOOD[1], "")] * 3000 + [(*GOOD[2], "M\u00fcller")]).encode("utf-8")
    ),
    "cp1252-late.csv": lambda p: p.write_bytes(
        csv_text([(*HEADER, "note")] + [(*GOOD[1], "")] * 3000 + [(*GOOD[0], "Caf\xe9")]).encode(
            "cp1252"
        )
    ),
    # review workbooks edited after the review (generate --from-review)
    **{
        f"review-{kind}.xlsx": review_case(kind)
        for kind in (
            "untouched",
            "result-edited",
            "duplicate-accepted",
            "typed-in",
            "copied",
            "copied-edited",
            "row-edited",
            "source-edited",
            "token-cleared",
            "token-garbage",
            "token-swapped",
            "sorted",
            "corrected",
            "deleted",
            "nothing",
        )
    },
    "review-from-other.xlsx": review_from_other,
    "review-long-note.xlsx": review_long_note,
    "review-as-plain-input.xlsx": review_case("untouched"),
    "review-saved-as.csv": review_saved_as_csv,
    "review-header-changed.xlsx": review_edit(G1="reason"),
    "review-version-changed.xlsx": review_edit(meta={"B2": "0.0.1"}),
    "review-id-removed.xlsx": review_edit(meta={"B4": None}),
    "review-far-cell.xlsx": review_edit(far="ALL1000000"),
    "review-doctype.xlsx": review_edit(prolog=b"<!DOCTYPE x [<!ENTITY a 'a'>]>"),
    # review: hostile edits of issue 16 (see test_corpus.py, block "review")
    **{f"review-token-noise-{noise}.xlsx": review_token_noise(noise) for noise in TOKEN_NOISE},
    **{
        f"review-tamper-{kind}.xlsx": review_tamper(kind)
        for kind in (
            "order-edited",
            "item-edited",
            "item-cleared",
            "sku-edited",
            "values-swapped",
            "evidence-forged",
            "evidence-copied",
            "reason-and-note",
            "approve-t",
            "approve-one",
        )
    },
    **{
        f"review-text-{kind}.{suffix}": review_as_text(kind)
        for kind in (
            "token-dropped",
            "token-renamed",
            "only-order-columns",
            "leading-dropped",
            "upper-case-header",
        )
        for suffix in ("csv", "tsv")
    },
    "review-summary-sheet.csv": review_summary_csv,
    "review-meta-sheet.csv": review_meta_csv,
    "review-saved-as.ods": review_as_ods,
    "review-renamed.dat": review_xlsx_renamed,
    # the same input named twice, outputs on inputs
    "input-twice-symlink.csv": linked("symlink"),
    "input-twice-dotdot.csv": linked("dotdot"),
    **{
        f"output-{name}.csv": lambda p: p.write_bytes(good_csv())
        for name in (
            "flat-file-is-input",
            "rejects-is-input",
            "json-is-input",
            "report-is-input",
            "flat-file-and-json",
            "rejects-and-report",
            "json-into-folder",
            "json-under-file",
            "out-dir-is-file",
            "json-dotdot-input",
        )
    },
    # reconcile: Amazon's processing reports given to `generate` by mistake (copies of the
    # fixtures): their rows name orders and items but no reason, so nothing is uploaded
    **{
        f"processing-report-{name}-as-input.txt": _fixture_copy(f"processing-report-{name}.txt")
        for name in ("errors", "mixed", "unclear-record", "fatal", "zero-width-fatal")
    },
    # states: order states and order reports (the "states" block of test_corpus.py)
    **STATE_CASES,
    # markets: item ids of Amazon's lengths, marketplaces by the report, figures and policy
    # by alias, personal data kept by what is known, report shapes (issue 16, issue 17)
    **{name: make for name, make in MARKETS_FILES.items()},
}


def main(folder: Path = HERE) -> None:
    for name, make in COMMITTED.items():
        (folder / name).write_bytes(make())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
