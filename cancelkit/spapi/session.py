"""An SP-API session: the client's credentials for one marketplace, its access token (renewed
before it runs out and once more on a 403), and what every operation shares: the JSON call,
the checks of an answer's ids and document URLs, and the walk through a listing's pages.
The operations are in feeds.py and orders.py; SpapiClient (client.py) is both."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..amazon.marketplaces import SpapiMarketplace
from ..errors import AnswerMismatch, SpapiError, SpapiForbidden, SpapiRefused
from . import auth
from .redaction import IDENTIFIER
from .settings import ENV_REFRESH_TOKEN, ENV_REGIONAL_REFRESH_TOKENS, USER_AGENT, SpapiSettings
from .transport import Transport, require_client_library

#: pages one listing (getFeeds, searchOrders) may take before cancelkit stops: 2,000 pages
#: of searchOrders are 200,000 orders (at 0.0056 pages a second, about 4 days of calls)
MAX_PAGES = 2000


class Session(Transport):
    """One marketplace's SP-API calls over a Transport (see SpapiClient for the arguments)."""

    def __init__(
        self,
        settings: SpapiSettings,
        market: SpapiMarketplace,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        on_wait: Callable[[float, str], None] | None = None,
        transport: Any = None,
    ) -> None:
        require_client_library()
        self.market = market
        self.endpoint = settings.endpoint_for(market)
        self._credentials = settings.require_credentials()
        self._refresh_token = self._credentials.refresh_token_for(market.region)
        if not self._refresh_token:
            regional = ENV_REGIONAL_REFRESH_TOKENS.get(market.region, ENV_REFRESH_TOKEN)
            raise SpapiError(
                f"the SP-API credentials are missing: no refresh token for {market.code}'s "
                f"region {market.region} ({regional} or {ENV_REFRESH_TOKEN}); set it in the "
                "environment or in the [amazon] table of cancelkit.toml",
                code="spapi_credentials_missing",
            )
        super().__init__(
            settings,
            self._credentials.secrets(),
            sleep=sleep,
            clock=clock,
            on_wait=on_wait,
            transport=transport,
        )
        self._token_renew_at = 0.0

    def _access_token(self, renew: bool = False) -> str:
        if self._token is not None and not renew and self._clock() < self._token_renew_at:
            return self._token
        asked_at = self._clock()
        token, lifetime = auth.login(self, self._credentials, self._refresh_token, self.market)
        self._token = token
        self._token_renew_at = auth.renew_at(asked_at, lifetime)
        return token

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping | None = None,
        json: Mapping | None = None,
        retry_server_errors: bool = True,
    ) -> dict:
        """An SP-API operation: JSON in and out, the access token renewed once on a 403."""
        url = self.endpoint + path
        for renew in (False, True):
            headers = {
                "x-amz-access-token": self._access_token(renew),
                "user-agent": USER_AGENT,
                "accept": "application/json",
            }
            response = self._send(
                operation,
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                retry_server_errors=retry_server_errors,
            )
            if response.status_code != 403:
                break
        status = response.status_code
        if status == 403:
            raise SpapiForbidden(
                f"{operation}: Amazon refused the request (HTTP 403: "
                f"{self._amazon_says(response)}); check the credentials LWA_APP_ID, "
                "LWA_CLIENT_SECRET and SP_API_REFRESH_TOKEN: the refresh token must be from "
                f"authorizing this app for the seller account in {self.market.code}'s region, "
                "and the app needs the role for this operation",
                403,
            )
        if status >= 400:
            raise SpapiRefused(
                f"{operation}: Amazon answered HTTP {status}: {self._amazon_says(response)}",
                status,
            )
        try:
            document = response.json()
        except ValueError:
            raise SpapiError(f"{operation}: Amazon's answer is not JSON") from None
        if not isinstance(document, dict):
            raise SpapiError(f"{operation}: Amazon's answer is not a JSON object")
        return document

    @staticmethod
    def _field(document: dict, name: str, operation: str) -> str:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise SpapiError(f"{operation}: Amazon's answer has no {name}")
        return value

    def scrub(self, text: str) -> str:
        """Text from an answer, safe to show (see `_scrub`)."""
        return self._scrub(text)

    def identifier(self, value, name: str, operation: str) -> str:
        """An id Amazon gave (feedId, feedDocumentId) that cancelkit stores and shows: a
        short run of letters, digits and `._:-`, and never one of the secrets echoed."""
        if (
            not isinstance(value, str)
            or not IDENTIFIER.fullmatch(value)
            or self._scrub(value) != value
        ):
            shown = self._scrub(str(value))[:80]
            raise SpapiError(
                f"{operation}: Amazon's answer has no usable {name} ('{shown}'); nothing more "
                "is sent",
                code="spapi_answer_invalid",
            )
        return value

    def _mismatch(self, operation: str, what: str, asked, answered) -> AnswerMismatch:
        return AnswerMismatch(
            f"{operation}: Amazon's answer is about {what} '{self._scrub(str(answered))}', not "
            f"the '{self._scrub(str(asked))}' asked for; nothing more is sent (Amazon's "
            "sandbox answers every call with the same example: see the README)"
        )

    def _document_url(self, url: str, operation: str) -> str:
        """A presigned URL is https; plain http only to the host of an http endpoint (a
        local stand-in). Checked before anything is sent to it."""
        parts = urlsplit(url)
        endpoint = urlsplit(self.endpoint)
        if parts.scheme == "https" and parts.hostname:
            return url
        if (
            parts.scheme == "http"
            and endpoint.scheme == "http"
            and parts.hostname
            and parts.hostname == endpoint.hostname
        ):
            return url
        raise SpapiError(
            f"{operation}: Amazon's answer gives a document URL that is not https "
            f"('{self._scrub(parts.scheme)}://{self._scrub(parts.hostname or '')}'); nothing "
            "is sent to it",
            code="spapi_document_url",
        )

    def _pages(
        self,
        operation: str,
        path: str,
        first: dict,
        token_of: Callable[[dict], object],
        next_params: Callable[[dict, str], dict],
    ) -> Iterator[dict]:
        """The answers of a listing, page after page: a next-page token seen before, or more
        than MAX_PAGES pages, stop it with an error (no endless loop)."""
        params, seen = first, set[str]()
        for _page in range(MAX_PAGES):
            found = self._call(operation, "GET", path, params=params)
            yield found
            token = token_of(found)
            if not token:
                return
            if not isinstance(token, str) or token in seen or token == params.get("nextToken"):
                raise SpapiError(
                    f"{operation}: Amazon gave a next-page token it had given before; the "
                    "listing would never end, so cancelkit stopped after "
                    f"{len(seen) + 1} pages and wrote nothing",
                    code="spapi_paging_loop",
                )
            seen.add(token)
            params = next_params(params, token)
        raise SpapiError(
            f"{operation}: more than {MAX_PAGES:,} pages; cancelkit stopped and wrote nothing "
            "(ask for fewer days)",
            code="spapi_too_many_pages",
        )
