"""The tree's shape (issue #11), read from the source with :mod:`ast`, never by importing it.

Every import counts: at the top of a module, inside a function (a "lazy" import still ties the
modules together, it only delays the moment) and under ``if TYPE_CHECKING:`` (a type a module
names is a module it depends on).

- The pure modules (the elevator model, the replay fold, the log's formats and proofs) do no I/O
  and start no threads: they import no database, event store, HTTP, thread or process library
  and none of the log store's modules, neither directly nor through another module of ours.
- Dependencies point inward: api → projections → domain → ledger (demo, if present, sits beside
  projections, on the domain); inside the domain the model and the replay never reach the
  application (the event store). bench/ and tests/ may import anything; no layer imports them.
- The import graph of the layers has no cycle.
- docs/architecture.md names every module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest

from tests.support.import_graph import Import, Tree, cycles, first_path, within

REPO = Path(__file__).resolve().parents[2]
#: The layers, innermost first; demo/ only where it exists.
LAYERS = tuple(
    layer for layer in ("ledger", "domain", "projections", "demo", "api") if (REPO / layer).is_dir()
)
#: Of each package, the packages its modules may import (the longest matching key applies).
MAY_IMPORT = {
    "ledger": ("ledger",),
    "domain": ("ledger", "domain"),
    "domain.model": ("ledger", "domain.model", "domain.replay"),
    "domain.replay": ("ledger", "domain.model", "domain.replay"),
    "projections": ("ledger", "domain", "projections"),
    "demo": ("ledger", "domain", "demo"),
    "api": ("ledger", "domain", "projections", "demo", "api"),
}
#: Packages of ours outside the layers: they may import the layers, never the reverse.
ABOVE_THE_LAYERS = ("bench", "tests")
#: The pure modules: these packages wholly, and these modules of the ledger.
PURE_PACKAGES = ("domain.model", "domain.replay", "demo")
PURE_MODULES = (
    "ledger.merkle",
    "ledger.note",
    "ledger.canonical",
    "ledger.dsse",
    "ledger.keys",
    "ledger.entry",
    "ledger.disclosure",
)
#: What a pure module must not reach: the libraries of storage, HTTP, threads and processes,
#: and the ledger's modules that hold the log store, its database and its process pools.
IMPURE = (
    "sqlalchemy",
    "eventsourcing",
    "threading",
    "multiprocessing",
    "concurrent",
    "alembic",
    "psycopg",
    "httpx",
    "uvicorn",
    "fastapi",
    "ledger.log",
    "ledger.db",
    "ledger.turns",
    "ledger.parallel",
    "ledger.schema",
    "ledger.migrate",
    "ledger.stored_entries",
    "ledger.instant",
)
DOC = REPO / "docs" / "architecture.md"


def report(problems: list[str], what: str) -> None:
    if problems:
        pytest.fail(f"{len(problems)} {what}:\n" + "\n".join(problems), pytrace=False)


def is_pure(module: str) -> bool:
    return module in PURE_MODULES or any(within(module, p) for p in PURE_PACKAGES)


def is_impure(imp: Import) -> bool:
    return any(within(imp.target, name) for name in IMPURE)


def impure_imports(tree: Tree) -> Iterator[str]:
    """Each import of a pure module that reaches an impure one: directly, or through modules
    of ours that are not pure themselves (a pure one answers for its own imports)."""
    for module in filter(is_pure, tree.files):
        for imp in tree.imports[module]:
            target = tree.ours(imp.target)
            if is_impure(imp):
                yield str(imp)
            elif target is not None and not is_pure(target):
                chain = first_path(tree, target, is_impure)
                if chain is not None:
                    steps = " → ".join(f"{step.target} ({step.path}:{step.line})" for step in chain)
                    yield f"{imp}, which leads to {steps}"


def allowed(module: str) -> tuple[str, ...]:
    """The packages ``module`` may import, from :data:`MAY_IMPORT`'s longest matching key."""
    keys = [key for key in MAY_IMPORT if within(module, key)]
    return MAY_IMPORT[max(keys, key=len)] if keys else ()


def upward_imports(tree: Tree) -> Iterator[str]:
    """Each import of a module of ours that its layer may not make."""
    ours = (*LAYERS, *ABOVE_THE_LAYERS)
    for module in tree.files:
        for imp in tree.imports[module]:
            if any(within(imp.target, top) for top in ours) and not any(
                within(imp.target, package) for package in allowed(module)
            ):
                yield f"{imp} ({module} may import only {', '.join(allowed(module))})"


def import_cycles(tree: Tree) -> Iterator[str]:
    graph: dict[str, set[str]] = {m: set() for m in tree.files}
    line: dict[tuple[str, str], Import] = {}
    for module in tree.files:
        for imp, target in tree.edges(module):
            graph[module].add(target)
            line.setdefault((module, target), imp)
    for cycle in cycles(graph):
        yield " → ".join(cycle) + "".join(f"\n    {line[a, b]}" for a, b in pairwise(cycle))


