"""Checks on what the lift statistics and the uplift models are handed, each failing with a
one-sentence :class:`~tenure.errors.InputError` that names the column and what to do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tenure.errors import InputError

__all__ = ["check_column", "check_confidence", "check_labels", "check_numbers", "is_rate"]


def _listing(values: Any, most: int = 8) -> str:
    shown = [repr(v) if not isinstance(v, str) else f"'{v}'" for v in list(values)[:most]]
    more = len(values) - most
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def check_column(frame: Any, name: Any, role: str) -> str:
    """``name`` when it is a column of ``frame``; the error lists the columns otherwise."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"the data is a {type(frame).__name__}; pass a pandas DataFrame "
                         "with one row per unit")
    if not isinstance(name, str) or name not in frame.columns:
        raise InputError(f"{role}={name!r} is not a column of the frame; name one of "
                         f"{_listing(frame.columns)}")
    return name


def check_numbers(values: Any, name: str, *, rows: int | None = None) -> np.ndarray:
    """The values as float64: numbers or booleans, none missing, ``rows`` of them if given."""
    if not isinstance(values, pd.Series):
        array = np.asarray(values)
        if array.ndim != 1:
            raise InputError(f"{name} has shape {array.shape}; pass one value per unit")
        values = pd.Series(array)
    series = values
    if rows is not None and len(series) != rows:
        raise InputError(f"{name} has {len(series):,} values where {rows:,} were expected; "
                         "pass one value per unit")
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        raise InputError(f"{name} holds {series.dtype} values; it should hold numbers "
                         "(0 and 1 for a rate), so convert it first")
    missing = series.isna().to_numpy()
    if missing.any():
        raise InputError(f"{name} has {int(missing.sum()):,} missing values (the first at row "
                         f"{int(np.argmax(missing)) + 1}); fill or drop them first")
    numbers = series.to_numpy(dtype=np.float64)
    if not np.isfinite(numbers).all():
        raise InputError(f"{name} holds infinite values; replace them with numbers first")
    return numbers


def check_labels(values: pd.Series, name: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and the distinct labels of a group column; no label may be missing.

    Categories keep their declared order; other labels are sorted."""
    missing = values.isna().to_numpy()
    if missing.any():
        raise InputError(f"{name} has {int(missing.sum()):,} missing values (the first at row "
                         f"{int(np.argmax(missing)) + 1}); every unit needs its group")
    codes, labels = pd.factorize(values, sort=True)
    if isinstance(labels, pd.CategoricalIndex):
        labels = pd.Index(labels.astype(labels.categories.dtype))
    return codes.astype(np.intp), labels


def is_rate(values: np.ndarray) -> bool:
    """Whether an outcome is a rate: every value 0 or 1."""
    return bool(np.all((values == 0) | (values == 1)))


def check_confidence(confidence: Any) -> float:
    ok = isinstance(confidence, int | float) and not isinstance(confidence, bool)
    if not ok or not 0 < confidence < 1:
        raise InputError(f"confidence={confidence!r} should be a number between 0 and 1, "
                         "such as 0.95")
    return float(confidence)


def check_experiment(treatment: Any, outcome: Any, *,
                     rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Treatment as booleans (from 0/1 or True/False) and the outcome as float64, of equal
    length, with both groups present."""
    flags = check_numbers(treatment, "treatment", rows=rows)
    if not is_rate(flags):
        raise InputError("treatment holds values other than 0 and 1; pass 1 (or True) for "
                         "treated units and 0 (or False) for the control")
    treated = flags == 1
    if treated.all() or not treated.any():
        which = "control" if treated.all() else "treated"
        raise InputError(f"treatment has no {which} units; uplift needs both groups")
    return treated, check_numbers(outcome, "the outcome", rows=len(treated))
