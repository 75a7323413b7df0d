"""The SP-API settings (environment, [amazon] table, precedence), the marketplace table,
the client's secret hygiene, and the stand-in's model checks themselves."""

from __future__ import annotations

import json

import httpx
import pytest
from spapi_standin import SECRETS, Models

from cancelkit import spapi
from cancelkit.amazon import marketplaces, policy
from cancelkit.errors import ConfigError
from cancelkit.options import load_config, spapi_settings

APP_ID, CLIENT_SECRET, REFRESH_TOKEN = SECRETS
ENVIRONMENT = {
    "LWA_APP_ID": APP_ID,
    "LWA_CLIENT_SECRET": CLIENT_SECRET,
    "SP_API_REFRESH_TOKEN": REFRESH_TOKEN,
}


# -- marketplaces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, marketplace_id, host",
    [
        ("US", "ATVPDKIKX0DER", "https://sellingpartnerapi-na.amazon.com"),
        ("BR", "A2Q3Y263D00KWC", "https://sellingpartnerapi-na.amazon.com"),
        ("DE", "A1PA6795UKMFR9", "https://sellingpartnerapi-eu.amazon.com"),
        ("GB", "A1F83G8C2ARO7P", "https://sellingpartnerapi-eu.amazon.com"),
        ("IN", "A21TJRUUN4KGV", "https://sellingpartnerapi-eu.amazon.com"),
        ("JP", "A1VC38T7YXB528", "https://sellingpartnerapi-fe.amazon.com"),
        ("au", "A39IBJ37TRP1C6", "https://sellingpartnerapi-fe.amazon.com"),
    ],
)
def test_marketplace_ids_and_region_endpoints(code, marketplace_id, host):
    market = marketplaces.spapi_marketplace(code)
    assert (market.marketplace_id, market.endpoint) == (marketplace_id, host)
    assert marketplaces.by_marketplace_id(marketplace_id) == market


def test_every_policy_marketplace_has_an_spapi_id():
    assert set(policy.MARKETPLACES) <= set(marketplaces.MARKETPLACE_IDS)


def test_an_unknown_marketplace_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown marketplace 'XX' for the SP-API"):
        marketplaces.spapi_marketplace("XX")


def test_endpoint_override_and_sandbox():
    de = marketplaces.spapi_marketplace("DE")
    plain = spapi_settings(ENVIRONMENT, None, None)
    assert plain.endpoint_for(de) == "https://sellingpartnerapi-eu.amazon.com"
    assert plain.lwa_endpoint == "https://api.amazon.com/auth/o2/token"
    sandbox = spapi_settings({**ENVIRONMENT, "CANCELKIT_SPAPI_SANDBOX": "1"}, None, None)
    assert sandbox.endpoint_for(de) == "https://sandbox.sellingpartnerapi-eu.amazon.com"
    override = spapi_settings(
        {
            **ENVIRONMENT,
            "CANCELKIT_SPAPI_ENDPOINT": "http://127.0.0.1:9/",
            "CANCELKIT_LWA_ENDPOINT": "http://127.0.0.1:9/token",
        },
        None,
        None,
    )
    assert override.endpoint_for(de) == "http://127.0.0.1:9"
    assert override.lwa_endpoint == "http://127.0.0.1:9/token"


# -- settings -----------------------------------------------------------------------------


def test_the_environment_wins_over_the_config_table():
    table = {
        "lwa_app_id": "from-config-app",
        "lwa_client_secret": "from-config-secret",
        "sp_api_refresh_token": "from-config-refresh",
        "spapi_endpoint": "http://config.example",
        "poll_interval": 5,
    }
    only_config = spapi_settings({}, table, None)
    assert only_config.credentials == spapi.Credentials(
        "from-config-app", "from-config-secret", "from-config-refresh"
    )
    assert (only_config.api_endpoint, only_config.poll_interval) == ("http://config.example", 5)
    both = spapi_settings({**ENVIRONMENT, "CANCELKIT_SPAPI_POLL_INTERVAL": "0.5"}, table, None)
    assert both.credentials == spapi.Credentials(*SECRETS)
    assert both.poll_interval == 0.5
    assert spapi_settings({}, None, None).poll_interval == 30.0


def test_missing_credentials_are_listed():
    settings = spapi_settings({"LWA_APP_ID": APP_ID}, None, None)
    assert settings.credentials is None
    assert settings.missing == ("LWA_CLIENT_SECRET", "SP_API_REFRESH_TOKEN")
    with pytest.raises(spapi.SpapiError) as info:
        settings.require_credentials()
    assert info.value.code == "spapi_credentials_missing"


@pytest.mark.parametrize(
    "table, message",
    [
        ({"lwa_secret": "x"}, "unknown setting(s) in [amazon]: lwa_secret"),
        ({"poll_interval": "soon"}, "'poll_interval' in [amazon] must be a number"),
        ({"poll_interval": -1}, "'poll_interval' in [amazon] must be a number of seconds > 0"),
        ({"poll_interval": 0}, "'poll_interval' in [amazon] must be a number of seconds > 0"),
        ({"poll_interval": "nan"}, "'poll_interval' in [amazon] must be a number of seconds > 0"),
        ({"poll_interval": "inf"}, "'poll_interval' in [amazon] must be a number of seconds > 0"),
        ({"poll_interval": True}, "'poll_interval' in [amazon] must be a number of seconds > 0"),
        ({"lwa_app_id": 12}, "'lwa_app_id' in [amazon] must be a string"),
    ],
)
def test_bad_amazon_settings_are_config_errors(table, message):
    with pytest.raises(ConfigError) as info:
        spapi_settings({}, table, "cancelkit.toml")
    assert message in str(info.value)


