"""Queries compiled once and kept: the SQL of an Ibis expression, cached on disk.

A script that summarises a DataFrame would pay, every time it starts, for importing Ibis and
compiling the expression to SQL: about a second, longer than the query itself on a million
customers. What that SQL says depends only on the input's column types, the options of the
step and the versions of tenure, Ibis and sqlglot. The first run keeps it in the cache
directory; later runs hand it to DuckDB directly and never import Ibis.

The cache directory is ``TENURE_CACHE_DIR`` when set, else ``$XDG_CACHE_HOME/tenure`` or
``~/.cache/tenure``; ``TENURE_CACHE_DIR=off`` turns the cache off. A cache that cannot be
read or written is passed over without a word: the query is compiled again, with the same
result.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tenure._version import __version__

__all__ = ["cache_dir", "cached_sql"]


def cache_dir() -> Path | None:
    """Where compiled queries are kept, or None when the cache is turned off."""
    chosen = os.environ.get("TENURE_CACHE_DIR")
    if chosen:
        return None if chosen.lower() == "off" else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "tenure"


def _installed(package: str) -> str:
    """The installed copy of ``package``, by the size and time of its ``__init__``: a new
    release (or an edited checkout) is a new key, without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.origin:
        return f"{package}:missing"
    stat = os.stat(spec.origin)
    return f"{package}:{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}"


def cached_sql(key: dict[str, Any], build: Callable[[], str]) -> str:
    """The SQL ``build()`` compiles for ``key``, from the cache when it holds it.

    ``key`` names everything the SQL depends on besides the code (the query, the input's
    schema, the options), as JSON-able values; tenure's, Ibis's and sqlglot's versions are
    added here.
    """
    folder = cache_dir()
    if folder is None:
        return build()
    full = {**key, "versions": [__version__, _installed("ibis"), _installed("sqlglot")]}
    digest = hashlib.sha256(json.dumps(full, sort_keys=True, default=str).encode()).hexdigest()
    path = folder / "sql" / f"{digest}.sql"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    sql = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed into place: a reader never sees half a query.
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(sql, encoding="utf-8")
        partial.replace(path)
    except OSError:
        pass
    return sql
