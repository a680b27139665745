"""The app graph: every import between the project's apps (function-level ones included) goes down the layers.

Layers, bottom first (docs/architecture.md says why this order):

    pipeline -> interviewprep core -> accounts -> mastery -> rag -> sessions -> audio -> composition root

The composition root is the project package's URL confs, ASGI/WSGI entry points and Celery app: they wire every
app together and nothing imports them. `pipeline/` imports nothing of the project at all, not even its core.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
LAYERS = ["pipeline", "interviewprep", "accounts", "mastery", "rag", "sessions", "audio", "composition root"]
APPS = set(LAYERS) - {"composition root"}
COMPOSITION_ROOT = {"urls.py", "api_urls.py", "asgi.py", "wsgi.py", "celery.py"}


def layer_of(path: Path, root: Path = ROOT) -> str:
    top = path.relative_to(root).parts[0]
    if top == "interviewprep" and path.parent == root / "interviewprep" and path.name in COMPOSITION_ROOT:
        return "composition root"
    return top


def imported_apps(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """(app, line) of every absolute import anywhere in the module: module level, functions, TYPE_CHECKING."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in APPS:
                yield top, node.lineno


def app_edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importing layer, imported app) -> where, for every import between two different layers."""
    edges: dict[tuple[str, str], list[str]] = {}
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = layer_of(path, root)
            for target, line in imported_apps(ast.parse(path.read_text(), filename=str(path))):
                if target != source:
                    edges.setdefault((source, target), []).append(f"{path.relative_to(root)}:{line}")
    return edges


def cycles(edges: dict[tuple[str, str], list[str]]) -> list[list[str]]:
    """Strongly connected components with more than one layer (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_app_is_in_a_layer() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in ("tests", "bench")}
    assert packages == APPS


def test_the_app_graph_has_no_cycle() -> None:
    edges = app_edges()
    assert edges, "no imports between apps found: the parser is broken"
    assert cycles(edges) == []


def test_every_import_goes_down_the_layers() -> None:
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = {f"{source} -> {target}": where for (source, target), where in app_edges().items()
              if rank[target] >= rank[source]}
    assert upward == {}


def test_pipeline_imports_no_app() -> None:
    imported = {target: where for (source, target), where in app_edges().items() if source == "pipeline"}
    assert imported == {}, imported


def test_the_checker_sees_function_level_and_upward_imports(tmp_path: Path) -> None:
    """The check itself can fail: a function-level import from a lower app to a higher one is found."""
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("")
    (tmp_path / "accounts" / "services.py").write_text("def f():\n    from sessions.models import Answer\n")
    (tmp_path / "sessions" / "services.py").write_text("from accounts.models import User\n")
    edges = app_edges(tmp_path)
    assert edges == {("accounts", "sessions"): ["accounts/services.py:2"],
                     ("sessions", "accounts"): ["sessions/services.py:1"]}
    assert cycles(edges) == [["accounts", "sessions"]]
