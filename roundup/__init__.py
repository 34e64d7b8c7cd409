"""roundup: a static site generator for collaborative roundup posts."""

__version__ = "0.1.0"
