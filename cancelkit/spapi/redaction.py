"""One redaction of every credential: the three secrets and the access token never appear in
any message, log line, repr or traceback of the client, in whatever encoding an answer
quotes them (raw, URL-encoded once or twice, JSON-escaped)."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: what a secret is replaced with in any text shown
REDACTED = "***"
#: the shape of an id cancelkit stores and shows (feed ids are digits, document ids
#: `amzn1.tortuga.4.na.…`)
IDENTIFIER = re.compile(r"[A-Za-z0-9._:-]{1,200}")


def _char_forms(char: str) -> str:
    """A regex for one character of a secret in any encoding an answer may quote it in:
    itself, percent-encoded (once or twice, either case), JSON `\\uXXXX` or `\\` escaped, and
    `+` for a space (form encoding)."""
    if char.isalnum():
        return re.escape(char)
    forms = [re.escape(char), rf"\\{re.escape(char)}"]
    for byte in char.encode("utf-8"):
        forms += [f"%{byte:02x}", f"%25{byte:02x}"]
    forms.append(rf"\\u{ord(char):04x}")
    if char == " ":
        forms.append(r"\+")
    return "(?:" + "|".join(forms) + ")"


def secret_pattern(secrets: Iterable[str]) -> re.Pattern | None:
    """One pattern matching every secret in raw, URL-encoded and JSON-escaped forms."""
    wanted = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile(
        "|".join("".join(_char_forms(c) for c in secret) for secret in wanted), re.IGNORECASE
    )


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret (raw, URL-encoded, JSON-escaped) replaced by `***`."""
    pattern = secret_pattern(secrets)
    return text if pattern is None else pattern.sub(REDACTED, text)
