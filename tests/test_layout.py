"""The package's shape: imports run one way, top to bottom, with no cycle (docs/design.md "Layout").

Each module belongs to a layer (its package under cancelkit/, or a top-level module); a
module may import its own package and the layers below it, never one above. Imports of
cancelkit modules sit at the top of a module; the one function-level import allowed is the
pydantic record model, which loads only when a row needs it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cancelkit"

#: top to bottom; a layer may import the layers after it (the same README lists them)
LAYERS = (
    "__main__",
    "entry",
    "cli",
    "web",
    "__init__",
    "api",
    "usecases",
    "pipeline",
    "write",
    "review",
    "assess",
    "enrich",
    "ledger",
    "validate",
    "options",
    "read",
    "spapi",
    "amazon",
    ("codes", "errors", "version", "interrupts"),
)
RANK = {
    name: rank
    for rank, layer in enumerate(LAYERS)
    for name in (layer if isinstance(layer, tuple) else (layer,))
}
#: function-level imports of cancelkit modules that are allowed, and why
LAZY_ALLOWED = {
    "cancelkit.validate.model",  # pydantic: only rows off the fast path need it
    # `import cancelkit` is light; the API loads on first use, so the command line's entry
    # installs its interrupt handling before the heavy imports (cancelkit/__init__.py)
    "cancelkit.api",
    # `cancelkit serve`: starlette is an optional extra
    "cancelkit.web",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> list[str]:
    """The cancelkit modules an import statement imports."""
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target != "cancelkit" and not target.startswith("cancelkit."):
        return []
    found = []
    for alias in node.names:
        candidate = f"{target}.{alias.name}"
        path = PACKAGE.parent.joinpath(*candidate.split("."))
        found.append(candidate if path.with_suffix(".py").exists() or path.is_dir() else target)
    return found


def imports() -> dict[str, list[tuple[str, bool, int]]]:
    """module -> [(imported module, at function level, line)]."""
    graph: dict[str, list[tuple[str, bool, int]]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nested = {
            id(inner)
            for outer in ast.walk(tree)
            if isinstance(outer, (ast.FunctionDef, ast.AsyncFunctionDef))
            for inner in ast.walk(outer)
        }
        edges = graph.setdefault(module, [])
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for target in resolve(module, path.name == "__init__.py", node):
                    edges.append((target, id(node) in nested, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("cancelkit"):
                        edges.append((alias.name, id(node) in nested, node.lineno))
    return graph


GRAPH = imports()


def test_every_module_has_a_layer():
    assert {layer_of(m) for m in GRAPH} <= set(RANK)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_run_down_the_layers(module):
    mine = layer_of(module)
    upward = [
        f"line {line}: {target} ({layer_of(target)} is above {mine})"
        for target, _, line in GRAPH[module]
        if layer_of(target) != mine and RANK[layer_of(target)] < RANK[mine]
    ]
    assert not upward, f"{module} imports upward: {upward}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_function_level_imports_of_cancelkit_modules(module):
    lazy = [
        f"line {line}: {target}"
        for target, nested, line in GRAPH[module]
        if nested and target not in LAZY_ALLOWED
    ]
    assert not lazy, f"{module} imports inside a function: {lazy}"


def test_there_is_no_import_cycle():
    """Imports inside functions count too: a lazy import that closes a cycle is still one."""
    top_level = {
        module: {t for t, _, _ in edges if t in GRAPH and t != module}
        for module, edges in GRAPH.items()
    }
    state: dict[str, int] = {}  # 1 visiting, 2 done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(top_level[module]):
            if state.get(target) == 1:
                cycle = path[path.index(target) :] + [target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(top_level):
        if module not in state:
            visit(module)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The rules above are not vacuous: a read module importing write is found."""
    node = ast.parse("from ..write.result import Result").body[0]
    (target,) = resolve("cancelkit.read.tables", False, node)
    assert target == "cancelkit.write.result"
    assert RANK[layer_of(target)] < RANK[layer_of("cancelkit.read.tables")]


#: the longest a module of cancelkit may be (issue 19: files of one thing)
MAX_MODULE_LINES = 600


def test_no_module_is_over_the_line_limit():
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


#: what the command line may import of cancelkit: the use cases, the options and the printing
#: (write/terminal.py), beside the errors, the signal handling and the version
CLI_IMPORTS = ("cancelkit.usecases.", "cancelkit.options", "cancelkit.write.terminal")
CLI_ALSO = {"cancelkit.errors", "cancelkit.interrupts", "cancelkit.version"}


def test_the_cli_imports_only_use_cases_options_and_printing():
    others = sorted(
        f"line {line}: {target}"
        for target, nested, line in GRAPH["cancelkit.cli"]
        if not nested and not target.startswith(CLI_IMPORTS) and target not in CLI_ALSO
    )
    assert not others, f"cancelkit.cli imports more than the use cases: {others}"


# -- the tests ------------------------------------------------------------------------------

TESTS = Path(__file__).resolve().parent


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _cancelkit_modules(tree: ast.Module) -> set[str]:
    """The names a test file binds to cancelkit modules (`import cancelkit.x as m`,
    `from cancelkit.x import module`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "cancelkit" or alias.name.startswith("cancelkit."):
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and not node.level:
            target = node.module or ""
            if target == "cancelkit" or target.startswith("cancelkit."):
                for alias in node.names:
                    path = PACKAGE.parent.joinpath(*target.split("."), alias.name)
                    if path.with_suffix(".py").exists() or path.is_dir():
                        names.add(alias.asname or alias.name)
    return names


def _of_module(node: ast.expr, modules: set[str]) -> bool:
    """Whether an expression is a cancelkit module or a name reached through one."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name) and node.id in modules


