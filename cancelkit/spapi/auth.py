"""Login with Amazon: the access token of a self-authorized app, asked for with its refresh
token over the client's transport (so paced, retried and redacted like every call), and
when to renew it."""

from __future__ import annotations

import math

from ..amazon.marketplaces import SpapiMarketplace
from ..errors import SpapiError
from .settings import ENV_REFRESH_TOKEN, ENV_REGIONAL_REFRESH_TOKENS, USER_AGENT, Credentials
from .transport import Transport

#: an access token is renewed this long before its `expires_in` runs out (LWA: 3600 s)
TOKEN_RENEW_MARGIN_S = 300.0
DEFAULT_TOKEN_LIFETIME_S = 3600.0


def login(
    transport: Transport,
    credentials: Credentials,
    refresh_token: str,
    market: SpapiMarketplace,
) -> tuple[str, float]:
    """A new access token and its lifetime in seconds; SpapiError `lwa_refused` when Login
    with Amazon refuses the credentials or answers without a token."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": credentials.app_id,
        "client_secret": credentials.client_secret,
    }
    response = transport._send(
        "Login with Amazon",
        "POST",
        transport.settings.lwa_endpoint,
        data=form,
        headers={"user-agent": USER_AGENT},
    )
    if response.status_code != 200:
        raise SpapiError(
            f"Login with Amazon refused the credentials (HTTP {response.status_code}: "
            f"{transport._amazon_says(response)}); check LWA_APP_ID, LWA_CLIENT_SECRET and "
            f"SP_API_REFRESH_TOKEN (the refresh token of your self-authorized app in "
            f"{market.code}'s region, {market.region}; a region of its own is "
            f"{ENV_REGIONAL_REFRESH_TOKENS.get(market.region, ENV_REFRESH_TOKEN)})",
            code="lwa_refused",
        )
    try:
        document = response.json()
        token = document["access_token"]
    except (ValueError, KeyError, TypeError):
        raise SpapiError(
            "Login with Amazon answered without an access_token", code="lwa_refused"
        ) from None
    if not isinstance(token, str) or not token:
        raise SpapiError("Login with Amazon answered without an access_token", code="lwa_refused")
    lifetime = document.get("expires_in", DEFAULT_TOKEN_LIFETIME_S)
    if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)):
        lifetime = DEFAULT_TOKEN_LIFETIME_S
    lifetime = max(0.0, float(lifetime)) if math.isfinite(lifetime) else 0.0
    return token, lifetime


def renew_at(asked_at: float, lifetime: float) -> float:
    """When a token asked for at `asked_at` is renewed: 5 minutes before it runs out, or
    halfway through a short life."""
    return asked_at + lifetime - min(TOKEN_RENEW_MARGIN_S, lifetime / 2)
