"""Marketplace ids and SP-API regions, as data: which host answers for which marketplace;
and the sites Amazon's order reports name in `sales-channel`, so that a row's marketplace
can be read from a code, a site or an id (`marketplace_code`).

Source: Amazon's SP-API developer guide, "Marketplace IDs" and "SP-API endpoints"
(DOMAIN.md section 8). Marketplace codes are those of `policy.MARKETPLACES` (GB is UK).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError
from . import policy

#: region -> SP-API base URL (Amazon's "SP-API endpoints" table)
REGION_ENDPOINTS: dict[str, str] = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}
#: Login with Amazon's token endpoint (the same for every region)
LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
#: the sandbox host of a region: `sandbox.` in front of the production host
SANDBOX_PREFIX = "sandbox."


@dataclass(frozen=True)
class SpapiMarketplace:
    code: str
    marketplace_id: str
    region: str

    @property
    def endpoint(self) -> str:
        return REGION_ENDPOINTS[self.region]


MARKETPLACE_IDS: dict[str, SpapiMarketplace] = {
    m.code: m
    for m in (
        SpapiMarketplace("US", "ATVPDKIKX0DER", "NA"),
        SpapiMarketplace("CA", "A2EUQ1WTGCTBG2", "NA"),
        SpapiMarketplace("MX", "A1AM78C64UM0Y8", "NA"),
        SpapiMarketplace("BR", "A2Q3Y263D00KWC", "NA"),
        SpapiMarketplace("UK", "A1F83G8C2ARO7P", "EU"),
        SpapiMarketplace("DE", "A1PA6795UKMFR9", "EU"),
        SpapiMarketplace("FR", "A13V1IB3VIYZZH", "EU"),
        SpapiMarketplace("IT", "APJ6JRA9NG5V4", "EU"),
        SpapiMarketplace("ES", "A1RKKUPIHCS9HS", "EU"),
        SpapiMarketplace("NL", "A1805IZSGTT6HS", "EU"),
        SpapiMarketplace("SE", "A2NODRKZP88ZB9", "EU"),
        SpapiMarketplace("PL", "A1C3SOZRARQ6R3", "EU"),
        SpapiMarketplace("BE", "AMEN7PMS3EDWL", "EU"),
        SpapiMarketplace("TR", "A33AVAJ2PDY3EV", "EU"),
        SpapiMarketplace("IE", "A28R8C7NBKEWEA", "EU"),
        SpapiMarketplace("AE", "A2VIGQ35RCS4UG", "EU"),
        SpapiMarketplace("SA", "A17E79C6D8DWNP", "EU"),
        SpapiMarketplace("EG", "ARBP9OOSHTCHU", "EU"),
        SpapiMarketplace("IN", "A21TJRUUN4KGV", "EU"),
        SpapiMarketplace("JP", "A1VC38T7YXB528", "FE"),
        SpapiMarketplace("AU", "A39IBJ37TRP1C6", "FE"),
        SpapiMarketplace("SG", "A19VAU5U5O7RUS", "FE"),
    )
}
#: GB is the ISO code of the UK marketplace
_ALIASES = {"GB": "UK"}
_BY_ID = {m.marketplace_id: m for m in MARKETPLACE_IDS.values()}


def spapi_marketplace(code: str) -> SpapiMarketplace:
    """The SP-API marketplace of a marketplace code (`US`, `DE`, `GB`/`UK`, ...)."""
    key = _ALIASES.get(code.strip().upper(), code.strip().upper())
    found = MARKETPLACE_IDS.get(key)
    if found is None:
        raise ConfigError(
            f"unknown marketplace '{code}' for the SP-API; known: {', '.join(MARKETPLACE_IDS)}"
        )
    return found


def by_marketplace_id(marketplace_id: str) -> SpapiMarketplace | None:
    """The marketplace of an SP-API marketplace id, or None for an id not in the table."""
    return _BY_ID.get(marketplace_id)


def sandbox_endpoint(endpoint: str) -> str:
    """The sandbox host of a production endpoint (`https://sandbox.sellingpartnerapi-...`)."""
    scheme, _, host = endpoint.partition("://")
    return f"{scheme}://{SANDBOX_PREFIX}{host}"


#: the site of each marketplace, as Amazon's order reports name it in `sales-channel`
#: (`Amazon.de`; DOMAIN.md section 8: the all-orders report's sales-channel names the site)
#: and as the storefront's host is spelled (`www.amazon.co.uk`). Hosts from Amazon's list of
#: marketplace sites in the SP-API developer guide ("Marketplace IDs"), compared in lower case.
SALES_CHANNELS: dict[str, str] = {
    "amazon.com": "US",
    "amazon.ca": "CA",
    "amazon.com.mx": "MX",
    "amazon.com.br": "BR",
    "amazon.co.uk": "UK",
    "amazon.de": "DE",
    "amazon.fr": "FR",
    "amazon.it": "IT",
    "amazon.es": "ES",
    "amazon.nl": "NL",
    "amazon.se": "SE",
    "amazon.pl": "PL",
    "amazon.com.be": "BE",
    "amazon.ie": "IE",
    "amazon.com.au": "AU",
    "amazon.co.jp": "JP",
    "amazon.sg": "SG",
    "amazon.ae": "AE",
    "amazon.sa": "SA",
    "amazon.in": "IN",
}
_SITE_PREFIXES = ("https://", "http://", "www.")


def marketplace_code(value: str) -> str | None:
    """The code of the marketplace a value names: a code (`DE`, `GB`), a site as the order
    reports' `sales-channel` writes it (`Amazon.de`, `www.amazon.co.uk`) or an SP-API
    marketplace id (`A1PA6795UKMFR9`); None when it names none of `policy.MARKETPLACES`."""
    text = value.strip()
    upper = text.upper()
    code = policy.MARKETPLACE_ALIASES.get(upper, upper)
    by_id = by_marketplace_id(upper)
    if by_id is not None:
        code = by_id.code
    if code in policy.MARKETPLACES:
        return code
    site = text.lower().rstrip("/")
    for prefix in _SITE_PREFIXES:
        site = site.removeprefix(prefix)
    return SALES_CHANNELS.get(site)
