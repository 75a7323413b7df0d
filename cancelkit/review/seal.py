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
that wrote it (share the key file to approve on another machine).

A token is `ck3.` and the MAC (12 bytes) of the review id, the row's source, row number and
result, and the row's evidence: the hidden `review-evidence` cell, in which the review wrote
the row's sealed values as it showed them (order id, item code, SKU, buyer-request evidence,
marketplace, the row's kind), the values a person may correct (reason, note) and the order
state it checked (which report, which state, when). So a copied token, a token from another
review, an edited source, row, result or evidence cell, or a row typed in fails the MAC;
the reader (review/reader.py) then compares the row's cells with the evidence the MAC proved.

Every check reads a token in one canonical form (`canonical_token`): NFKC, and only the
characters a token is made of, so a `!`, a space, padding or an invisible character added
to a copy does not make it another token.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
import secrets
import string
import unicodedata
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path

from ..errors import InputError, OutputError

KEY_ENV_VAR = "CANCELKIT_REVIEW_KEY"
KEY_FILE_NAME = "review-key"
_PREFIX = "ck3"
_IDENTITY_BYTES = 12  # 96 bits: no offline check is possible without the key
#: the characters of a token (the prefix, the dot, URL-safe base64 without padding)
_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "-_.")
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


def canonical_token(raw: str) -> str:
    """The one form of a token every check uses: NFKC (a fullwidth letter is the letter),
    then only the characters a token is made of (spaces, `!`, `=` padding, invisible and
    control characters dropped). Letter case is kept: base64 tells `a` from `A`, so a token
    with its case changed is another, unknown token."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch in _TOKEN_CHARS)


def reuse_key(raw: str) -> str:
    """What makes two rows carry "the same" token: the canonical form, also when one of
    them differs only in letter case (a token is spent by exactly one row)."""
    return canonical_token(raw).lower()


@dataclass(frozen=True)
class Check:
    """What a row's token says: `code` is None for a token issued for this row with this
    status and this evidence; `status` is the status the token was issued with (when
    known)."""

    code: str | None
    status: str | None = None


class Seal:
    """Issues and checks the tokens of one review workbook."""

    def __init__(self, key: bytes, review_id: str) -> None:
        self._key = key
        self._review = review_id.encode()

    def _identity(self, source: str, row: str, status: str, evidence: str) -> bytes:
        message = b"\x00".join(
            (
                b"identity",
                self._review,
                source.encode(),
                row.encode(),
                status.encode(),
                evidence.encode("utf-8", "surrogatepass"),
            )
        )
        return blake2b(message, key=self._key, digest_size=_IDENTITY_BYTES).digest()

    def token(self, source: str, row: str, status: str, evidence: str) -> str:
        """The token of a review row (evidence: the row's evidence cell as written)."""
        return f"{_PREFIX}.{_b64(self._identity(source, row, status, evidence))}"

    def sign_facts(self, text: str) -> str:
        """The seal of the review's own facts (the order reports it checked, when)."""
        message = b"\x00".join((b"facts", self._review, text.encode("utf-8", "surrogatepass")))
        return _b64(blake2b(message, key=self._key, digest_size=16).digest())

    def verify_facts(self, facts: tuple[str, str] | None, source: str) -> dict | None:
        """The review's sealed facts (`facts`: the text and its seal from the hidden sheet),
        or None when it recorded none; an edited text or seal is an `InputError`."""
        if facts is None:
            return None
        text, seal = facts
        if not hmac.compare_digest(canonical_token(seal), self.sign_facts(text)):
            raise InputError(
                f"{source}: the order-state evidence in the hidden sheet was changed; write the "
                "review again with `cancelkit review`",
                code="review_format",
            )
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        return found if isinstance(found, dict) else None

    def check(self, token: str, source: str, row: str, status: str, evidence: str) -> Check:
        """Check a row's token (any form; it is read canonically) against its cells."""
        token = canonical_token(token)
        if not token:
            return Check("review_token_missing")
        parts = token.split(".")
        try:
            if len(parts) != 2 or parts[0] != _PREFIX:
                raise ValueError(token)
            identity = _unb64(parts[1])
        except (ValueError, binascii.Error):
            return Check("review_token_unknown")
        if len(identity) != _IDENTITY_BYTES:
            return Check("review_token_unknown")
        issued = next(
            (
                s
                for s in (status, *STATUSES)
                if hmac.compare_digest(identity, self._identity(source, row, s, evidence))
            ),
            None,
        )
        if issued is None:
            return Check("review_token_unknown")
        if issued != status:
            return Check("review_result_edited", issued)
        return Check(None, issued)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if len(text) % 4 == 1:
        raise ValueError(text)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
