"""The architecture, checked: no import cycles, imports only downwards, heavy libraries only where allowed.

The layers, top to bottom (README "Architecture"); a module may import its own
layer and the layers below, never above, and the import graph has no cycle:
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "digest"

LAYERS: list[tuple[str, ...]] = [
    ("digest.cli", "digest.__main__"),
    ("digest.app",),
    ("digest.ingest", "digest.mail", "digest.readinglist", "digest.triage", "digest.tune"),
    ("digest.ranking", "digest.render"),
    ("digest.config",),
    ("digest.store", "digest.sources"),
    ("digest.item", "digest.identity", "digest.records", "digest.tags", "digest.text", "digest.words", "digest.errors", "digest.paths",
     "digest.dates", "digest.feedback", "digest.deadline", "digest.data", "digest"),
]

# Third-party libraries only some modules may import (prefix of the importing module).
ONLY = {
    "click": ("digest.cli",),
    "rich": ("digest.render",),
    "textual": ("digest.triage",),
    "feedparser": ("digest.sources.feed",),
    # the semantic extra: loaded only when [semantic] is on (its package's __init__ imports neither)
    "numpy": ("digest.ranking.semantic.",),
    "tokenizers": ("digest.ranking.semantic.model",),
    "safetensors": (),  # model files are read by our own header parser
    "wordllama": (),  # its files are read by path, the package is never imported
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, module: str, is_pkg: bool, modules: set[str]) -> set[str]:
    """Every module imported anywhere in the tree (functions too), except under TYPE_CHECKING.
    ``from pkg import sub`` depends on pkg.sub (not on pkg's __init__) when sub is a module."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in modules else target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _graph() -> dict[str, set[str]]:
    files = sorted(PKG.rglob("*.py"))
    modules = {_module_name(p): p for p in files}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        raw = _imports(tree, name, path.name == "__init__.py", set(modules))
        graph[name] = {m for m in raw if m in modules and m != name}
        graph[name] |= {m for m in raw if not m.startswith("digest")}  # third-party, for ONLY
    return graph


def _internal(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: {d for d in deps if d in graph} for m, deps in graph.items()}


def _layer(module: str) -> int:
    best = None
    for i, names in enumerate(LAYERS):
        for prefix in names:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (i, len(prefix))
    assert best is not None, f"{module} is in no layer: add it to LAYERS and to README 'Architecture'"
    return best[0]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
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
        for w in graph[v]:
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

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for v in graph:
        if v not in index:
            strong(v)
    return out


def test_no_import_cycles():
    assert _cycles(_internal(_graph())) == []


def test_cycle_check_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_imports_only_go_down_the_layers():
    graph = _internal(_graph())
    upward = [f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})"
              for m, deps in sorted(graph.items()) for d in sorted(deps) if _layer(d) < _layer(m)]
    assert upward == []


@pytest.mark.parametrize("lib", sorted(ONLY))
def test_heavy_libraries_only_where_allowed(lib):
    graph = _graph()
    users = sorted(m for m, deps in graph.items() if any(d == lib or d.startswith(lib + ".") for d in deps))
    allowed = ONLY[lib]
    assert [m for m in users if not m.startswith(allowed)] == []


def test_help_loads_neither_rich_nor_a_tui():
    code = ("import sys\nfrom click.testing import CliRunner\nfrom digest.cli import cli\n"
            "r = CliRunner().invoke(cli, ['--help'])\nassert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in ('rich', 'textual', 'feedparser', 'sqlite3', 'digest.readinglist',\n"
            "                         'digest.render', 'digest.store') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_without_semantic_no_command_loads_numpy_or_the_model(tmp_path):
    """The base install's start-up is untouched: `digest show` (and the [semantic] rules module)
    import neither numpy nor tokenizers unless [semantic] is on."""
    code = ("import sys\nfrom click.testing import CliRunner\nfrom digest.cli import cli\n"
            "import digest.ranking.semantic\n"
            "r = CliRunner().invoke(cli, ['show'])\nassert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in ('numpy', 'tokenizers', 'wordllama') if m in sys.modules))")
    env = {**__import__("os").environ, "DIGEST_HOME": str(tmp_path / "store")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "[]"
