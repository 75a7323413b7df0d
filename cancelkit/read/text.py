"""The one text-encoding sniffer of every reader: inputs (files and stdin), Amazon's order
reports and processing reports.

Decided in this order (docs/domain.md sections 2 and 7):
1. a byte-order mark: UTF-8 (`utf-8-sig`) or UTF-16;
2. NUL bytes: UTF-16 without a BOM when they fall on every other byte, else binary (refused);
3. valid UTF-8 (the usual download, and the fast path: one C-speed decode of the sample);
4. otherwise the bytes are a legacy code page: Shift_JIS (Windows code page 932, what
   Amazon JP and Japanese Excel write) or EUC-JP when the bytes decode as Japanese text
   (see `_reads_as_japanese`), else Windows-1252 (EU and BR Excel), or ISO-8859-1 when the
   bytes use a code Windows-1252 leaves undefined. charset-normalizer decides where hand
   rules cannot: between the two Japanese encodings when both fit, and for EUC-JP kanji
   without kana. (Alone it takes Portuguese "Ação São João" for cp932; the hand rules do
   not.)

Only a sample (the first 64 KB, or the region around the first byte that is not UTF-8) is
ever examined by anything slower than a plain decode, so a large UTF-8 file costs one pass.
"""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

SNIFF_BYTES = 1 << 16

# Bytes that are not UTF-8 in a file whose sniffed sample was plain ASCII: the file is
# Windows-1252 with its first accented character further on (the input reader's rule).
CP1252_FALLBACK = "cancelkit-cp1252-fallback"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeDecodeError)  # registered for decoding only
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error(CP1252_FALLBACK, _cp1252_fallback)

