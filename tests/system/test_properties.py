"""Property-based tests (hypothesis): nothing is lost, the flat file round-trips, and the
readers turn any bytes into a result or a CancelkitError, never another exception.

Example counts (docs/reliability.md quotes them): BATCH_EXAMPLES generated batches for the
first two properties, BYTES_EXAMPLES arbitrary or mutated files per reader for the third.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pytest
from conftest import MESSY, NUMERIC
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import cancelkit
from cancelkit.amazon import flatfile
from cancelkit.errors import CancelkitError
from cancelkit.read.table import unguard
from cancelkit.review.reader import REVIEW_HEADER, read_review
from cancelkit.review.seal import canonical_token, reuse_key
from cancelkit.write.result import Result

BATCH_EXAMPLES = 300
BYTES_EXAMPLES = 300

HEADER = ["order-id", "cancellation-reason-code", "amazon-order-item-code"]

# A few ids and codes each, so that generated batches repeat items (duplicates, conflicts).
VALID_IDS = ["113-4728391-2038475", "114-2093847-5610293", "111-8837261-4402918"]
INVALID_IDS = [
    "",
    "113-472839-2038475",  # a digit short
    "113-4728391-203847\u0665",  # an Arabic-Indic digit
    "1134728391203847",
    "113 4728391 2038475",
    "-113-4728391-2038475",  # formula-like: guarded in the rejects file
    "=HYPERLINK(1)",
]
VALID_ITEMS = ["62845173920562", "62845173920571", "31947205836174"]
OTHER_ITEMS = ["", "6.28452E+13", "123", "62845173920562.0", "62845173920571.00", "abc"]
REASONS = [
    "",
    "NoInventory",
    "noinventory",
    "No Inventory",
    "NO_INVENTORY",
    "out of stock",
    "BuyerCanceled",
    "buyer cancelled",
    "Customer Cancelled",
    "ShippingAddressUndeliverable",
    "address undeliverable",
    "lost in warehouse",
    "no such reason",
]
# Free text for ids and codes: printable, no quote (a leading ' is our own CSV guard).
FREE_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="'"),
    max_size=20,
)
PADDING = st.sampled_from(["", "", "", " ", "  ", "\t"])


@st.composite
def padded(draw, values: list[str], free: bool = True) -> str:
    value = draw(st.one_of(st.sampled_from(values), FREE_TEXT) if free else st.sampled_from(values))
    return draw(PADDING) + value + draw(PADDING)


ROW = st.one_of(
    st.tuples(
        padded(VALID_IDS + VALID_IDS + INVALID_IDS),
        padded(REASONS, free=False),
        padded(VALID_ITEMS + VALID_ITEMS + OTHER_ITEMS),
    ).map(list),
    st.sampled_from([["", "", ""], [" ", "\t", ""], ["  ", "", " "]]),  # blank rows
)
BATCH = st.lists(ROW, min_size=1, max_size=40)


def run_batch(folder: Path, rows: list[list[str]]) -> Result:
    """Check the rows as a CSV file; a batch of only blank rows is refused as unusable."""
    path = folder / "batch.csv"
    with open(path, "w", encoding="utf-8", newline="") as out:
        csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    if all(is_blank(row) for row in rows):
        with pytest.raises(cancelkit.InputError, match="no data rows"):
            cancelkit.check(path, no_ledger=True)
        assume(False)
    return cancelkit.check(path, no_ledger=True)


def is_blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


@settings(max_examples=BATCH_EXAMPLES, deadline=None, database=None)
@given(BATCH)
@example([["113-4728391-2038475", "NoInventory", "62845173920562"]] * 3)
@example(
    [
        ["113-4728391-2038475", "NoInventory", "62845173920562"],
        [" 113-4728391-2038475 ", "BuyerCanceled", "62845173920562.0"],
        ["", "", ""],
        ["-1", "NoInventory", "6.28452E+13"],
    ]
)
def test_nothing_is_lost_and_every_rejected_row_is_in_the_rejects_file(rows):
    with tempfile.TemporaryDirectory() as folder, run_batch(Path(folder), rows) as result:
        summary = result.summary
        assert summary["input_rows"] == sum(1 for row in rows if not is_blank(row))
        assert summary["input_rows"] == (
            summary["accepted"] + summary["rejected"] + summary["duplicates"]
        )
        records = result.records
        assert len(records) == summary["input_rows"]
        assert Counter(r["status"] for r in records) == Counter(
            {
                status: summary[key]
                for status, key in (
                    ("accepted", "accepted"),
                    ("rejected", "rejected"),
                    ("duplicate", "duplicates"),
                )
                if summary[key]
            }
        )
        rejects = Path(folder) / "rejects.csv"
        result.write_rejects(rejects)
        with open(rejects, encoding="utf-8-sig", newline="") as stream:
            written = list(csv.DictReader(stream))
        assert sorted(int(r["cancelkit-row"]) for r in written) == sorted(
            r["row"] for r in records if r["status"] == "rejected"
        )
        for entry in written:
            original = rows[int(entry["cancelkit-row"]) - 2]  # header is row 1
            assert [unguard(entry[name]) for name in HEADER] == original
            assert entry["cancelkit-error-codes"]


@settings(max_examples=BATCH_EXAMPLES, deadline=None, database=None)
@given(BATCH)
def test_flat_file_round_trips_to_the_accepted_records(rows):
    with tempfile.TemporaryDirectory() as folder, run_batch(Path(folder), rows) as result:
        accepted = [
            (r["order_id"], r["reason"], r["amazon_order_item_code"])
            for r in result.records
            if r["status"] == "accepted"
        ]
        path = result.write_flat_file(Path(folder) / "upload.txt")
        parsed = list(flatfile.parse(path))
        assert [(p.order_id, p.reason, p.amazon_order_item_code) for p in parsed] == accepted
        assert [p.record_number for p in parsed] == list(range(1, len(accepted) + 1))
        assert len(accepted) == result.accepted


def _xlsx_bytes() -> bytes:
    return NUMERIC.read_bytes()


def _small_xlsx(cells: list[list[str]]) -> bytes:
    """A minimal workbook whose sheet XML is built from generated text."""
    rows = "".join(
        "<row>"
        + "".join(f'<c t="inlineStr"><is><t>{escape(value)}</t></is></c>' for value in row)
        + "</row>"
        for row in cells
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats'
            '-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
            '.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>'
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """A real file with a few bytes overwritten, and perhaps truncated."""
    data = bytearray(original)
    for _ in range(draw(st.integers(0, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(data)))
    return bytes(data[:cut]) if draw(st.booleans()) else bytes(data)


CSV_TEXT = st.lists(st.lists(FREE_TEXT, max_size=5), max_size=6).map(
    lambda rows: "\r\n".join(",".join(row) for row in [HEADER, *rows])
)
CSV_BYTES = st.one_of(
    st.binary(max_size=512),
    st.text(max_size=200).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.tuples(
        CSV_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
    ).map(lambda pair: pair[0].encode(pair[1], errors="replace")),
    st.tuples(CSV_TEXT.map(str.encode), st.binary(max_size=64)).map(lambda pair: b"".join(pair)),
)
XLSX_BYTES = st.one_of(
    st.binary(max_size=512),
    st.binary(max_size=512).map(lambda tail: b"PK\x03\x04" + tail),
    mutated(_xlsx_bytes()),
    st.lists(st.lists(FREE_TEXT, max_size=4), max_size=5).map(
        lambda rows: _small_xlsx([HEADER, *rows])
    ),
)


def assert_only_cancelkit_errors(data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            result = cancelkit.check(path, no_ledger=True)
        except cancelkit.CancelkitError:
            return
        with result:
            summary = result.summary
            assert summary["input_rows"] == (
                summary["accepted"] + summary["rejected"] + summary["duplicates"]
            )
            assert len(result.records) == summary["input_rows"]


@settings(
    max_examples=BYTES_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(CSV_BYTES)
@example(b"")
@example(b"\x00\x00\x00")
@example("order-id\r\n\u0661\u0662\u0663".encode("utf-16-le"))
def test_any_bytes_as_csv_give_a_result_or_a_cancelkit_error(data):
    assert_only_cancelkit_errors(data, "input.csv")


@settings(
    max_examples=BYTES_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(XLSX_BYTES)
@example(b"")
@example(b"PK\x03\x04")
# found by this test: one zeroed byte in a deflate stream made zlib.error escape the reader
@example(_xlsx_bytes()[:46] + b"\x00" + _xlsx_bytes()[47:])
@example(b"order-id\r\n113-4728391-2038475\r\n")
def test_any_bytes_as_xlsx_give_a_result_or_a_cancelkit_error(data):
    assert_only_cancelkit_errors(data, "input.xlsx")


# -- the review workbook edited at random ---------------------------------------------------
REVIEW_EDIT_EXAMPLES = 100
_REVIEWS: dict[str, bytes] = {}


def _original_review(folder: Path) -> bytes:
    """One review of messy-batch.csv per review key (the key is private to each test)."""
    key = os.environ["CANCELKIT_REVIEW_KEY"]
    if key not in _REVIEWS:
        with cancelkit.check(MESSY, no_ledger=True) as result:
            result.write_review(folder / "original.xlsx")
        _REVIEWS[key] = (folder / "original.xlsx").read_bytes()
    return _REVIEWS[key]


_REVIEW_COLUMNS = len(REVIEW_HEADER)
_TOKEN_AT = REVIEW_HEADER.index("review-token")
#: the sealed identity cells and where the table of approved rows gives them
_IDENTITY = {"order-id": 0, "amazon-order-item-code": 2, "sku": 3}
_EDIT_WORDS = [
    "yes",
    "x",
    "no",
    "",
    "accepted",
    "rejected",
    "duplicate",
    "113-4728391-2038475",
    "NoInventory",
    "62845173920562",
    "2",
    "5",
]
_edit = st.one_of(
    st.tuples(
        st.just("set"),
        st.integers(0, 40),
        st.integers(0, _REVIEW_COLUMNS - 1),
        st.one_of(
            st.sampled_from(_EDIT_WORDS),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=8),
            st.integers(-1, 40),
        ),
    ),
    st.tuples(st.just("copy"), st.integers(0, 40), st.sampled_from(["yes", "no", None])),
    st.tuples(st.just("add"), st.lists(st.sampled_from(_EDIT_WORDS), max_size=_REVIEW_COLUMNS)),
    st.tuples(st.just("delete"), st.integers(0, 40)),
    st.tuples(st.just("swap"), st.integers(0, 40), st.integers(0, 40)),
    # issue 16: a token copied with noise onto another order, identity cells edited, values
    # swapped between two rows
    st.tuples(
        st.just("noisy-copy"),
        st.integers(0, 40),
        st.sampled_from(["!", " ", "==", "\u200b", "\u00ad", "fullwidth", "case", "\n"]),
        st.booleans(),
    ),
    st.tuples(
        st.just("identity"),
        st.integers(0, 40),
        st.sampled_from(
            ["order-id", "amazon-order-item-code", "sku", "is-buyer-requested-cancellation"]
        ),
        st.sampled_from(["114-1111111-2222222", "", "62845173920571", "TRUE", "OTHER", None]),
    ),
    st.tuples(
        st.just("swap-cell"),
        st.integers(0, 40),
        st.integers(0, 40),
        st.integers(0, _REVIEW_COLUMNS - 1),
    ),
)


def _noisy(token, noise: str):
    if not isinstance(token, str) or not token:
        return token
    if noise == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in token)
    if noise == "case":
        return token.swapcase()
    return token[:5] + noise + token[5:] if noise in (" ", "\u200b", "\u00ad") else token + noise


def _apply(rows: list[list], edit: tuple, tokens: list) -> None:
    kind = edit[0]
    if kind == "set" and rows:
        row = rows[edit[1] % len(rows)]
        value = edit[3]
        if isinstance(value, int) and edit[2] == _REVIEW_COLUMNS - 1:
            value = tokens[value % len(tokens)]  # another row's token
        row[edit[2]] = value
    elif kind == "copy" and rows:
        copy = list(rows[edit[1] % len(rows)])
        if edit[2] is not None:
            copy[0] = edit[2]
        rows.append(copy)
    elif kind == "add":
        rows.append(list(edit[1]) + [None] * (_REVIEW_COLUMNS - len(edit[1])))
    elif kind == "delete" and rows:
        del rows[edit[1] % len(rows)]
    elif kind == "swap" and rows:
        i, j = edit[1] % len(rows), edit[2] % len(rows)
        rows[i], rows[j] = rows[j], rows[i]
    elif kind == "noisy-copy" and rows:
        copy = list(rows[edit[1] % len(rows)])
        copy[0] = "yes"
        copy[_TOKEN_AT] = _noisy(copy[_TOKEN_AT], edit[2])
        if edit[3]:
            copy[REVIEW_HEADER.index("order-id")] = "114-1111111-2222222"
        rows.append(copy)
    elif kind == "identity" and rows:
        rows[edit[1] % len(rows)][REVIEW_HEADER.index(edit[2])] = edit[3]
    elif kind == "swap-cell" and rows:
        i, j, col = edit[1] % len(rows), edit[2] % len(rows), edit[3]
        rows[i][col], rows[j][col] = rows[j][col], rows[i][col]


@settings(
    max_examples=REVIEW_EDIT_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edits=st.lists(_edit, max_size=12), approve_all=st.booleans(), as_csv=st.booleans())
def test_a_review_edited_at_random_uploads_only_accepted_and_approved_rows(
    edits, approve_all, as_csv, tmp_path
):
    """Whatever a person does to the Review sheet (cells changed, rows added, copied with a
    noisy token, deleted, sorted, identity cells edited, values swapped between rows, the
    sheet saved as CSV), a row is read only when cancelkit wrote it with the result
    `accepted`, its approve cell now says yes, its identity cells are as the review showed
    them, and it is read at most once."""
    path = tmp_path / "review.xlsx"
    path.write_bytes(_original_review(tmp_path))
    book = openpyxl.load_workbook(path)
    sheet = book["Review"]
    original = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    token_at = _TOKEN_AT
    accepted = {canonical_token(row[token_at]): row for row in original if row[1] == "accepted"}
    rows = [list(row) for row in original]
    if approve_all:
        for row in rows:
            row[0] = "yes"
    tokens = [row[token_at] for row in original]
    for edit in edits:
        _apply(rows, edit, tokens)
    if as_csv:  # saved as CSV: never read as a review, and refused as a plain input
        text = tmp_path / "review.csv"
        header = ",".join(REVIEW_HEADER)
        body = [",".join("" if v is None else str(v).replace(",", " ") for v in r) for r in rows]
        text.write_text("\r\n".join([header, *body]) + "\r\n", encoding="utf-8")
        with pytest.raises(CancelkitError) as caught, cancelkit.check(text, no_ledger=True):
            pass
        assert caught.value.code in ("review_as_input", "no_data_rows")
        with pytest.raises(CancelkitError):
            read_review(text)
        return
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    book.save(path)
    try:
        table = read_review(path)
    except CancelkitError:
        return  # nothing to upload at all
    taken = list(table.rows)
    sources = [(cells[-2], int(cells[-1])) for _, cells in taken]
    assert len(set(sources)) == len(sources)  # no reviewed row twice
    for number, cells in taken:
        edited = rows[number - 2]
        assert edited[0] is True or str(edited[0]).strip().lower() == "yes"
        token = canonical_token(edited[token_at])
        assert token in accepted  # issued by the review for an accepted row
        row = accepted[token]
        source, row_number = (
            str(row[REVIEW_HEADER.index("source")]),
            row[REVIEW_HEADER.index("row")],
        )
        assert (source, row_number) == (cells[-2], int(cells[-1]))  # for this very row
        assert sum(1 for r in rows if reuse_key(str(r[token_at] or "")) == token.lower()) == 1
        for name, at in _IDENTITY.items():  # never an edited identity
            assert cells[at].strip() == str(row[REVIEW_HEADER.index(name)] or "").strip()
