"""Every third-party package the code imports is declared in pyproject.toml.

The portal, the optimizer, the migrations and wsgi.py run in production: what they import at
module level must be a core dependency, and what they import inside a function (the RQ queue,
for instance) may come from an optional extra. Tests and benchmarks may also use the dev extra.
"""

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ["portal", "optimizer", "migrations", "wsgi.py"]
DEVELOPMENT = ["tests", "bench"]
FIRST_PARTY = {path.stem for path in ROOT.iterdir() if path.is_dir() or path.suffix == ".py"}
# A benchmark script may import another from its folder (bench/page_cpu.py reads bench/web.py).
FIRST_PARTY |= {path.stem for path in (ROOT / "bench").glob("*.py")}


def normalized(name: str) -> str:
    """A distribution name as pip compares it (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> tuple[set[str], set[str], set[str]]:
    """Names of the core dependencies, of the runtime extras, and of the dev extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {normalized(re.match(r"[A-Za-z0-9._-]+", r).group()) for r in requirements}

    extras = project["optional-dependencies"]
    runtime_extras = set().union(*(names(v) for k, v in extras.items() if k != "dev"))
    return names(project["dependencies"]), runtime_extras, names(extras["dev"])


def third_party_imports(paths: list[str]) -> dict[tuple[str, bool], set[str]]:
    """(top-level module, imported at module level) -> the files importing it."""
    found: dict[tuple[str, bool], set[str]] = {}
    for entry in paths:
        root = ROOT / entry
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            module_level = {id(node) for node in tree.body}
            module_level |= {
                id(child)
                for node in tree.body
                if isinstance(node, ast.If | ast.Try)
                for child in ast.walk(node)
            }
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.partition(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY:
                        continue
                    key = (top, id(node) in module_level)
                    found.setdefault(key, set()).add(str(path.relative_to(ROOT)))
    return found


@functools.cache
def installed() -> dict[str, list[str]]:
    """Top-level module -> the installed distributions providing it (slow: read once)."""
    return importlib.metadata.packages_distributions()


def distributions_of(module: str) -> set[str]:
    """The installed distributions that provide a top-level module."""
    provided = installed().get(module, [])
    return {normalized(name) for name in provided}


def unexplained(paths: list[str], allowed: dict[bool, set[str]]) -> list[str]:
    """Imports in `paths` whose distribution is not among the allowed ones."""
    problems = []
    for (module, at_module_level), files in sorted(third_party_imports(paths).items()):
        distributions = distributions_of(module)
        if not distributions & allowed[at_module_level]:
            where = ", ".join(sorted(files))
            problems.append(f"{module} ({sorted(distributions) or 'not installed'}): {where}")
    return problems


def test_runtime_imports_are_declared():
    core, runtime_extras, _ = declared()
    allowed = {True: core, False: core | runtime_extras}
    assert unexplained(RUNTIME, allowed) == []


def test_test_and_bench_imports_are_declared():
    core, runtime_extras, dev = declared()
    everything = core | runtime_extras | dev
    assert unexplained(DEVELOPMENT, {True: everything, False: everything}) == []


def test_the_scan_sees_third_party_imports():
    found = {module for module, _ in third_party_imports(RUNTIME)}
    assert {"flask", "sqlalchemy", "pulp", "alembic"} <= found
    assert not found & FIRST_PARTY
    assert {"rq", "redis"} <= {m for m, top in third_party_imports(RUNTIME) if not top}


@pytest.mark.parametrize(
    ("given", "expected"), [("Flask-SQLAlchemy", "flask-sqlalchemy"), ("PuLP", "pulp")]
)
def test_distribution_names_are_compared_normalized(given, expected):
    assert normalized(given) == expected
