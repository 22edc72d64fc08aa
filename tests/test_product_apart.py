"""The product carries no demo and no test code: no product module imports ``demo/`` or
``tests/``, and none reads a test-only switch from the environment."""

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("portal", "clusters", "funding", "panels", "budgets", "reports", "accounts")


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    for app in PRODUCT:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(), filename=str(path))


def _imported(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_no_product_module_imports_the_demo_or_the_tests():
    found = [
        f"{path.relative_to(ROOT)}: {name}"
        for path, tree in _modules()
        for name in _imported(tree)
        if name.split(".")[0] in {"demo", "tests"}
    ]
    assert found == []


def test_no_product_module_has_a_test_switch():
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}"
        for path, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and ("_TEST_" in node.value or node.value.startswith("TEST_"))
    ]
    assert found == []