#: what a person reads for each codec
NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "cp932": "Shift_JIS (cp932)",
    "euc_jp": "EUC-JP",
    "cp1252": "Windows-1252",
    "latin-1": "ISO-8859-1",
}
# Amazon JP's order reports are Shift_JIS as Windows writes it (code page 932, Java's
# "windows-31J") with CRLF: docs/domain.md section 7, and a public integration that reads them
# (kota-imai/amznmail_order_report, src/main/java/util/TsvPerser.java: "windows-31J",
# line separator "\r\n", "UTF-8だと文字化けする"). EUC-JP is what older Unix tools write.
_JAPANESE = ("cp932", "euc_jp")
# Windows-1252 leaves these five bytes undefined; text that has them is ISO-8859-1.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_KANA = re.compile("[\u3041-\u30ff]")
_JAPANESE_CHAR = re.compile("[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a text is decoded: the codec, the error handler, and its name for messages."""

    codec: str
    errors: str = "strict"

    @property
    def name(self) -> str:
        return NAMES.get(self.codec, self.codec)


def sniff(head: bytes, source: str, what: str = "a CSV or text file") -> Encoding:
    """The encoding of a text from its first bytes. Raises InputError (code `file_binary`)
    for binary data, naming `what` the file should have been."""
    if head.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16")
    if b"\x00" in head:
        sample = head[:4096]
        even_nul = sample[0::2].count(0)
        odd_nul = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nul > 0.3 * half and even_nul < 0.05 * half:
            return Encoding("utf-16-le")
        if even_nul > 0.3 * half and odd_nul < 0.05 * half:
            return Encoding("utf-16-be")
        raise InputError(f"{source}: binary data (NUL bytes), not {what}", code="file_binary")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still UTF-8
        if exc.start < len(head) - 3:
            return legacy(head)
    if head.isascii():
        # later bytes may still be another encoding: read them as Windows-1252
        return Encoding("utf-8", CP1252_FALLBACK)
    return Encoding("utf-8")


def legacy(sample: bytes) -> Encoding:
    """The code page of bytes that are not UTF-8: Japanese (cp932 or EUC-JP) when they
    decode as Japanese text, else Windows-1252 or ISO-8859-1."""
    japanese = [codec for codec in _JAPANESE if _reads_as_japanese(sample, codec)]
    if len(japanese) == 2:
        japanese = [_normalizer_choice(sample) or japanese[0]]
    if japanese:
        return Encoding(japanese[0], "replace")
    if _CP1252_UNDEFINED.search(sample):
        return Encoding("latin-1")
    # cp1252 leaves five bytes undefined; beyond the sample they cannot be real text
    return Encoding("cp1252", "replace")


def _reads_as_japanese(sample: bytes, codec: str) -> bool:
    """Whether the bytes decode in `codec` as Japanese text. Latin text read as Japanese
    gives stray kanji (an accented letter and the next byte make a pair), never kana, and
    in Shift_JIS its pairs lead with bytes of Latin letters (0xC0-0xFF), where common kanji
    lead with 0x88-0x9F; for kanji without kana in EUC-JP, charset-normalizer decides."""
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 2:  # not only a character cut at the end
            return False
        text = sample[: exc.start].decode(codec, errors="replace")
    wide = [ch for ch in text if ord(ch) > 0x7F and ch != "\ufffd"]
    if not wide or sum(1 for ch in wide if _JAPANESE_CHAR.match(ch)) < 0.9 * len(wide):
        return False
    if _KANA.search(text):
        return True
    if codec == "cp932":
        leads = sum(1 for ch in wide if 0x81 <= ch.encode(codec)[0] <= 0x9F)
        return leads >= 0.5 * len(wide)
    return _normalizer_choice(sample, (codec, "cp1252", "latin_1")) == codec


def _normalizer_choice(sample: bytes, candidates: tuple[str, ...] = _JAPANESE) -> str | None:
    """charset-normalizer's pick among `candidates` (None: no opinion)."""
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(sample, cp_isolation=list(candidates)).best()
    if best is None:
        return None
    chosen = best.encoding.replace("-", "_").lower()
    return {"cp932": "cp932", "shift_jis": "cp932", "euc_jp": "euc_jp"}.get(chosen, chosen)


def looks_binary(text: str) -> bool:
    """Whether decoded text is mostly control characters (a binary file)."""
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > max(2, len(text) // 100)


def sniff_file(path: str | Path, source: str, what: str) -> Encoding:
    """The encoding of a whole file: `sniff` of its head, and when the head is UTF-8, a
    streamed check of the rest; the first region that is not UTF-8 decides the code page.
    For readers that may read a file twice (order and processing reports)."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(SNIFF_BYTES)
            if not head.strip():
                raise InputError(f"{source}: the file is empty, not {what}", code="file_empty")
            encoding = sniff(head, source, what)
            if encoding.codec != "utf-8":
                return encoding
            raw.seek(0)
            decoder = codecs.getincrementaldecoder("utf-8")()
            offset = 0
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raw.seek(max(0, offset + exc.start - 64))
                    return legacy(raw.read(SNIFF_BYTES))
                offset += len(chunk)
            return Encoding("utf-8")
    except OSError as exc:
        raise InputError(
            f"{source}: cannot read {what} ({exc.strerror or exc})", code="unreadable"
        ) from exc


def open_text(path: str | Path, source: str, what: str) -> io.TextIOWrapper:
    """The file opened as text in its sniffed encoding (lines keep their line ends).
    Raises InputError for an empty, unreadable or binary file."""
    encoding = sniff_file(path, source, what)
    with open(path, "rb") as raw:
        sample = raw.read(SNIFF_BYTES).decode(encoding.codec, errors="ignore")
    if looks_binary(sample):
        raise InputError(f"{source}: binary data, not {what}", code="file_binary")
    return open(path, encoding=encoding.codec, errors=encoding.errors, newline="")


def decode(data: bytes, source: str, what: str) -> str:
    """Bytes of a whole (small) file as text in their sniffed encoding; no BOM."""
    encoding = sniff(data[:SNIFF_BYTES], source, what)
    if encoding.codec in ("utf-8", "utf-8-sig"):
        try:
            return data.decode(encoding.codec)
        except UnicodeDecodeError as exc:
            encoding = legacy(data[max(0, exc.start - 64) : exc.start + SNIFF_BYTES])
            data = data.removeprefix(codecs.BOM_UTF8)
    return data.decode(encoding.codec, errors="replace").lstrip("\ufeff")