def layer_tree() -> Tree:
    return Tree(REPO, LAYERS)


def test_pure_modules_import_no_storage_http_threads_or_processes() -> None:
    report(list(impure_imports(layer_tree())), "imports of I/O in pure modules")


def test_no_layer_imports_a_higher_one() -> None:
    report(list(upward_imports(layer_tree())), "imports against the layers")


def test_the_import_graph_has_no_cycle() -> None:
    """A cycle is printed as its modules, then the import that makes each step."""
    report(list(import_cycles(layer_tree())), "import cycles")


def documented_as(path: Path, layer: str, ambiguous: set[str]) -> re.Pattern[str]:
    """How docs/architecture.md may name the module at ``path`` (relative to the repository):
    by its path inside its layer (``model/elevator.py``), alone (not the tail of a longer path)
    or after the layer's name (``domain/model/elevator.py``); a path inside its layer that
    another layer also has (``schema.py``, ``migrations/env.py``) counts only after the
    layer's name."""
    inside = path.relative_to(layer).as_posix()
    prefix = f"{re.escape(layer)}/" if inside in ambiguous else f"(?:{re.escape(layer)}/)?"
    return re.compile(rf"(?<![\w./-]){prefix}{re.escape(inside)}(?!\w)")


def documented_modules() -> list[tuple[Path, str]]:
    """Each module the document must name, with its layer: every ``*.py`` of the layers but
    the packages' ``__init__.py`` and the migrations' versions."""
    return [
        (path, path.parts[0])
        for path in layer_tree().files.values()
        if path.name != "__init__.py" and path.parent.parts[-2:] != ("migrations", "versions")
    ]


def test_the_architecture_doc_names_every_module() -> None:
    """Every module appears in docs/architecture.md by its path inside its layer, alone or after
    the layer's name: ``model/elevator.py`` or ``domain/model/elevator.py``, ``merkle.py`` or
    ``ledger/merkle.py``; where two layers have the same path inside them (``schema.py``), only
    with the layer's name (``ledger/schema.py``). Dotted names (``domain.model.elevator``) do
    not count."""
    text = DOC.read_text(encoding="utf-8")
    modules = documented_modules()
    insides = [path.relative_to(layer).as_posix() for path, layer in modules]
    ambiguous = {inside for inside in insides if insides.count(inside) > 1}
    missing = [
        f"{path.as_posix()} (as {path.relative_to(layer).as_posix()} or {path.as_posix()})"
        if path.relative_to(layer).as_posix() not in ambiguous
        else f"{path.as_posix()} (its path inside {layer}/ is not unique: name it in full)"
        for path, layer in modules
        if not documented_as(path, layer, ambiguous).search(text)
    ]
    report(missing, f"modules {DOC.relative_to(REPO)} does not name")


def test_the_architecture_doc_names_no_module_that_is_gone() -> None:
    """Every ``*.py`` path the page names in backticks is a file of the repository: the path in
    full, or its end (``model/elevator/state.py``, ``merkle.py``). A module moved or removed must
    take its description with it."""
    text = DOC.read_text(encoding="utf-8")
    files = {
        path.relative_to(REPO).as_posix()
        for path in REPO.rglob("*.py")
        if not {".venv", ".git", "node_modules"} & set(path.relative_to(REPO).parts)
    }
    named = sorted(set(re.findall(r"`([\w./-]+\.py)\b", text)))
    gone = [
        name
        for name in named
        if name not in files and not any(f.endswith("/" + name) for f in files)
    ]
    report(gone, f"paths {DOC.relative_to(REPO)} names that no file has")


def write(root: Path, files: dict[str, str]) -> None:
    for name, source in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source, encoding="utf-8")


def test_the_rules_see_lazy_indirect_and_relative_imports(tmp_path: Path) -> None:
    """The rules themselves, on a small tree that breaks each of them."""
    write(
        tmp_path,
        {
            "ledger/__init__.py": "",
            "ledger/log.py": "import sqlalchemy\n",
            "ledger/receipt.py": "from ledger import log\n",
            "ledger/merkle.py": "def f() -> None:\n    from . import receipt\n",
            "domain/__init__.py": "",
            "domain/model/__init__.py": "",
            "domain/model/elevator.py": "from domain.application import service\n",
            "domain/application/__init__.py": "",
            "domain/application/service.py": "import domain.model.elevator\n",
        },
    )
    tree = Tree(tmp_path, ("ledger", "domain"))
    assert list(impure_imports(tree)) == [
        "ledger/merkle.py:2 imports ledger.receipt, which leads to ledger.log (ledger/receipt.py:1)"
    ]
    assert list(upward_imports(tree)) == [
        "domain/model/elevator.py:1 imports domain.application.service"
        " (domain.model.elevator may import only ledger, domain.model, domain.replay)"
    ]
    assert list(import_cycles(tree)) == [
        "domain.application.service → domain.model.elevator → domain.application.service"
        "\n    domain/application/service.py:1 imports domain.model.elevator"
        "\n    domain/model/elevator.py:1 imports domain.application.service"
    ]
