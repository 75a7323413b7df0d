"""usecases/send.py's fetch_orders_checked driven without click."""

from __future__ import annotations

from pathlib import Path

import pytest

from cancelkit.errors import CancelkitError
from cancelkit.usecases.send import fetch_orders_checked


def test_fetch_orders_checked_refuses_an_existing_output_first(tmp_path: Path) -> None:
    output = tmp_path / "orders.txt"
    output.write_text("kept", encoding="utf-8")
    with pytest.raises(CancelkitError) as caught:
        fetch_orders_checked(str(output), "US", 30, config=None, force=False, say=print)
    assert caught.value.code == "output_exists"
    assert output.read_text(encoding="utf-8") == "kept"
