"""The SP-API settings: the environment over the config file's [amazon] table over the
defaults.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

from .. import spapi
from ..amazon import marketplaces
from ..errors import ConfigError
from ..read.words import is_yes
from .config_file import NOT_SHOWN, could_be_secret

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass


#: the words `sandbox` in [amazon] may say (or a TOML boolean)
_SANDBOX_WORDS = ("true", "false", "yes", "no", "1", "0", "on", "off")


def spapi_settings(
    environ: Mapping[str, str] | None = None,
    table: Mapping | None = None,
    config_path: str | os.PathLike | None = None,
) -> spapi.SpapiSettings:
    """The SP-API settings: each value from the environment (`LWA_APP_ID`, ...,
    `CANCELKIT_SPAPI_ENDPOINT`), else from the config file's `[amazon]` table (`table`, read
    from `config_path`), else the default. Warns when a config file holding a secret is
    readable by other users."""
    environ = os.environ if environ is None else environ
    table = dict(table or {})
    where = f"{config_path}: " if config_path else ""
    unknown = sorted(str(k) for k in table if str(k).lower() not in spapi.CONFIG_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}unknown setting(s) in [amazon]: {', '.join(unknown)} "
            f"(known: {', '.join(spapi.CONFIG_KEYS)})"
        )
    configured = {str(k).lower(): v for k, v in table.items()}
    # no message below quotes a value of [amazon]: any of them could be a secret put
    # under the wrong key
    for key, value in configured.items():
        if key not in ("sandbox", "poll_interval") and not isinstance(value, str):
            raise ConfigError(f"{where}'{key}' in [amazon] must be a string")
    sandbox = configured.get("sandbox")
    if sandbox is not None and not (
        isinstance(sandbox, bool)
        or (isinstance(sandbox, str) and sandbox.strip().lower() in _SANDBOX_WORDS)
    ):
        raise ConfigError(
            f"{where}'sandbox' in [amazon] must be true or false {NOT_SHOWN}", code="config_error"
        )

    def setting(key: str) -> str | None:
        given = environ.get(spapi.CONFIG_KEYS[key], "").strip()
        if given:
            return given
        found = configured.get(key)
        if isinstance(found, bool):
            return "true" if found else "false"
        return None if found is None else str(found).strip() or None

    found = {key: setting(key) for key in spapi.SECRET_KEYS}
    # a refresh token per region where the seller's accounts differ (spapi/settings.py)
    regional = tuple((r, setting(k) or "") for r, k in spapi.REGIONAL_KEYS.items() if setting(k))
    if regional and not found["sp_api_refresh_token"]:
        found["sp_api_refresh_token"] = ""  # only the regions named have one
    missing = tuple(spapi.CONFIG_KEYS[key] for key, given in found.items() if given is None)
    credentials = (
        None
        if missing
        else spapi.Credentials(
            found["lwa_app_id"] or "",
            found["lwa_client_secret"] or "",
            found["sp_api_refresh_token"] or "",
            regional=regional,
        )
    )
    warnings = []
    if config_path and any(
        configured.get(k) for k in (*spapi.SECRET_KEYS, *spapi.REGIONAL_KEYS.values())
    ):
        warnings.extend(_readable_by_others(Path(config_path)))
    poll = setting("poll_interval")
    from_config = not environ.get(spapi.ENV_POLL_INTERVAL, "").strip()
    poll_name = f"{where}'poll_interval' in [amazon]" if from_config else spapi.ENV_POLL_INTERVAL
    return spapi.SpapiSettings(
        credentials=credentials,
        missing=missing,
        api_endpoint=setting("spapi_endpoint"),
        lwa_endpoint=setting("lwa_endpoint") or marketplaces.LWA_TOKEN_URL,
        sandbox=is_yes(setting("sandbox")),
        poll_interval=(
            spapi.DEFAULT_POLL_INTERVAL
            if poll is None
            else spapi.poll_interval_from(
                poll, poll_name, quote=not from_config and not could_be_secret(poll_name, poll)
            )
        ),
        warnings=tuple(warnings),
    )


def _readable_by_others(path: Path) -> list[str]:
    if os.name != "posix":
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        return [
            f"{path} holds SP-API credentials and other users can read it; run: chmod 600 {path}"
        ]
    return []
