"""The ``tenure`` command line: a thin layer over the library.

The commands of the capability registry (``tenure analyze cohorts``, ``tenure fit``,
``tenure churn train``...) are made from their declarations (:mod:`._registry`); the few
commands that are not capabilities of a workspace (creating one, changing a setting,
simulating a business, the demo) are written in :mod:`._commands`. A user error prints one
line and exits with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys
import warnings
from typing import Annotated

import typer

from tenure.capabilities import GROUPS, REGISTRY
from tenure.cli._commands import register
from tenure.cli._common import friendly, show_warning, state
from tenure.cli._registry import command_for
from tenure.i18n import choose_language

__all__ = ["app", "main"]

app = typer.Typer(
    name="tenure",
    help="A customer-retention engine over your own order history.\n\n"
    "Start with `tenure demo`, or `tenure init shop` then "
    "`tenure ingest orders orders.csv --workspace shop`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


def _version(value: bool) -> None:
    if value:
        from tenure._version import __version__

        typer.echo(f"tenure {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Language to print in: zh (Simplified Chinese) or en; default: "
                       "$TENURE_LANG, else the workspace's workspace.language.")] = None,
    version: Annotated[bool | None, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    state.debug = debug
    state.lang = lang
    state.setting = None
    _check_language(lang)


@friendly
def _check_language(lang: str | None) -> None:
    """A language tenure does not speak is one error line, like any other."""
    choose_language(lang)


groups: dict[str, typer.Typer] = {}
for _name, _text in GROUPS.items():
    groups[_name] = typer.Typer(help=_text, no_args_is_help=True, rich_markup_mode="markdown")
    app.add_typer(groups[_name], name=_name)

register(app)
for _capability in REGISTRY.values():
    if _capability.name == "ingest":  # several files at once: written in _commands
        continue
    target = groups[_capability.group] if _capability.group else app
    target.command(_capability.command)(command_for(_capability))


def main() -> None:
    """Entry point of the `tenure` script."""
    warnings.showwarning = show_warning
    sys.exit(app())
