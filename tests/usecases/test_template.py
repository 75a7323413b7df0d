"""usecases/template.py driven without click."""

from __future__ import annotations

from pathlib import Path

import pytest

from cancelkit.errors import CancelkitError
from cancelkit.usecases.template import template


def test_template_is_written_once(tmp_path: Path) -> None:
    output = tmp_path / "t.xlsx"
    outcome = template(str(output))
    assert output.exists() and outcome.written == {"template": str(output)}
    with pytest.raises(CancelkitError) as caught:
        template(str(output))
    assert caught.value.code == "output_exists"
