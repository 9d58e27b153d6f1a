"""The ``tenure`` script and ``python -m tenure``: the command line, with Ctrl-C answered from
the first instant.

Loading the command line takes a moment (Typer, the registry of every capability); a Ctrl-C
pressed in it is a request to stop, not a crash, so it gets the same one line as a Ctrl-C
during a command, with nothing written, instead of a traceback.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``tenure`` script."""
    try:
        from tenure.cli import main as run
    except KeyboardInterrupt:
        from tenure.i18n import choose_language, translate

        try:
            language = choose_language()
        except Exception:  # a bad TENURE_LANG is for the command line to report
            language = "en"
        sys.stderr.write(translate("interrupted: stopped while starting; nothing was "
                                   "written", language) + "\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
