"""Where and how to talk to Amazon: the credentials, the endpoints, the poll interval and the
retry and timeout settings, with the environment variables and the [amazon] keys that set
them (options/ reads them; the client only uses them)."""

from __future__ import annotations

import math
import platform
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ..amazon.marketplaces import LWA_TOKEN_URL, SANDBOX_PREFIX, SpapiMarketplace, sandbox_endpoint
from ..errors import ConfigError, SpapiError
from ..version import __version__

#: the credentials' environment variables (the names community SP-API clients read)
ENV_APP_ID = "LWA_APP_ID"
ENV_CLIENT_SECRET = "LWA_CLIENT_SECRET"
ENV_REFRESH_TOKEN = "SP_API_REFRESH_TOKEN"
ENV_ENDPOINT = "CANCELKIT_SPAPI_ENDPOINT"
ENV_LWA_ENDPOINT = "CANCELKIT_LWA_ENDPOINT"
ENV_POLL_INTERVAL = "CANCELKIT_SPAPI_POLL_INTERVAL"
ENV_SANDBOX = "CANCELKIT_SPAPI_SANDBOX"
#: the regions of marketplaces.REGION_ENDPOINTS: a seller whose accounts differ by region
#: has one refresh token per region (`SP_API_REFRESH_TOKEN_EU`, `sp_api_refresh_token_eu`)
REGIONS = ("NA", "EU", "FE")
ENV_REGIONAL_REFRESH_TOKENS = {region: f"{ENV_REFRESH_TOKEN}_{region}" for region in REGIONS}
#: keys of the config file's [amazon] table -> the environment variable they stand for
CONFIG_KEYS: dict[str, str] = {
    "lwa_app_id": ENV_APP_ID,
    "lwa_client_secret": ENV_CLIENT_SECRET,
    "sp_api_refresh_token": ENV_REFRESH_TOKEN,
    **{f"sp_api_refresh_token_{r.lower()}": v for r, v in ENV_REGIONAL_REFRESH_TOKENS.items()},
    "spapi_endpoint": ENV_ENDPOINT,
    "lwa_endpoint": ENV_LWA_ENDPOINT,
    "poll_interval": ENV_POLL_INTERVAL,
    "sandbox": ENV_SANDBOX,
}
#: the [amazon] keys of the three credentials
SECRET_KEYS = ("lwa_app_id", "lwa_client_secret", "sp_api_refresh_token")
#: the [amazon] keys of the regional refresh tokens, by region
REGIONAL_KEYS = {r: f"sp_api_refresh_token_{r.lower()}" for r in REGIONS}
DEFAULT_POLL_INTERVAL = 30.0
#: polling slows down by this factor each round, up to MAX_POLL_INTERVAL
POLL_GROWTH = 1.5
MAX_POLL_INTERVAL = 300.0
#: retries of one call answered with 429 or 5xx before giving up (the batch stays as it is)
MAX_RETRIES = 8
#: the longest pause between two bytes of an answer (httpx's read timeout) ...
HTTP_TIMEOUT_S = 60.0
#: Amazon asks for `AppId/AppVersionId (Language=...)`, at most 500 characters (DOMAIN.md
#: section 10)
USER_AGENT = f"cancelkit/{__version__} (Language=Python/{platform.python_version()})"
#: what the offline stand-in is called, for the messages that offer it
STANDIN_COMMAND = "python -m cancelkit.spapi.standin"


def poll_interval_from(value, name: str = ENV_POLL_INTERVAL, *, quote: bool = True) -> float:
    """A poll interval: a finite number of seconds above 0 (0 would poll without pause).
    `quote=False` leaves the value out of the message (a config value is never echoed:
    it could be a secret placed under the wrong key)."""
    shown = f" (got '{value}')" if quote else ""
    if isinstance(value, bool):
        raise ConfigError(
            f"{name} must be a number of seconds > 0" + (f" (got {value!r})" if quote else "")
        )
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds > 0{shown}") from None
    if not math.isfinite(number) or number <= 0:
        raise ConfigError(f"{name} must be a number of seconds > 0{shown}")
    return number


