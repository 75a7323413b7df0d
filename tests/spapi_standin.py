"""The tests' handle on the stand-in for Amazon (cancelkit/spapi/standin/, shipped in the
package): everything it offers, and the `standin` fixture."""

from __future__ import annotations

import pytest

from cancelkit.spapi.standin import (  # noqa: F401
    APP_ID,
    CLIENT_SECRET,
    FATAL_REPORT,
    MODELS,
    REFRESH_TOKEN,
    SANDBOX_FEED,
    SECRETS,
    TOKEN_PREFIX,
    Models,
    Scenario,
    Standin,
    gzip_bomb,
    processing_report,
)


@pytest.fixture
def standin(monkeypatch):
    """A running stand-in, with the environment pointing cancelkit at it."""
    server = Standin().start()
    for name, value in server.environment().items():
        monkeypatch.setenv(name, value)
    try:
        yield server
    finally:
        server.stop()
