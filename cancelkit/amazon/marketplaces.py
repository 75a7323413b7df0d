"""The one table of Amazon marketplaces: code, SP-API marketplace id and region, site,
currency, and the Cancellation Rate policy (target, window, fee) where it is sourced. Every
option, column, config key and table of cancelkit reads a marketplace through this module:
`--marketplace`, the batch's marketplace column, the order reports' `sales-channel`,
`[policy.X]`, `--orders-7d X=N`, `fetch-orders` and `submit`.

Sources: Amazon's SP-API developer guide, "Marketplace IDs" and "SP-API endpoints"
(docs/domain.md sections 8 and 10; ZA `AE08WJ6YKNBMC` is Amazon.co.za, in the Europe region);
the targets of Amazon's seller help pages on the Cancellation Rate (docs/domain.md section 3:
under 2.5% in the US, CA, UK, the EU marketplaces, AU and JP; India under 2% with a 30-day
rate and a cancellation fee, section 7). A marketplace without a sourced target (`threshold`
None) is projected against DEFAULT_THRESHOLD and says so (`marketplace_policy_default`).
Currencies are the ISO 4217 codes each site sells in (the order reports' `currency` column).

One canonical code per marketplace; ALIASES map other spellings to it (GB, the ISO country
code of the United Kingdom, is UK, the code Amazon's SP-API guide uses).
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

#: the target of a marketplace whose own target is not sourced (Amazon's usual 2.5%)
DEFAULT_THRESHOLD = 0.025
DEFAULT_WINDOW_DAYS = 7


@dataclass(frozen=True)
class CancellationFee:
    """A marketplace's fee on seller cancellations, as multiples of the referral fee."""

    currency: str
    on_time: float  # cancelled on or before the expected ship date
    late: float  # cancelled after it


@dataclass(frozen=True)
class MarketplaceRow:
    """One marketplace of the table."""

    code: str
    name: str
    marketplace_id: str
    region: str
    #: the site as the order reports' sales-channel writes it, lower case (`amazon.de`)
    site: str
    currency: str
    #: the sourced target (a rate under this fraction); None: not sourced
    threshold: float | None = None
    window_days: int = DEFAULT_WINDOW_DAYS
    long_window_days: int | None = None
    fee: CancellationFee | None = None


_EU_TARGET = 0.025  # docs/domain.md section 3: US, CA, UK, EU, AU, JP
TABLE: tuple[MarketplaceRow, ...] = (
    MarketplaceRow("US", "United States", "ATVPDKIKX0DER", "NA", "amazon.com", "USD", _EU_TARGET),
    MarketplaceRow("CA", "Canada", "A2EUQ1WTGCTBG2", "NA", "amazon.ca", "CAD", _EU_TARGET),
    MarketplaceRow("MX", "Mexico", "A1AM78C64UM0Y8", "NA", "amazon.com.mx", "MXN"),
    MarketplaceRow("BR", "Brazil", "A2Q3Y263D00KWC", "NA", "amazon.com.br", "BRL"),
    MarketplaceRow("UK", "United Kingdom", "A1F83G8C2ARO7P", "EU", "amazon.co.uk", "GBP", 0.025),
    MarketplaceRow("DE", "Germany", "A1PA6795UKMFR9", "EU", "amazon.de", "EUR", _EU_TARGET),
    MarketplaceRow("FR", "France", "A13V1IB3VIYZZH", "EU", "amazon.fr", "EUR", _EU_TARGET),
    MarketplaceRow("IT", "Italy", "APJ6JRA9NG5V4", "EU", "amazon.it", "EUR", _EU_TARGET),
    MarketplaceRow("ES", "Spain", "A1RKKUPIHCS9HS", "EU", "amazon.es", "EUR", _EU_TARGET),
    MarketplaceRow("NL", "Netherlands", "A1805IZSGTT6HS", "EU", "amazon.nl", "EUR", _EU_TARGET),
    MarketplaceRow("SE", "Sweden", "A2NODRKZP88ZB9", "EU", "amazon.se", "SEK", _EU_TARGET),
    MarketplaceRow("PL", "Poland", "A1C3SOZRARQ6R3", "EU", "amazon.pl", "PLN", _EU_TARGET),
    MarketplaceRow("BE", "Belgium", "AMEN7PMS3EDWL", "EU", "amazon.com.be", "EUR", _EU_TARGET),
    MarketplaceRow("IE", "Ireland", "A28R8C7NBKEWEA", "EU", "amazon.ie", "EUR", _EU_TARGET),
    MarketplaceRow("TR", "Turkey", "A33AVAJ2PDY3EV", "EU", "amazon.com.tr", "TRY"),
    MarketplaceRow("AE", "United Arab Emirates", "A2VIGQ35RCS4UG", "EU", "amazon.ae", "AED"),
    MarketplaceRow("SA", "Saudi Arabia", "A17E79C6D8DWNP", "EU", "amazon.sa", "SAR"),
    MarketplaceRow("EG", "Egypt", "ARBP9OOSHTCHU", "EU", "amazon.eg", "EGP"),
    MarketplaceRow("ZA", "South Africa", "AE08WJ6YKNBMC", "EU", "amazon.co.za", "ZAR"),
    # India recommends under 2%, also reports a 30-day rate, and charges a cancellation fee
    # of 100% of the referral fee on or before the expected ship date, 150% after it
    MarketplaceRow(
        "IN",
        "India",
        "A21TJRUUN4KGV",
        "EU",
        "amazon.in",
        "INR",
        0.02,
        long_window_days=30,
        fee=CancellationFee("INR", 1.0, 1.5),
    ),
    MarketplaceRow("JP", "Japan", "A1VC38T7YXB528", "FE", "amazon.co.jp", "JPY", _EU_TARGET),
    MarketplaceRow("AU", "Australia", "A39IBJ37TRP1C6", "FE", "amazon.com.au", "AUD", _EU_TARGET),
    MarketplaceRow("SG", "Singapore", "A19VAU5U5O7RUS", "FE", "amazon.sg", "SGD"),
)
BY_CODE: dict[str, MarketplaceRow] = {row.code: row for row in TABLE}
#: other spellings of a marketplace code -> its canonical code
ALIASES: dict[str, str] = {"GB": "UK"}


