"""The folders show the data's way: product packages never lean on the replica, and no module of the
project imports itself back through others.

Imports are read from the source with :mod:`ast` (nested imports included, since a lazy import inside
a function is still a dependency); only ``if TYPE_CHECKING:`` blocks are skipped, because they never run.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("spiders", "crawler", "extract", "publish", "replica")
PRODUCT = ("spiders", "crawler", "extract", "publish")
# The CLI may start the replica web for `nianbao demo`, `nianbao replica` and a replica crawl; every such
# import sits in this one function of crawler/cli.py.
REPLICA_DOORS = {("crawler.cli", "replica_server")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            out[module_name(path)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None]]:
    """(imported project module, enclosing top-level function or None) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    found: list[tuple[str, str | None]] = []

    def resolve(mod: str) -> str | None:
        while mod and mod not in modules:
            mod = mod.rpartition(".")[0]
        return mod or None

    def visit(node: ast.AST, func: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub, func)
                continue
            f = func
            if func is None and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                f = child.name
            if isinstance(child, ast.Import):
                for alias in child.names:
                    target = resolve(alias.name)
                    if target:
                        found.append((target, f))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = here[:len(here) - (child.level - 1)] if child.level > 1 else here
                    prefix = ".".join(base + ([child.module] if child.module else []))
                else:
                    prefix = child.module or ""
                for alias in child.names:
                    target = resolve(f"{prefix}.{alias.name}") or resolve(prefix)
                    if target:
                        found.append((target, f))
            visit(child, f)

    visit(tree, None)
    return [(t, f) for t, f in found if t != name]


def import_graph() -> dict[str, list[tuple[str, str | None]]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, list[tuple[str, str | None]]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w, _ in graph.get(v, []):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_the_graph_sees_relative_lazy_and_package_imports():
    graph = import_graph()
    targets = {t for t, _ in graph["replica.assemble"]}
    assert {"replica.anhui", "replica.spec", "replica.body"} <= targets  # `from . import anhui`, `from .spec …`
    assert ("extract.cjk", None) in graph["publish.plugins.cjk_search"]
    lazy = {(t, f) for t, f in graph["crawler.cli"]}
    assert ("crawler.archive", "health_table") in lazy  # an import inside a function counts
    # and a cycle, when there is one, is found
    assert cycles({"a": [("b", None)], "b": [("c", None)], "c": [("a", None)], "d": [("a", None)]}) == [["a", "b", "c"]]


def test_no_import_circles():
    assert cycles(import_graph()) == []


def test_product_packages_do_not_import_the_replica():
    offenders = []
    for name, deps in import_graph().items():
        if not name.startswith(PRODUCT):
            continue
        for target, func in deps:
            if (target == "replica" or target.startswith("replica.")) and (name, func) not in REPLICA_DOORS:
                offenders.append(f"{name} ({func or 'module level'}) imports {target}")
    assert offenders == []


def test_extract_reads_bytes_only():
    """extract/ is bytes in, document out: it knows nothing of the crawler, the spiders or Datasette."""
    leaks = [f"{name} imports {t}" for name, deps in import_graph().items() if name.startswith("extract")
             for t, _ in deps if not t.startswith("extract")]
    assert leaks == []


def test_every_top_level_folder_says_what_lives_there():
    for folder in (*PACKAGES, "bench", "tests", "deploy"):
        readme = ROOT / folder / "README.md"
        assert readme.is_file(), f"{folder}/ has no README.md"
        assert len(readme.read_text(encoding="utf-8").strip().splitlines()) >= 3
