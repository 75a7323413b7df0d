"""The order-report parser's block path (report_dates.column_span: a block's dates taken a
column at a time) gives exactly what the line-by-line path gives, on random reports: dates
of several shapes and offsets, empty and future dates, blank lines, ids to clean, lines a
line break split, unwanted orders."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cancelkit.enrich import orders_report, report_dates

HEADER = [
    "order-id", "order-item-id", "purchase-date", "payments-date", "reporting-date", "sku",
    "product-name", "quantity-purchased", "quantity-shipped", "is-buyer-requested-cancellation",
]  # fmt: skip
NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)

dates = st.one_of(
    st.just(""),
    st.builds(
        lambda days, minutes, shape: shape(NOW + dt.timedelta(days=days, minutes=minutes)),
        st.integers(-40, 2),
        st.integers(0, 1439),
        st.sampled_from(
            [
                lambda m: m.isoformat(),
                lambda m: m.astimezone(dt.timezone(dt.timedelta(hours=-8))).isoformat(),
                lambda m: m.astimezone(dt.timezone(dt.timedelta(hours=-7))).isoformat(),
                lambda m: m.strftime("%Y-%m-%dT%H:%M:%SZ"),
                lambda m: m.strftime("%Y-%m-%d"),
            ]
        ),
    ),
    st.just("not a date"),
)
orders = st.sampled_from(["111-0000001-0000001", " 111-0000002-0000002", "111\u20110000003-0000003",
                          "222-0000004-0000004", "", "333-0000005-0000005"])  # fmt: skip
line = st.one_of(
    st.builds(
        lambda order, item, d1, d2, d3, name: "\t".join(
            [order, item, d1, d2, d3, "SKU-1", name, "1", "0", "false"]
        ),
        orders,
        st.sampled_from(["31947205836174", "31947205836188", ""]),
        dates,
        dates,
        dates,
        st.sampled_from(["Tea", "Tea\nsplit", "Tea\tshifted"]),
    ),
    st.just(""),
)


def _load(path, wanted, *, blocks: bool, monkeypatch):
    if not blocks:
        monkeypatch.setattr(orders_report, "column_span", lambda *a: False)
    else:
        monkeypatch.setattr(orders_report, "column_span", report_dates.column_span)
    try:
        report = orders_report.load(path, wanted, NOW)
    except Exception as exc:  # the same refusal either way
        return repr(exc)
    orders = {order_id: report.get(order_id) for order_id in report.order_ids()}
    files = [
        {k: v for k, v in vars(f).items() if k != "file_time"}
        if hasattr(f, "__dict__")
        else repr(f)
        for f in report.files
    ]
    return repr((orders, files, report.problems, report.unreadable))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(line, min_size=1, max_size=60),
    wanted=st.one_of(st.none(), st.just({"111-0000001-0000001", "111-0000003-0000003"})),
    block=st.sampled_from([1, 64, 1 << 16]),
)
def test_blocks_read_as_lines_do(tmp_path_factory, monkeypatch, lines, wanted, block):
    path = tmp_path_factory.mktemp("report") / "unshipped.txt"
    path.write_text("\t".join(HEADER) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(orders_report, "BLOCK_CHARS", block)
    by_blocks = _load(path, wanted, blocks=True, monkeypatch=monkeypatch)
    by_lines = _load(path, wanted, blocks=False, monkeypatch=monkeypatch)
    assert by_blocks == by_lines
