"""Simplified Chinese (and English) for everything a person reads.

The library writes its messages, sentences and table headers in English; the faces (the
command line, the service and its dashboard, the HTML report, exported files) translate
them at the edge with :func:`translate` (a whole message) and :func:`word` (a column
header, a state, a label). The catalogs live beside this module, one TOML file per area
under ``zh/``:

- ``[words]``: exact English words and headers, and their Chinese;
- ``[messages]``: message templates, English on the left with ``{name}`` placeholders for
  the parts that vary (numbers, names, paths), Chinese on the right using the same names.
  A placeholder matches any text; ``{name:d}`` only a number, so that templates that
  differ by a word after a number do not steal each other's messages; ``{name:code}``
  only a code (lower-case letters, digits and underscores: a playbook, a channel, a reason
  code), so that a template made mostly of placeholders stays narrow. The English side
  may also be a churn reason's template as the library writes it: ``{n:.0f}`` (any format
  of a number) matches a number as it reads, ``{n:?day|days}`` either word without
  keeping it, and ``{currency}`` the sign before an amount (which may be none).
  ``{name:verbatim}`` matches a name, a path or a list of them (any text without ``": "``)
  and keeps it as it is, never translated: a table's name in a command to type again
  (``tenure quarantine --table orders``) stays ``orders``.

A line of a split result, a group's name before a known message (``"华东: 214 customers in 31
cohorts"``), is the name and the translated message. A message the catalogs do not know comes
back in English, unchanged: nothing is lost, and :func:`untranslated` lists what a test found
missing.

>>> translate("Nothing in quarantine.", "zh")
'隔离区中没有数据。'
>>> word("customers", "zh")
'客户数'
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

__all__ = ["LANGUAGES", "catalog", "choose_language", "placeholders", "translate",
           "untranslated", "word"]

LANGUAGES = ("en", "zh")
_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
_VERBATIM = "verbatim"  # the spec of a part kept as it is
_NUMBER = r"-?[\d,]+(?:\.\d+)?%?"
_CODE = r"[a-z][a-z0-9_]*"
_LETTERS = re.compile(r"[A-Za-z]")
_missing: set[str] = set()


@dataclass(frozen=True)
class _Template:
    pattern: re.Pattern[str]
    target: str
    verbatim: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Catalog:
    words: dict[str, str]
    templates: tuple[_Template, ...]


def _compile(source: str) -> re.Pattern[str]:
    parts, last, seen = [], 0, set()
    for match in _PLACEHOLDER.finditer(source):
        parts.append(re.escape(source[last:match.start()]))
        name, spec = match.group(1), match.group(2)
        last = match.end()
        if spec is not None and spec.startswith("?"):  # the word for one or for several
            parts.append("(?:" + "|".join(map(re.escape, spec[1:].split("|"))) + ")")
            continue
        if name in seen:
            parts.append(f"(?P={name})")
            continue
        seen.add(name)
        if name == "currency":
            parts.append(f"(?P<{name}>\\D*?)")
        elif spec == _VERBATIM:  # a name, never a group's line ("BG/NBD: b ran to...")
            parts.append(f"(?P<{name}>(?:(?!: ).)+?)")
        elif spec == "code":
            parts.append(f"(?P<{name}>{_CODE})")
        elif spec is not None:
            parts.append(f"(?P<{name}>{_NUMBER})")
        else:
            parts.append(f"(?P<{name}>.+?)")
    parts.append(re.escape(source[last:]))
    return re.compile("".join(parts) + r"\Z", re.S)


def _verbatim(source: str) -> frozenset[str]:
    return frozenset(m.group(1) for m in _PLACEHOLDER.finditer(source)
                     if m.group(2) == _VERBATIM)


def placeholders(template: str) -> set[str]:
    """The names of the parts that vary in a catalog template."""
    return {match.group(1) for match in _PLACEHOLDER.finditer(template)}


@cache
def catalog(language: str) -> Catalog:
    """The merged catalog of ``language`` (every TOML file of its folder)."""
    words: dict[str, str] = {}
    templates: list[_Template] = []
    if language == "en":
        return Catalog(words, ())
    folder = files("tenure.i18n").joinpath(language)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        data = tomllib.loads(entry.read_text(encoding="utf-8"))
        words.update(data.get("words", {}))
        for source, target in data.get("messages", {}).items():
            templates.append(_Template(_compile(source), target, _verbatim(source)))
    # Longer templates first: the most specific wins.
    templates.sort(key=lambda t: -len(t.pattern.pattern))
    return Catalog(words, tuple(templates))


def word(text: str, language: str) -> str:
    """A header, state or label in ``language`` (as it is when the catalog lacks it)."""
    if language == "en":
        return text
    found = catalog(language).words.get(text)
    if found is None:
        _missing.add(text)
        return text
    return found


def translate(text: str, language: str) -> str:
    """A whole message in ``language``; the varying parts keep their values, and a part
    that is itself a known word or message is translated too."""
    if language == "en" or not _LETTERS.search(text):
        return text  # nothing in English to translate: numbers, dates, other scripts
    book = catalog(language)
    found = _translated(text, book, 6)
    if found is None:
        found = _group_line(text, book)
    if found is None:
        _missing.add(text)
        return text
    return found


def _group_line(text: str, book: Catalog) -> str | None:
    """A result's line for one group of a split, ``"华东: 214 customers in 31 cohorts"``:
    the group's name (a word when the catalog knows it) and the known message after it."""
    group, colon, rest = text.partition(": ")
    if not colon or not group or "\n" in group:
        return None
    said = _translated(rest, book, 6)
    if said is None and ": " in rest:  # a group within a group: a file, then its setting
        said = _group_line(rest, book)
    if said is None:
        return None
    return f"{book.words.get(group, group)}：{said}"


def _translated(text: str, book: Catalog, depth: int) -> str | None:
    if text in book.words:
        return book.words[text]
    if depth == 0:
        return None
    for template in book.templates:
        match = template.pattern.match(text)
        if match:
            values = {k: v if k in template.verbatim else _part(v, book, depth - 1)
                      for k, v in match.groupdict().items()}
            return template.target.format(**values)
    return None


def _part(text: str, book: Catalog, depth: int) -> str:
    """A varying part of a message: translated when it is a known word, message or group's
    line (``"BG/NBD: the optimiser stopped..."``), else as it is (a name, a path, a value)."""
    return _translated(text, book, depth) or _group_line(text, book) or text


def untranslated() -> set[str]:
    """The texts asked for in this process that no catalog had."""
    return set(_missing)


def choose_language(given: str | None = None, setting: str | None = None,
                    accept: str | None = None) -> str:
    """The language to speak: the one given (``--lang``), else ``TENURE_LANG``, else the
    workspace setting, else the browser's first choice, else English."""
    from tenure.errors import ConfigError

    for value in (given, os.environ.get("TENURE_LANG"), setting):
        if value:
            chosen = value.strip().lower().replace("_", "-").split("-")[0]
            if chosen not in LANGUAGES:
                raise ConfigError(f"language '{value}' is not supported; use zh or en")
            return chosen
    if accept:
        for part in accept.split(","):
            code = part.split(";")[0].strip().lower().split("-")[0]
            if code in LANGUAGES:
                return code
    return "en"