@dataclass(frozen=True)
class Credentials:
    """The three values of a self-authorized private app, and the refresh tokens of the
    regions whose seller account differs (`regional`: region -> refresh token). The repr
    shows none of them."""

    app_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    regional: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return "Credentials(app_id=***, client_secret=***, refresh_token=***)"

    __str__ = __repr__

    def refresh_token_for(self, region: str) -> str:
        """The refresh token of a region: its own when given, else the common one."""
        return dict(self.regional).get(region) or self.refresh_token

    def secrets(self) -> tuple[str, ...]:
        every = (self.client_secret, self.refresh_token, *(t for _, t in self.regional))
        return tuple(s for s in (*every, self.app_id) if s)


@dataclass(frozen=True)
class SpapiSettings:
    """Where and how to talk to Amazon. `credentials` is None while any of the three is
    missing (`missing` names them)."""

    credentials: Credentials | None
    missing: tuple[str, ...] = ()
    api_endpoint: str | None = None  # replaces the region's base URL
    lwa_endpoint: str = LWA_TOKEN_URL
    sandbox: bool = False
    poll_interval: float = DEFAULT_POLL_INTERVAL
    max_retries: int = MAX_RETRIES
    timeout: float = HTTP_TIMEOUT_S
    #: things the user should know (a config file with secrets readable by others)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        poll_interval_from(self.poll_interval, "poll_interval")
        for name in ("max_retries",):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{name} must be a whole number >= 0 (got {value!r})")
        if isinstance(self.timeout, bool) or not (
            isinstance(self.timeout, (int, float)) and math.isfinite(self.timeout)
        ):
            raise ConfigError(f"timeout must be a number of seconds > 0 (got {self.timeout!r})")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be a number of seconds > 0 (got {self.timeout!r})")

    def endpoint_for(self, market: SpapiMarketplace) -> str:
        """The API base URL for a marketplace: the override, else the region's host
        (its sandbox host with `sandbox`)."""
        if self.api_endpoint:
            return self.api_endpoint.rstrip("/")
        return sandbox_endpoint(market.endpoint) if self.sandbox else market.endpoint

    def is_sandbox(self, market: SpapiMarketplace) -> bool:
        """Whether the calls for this marketplace go to one of Amazon's sandbox hosts."""
        host = urlsplit(self.endpoint_for(market)).hostname or ""
        return host.startswith(SANDBOX_PREFIX) and host.endswith(".amazon.com")

    def refuse_sandbox(self, market: SpapiMarketplace, command: str) -> None:
        """Amazon's sandbox answers with static examples (a getFeed of another feed id and
        type, orders of no seller): a `submit` cannot finish there, `fetch-orders` would
        write orders that are not the seller's."""
        if self.is_sandbox(market):
            raise SpapiError(
                f"{command}: {self.endpoint_for(market)} is Amazon's sandbox, which answers "
                "every call with the same static example (another feed id and feed type, "
                f"orders of no seller), so a {command} cannot finish there; try cancelkit "
                f"against the local stand-in instead ({STANDIN_COMMAND}, see the README)",
                code="spapi_sandbox",
            )

    @property
    def retry_base(self) -> float:
        """The first pause after a 429 or 5xx; doubles with each retry."""
        return min(2.0, self.poll_interval)

    @property
    def retry_cap(self) -> float:
        return min(120.0, max(self.poll_interval, 0.01) * 8)

    def require_credentials(self) -> Credentials:
        if self.credentials is None:
            raise SpapiError(
                f"the SP-API credentials are missing: {', '.join(self.missing)}; set them in "
                "the environment or in the [amazon] table of cancelkit.toml (see the README, "
                '"Sending through the SP-API")',
                code="spapi_credentials_missing",
            )
        return self.credentials
