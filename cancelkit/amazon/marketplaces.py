"""Marketplace ids and SP-API regions, as data: which host answers for which marketplace.

Source: Amazon's SP-API developer guide, "Marketplace IDs" and "SP-API endpoints"
(DOMAIN.md section 8). Marketplace codes are those of `policy.MARKETPLACES` (GB is UK).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError

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
