"""``python -m tenure.cli``: the command line."""

from tenure.cli import main

main()