def canonical(code: str) -> str | None:
    """The canonical code of a marketplace code or alias (`gb` -> UK); None when it names
    no marketplace of the table."""
    key = str(code).strip().upper()
    key = ALIASES.get(key, key)
    return key if key in BY_CODE else None


def known_codes() -> str:
    """The codes of the table, for messages."""
    return ", ".join(BY_CODE)


#: currency -> the one marketplace selling in it (EUR is several: not here)
_CURRENCIES: dict[str, list[str]] = {}
for _row in TABLE:
    _CURRENCIES.setdefault(_row.currency, []).append(_row.code)


def markets_of_currency(currency: str) -> list[str]:
    """The marketplaces that sell in a currency (`JPY` -> [JP], `EUR` -> DE, FR, ...)."""
    return list(_CURRENCIES.get(currency.strip().upper(), ()))


@dataclass(frozen=True)
class SpapiMarketplace:
    code: str
    marketplace_id: str
    region: str

    @property
    def endpoint(self) -> str:
        return REGION_ENDPOINTS[self.region]


MARKETPLACE_IDS: dict[str, SpapiMarketplace] = {
    row.code: SpapiMarketplace(row.code, row.marketplace_id, row.region) for row in TABLE
}
_BY_ID = {m.marketplace_id: m for m in MARKETPLACE_IDS.values()}


def spapi_marketplace(code: str) -> SpapiMarketplace:
    """The SP-API marketplace of a marketplace code (`US`, `DE`, `GB`/`UK`, ...)."""
    key = canonical(code)
    if key is None:
        raise ConfigError(
            f"unknown marketplace '{code}' for the SP-API; known: {', '.join(MARKETPLACE_IDS)}"
        )
    return MARKETPLACE_IDS[key]


def by_marketplace_id(marketplace_id: str) -> SpapiMarketplace | None:
    """The marketplace of an SP-API marketplace id, or None for an id not in the table."""
    return _BY_ID.get(marketplace_id)


def sandbox_endpoint(endpoint: str) -> str:
    """The sandbox host of a production endpoint (`https://sandbox.sellingpartnerapi-...`)."""
    scheme, _, host = endpoint.partition("://")
    return f"{scheme}://{SANDBOX_PREFIX}{host}"


#: the site of each marketplace, as Amazon's order reports name it in `sales-channel`
#: (`Amazon.de`; docs/domain.md section 8: the all-orders report's sales-channel names the site)
#: and as the storefront's host is spelled (`www.amazon.co.uk`), compared in lower case.
SALES_CHANNELS: dict[str, str] = {row.site: row.code for row in TABLE}
_SITE_PREFIXES = ("https://", "http://", "www.")


def marketplace_code(value: str) -> str | None:
    """The code of the marketplace a value names: a code (`DE`, `GB`), a site as the order
    reports' `sales-channel` writes it (`Amazon.de`, `www.amazon.co.uk`) or an SP-API
    marketplace id (`A1PA6795UKMFR9`); None when it names no marketplace of the table."""
    text = value.strip()
    upper = text.upper()
    by_id = by_marketplace_id(upper)
    if by_id is not None:
        return by_id.code
    code = canonical(upper)
    if code is not None:
        return code
    site = text.lower().rstrip("/")
    for prefix in _SITE_PREFIXES:
        site = site.removeprefix(prefix)
    return SALES_CHANNELS.get(site)
