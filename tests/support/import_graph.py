"""The imports of the project's modules, read from their source with :mod:`ast`, never by
importing them: a test of the tree's shape must not run the code it judges (nor fail because
some module cannot be imported), and must see every import, also those inside functions and
under ``if TYPE_CHECKING:``, which a look at ``sys.modules`` after an import would miss."""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class Import:
    """One import statement's target in one module, resolved to the module it names
    (``from ledger import merkle`` imports ``ledger.merkle`` when that is a module of ours)."""

    importer: str
    path: str  # the importer's file, relative to the repository
    line: int
    target: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.target}"


def within(name: str, prefix: str) -> bool:
    """Whether the dotted ``name`` is ``prefix`` or below it (``ledger.log`` is within
    ``ledger``; ``ledger_tools`` is not)."""
    return name == prefix or name.startswith(prefix + ".")


def module_name(relative: Path) -> str:
    """``domain/model/elevator.py`` → ``domain.model.elevator``; a package's ``__init__.py``
    is the package."""
    parts = relative.with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@dataclass(frozen=True)
class Tree:
    """The modules under ``packages`` of the repository at ``root`` and what each imports."""

    root: Path
    packages: tuple[str, ...]

    @cached_property
    def files(self) -> dict[str, Path]:
        """Module name → its file, relative to ``root``."""
        found = {}
        for package in self.packages:
            for path in sorted((self.root / package).rglob("*.py")):
                relative = path.relative_to(self.root)
                found[module_name(relative)] = relative
        return found

    @cached_property
    def imports(self) -> dict[str, list[Import]]:
        """Module name → its imports, in source order."""
        return {name: list(self.read(name)) for name in self.files}

    def read(self, name: str) -> Iterator[Import]:
        path = self.files[name]
        tree = ast.parse((self.root / path).read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in self.targets(node, name, path.name == "__init__.py"):
                    yield Import(name, path.as_posix(), node.lineno, target)

    def targets(self, node: ast.Import | ast.ImportFrom, name: str, package: bool) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:  # relative: counted from the importer's package
            parts = name.split(".") if package else name.split(".")[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        return [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in self.files else base
            for alias in node.names
        ]

    def ours(self, target: str) -> str | None:
        """The module of ours that an import of ``target`` names, if any (``import a.b`` of a
        package ``a`` names ``a.b`` when that is a module, else ``a``)."""
        while target and target not in self.files:
            target = target.rpartition(".")[0]
        return target or None

    def edges(self, name: str) -> Iterator[tuple[Import, str]]:
        """Each import of ``name`` that names another module of ours, with that module."""
        for imp in self.imports[name]:
            target = self.ours(imp.target)
            if target is not None and target != name:
                yield imp, target


def parents(name: str) -> Iterator[str]:
    """The packages whose ``__init__`` runs before ``name`` does: ``a.b.c`` → ``a``, ``a.b``."""
    parts = name.split(".")
    for n in range(1, len(parts)):
        yield ".".join(parts[:n])


def first_path(tree: Tree, start: str, hit: Callable[[Import], bool]) -> list[Import] | None:
    """The shortest chain of imports from ``start`` through modules of ours (each also running
    its packages' ``__init__``) that ends in an import ``hit`` accepts, or None."""
    came: dict[str, list[Import]] = {start: []}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        for imp in tree.imports.get(name, []):
            if hit(imp):
                return [*came[name], imp]
        for imp, target in tree.edges(name):
            for step in (*parents(target), target):
                if step in tree.files and step not in came:
                    came[step] = [*came[name], imp]
                    queue.append(step)
    return None


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """One cycle (its modules, the first repeated at the end) in each strongly connected
    component of more than one module, by Tarjan's algorithm."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, ()):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [cycle_in(graph, set(c), c[0]) for c in sorted(components)]


def cycle_in(graph: Mapping[str, Iterable[str]], component: set[str], start: str) -> list[str]:
    """The shortest way from ``start`` back to itself inside ``component``."""
    came: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for succ in sorted(graph.get(node, ())):
            if succ == start:
                path = [node]
                while path[-1] != start:
                    path.append(came[path[-1]])
                return [*reversed(path), start]
            if succ in component and succ not in came:
                came[succ] = node
                queue.append(succ)
    raise AssertionError(f"{start} is on no cycle of its component")
