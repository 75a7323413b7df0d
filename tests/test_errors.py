"""The exception family of cancelkit/errors.py: every class has its own default code, and
every code the package raises is in a catalogue (errors.FAILURES or codes.CODES) and in the
README. Classes and raises are found by scanning the package, so a class moved into
errors.py or added elsewhere is checked without being listed here."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import cancelkit
from cancelkit.codes import CODES
from cancelkit.errors import FAILURES, CancelkitError, ConfigError, InputError

PACKAGE = Path(cancelkit.__file__).parent
README = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
#: the codes the README names, each in backquotes
README_CODES = set(re.findall(r"`([a-z][a-z0-9_]*)`", README))


def _modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE)], prefix="cancelkit.")
        if not info.name.endswith("__main__")  # running it is the command line
    ]
    return sorted(names)


def _family() -> list[type[CancelkitError]]:
    for name in _modules():
        importlib.import_module(name)
    found: list[type[CancelkitError]] = []
    todo: list[type[CancelkitError]] = [CancelkitError]
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("cancelkit") and cls not in found:
            found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _code_literals() -> list[tuple[str, str]]:
    """(code, where) for each `code="..."` argument and `Problem("...")`/`Flag("...")`."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                    found.append((keyword.value.value, where))
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name in ("Problem", "Flag") and node.args and isinstance(node.args[0], ast.Constant):
                found.append((node.args[0].value, where))
    return found


def test_every_class_of_the_family_has_its_own_documented_default_code():
    family = _family()
    assert {CancelkitError, InputError, ConfigError} <= set(family)
    for cls in family:
        assert "code" in vars(cls), f"{cls.__module__}.{cls.__qualname__} has no default code"
        assert cls.code in FAILURES, f"{cls.__qualname__}.code {cls.code!r} is not in FAILURES"
        assert cls.code in README_CODES, f"{cls.__qualname__}.code {cls.code!r} not in README"


def test_each_default_code_names_one_class():
    owners: dict[str, str] = {}
    for cls in _family():
        assert owners.setdefault(cls.code, cls.__qualname__) == cls.__qualname__, cls.code


def test_every_code_raised_is_catalogued_and_documented():
    literals = _code_literals()
    assert len(literals) > 50  # the scan finds the raises
    unknown = [(c, w) for c, w in literals if c not in FAILURES and c not in CODES]
    undocumented = [(c, w) for c, w in literals if c not in README_CODES]
    assert unknown == [], "codes in no catalogue (add them to errors.FAILURES)"
    assert undocumented == [], "codes the README does not name"


def test_every_catalogued_code_is_in_the_readme():
    assert sorted(set(FAILURES) - README_CODES) == []
    assert sorted(set(CODES) - README_CODES) == []


def test_a_raise_names_a_more_precise_code_than_its_class():
    assert InputError("x").code == "input_unusable"
    assert InputError("x", code="file_empty").code == "file_empty"
    assert InputError.code == "input_unusable"  # the class keeps its default


@pytest.mark.parametrize("code", sorted(FAILURES))
def test_failure_codes_are_snake_case(code):
    assert re.fullmatch(r"[a-z][a-z0-9_]*", code)
