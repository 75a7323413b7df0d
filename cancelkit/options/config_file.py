"""The config file, cancelkit.toml: its keys with their types and ranges, how it is read, and
the rule that no credential is shown or kept outside its [amazon] table.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..amazon import marketplaces
from ..errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


DEFAULT_CONFIG = "cancelkit.toml"

FAIL_ON = ("none", "medium", "high")
#: settings that may also be a table of figures per marketplace (`[orders_7d]` DE = 1200)
MARKET_TABLE_KEYS = ("orders_7d", "cancels_7d")
_Count = Annotated[int, Field(strict=True, ge=0)]
_Positive = Annotated[int, Field(strict=True, gt=0)]
# a figure, or a table of figures per marketplace (each checked by `_figures`)
_Figure = _Count | dict[str, Any]


class PolicyOverride(BaseModel):
    """A marketplace's figures in the config's [policy.CODE] table."""

    model_config = ConfigDict(extra="forbid", strict=True)
    #: the target rate, a fraction: 0.025 is 2.5%
    threshold: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] | None = None
    window_days: Annotated[int, Field(strict=True, ge=1, le=366)] | None = None


class ConfigFile(BaseModel):
    """The settings of cancelkit.toml (the top level or a [cancelkit] table): each key with
    its type and range, so a wrong value names the file, the key and the value."""

    model_config = ConfigDict(extra="forbid", strict=True)
    marketplace: str | None = None
    orders_7d: _Figure | None = None
    cancels_7d: _Figure | None = None
    fail_on: Literal["none", "medium", "high"] | None = None
    sheet: str | None = None
    ledger: str | None = None
    # an order report older than this is flagged as stale (default 24)
    report_max_age_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    # India: the 30-day window's figures, and the referral-fee rate for the fee estimate
    orders_30d: _Count | None = None
    cancels_30d: _Count | None = None
    referral_fee_rate: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    # limits for reading inputs (see read.guards.Limits)
    max_xlsx_bytes: _Positive | None = None
    max_rows: _Positive | None = None
    max_columns: _Positive | None = None
    max_cells: _Positive | None = None
    policy: dict[str, PolicyOverride] = {}


#: keys of the [cancelkit] table (or the top level) of cancelkit.toml
CONFIG_KEYS = tuple(name for name in ConfigFile.model_fields if name != "policy")


def _problem(where: str, error: Mapping[str, Any]) -> str:
    """One validation error in words: file, key (dotted for [policy.UK]) and value."""
    loc = [str(part) for part in error["loc"]]
    # a union reports which branch failed ("int", "dict[str,any]"): the key is what counts
    key = ".".join(part for part in loc if not part.startswith(("int", "dict[", "constrained")))
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return f"{where}: unknown setting '{key}'"  # the name only: never its value
    if error["type"] == "missing":
        return f"{where}: '{key}' is missing"
    return f"{where}: '{key}' = {shown(key, value)} is not valid: {error['msg'].lower()}"


#: key names that may hold a secret (a token, a password, a client secret, an API key)
_SECRET_NAME = re.compile(r"secret|token|passw|pwd|credential|auth|api.?key|private|refresh", re.I)
#: values shaped like Login with Amazon credentials: a refresh or access token (`Atzr|`,
#: `Atza|`), a client id or client secret (`amzn1.application-oa2-client.`, `amzn1.oa2-cs.`);
#: see https://developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api
_SECRET_VALUE = re.compile(r"\s*(atz[ar]\||amzn1\.)", re.I)
NOT_SHOWN = "(value not shown: it could be a secret)"


def could_be_secret(key: str, value: object) -> bool:
    """Whether a config value may be a credential, so that no message quotes it: a key
    whose name looks like a secret's, or a value shaped like a Login with Amazon one."""
    if _SECRET_NAME.search(str(key)):
        return True
    if not isinstance(value, str):
        return False
    # a long word without spaces may be a key or token of any shape (a client secret is 64
    # hex digits); what a person mistypes in a setting is shorter, and still shown
    word = value.strip()
    return bool(_SECRET_VALUE.match(value)) or (
        len(word) >= 32 and not any(c.isspace() for c in word)
    )


def shown(key: str, value: object) -> str:
    """A config value as a message may quote it: never one that could be a secret."""
    return NOT_SHOWN if could_be_secret(key, value) else repr(value)


def _no_credential(where: str, settings: Mapping) -> None:
    """A credential pasted under a setting that is not a credential (`marketplace`,
    `sheet`, `ledger`, ...) is refused without quoting it; credentials go in [amazon]."""
    for key, value in settings.items():
        if isinstance(value, str) and _SECRET_VALUE.match(value):
            raise ConfigError(
                f"{where}: '{key}' holds what looks like an SP-API credential {NOT_SHOWN}; "
                'credentials go in the [amazon] table (see the README, "Sending through '
                'the SP-API")'
            )


@dataclass(frozen=True)
class Config:
    """What a config file says: its settings as checked (`ConfigFile`'s keys, `policy` by
    marketplace as written), its [amazon] table (checked by `spapi_settings`) and the path
    it was read from (None when no file was read)."""

    settings: dict[str, Any] = field(default_factory=dict)
    amazon: dict[str, Any] = field(default_factory=dict)
    path: str | None = None


def load_config(path: str | Path | None) -> Config:
    """The settings of a config file; `cancelkit.toml` in the working folder when no path
    is given and it exists; no settings otherwise."""
    explicit = path is not None
    path = Path(path) if path is not None else Path(DEFAULT_CONFIG)
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found")
        return Config()
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from exc
    raw = document.get("cancelkit", document)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: 'cancelkit' must be a table of settings")
    raw = {k: v for k, v in raw.items() if k != "cancelkit"}
    # [amazon]: the SP-API credentials and endpoints (spapi/settings.py checks its keys)
    amazon_table = raw.pop("amazon", None)
    if amazon_table is None:
        amazon_table = document.get("amazon", {})
    if not isinstance(amazon_table, dict):
        raise ConfigError(f"{path}: 'amazon' must be a table ([amazon])")
    _no_credential(str(path), raw)
    try:
        parsed = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_problem(str(path), e) for e in exc.errors()))
        raise ConfigError("; ".join(problems)) from None
    settings = parsed.model_dump(exclude_none=True, exclude={"policy"})
    settings["policy"] = {
        code.upper(): override.model_dump(exclude_none=True)
        for code, override in parsed.policy.items()
    }
    return Config(settings, amazon_table, str(path))


def _policy_table(table: Mapping, where: str | None) -> dict[str, dict]:
    """The config's [policy] tables by canonical marketplace code: `[policy.GB]` is UK's;
    two tables for one marketplace, or a table of no marketplace, is a config error."""
    found: dict[str, dict] = {}
    spelled: dict[str, str] = {}
    for key, override in table.items():
        code = marketplaces.canonical(str(key))
        if code is None:
            raise ConfigError(
                f"{where}: [policy.{key}] names no marketplace; known: "
                f"{marketplaces.known_codes()} (GB is UK)"
            )
        if code in found:
            raise ConfigError(
                f"{where}: [policy.{spelled[code]}] and [policy.{key}] both set the policy of "
                f"{code} (one marketplace: keep one table)"
            )
        found[code], spelled[code] = dict(override), str(key)
    return found
