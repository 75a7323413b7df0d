"""Every code `submit` and `fetch-orders` raise is in codes.SPAPI_CODES and in the README."""

from __future__ import annotations

import re
from pathlib import Path

from cancelkit.codes import SPAPI_CODES
from cancelkit.errors import SpapiError

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "cancelkit" / "spapi").glob("*.py")),
    "cancelkit/usecases/submit.py",
    "cancelkit/ledger/submissions.py",
)


def defaults(cls: type[SpapiError]) -> set[str]:
    """The default codes of SpapiError and its subclasses (cancelkit/errors.py)."""
    return {cls.code}.union(*(defaults(sub) for sub in cls.__subclasses__()))


def raised_codes() -> set[str]:
    found: set[str] = defaults(SpapiError)
    for source in SOURCES:
        text = (ROOT / source).read_text(encoding="utf-8")
        found |= set(re.findall(r'code ?= ?"([a-z_]+)"', text))
    return found


def test_every_raised_code_is_catalogued_and_documented():
    raised = raised_codes()
    assert raised <= set(SPAPI_CODES), raised - set(SPAPI_CODES)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Sending through the SP-API") :]
    missing = [code for code in SPAPI_CODES if f"`{code}`" not in section]
    assert missing == []
