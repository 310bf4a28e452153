"""The shape of the code: no import cycles in the portal, and the optimizer reached only
through its public names.

Both read the source with `ast` (nothing is imported), counting imports inside functions
too, since those only hide a cycle until the function runs.
"""

import ast
from pathlib import Path

import optimizer

ROOT = Path(__file__).resolve().parent.parent

# Import edges (importer, imported) known to close a cycle that another change removes.
# Empty: every cycle found so far is gone; add an edge here only with the reason beside it.
ALLOWED_EDGES: set[tuple[str, str]] = set()


def _modules(package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every module of a package under the project root."""
    modules = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path) -> list[tuple[str, ast.AST]]:
    """Every (dotted target, node) the module imports, wherever the import statement is.

    `from a.b import c` names `a.b.c` (resolved later to `a.b` when c is not a module);
    relative imports are made absolute.
    """
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            found += [(f"{base}.{alias.name}", node) for alias in node.names]
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (at any depth of its code)."""
    modules = _modules(package)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _node in _imports(name, path):
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                graph[name].add(target)
    return graph


def _blueprint_pair(a: str, b: str) -> bool:
    """A feature package's `__init__` and its own `routes` import each other by design."""
    return b == f"{a}.routes" or a == f"{b}.routes"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_cycle_finder_sees_imports_inside_functions(tmp_path, monkeypatch):
    package = tmp_path / "pkg"
    (package / "feature").mkdir(parents=True)
    (package / "__init__.py").write_text("from pkg import jobs\n")
    (package / "jobs.py").write_text("def run():\n    from pkg import create_app\n")
    (package / "feature" / "__init__.py").write_text("from pkg.feature import routes\n")
    (package / "feature" / "routes.py").write_text("from . import bp\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    graph = import_graph("pkg")
    assert graph["pkg.jobs"] == {"pkg"} and graph["pkg.feature.routes"] == {"pkg.feature"}
    assert cycles(graph) == [["pkg", "pkg.jobs"], ["pkg.feature", "pkg.feature.routes"]]


def test_no_import_cycles_between_portal_modules():
    graph = import_graph("portal")
    for importer, imported in ALLOWED_EDGES:
        graph[importer].discard(imported)
    for a in graph:
        graph[a] = {b for b in graph[a] if not _blueprint_pair(a, b)}
    found = cycles(graph)
    assert not found, "import cycles (imports inside functions count):\n" + "\n".join(
        " ".join(f"{m} -> {sorted(graph[m] & set(group))};" for m in group) for group in found
    )


def test_the_optimizer_never_imports_the_portal_or_the_web():
    for name, path in _modules("optimizer").items():
        for target, node in _imports(name, path):
            top = target.split(".")[0]
            assert top not in ("portal", "flask", "flask_sqlalchemy", "sqlalchemy"), (
                f"{path.relative_to(ROOT)}:{node.lineno} imports {target}"
            )


def test_the_portal_uses_only_the_optimizers_public_names():
    public = set(optimizer.__all__)
    wrong = []
    for path in _modules("portal").values():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        aliases = set()
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("optimizer."):
                        wrong.append(f"{where} imports {alias.name}")
                    elif alias.name == "optimizer":
                        aliases.add(alias.asname or "optimizer")
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("optimizer"):
                if node.module != "optimizer":
                    wrong.append(f"{where} imports from {node.module}")
                hidden = [a.name for a in node.names if a.name not in public]
                wrong += [f"{where} imports optimizer.{n}" for n in hidden]
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr not in public
            ):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} uses optimizer.{node.attr}")
    assert not wrong, "\n".join(wrong)
