"""The records spool (write/records.py): records kept whole or as runs of repeats of the
record kept whole before, read back with their sequence numbers; spools of consecutive
parts concatenated number on."""

from __future__ import annotations

from cancelkit.write import records
from cancelkit.write.records import RecordSpool, around_row


def _text(row: int, sku: str = "MUG") -> bytes:
    return b'{"source":"a.csv","row":%d,"sku":"%b","errors":[]}' % (row, sku.encode())


def test_around_row_splits_at_the_row_key():
    text = b'{"source":"a,\\"row\\":9.csv","row":12,"sku":"x"}'
    assert around_row(text) == (b'{"source":"a,\\"row\\":9.csv","row":', b',"sku":"x"}')


def test_consecutive_repeats_fold_into_runs(tmp_path):
    path = tmp_path / "records.bin"
    spool = RecordSpool(open(path, "wb"))  # noqa: SIM115 - closed below
    first = spool.keep(_text(2), accepted=True)
    for row in (3, 4, 5, 7, 8):  # a blank row 6 breaks the run
        spool.keep_same(first, row)
    spool.keep(_text(9, "CUP"), accepted=False)  # rejected: no sequence number
    spool.keep_same(first, 10)  # not the last record kept whole: kept whole
    spool.keep_same(first, 11)  # ...and repeated after it
    huge = 2**31 + 5  # past int32: the run is written by marshal
    spool.keep_same(first, huge)
    spool.keep_same(first, huge + 1)
    spool.close()
    assert list(records.read(str(path))) == [
        (0, _text(2)),
        (1, 3, 3),
        (4, 7, 2),
        (None, _text(9, "CUP")),
        (6, _text(10)),
        (7, 11, 1),
        (8, huge, 2),
    ]


def test_spools_of_two_parts_concatenate_and_number_on(tmp_path):
    second = tmp_path / "second.bin"
    spool = RecordSpool(open(second, "wb"))  # noqa: SIM115 - closed below
    parts = spool.keep(_text(50), accepted=True)
    spool.keep_same(parts, 51)
    spool.close()
    first = tmp_path / "first.bin"
    spool = RecordSpool(open(first, "wb"))  # noqa: SIM115 - closed below
    parts = spool.keep(_text(2), accepted=True)
    spool.keep_same(parts, 3)  # a run still being folded when the second part comes
    spool.append_spool(str(second))
    spool.keep_same(parts, 4)  # the last record kept whole is the second part's now
    spool.close()
    assert list(records.read(str(first))) == [
        (0, _text(2)),
        (1, 3, 1),
        (2, _text(50)),
        (3, 51, 1),
        (4, _text(4)),
    ]


def test_an_empty_spool_reads_nothing(tmp_path):
    path = tmp_path / "records.bin"
    RecordSpool(open(path, "wb")).close()  # noqa: SIM115
    assert list(records.read(str(path))) == []
