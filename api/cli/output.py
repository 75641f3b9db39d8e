"""Everything the command line prints, in one place, so every command keeps one contract:
results on stdout (text, JSON, JSON Lines, tables), progress and reports on stderr, and every
failure one line on stderr (``error: …``) with a non-zero exit code.

No message is read as Rich markup (it is escaped, or printed with markup off): messages carry
names, paths and details the ledger was sent, and a ``[`` in them must print as it is.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

#: stderr: progress, reports, errors (stdout is kept for results a script may read).
console = Console(stderr=True)


def say(message: str) -> None:
    """One line on stderr, as given: never wrapped, never read as Rich markup."""
    console.print(message, markup=False, highlight=False, soft_wrap=True)


def alert(label: str, message: str) -> None:
    """One line on stderr whose ``label`` stands out in red (``error:``, ``#3 rejected``)."""
    console.print(f"[red]{escape(label)}[/red] {escape(message)}", highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """One line on stderr and a non-zero exit: the CLI's error contract."""
    alert("error:", message)
    raise typer.Exit(code)


def progress() -> Progress:
    """A progress bar on stderr (done/total and time left), left on screen when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def print_line(text: str) -> None:
    """A result on stdout: one line of text."""
    sys.stdout.write(text + "\n")


def print_bytes(data: bytes) -> None:
    """A result on stdout, exactly these bytes (a signed envelope is written as signed)."""
    sys.stdout.buffer.write(data)


def print_json(doc: Any, indent: bool = False) -> None:
    """A result on stdout: one JSON document (``--json``), on one line unless ``indent``."""
    print_line(orjson.dumps(doc, option=orjson.OPT_INDENT_2 if indent else 0).decode())


def print_json_lines(docs: Iterable[Any]) -> None:
    """Results on stdout as JSON Lines (``--json`` of a listing): one document a line."""
    for doc in docs:
        print_line(orjson.dumps(doc).decode())


def print_rich(renderable: RenderableType) -> None:
    """A table or a line of :class:`rich.text.Text` on stdout, never highlighted."""
    Console(highlight=False).print(renderable)