def private_reaches(source: str) -> list[str]:
    """The private names of cancelkit a test file reaches: imported (`from cancelkit.x
    import _y`), read through a module (`x._y`, `cancelkit.x._y`), or named to
    monkeypatch.setattr, getattr and the like (`setattr(x, "_y", ...)`, "cancelkit.x._y")."""
    tree = ast.parse(source)
    modules = _cancelkit_modules(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level:
            target = node.module or ""
            if target == "cancelkit" or target.startswith("cancelkit."):
                found += [
                    f"line {node.lineno}: from {target} import {alias.name}"
                    for alias in node.names
                    if _is_private(alias.name) or any(map(_is_private, target.split(".")))
                ]
        elif isinstance(node, ast.Attribute) and _is_private(node.attr):
            if _of_module(node.value, modules):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and node.args:
            first, *rest = node.args
            named = rest[0] if rest else None
            if (
                isinstance(named, ast.Constant)
                and isinstance(named.value, str)
                and _is_private(named.value)
                and _of_module(first, modules)
            ):
                found.append(f"line {node.lineno}: {ast.unparse(first)}, {named.value!r}")
            if (
                isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value.startswith("cancelkit.")
                and any(map(_is_private, first.value.split(".")))
            ):
                found.append(f"line {node.lineno}: {first.value!r}")
    return sorted(found, key=lambda text: int(text.split(":")[0].split()[1]))


TEST_FILES = sorted(p for p in TESTS.rglob("*.py") if p.name != "test_layout.py")


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(TESTS)))
def test_tests_use_no_private_name_of_cancelkit(path):
    """Tests go through public names (CONTRIBUTING.md "Tests"): a number a test must make
    small, or a hook it needs, is a public, documented name of its module."""
    found = private_reaches(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(TESTS)} reaches private names of cancelkit: {found}"


def test_the_private_check_sees_each_kind_of_reach():
    source = """
import cancelkit
import cancelkit.ledger.values as values
from cancelkit.ledger import windows
from cancelkit.write.spool import _RELEASE
from cancelkit.ledger.store import Ledger
windows._window_rebuild(db, [])
cancelkit.api._save_report
monkeypatch.setattr(values, "_window", None)
monkeypatch.setattr("cancelkit.write.spool._RELEASE", 1)
self._records, Ledger.open(path).path, values.__name__, fake._http
"""
    found = private_reaches(source)
    assert [line.split(":")[0] for line in found] == [
        "line 5",
        "line 7",
        "line 8",
        "line 9",
        "line 10",
    ], found


#: folders of tests/ that are not a package of cancelkit: end-to-end tests named after the
#: behaviour, and the corpus of awkward inputs
NOT_PACKAGES = {"system", "corpus"}


def names_a_module(test_file: str, package: Path) -> bool:
    """Whether `test_<module>.py` or `test_<module>_<aspect>.py` names a module or a
    subpackage of `package`."""
    stem = test_file.removeprefix("test_").removesuffix(".py")
    modules = {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    return any(stem == module or stem.startswith(module + "_") for module in modules)


def test_test_folders_are_packages_of_cancelkit():
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    strays = sorted(folders - NOT_PACKAGES - {p.name for p in PACKAGE.iterdir() if p.is_dir()})
    assert not strays, f"tests/ folders that are no package of cancelkit: {strays}"


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for p in TESTS.glob("*/test_*.py")
        if p.parent.name not in NOT_PACKAGES and (PACKAGE / p.parent.name).is_dir()
    ),
    ids=lambda p: str(p.relative_to(TESTS)),
)
def test_a_test_file_is_named_after_a_module_of_its_package(path):
    """CONTRIBUTING.md "Tests": tests/<package>/test_<module>[_<aspect>].py tests
    cancelkit/<package>/<module>.py (or its subpackage <module>/)."""
    package = PACKAGE / path.parent.name
    assert names_a_module(path.name, package), (
        f"{path.relative_to(TESTS)} names no module of cancelkit/{package.name}/ "
        "(test_<module>.py or test_<module>_<aspect>.py); end-to-end tests go in tests/system/"
    )


def test_test_file_names_are_unique():
    """Test folders are not packages: pytest imports each file by its name alone."""
    seen: dict[str, list[str]] = {}
    for path in TESTS.rglob("*.py"):
        seen.setdefault(path.name, []).append(str(path.relative_to(TESTS)))
    twice = {name: paths for name, paths in seen.items() if len(paths) > 1}
    twice.pop("__init__.py", None)
    assert not twice, f"test files of the same name: {twice}"


def test_the_name_check_sees_a_stray_name():
    assert names_a_module("test_store_record_killed.py", PACKAGE / "ledger")
    assert names_a_module("test_standin.py", PACKAGE / "spapi")  # a subpackage
    assert not names_a_module("test_ledger.py", PACKAGE / "ledger")
    assert not names_a_module("test_storefront.py", PACKAGE / "ledger")  # a prefix, no module
