"""The review seal: a tamper-evident token on every row of a review workbook.

`cancelkit review` writes each row's token into a hidden cell of the row itself, so the
token travels with the row through a save in Excel, LibreOffice or Google Sheets and
through sorting and filtering. `generate --from-review` uploads a row only when its token
proves that cancelkit issued it for that source row, in that review, with the status
`accepted`.

The identity is a MAC (keyed BLAKE2b, RFC 7693's MAC mode: one C call per row, so a
100,000-row review stays fast) under a secret kept outside the workbook: a key stored inside
the workbook would prove only that the workbook agrees with itself (anyone editing the file
could recompute it), never that cancelkit wrote the row. The secret is a random 32-byte key
in the user's data folder (next to the default ledger), created on first use with mode 0600,
or the file that `CANCELKIT_REVIEW_KEY` names. So a review is read back by the same user
that wrote it (share the key file to approve on another machine). A token has two parts:

- the identity (12 bytes): MAC(review id, source, row, status); a copied token, a token
  from another review, an edited source/row/result cell or a row typed in fails here;
- two CRC bytes per sealed value (order id, item code, reason, SKU, evidence): a value
  corrected during the review is noted on the record (corrections are allowed and
  validated again; see README "Review before upload").
"""

from __future__ import annotations

import base64
import binascii
import hmac
import os
import secrets
import zlib
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path

from ..errors import InputError, OutputError

KEY_ENV_VAR = "CANCELKIT_REVIEW_KEY"
KEY_FILE_NAME = "review-key"
_PREFIX = "ck2"
_IDENTITY_BYTES = 12  # 96 bits: no offline check is possible without the key
_MARK = 2
#: the statuses a review row can have; a token is checked against each to tell an edited
#: result cell from a token that is not ours at all
STATUSES = ("accepted", "rejected", "duplicate")


def key_path() -> Path:
    """The review key file: `CANCELKIT_REVIEW_KEY`, else the user's data folder."""
    named = os.environ.get(KEY_ENV_VAR, "").strip()
    if named:
        return Path(named).expanduser()
    from platformdirs import user_data_dir  # only when no key file is named

    return Path(user_data_dir("cancelkit", appauthor=False)) / KEY_FILE_NAME


def load_key(create: bool) -> bytes:
    """The secret; with `create` a new one is made when there is none (the review writer),
    else its absence is an `InputError` (a review that cannot be checked is not read)."""
    path = key_path()
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        if not create:
            raise InputError(
                f"no review key at {path}: this review was written by another user or on "
                f"another machine; write the review again here, or point {KEY_ENV_VAR} at "
                "the key file of the user who wrote it",
                code="review_key_missing",
            ) from None
        return _create_key(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the review key ({exc})", code="review_key") from exc
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise InputError(
            f"{path}: not a cancelkit review key (64 hex digits expected); delete it and write "
            "the review again",
            code="review_key",
        )
    return key


def _create_key(path: Path) -> bytes:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_key(create=False)  # another run made it meanwhile
    except OSError as exc:
        raise OutputError(f"{path}: cannot create the review key ({exc.strerror or exc})") from exc
    with os.fdopen(handle, "w", encoding="ascii") as stream:
        stream.write(key.hex() + "\n")
    return key


def new_review_id() -> str:
    """A random id for one review workbook (written into its hidden sheet)."""
    return secrets.token_hex(12)


@dataclass(frozen=True)
class Check:
    """What a row's token says: `code` is None for a token issued for this row with this
    status; `status` is the status the token was issued with (when known); `changed` the
    positions of sealed values that differ from the reviewed ones."""

    code: str | None
    status: str | None = None
    changed: tuple[int, ...] = ()


class Seal:
    """Issues and checks the tokens of one review workbook."""

    def __init__(self, key: bytes, review_id: str) -> None:
        self._key = key
        self._review = review_id.encode()

    def _identity(self, source: str, row: str, status: str) -> bytes:
        message = b"\x00".join(
            (b"identity", self._review, source.encode(), row.encode(), status.encode())
        )
        return blake2b(message, key=self._key, digest_size=_IDENTITY_BYTES).digest()

    def token(self, source: str, row: str, status: str, values: list[str]) -> str:
        """The token of a review row (values: the sealed cells as written)."""
        identity = self._identity(source, row, status)
        return f"{_PREFIX}.{_b64(identity)}.{_b64(_marks(values))}"

    def check(self, token: str, source: str, row: str, status: str, values: list[str]) -> Check:
        """Check a row's token against its cells as read back."""
        token = token.strip()
        if not token:
            return Check("review_token_missing")
        parts = token.split(".")
        try:
            if len(parts) != 3 or parts[0] != _PREFIX:
                raise ValueError(token)
            identity, marks = _unb64(parts[1]), _unb64(parts[2])
        except (ValueError, binascii.Error):
            return Check("review_token_unknown")
        if len(identity) != _IDENTITY_BYTES or len(marks) != _MARK * len(values):
            return Check("review_token_unknown")
        issued = next(
            (
                s
                for s in (status, *STATUSES)
                if hmac.compare_digest(identity, self._identity(source, row, s))
            ),
            None,
        )
        if issued is None:
            return Check("review_token_unknown")
        now = _marks(values)
        changed = tuple(
            i
            for i in range(len(values))
            if marks[i * _MARK : (i + 1) * _MARK] != now[i * _MARK : (i + 1) * _MARK]
        )
        if issued != status:
            return Check("review_result_edited", issued, changed)
        return Check(None, issued, changed)


def _marks(values: list[str]) -> bytes:
    """Two bytes of each value's CRC: they tell which cell a person corrected. They are not
    keyed, as they need not be: corrections are allowed and every approved row is validated
    again; what must not be forged (which row, which result) is in the keyed identity."""
    return b"".join((zlib.crc32(v.encode()) & 0xFFFF).to_bytes(2, "big") for v in values)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