def test_the_config_file_amazon_table_is_read_with_or_without_a_cancelkit_table(tmp_path):
    bare = tmp_path / "bare.toml"
    bare.write_text('marketplace = "DE"\n[amazon]\nlwa_app_id = "a"\n')
    assert load_config(bare).amazon == {"lwa_app_id": "a"}
    tabled = tmp_path / "tabled.toml"
    tabled.write_text('[cancelkit]\nmarketplace = "DE"\n[amazon]\nlwa_app_id = "b"\n')
    assert load_config(tabled).amazon == {"lwa_app_id": "b"}
    broken = tmp_path / "broken.toml"
    broken.write_text('amazon = "secret"\n')
    with pytest.raises(ConfigError, match="'amazon' must be a table"):
        load_config(broken)


def test_a_config_file_with_secrets_readable_by_others_is_warned_about(tmp_path):
    path = tmp_path / "cancelkit.toml"
    path.write_text("")
    table = {"lwa_client_secret": CLIENT_SECRET}
    path.chmod(0o640)
    (warning,) = spapi_settings({}, table, path).warnings
    assert warning == f"{path} holds SP-API credentials and other users can read it; " + (
        f"run: chmod 600 {path}"
    )
    assert CLIENT_SECRET not in warning
    path.chmod(0o600)
    assert spapi_settings({}, table, path).warnings == ()
    path.chmod(0o644)  # no secret in the file: nothing to warn about
    assert spapi_settings({}, {"poll_interval": 1}, path).warnings == ()


def test_reprs_never_show_a_secret():
    settings = spapi_settings(ENVIRONMENT, None, None)
    texts = [repr(settings), str(settings), repr(settings.credentials), str(settings.credentials)]
    client = spapi.SpapiClient(settings, marketplaces.spapi_marketplace("US"))
    texts.append(repr(client))
    client.close()
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# -- the client against a server that echoes secrets back ------------------------------------


def test_server_messages_are_scrubbed_of_secrets_and_the_token():
    token = "Atza|issued-token-0123456789"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": token})
        echo = f"bad request from {CLIENT_SECRET} with token {token} and {REFRESH_TOKEN}"
        return httpx.Response(400, json={"errors": [{"code": "InvalidInput", "message": echo}]})

    settings = spapi_settings(
        {**ENVIRONMENT, "CANCELKIT_SPAPI_ENDPOINT": "http://amazon.test"}, None, None
    )
    client = spapi.SpapiClient(
        settings, marketplaces.spapi_marketplace("US"), transport=httpx.MockTransport(answer)
    )
    with pytest.raises(spapi.SpapiError) as info:
        client.create_feed_document()
    message = str(info.value)
    assert message.startswith("createFeedDocument: Amazon answered HTTP 400: InvalidInput:")
    assert "***" in message
    for secret in (*SECRETS, token):
        assert secret not in message
    assert info.value.__cause__ is None and info.value.__context__ is None  # no httpx chain


# -- the stand-in's own checks -------------------------------------------------------------


def test_the_model_checks_catch_what_amazon_would_refuse():
    models = Models()
    operation, document, values = models.find("POST", "/feeds/2021-06-30/feeds")
    assert operation["operationId"] == "createFeed"
    body = json.dumps({"feedType": "X", "marketplaceIds": []}).encode()
    problems = models.check_request(operation, document, values, {}, body)
    assert "createFeed.body: required field inputFeedDocumentId is missing" in problems
    assert "createFeed.body.marketplaceIds: fewer than 1 items" in problems
    operation, document, values = models.find("GET", "/feeds/2021-06-30/feeds")
    problems = models.check_request(
        operation, document, values, {"processingStatuses": ["DONE,BOGUS"], "size": ["1"]}, b""
    )
    assert any("'BOGUS' is not one of" in p for p in problems)
    assert "getFeeds: query parameter size is not in the model" in problems
    operation, document, values = models.find("GET", "/feeds/2021-06-30/feeds/123")
    assert values == {"feedId": "123"}
    answer = {"feedId": "123", "processingStatus": "WAITING"}
    problems = models.check_response(operation, document, 200, answer)
    assert any("required field createdTime is missing" in p for p in problems)
    assert any("'WAITING' is not one of" in p for p in problems)
    assert models.find("GET", "/feeds/2021-06-30/nothing") is None


def test_a_credential_shaped_poll_interval_in_the_environment_is_not_echoed():
    with pytest.raises(ConfigError) as info:
        spapi_settings({"CANCELKIT_SPAPI_POLL_INTERVAL": "Atzr|IwEBSECRETVALUE"})
    assert "must be a number of seconds > 0" in str(info.value)
    assert "IwEBSECRETVALUE" not in str(info.value)
