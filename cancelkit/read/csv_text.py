"""The CSV/TSV reader: a text file (or standard input) as a streamed table, its bytes
checked as they are read (NUL bytes, UTF-8 inside a Windows-1252 file).
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from ..amazon.flatfile import TEMPLATE_TYPE
from ..errors import InputError
from . import headers as columns
from . import scratch
from . import text as text_encoding
from .guards import Limits, _check_signature, _check_width
from .identity import file_sha256
from .table import HEADER_SEARCH_ROWS, Table, _first_header, unguard


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_text(path: str, stdin=None, limits: Limits | None = None) -> Table:
    """A CSV/TSV table from a path, or from standard input when path is '-'."""
    limits = limits or Limits()
    source = "<stdin>" if path == "-" else path
    spool = None
    if path == "-":
        spool = path = _stdin_copy(stdin)
    elif os.path.isdir(path):
        raise InputError(f"{source}: is a folder, not a file", code="is_folder")
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by Table.close
        head = raw.read(text_encoding.SNIFF_BYTES)
    except OSError as exc:
        _forget(spool)
        raise InputError(
            f"{source}: cannot read ({exc.strerror or exc})", code="unreadable"
        ) from exc
    try:
        _check_signature(head, source, Path(path).suffix.lower())
        sniffed = text_encoding.sniff(head, source)
        encoding = sniffed.codec
        sample = head.decode(encoding, errors="ignore")
        if text_encoding.looks_binary(sample):
            raise InputError(f"{source}: binary data, not a CSV or text file", code="file_binary")
        raw.seek(0)
    except BaseException:  # InputError, OSError, or an interrupt: the copy goes too
        raw.close()
        _forget(spool)
        raise
    text = io.TextIOWrapper(
        without_nul(raw, encoding), encoding=encoding, errors=sniffed.errors, newline=""
    )
    lines = sample.lstrip("\ufeff").splitlines()
    candidates = [line for line in lines if line.strip() and not line.startswith(TEMPLATE_TYPE)]
    candidates = candidates[:HEADER_SEARCH_ROWS]
    # the header may stand under a title; its separator is the one that counts
    first = next((line for line in candidates if _names_order_id(line)), "")
    delimiter = _sniff_delimiter(first or (candidates[0] if candidates else ""))
    reader = csv.reader(text, delimiter=delimiter)
    rows = enumerate(reader, start=1)

    explain = _explainer(path, source, sniffed.name, encoding, sniffed.errors)

    read_errors = (UnicodeDecodeError, csv.Error, NulByte, Utf8InLegacy)
    try:
        header_row, headers = _first_header(rows, source)
        _check_width(len(headers), source, limits)
    except read_errors as exc:
        raw.close()
        _forget(spool)
        raise explain(exc, 1) from exc
    except InputError:
        raw.close()
        _forget(spool)
        raise

    def reopen() -> Table:
        table = read_text(path, limits=limits)
        table.source = source
        return table

    try:
        table = Table(
            source,
            headers,
            rows,
            path=None if path == "-" else path,
            digest=lambda: file_sha256(path),
            reopen=reopen,
            read_errors=read_errors,
            explain=explain,
            close=text.close,  # closes raw too; keeps the wrapper alive until then
            header_row=header_row,
            encoding=encoding,
            delimiter=delimiter,
            decode_errors=sniffed.errors,
        )
    except InputError:
        raw.close()
        _forget(spool)  # a refused stdin leaves no copy of the seller's data behind
        raise
    table.spool = spool  # type: ignore[attr-defined]
    return table


class NulByte(ValueError):
    """A NUL byte in a text file of an 8-bit encoding, anywhere in it: binary data."""


class Utf8InLegacy(ValueError):
    """UTF-8 text further down a file whose start was read as Windows-1252/ISO-8859-1."""


# A UTF-8 multi-byte character: a lead byte and its continuation bytes. Windows-1252 text
# writes an accented letter as one byte followed by ASCII, so it never forms one (a lead
# byte such as Ã followed by a byte such as © is UTF-8's own mojibake, not a word).
_UTF8_CHARACTER = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_LEGACY_8BIT = frozenset({"cp1252", "latin-1"})


class _ByteGuard(io.RawIOBase):
    """The bytes of a text file, checked chunk by chunk as they are read (the sniffer sees
    only the first 64 KB): a NUL byte anywhere is binary data, and UTF-8 characters in a
    file read as Windows-1252 are mixed encodings, never mojibake."""

    def __init__(self, raw, legacy: bool) -> None:
        self._raw = raw
        self._legacy = legacy

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._raw.read(len(buffer))
        if b"\x00" in chunk:
            raise NulByte("NUL byte")
        if self._legacy and _UTF8_CHARACTER.search(chunk):
            raise Utf8InLegacy("UTF-8 text")
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._raw.close()
        super().close()


def without_nul(raw, encoding: str):
    """A binary stream of a text file that raises `NulByte` at a NUL byte, and
    `Utf8InLegacy` at UTF-8 text in a Windows-1252 file; UTF-16 text is made of NUL bytes,
    so it is read as it is. The one-core and two-core readers both use it."""
    if encoding.startswith("utf-16"):
        return raw
    return io.BufferedReader(_ByteGuard(raw, encoding in _LEGACY_8BIT), 1 << 16)


def _row_of_utf8(path: str) -> int | None:
    """The line of the first UTF-8 character, when lines are rows (no quote before it)."""
    return _first_line(path, _UTF8_CHARACTER.search)


def _row_of_nul(path: str) -> int | None:
    """The line of the first NUL byte, when lines are rows (no quote before it)."""
    return _first_line(path, lambda line: b"\x00" in line)


def _first_line(path: str, found: Callable[[bytes], object]) -> int | None:
    """The number of the first line for which `found(line)` is true, or None when a quote
    comes first (a quoted field may span lines, so line numbers stop being row numbers) or
    the file cannot be read."""
    try:
        with open(path, "rb") as stream:
            for number, line in enumerate(stream, start=1):
                if found(line):
                    return number
                if b'"' in line:
                    return None
    except OSError:
        return None
    return None


def _row_of_bad_byte(path: str, encoding: str, errors: str) -> int | None:
    """The line holding the first byte that does not decode, when lines are rows (no quote
    before it, so no field spans lines; the one-core and two-core readers both ask here)."""
    if encoding.startswith("utf-16"):
        return None
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    try:
        with open(path, "rb") as stream:
            for number, line in enumerate(stream, start=1):
                try:
                    decoder.decode(line)
                except UnicodeDecodeError:
                    return number
                if b'"' in line:
                    return None
    except OSError:
        return None
    return None


def _forget(spool: str | None) -> None:
    if spool:
        scratch.remove_file(spool)


def _names_order_id(line: str) -> bool:
    return any(
        columns.field_of(unguard(part.strip().strip('"'))) == columns.REQUIRED
        for delimiter in ("\t", ";", ",")
        for part in line.split(delimiter)
    )


def _stdin_copy(stdin) -> str:
    """A copy of standard input (it cannot be read twice; a copy lets a few rows be looked
    up again); its path."""
    stream = sys.stdin if stdin is None else stdin
    copy = scratch.make_stdin_copy()
    try:
        with copy:
            shutil.copyfileobj(getattr(stream, "buffer", stream), copy, 1 << 20)
    except BaseException:  # an interrupt while waiting for stdin leaves no copy behind
        _forget(copy.name)
        raise
    return copy.name


def _explainer(
    path: str, source: str, name: str, encoding: str, errors: str
) -> Callable[[BaseException, int], InputError]:
    """How a read error of the rows is worded, naming the row of the byte itself."""

    def explain(exc: BaseException, number: int) -> InputError:
        if isinstance(exc, Utf8InLegacy):
            number = _row_of_utf8(path) or number
            return InputError(
                f"{source}: row {number}: UTF-8 text in a file read as {name} from its "
                "start; the file mixes encodings; save it again as CSV UTF-8",
                code="mixed_encoding",
            )
        if isinstance(exc, NulByte):
            number = _row_of_nul(path) or number
            return InputError(
                f"{source}: row {number}: a NUL byte (binary data), not a CSV or text file",
                code="file_binary",
            )
        if isinstance(exc, UnicodeDecodeError):
            # the decoder runs a block ahead of the rows: find the row of the byte itself
            number = _row_of_bad_byte(path, encoding, errors) or number
            return InputError(
                f"{source}: row {number}: bytes that are not {encoding} ({exc.reason}); the "
                "file mixes encodings; save it again as CSV UTF-8",
                code="mixed_encoding",
            )
        return InputError(f"{source}: row {number}: cannot parse the CSV ({exc})", code="csv_parse")

    return explain
