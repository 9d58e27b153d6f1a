"""How a capability is declared: its name, its typed options, the function that runs it.

Options are a frozen dataclass whose fields say their type, default and help
(:func:`option`). :func:`parse_options` turns what a user gave (text from a command line or
a query string, JSON values from a request body, Python values) into that dataclass,
checking every value in one place with one-sentence errors; the command line, the HTTP API
and the dashboard all go through it, so an option means the same wherever it is given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import importlib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenure.errors import ConfigError
from tenure.progress import Progress
from tenure.results import Result

__all__ = ["Capability", "OptionSpec", "option", "option_specs", "parse_options"]

_SCALARS = (str, int, float, bool, Path, dt.date)


def option(default: Any = dataclasses.MISSING, *, help: str,
           choices: tuple[str, ...] | None = None, flag: str | None = None,
           low: float | None = None, high: float | None = None,
           positional: bool = False) -> Any:
    """A field of an options dataclass: its default (none: required), its help text, and
    optionally the values allowed (``choices``), a range (``low`` to ``high``, inclusive),
    the command-line spelling when it is not the field name (``flag``), and whether the
    command line takes it as an argument rather than an option (``positional``: ``tenure
    actions explain C0001``)."""
    metadata = {"help": help, "choices": choices, "flag": flag, "low": low, "high": high,
                "positional": positional}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class OptionSpec:
    """One option as the faces show it: name, type, default, help and the allowed values."""

    name: str
    kind: type          # str, int, float, bool, Path or datetime.date
    many: bool          # a list of ``kind``
    optional: bool      # may be None
    required: bool      # has no default
    default: Any
    help: str
    choices: tuple[str, ...] | None
    flag: str
    low: float | None
    high: float | None
    positional: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.kind.__name__, "many": self.many,
                "optional": self.optional, "required": self.required,
                "default": _plain(self.default), "help": self.help,
                "choices": list(self.choices) if self.choices else None,
                "positional": self.positional}


def _plain(value: Any) -> Any:
    if isinstance(value, Path | dt.date):
        return str(value)
    return None if value is dataclasses.MISSING else value


@functools.cache
def option_specs(options: type) -> tuple[OptionSpec, ...]:
    """The options of an options dataclass, in declaration order (read once per class:
    the service asks for them on every request)."""
    hints = typing.get_type_hints(options)
    specs = []
    for item in dataclasses.fields(options):
        kind, many, optional = _unpack(hints[item.name], options, item.name)
        if item.default is not dataclasses.MISSING:
            default, required = item.default, False
        elif item.default_factory is not dataclasses.MISSING:
            default, required = item.default_factory(), False
        else:
            default, required = None, True
        meta = item.metadata
        specs.append(OptionSpec(item.name, kind, many, optional, required, default,
                                meta.get("help", ""), meta.get("choices"),
                                meta.get("flag") or item.name.replace("_", "-"),
                                meta.get("low"), meta.get("high"),
                                bool(meta.get("positional"))))
    return tuple(specs)


def _unpack(hint: Any, options: type, name: str) -> tuple[type, bool, bool]:
    optional = False
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        optional = type(None) in args
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"{options.__name__}.{name}: one type or None, not {hint}")
        hint, args = rest[0], typing.get_args(rest[0])
    many = typing.get_origin(hint) in (list, tuple)
    if many:
        hint = args[0]
    if hint not in _SCALARS:
        raise TypeError(f"{options.__name__}.{name}: {hint} is not an option type")
    return hint, many, optional


def parse_options(options: type, values: Mapping[str, Any] | None = None, *,
                  where: str = "") -> Any:
    """``options`` built from ``values`` (text or typed values by option name), each
    checked against its declaration; unknown names and bad values raise one sentence."""
    values = dict(values or {})
    specs = {spec.name: spec for spec in option_specs(options)}
    prefix = f"{where}: " if where else ""
    for name in values:
        if name not in specs:
            close = difflib.get_close_matches(name, list(specs), n=1)
            hint = f"; did you mean {close[0]}?" if close else (
                f"; the options are {', '.join(specs) or 'none'}")
            raise ConfigError(f"{prefix}there is no option '{name}'{hint}")
    built = {}
    for name, spec in specs.items():
        if name not in values:
            if spec.required:
                raise ConfigError(f"{prefix}{spec.name} is required: {spec.help}")
            continue
        built[name] = _value(spec, values[name], prefix)
    return options(**built)


def _value(spec: OptionSpec, value: Any, prefix: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip() and spec.optional):
        if spec.optional or spec.many:
            return None if spec.optional else []
        raise ConfigError(f"{prefix}{spec.name} needs a value: {spec.help}")
    if spec.many:
        items = value.split(",") if isinstance(value, str) else list(value)
        parts = []
        for item in items:
            if isinstance(item, str):
                parts += [p.strip() for p in item.split(",") if p.strip()]
            else:
                parts.append(item)
        return [_scalar(spec, part, prefix) for part in parts]
    return _scalar(spec, value, prefix)


def _scalar(spec: OptionSpec, value: Any, prefix: str) -> Any:
    shown = f"{prefix}{spec.name} {value!r}"
    kind = spec.kind
    try:
        if kind is bool:
            if isinstance(value, str):
                text = value.strip().lower()
                if text not in ("true", "false", "yes", "no", "1", "0"):
                    raise ValueError
                parsed: Any = text in ("true", "yes", "1")
            elif isinstance(value, bool | int) and value in (0, 1):
                parsed = bool(value)
            else:
                raise ValueError
        elif kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            parsed = int(value.strip()) if isinstance(value, str) else int(value)
        elif kind is float:
            if isinstance(value, bool):
                raise ValueError
            parsed = float(value.strip()) if isinstance(value, str) else float(value)
            if parsed != parsed or parsed in (float("inf"), float("-inf")):
                raise ValueError
        elif kind is dt.date:
            parsed = (value if isinstance(value, dt.date)
                      else dt.date.fromisoformat(str(value).strip()[:10]))
        elif kind is Path:
            parsed = Path(value)
        else:
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise ValueError
            parsed = str(value).strip()
    except (TypeError, ValueError):
        raise ConfigError(f"{shown} should be {_words(kind)}") from None
    shown = f"{prefix}{spec.name} {parsed!r}"
    if spec.choices is not None and parsed not in spec.choices:
        allowed = ", ".join(spec.choices[:-1]) + f" or {spec.choices[-1]}"
        raise ConfigError(f"{shown} is not supported; use {allowed}")
    if spec.low is not None and parsed < spec.low:
        raise ConfigError(f"{shown} should be at least {spec.low:g}")
    if spec.high is not None and parsed > spec.high:
        raise ConfigError(f"{shown} should be at most {spec.high:g}")
    return parsed


def _words(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a finite number",
            dt.date: "a date such as 2024-01-31", Path: "a file path",
            str: "a text"}[kind]


@dataclass(frozen=True)
class Capability:
    """One user-facing capability, declared once for every face.

    ``name`` is its path of words (``analyze cohorts``, ``fit``); ``run(workspace,
    options, progress)`` calls the library and returns a :class:`~tenure.results.Result`
    of the type ``result`` names (``"tenure.analytics:CohortRetention"``: named, so that
    declaring a capability loads none of the library behind it). ``writes`` says whether
    it changes the workspace (the service runs such work one at a time, as a job);
    ``chart`` whether its result draws one. ``spark`` says it also runs on the Spark
    engine: its function then receives a :class:`tenure.spark.SparkEngine` in place of the
    workspace.
    """

    name: str
    summary: str
    options: type
    run: Callable[[Any, Any, Progress], Result]
    result: str
    example: str
    writes: bool = False
    chart: bool = False
    needs_workspace: bool = True
    spark: bool = False

    @property
    def result_type(self) -> type:
        """The class of the result, imported on first use."""
        module, _, name = self.result.partition(":")
        return getattr(importlib.import_module(module), name)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(self.name.split())

    @property
    def group(self) -> str | None:
        return self.words[0] if len(self.words) > 1 else None

    @property
    def command(self) -> str:
        return self.words[-1]

    @property
    def route(self) -> str:
        """The capability's path under ``/api/v1``."""
        return "/" + "/".join(self.words)

    def option_specs(self) -> tuple[OptionSpec, ...]:
        return option_specs(self.options)

    def parse(self, values: Mapping[str, Any] | None = None) -> Any:
        return parse_options(self.options, values, where=self.name)

    def __call__(self, workspace: Any, options: Any = None, progress: Progress = None
                 ) -> Result:
        """Run on ``workspace`` with ``options`` (the dataclass, a mapping, or None for the
        defaults)."""
        if options is None or isinstance(options, Mapping):
            options = self.parse(options)
        return self.run(workspace, options, progress)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "example": self.example,
                "writes": self.writes, "chart": self.chart, "route": self.route,
                "options": [spec.to_dict() for spec in self.option_specs()]}
