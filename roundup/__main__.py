"""Entry point for `python -m roundup`."""

from roundup.cli import entry

entry()
