"""SpapiClient: one marketplace's Selling Partner API, the Feeds and the Orders calls over one
session (session.py) and its transport (transport.py)."""

from __future__ import annotations

from .feeds import FeedsApi
from .orders import OrdersApi


class SpapiClient(FeedsApi, OrdersApi):
    """One marketplace's SP-API over HTTP. Use as a context manager.

    `sleep` is the pause function and `clock` the monotonic clock (tests pass fast ones);
    `on_wait(seconds, why)` is told about each pause so a command can say why it waits.
    `deadline` (a `clock()` value, or None) bounds every call and pause: past it a call
    raises DeadlineReached. `transport` is an httpx transport to send the requests through
    instead of the network (as httpx.Client's: tests pass an `httpx.MockTransport`); the
    client's own timeouts, redirects and bounds stay, the deadline of its socket reads goes."""

    def __repr__(self) -> str:
        return f"SpapiClient(endpoint={self.endpoint!r}, marketplace={self.market.code!r})"

    def __enter__(self) -> SpapiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
