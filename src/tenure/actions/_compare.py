"""Did the treated groups do better than the control? One call answers it for every arm and
outcome of an experiment, with intervals fit for each kind of outcome.

>>> import tenure
>>> from tenure.actions import compare
>>> mail = tenure.datasets.load_hillstrom()
>>> result = compare(mail, group="segment", control="No E-Mail",
...                  outcomes=["visit", "conversion", "spend"], covariate="history")
>>> result.frame[["arm", "outcome", "difference", "ci_low", "ci_high"]].round(4)
             arm     outcome  difference  ci_low  ci_high
0    Mens E-Mail       visit      0.0766  0.0700   0.0832
1    Mens E-Mail  conversion      0.0068  0.0050   0.0086
2    Mens E-Mail       spend      0.7698  0.4851   1.0545
3  Womens E-Mail       visit      0.0452  0.0389   0.0516
4  Womens E-Mail  conversion      0.0031  0.0015   0.0047
5  Womens E-Mail       spend      0.4244  0.1690   0.6799
>>> result.headline["sample_ratio_mismatch"]
False

The statistics, each in its own module: Newcombe's interval for rates and Welch's for
amounts (:mod:`tenure.actions._intervals`), CUPED on a pre-period covariate
(:mod:`tenure.actions._cuped`), the sample-ratio check (:mod:`tenure.actions._srm`) and the
verdict with the units still needed (:mod:`tenure.actions._verdict`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from tenure.actions._checks import (
    check_column,
    check_confidence,
    check_labels,
    check_numbers,
    is_rate,
)
from tenure.actions._cuped import cuped
from tenure.actions._intervals import newcombe, welch
from tenure.actions._moments import Moments, group_covariance, group_moments
from tenure.actions._srm import SampleRatio, sample_ratio
from tenure.actions._verdict import extra_units, verdicts
from tenure.errors import InputError
from tenure.results import Result

__all__ = ["Comparison", "Outcome", "compare", "compare_moments"]

ADJUSTED = ["theta", "variance_reduction", "adjusted_difference", "adjusted_ci_low",
            "adjusted_ci_high", "adjusted_p_value"]


@dataclass(frozen=True, eq=False)
class Comparison(Result):
    """Each treated arm against the control, per outcome.

    ``frame``, one row per arm and outcome: arm, outcome, kind (``rate`` for a 0/1
    outcome, ``mean`` otherwise), n_treated, n_control, treated_mean and control_mean (the
    rates, for a rate), difference (treated - control), ci_low and ci_high (its interval),
    relative_lift (difference / control_mean), p_value, method (``newcombe`` or ``welch``);
    with a covariate also theta, variance_reduction, adjusted_difference, adjusted_ci_low,
    adjusted_ci_high and adjusted_p_value (CUPED); then verdict (``higher``, ``lower`` or
    ``inconclusive``, read from the adjusted interval when there is one), extra_units (more
    units in the two groups together for the interval to exclude zero at the observed
    difference; 0 once it does) and weeks_needed (when an arrival rate was given).
    """

    frame: pd.DataFrame
    group: str
    control: Any
    outcomes: tuple[str, ...]
    covariate: str | None
    confidence: float
    sample_ratio: SampleRatio
    units: int

    @property
    def headline(self) -> dict[str, Any]:
        """The figures worth a sentence: units, groups, comparisons, how many came out
        higher, lower or inconclusive, the sample-ratio check, the largest conclusive
        relative lift and, with a covariate, the mean variance reduction."""
        frame = self.frame
        counts = frame["verdict"].value_counts()
        higher = frame[frame["verdict"] == "higher"]
        best = higher.loc[higher["relative_lift"].idxmax()] if len(higher) else None
        figures: dict[str, Any] = {
            "units": self.units,
            "groups": len(self.sample_ratio.groups),
            "comparisons": len(frame),
            "higher": int(counts.get("higher", 0)),
            "lower": int(counts.get("lower", 0)),
            "inconclusive": int(counts.get("inconclusive", 0)),
            "sample_ratio_p_value": self.sample_ratio.p_value,
            "sample_ratio_mismatch": self.sample_ratio.mismatch,
            "largest_relative_lift": None if best is None else float(best["relative_lift"]),
            "largest_relative_lift_of": None if best is None
            else f"{best['arm']}: {best['outcome']}",
        }
        if self.covariate is not None:
            figures["mean_variance_reduction"] = float(frame["variance_reduction"].mean())
        return figures

    def lines(self) -> list[str]:
        """One sentence per arm and outcome, then one on the sample ratio if it is off."""
        lines = [_sentence(row, self.control, self.confidence)
                 for row in self.frame.itertuples(index=False)]
        if self.sample_ratio.mismatch:
            sizes = ", ".join(f"{g} {c:,}" for g, c in zip(self.sample_ratio.groups,
                                                           self.sample_ratio.counts,
                                                           strict=True))
            lines.append(f"The group sizes ({sizes}) are unlikely under the planned split "
                         f"(chi-square p = {self.sample_ratio.p_value:.1e}): find what "
                         "dropped or added units before trusting these differences.")
        return lines

    def chart(self):
        """The differences with their intervals, one panel per outcome (Vega-Lite)."""
        from tenure.charts._actions import comparison_chart

        return comparison_chart(self)

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON types (missing values as None): the faces every result
        has (kind, headline, lines, frame) and the experiment's own (group, control,
        outcomes, covariate, confidence, units, sample_ratio, and rows, the frame again)."""
        return {
            **super().to_dict(),
            "group": self.group, "control": _plain(self.control),
            "outcomes": list(self.outcomes), "covariate": self.covariate,
            "confidence": self.confidence, "units": self.units,
            "headline": {k: _plain(v) for k, v in self.headline.items()},
            "sample_ratio": self.sample_ratio.to_dict(),
            "rows": [{k: _plain(v) for k, v in row.items()}
                     for row in self.frame.to_dict(orient="records")],
        }

    def __repr__(self) -> str:
        arms = self.frame["arm"].nunique()
        return (f"Comparison({arms} arm{'s' * (arms != 1)} against {self.control!r}, "
                f"{len(self.outcomes)} outcomes, {self.units:,} units)")


def compare(
    frame: pd.DataFrame,
    *,
    group: str,
    control: Any,
    outcomes: str | Sequence[str],
    covariate: str | None = None,
    confidence: float = 0.95,
    expected: Mapping[Any, float] | None = None,
    min_units: int = 50,
    arrivals: float | None = None,
    arrivals_per: Literal["day", "week"] = "week",
    srm_alpha: float = 0.001,
) -> Comparison:
    """Each group of ``group`` other than ``control`` against ``control``, per outcome.

    ``frame`` has one row per unit (customer) with its group and outcomes. An outcome whose
    values are all 0 or 1 is a rate and gets Newcombe's hybrid score interval and the score
    test; any other numeric outcome gets Welch's interval and t-test, chosen for spend (mostly
    zeros, a long tail) because it keeps its coverage there (see the module docstrings).
    ``covariate`` names a column fixed before assignment (last year's spend) for CUPED; the
    adjusted outcome is no longer 0 or 1, so its interval is Welch's for rates too.
    ``expected`` is the planned share per group for the sample-ratio check (an equal split
    when None), flagged below ``srm_alpha``. ``arrivals`` new units per ``arrivals_per``
    (all groups together) turns the extra units an inconclusive result needs into weeks.

    Every group needs ``min_units`` units; outcome and covariate values must be numbers with
    none missing (nothing is dropped silently).
    """
    group = check_column(frame, group, "group")
    names = _outcome_names(frame, outcomes, group)
    confidence = check_confidence(confidence)
    min_units = _whole(min_units, "min_units", low=2)
    weekly = _weekly(arrivals, arrivals_per)
    if covariate is not None:
        covariate = check_column(frame, covariate, "covariate")
        if covariate == group or covariate in names:
            raise InputError(f"covariate '{covariate}' is also the group or an outcome; name a "
                             "column measured before the experiment, such as last year's spend")
    codes, labels = check_labels(frame[group], f"group column '{group}'")
    if control not in labels:
        raise InputError(f"control={control!r} is not a value of column '{group}'; use one "
                         f"of {', '.join(map(repr, labels))}")
    if len(labels) < 2:
        raise InputError(f"column '{group}' holds only the control group {control!r}; "
                         "compare needs at least one treated group beside it")
    counts = np.bincount(codes, minlength=len(labels))
    if counts.min() < min_units:
        small = int(np.argmin(counts))
        raise InputError(f"group {labels[small]!r} has {counts[small]:,} units, fewer than the "
                         f"{min_units:,} an interval needs; wait for more units or lower "
                         "min_units")
    sample_ratio(list(labels), counts, expected, srm_alpha)  # a bad ``expected`` fails first
    x = None
    if covariate is not None:
        x, x_deviation = group_moments(
            codes, check_numbers(frame[covariate], f"covariate column '{covariate}'"),
            len(labels))
        _check_varies(x, labels, control, covariate)
    summaries = {}
    for name in names:
        values = check_numbers(frame[name], f"outcome column '{name}'")
        y, deviation = group_moments(codes, values, len(labels))
        cov = None if x is None else group_covariance(codes, deviation, x_deviation, y.n)
        summaries[name] = Outcome(y, is_rate(values), cov)
    return compare_moments(labels, control, summaries, x, group=group,
                           covariate=covariate, confidence=confidence, expected=expected,
                           weekly=weekly, srm_alpha=srm_alpha)


@dataclass(frozen=True)
class Outcome:
    """What :func:`compare_moments` needs of one outcome: its moments per group, whether it
    is a rate (every value 0 or 1) and, with a covariate, its covariance with it per
    group."""

    moments: Moments
    rate: bool
    covariance: np.ndarray | None = None


def compare_moments(labels: Sequence, control: Any, outcomes: Mapping[str, Outcome],
                    covariate_moments: Moments | None, *, group: str,
                    covariate: str | None = None, confidence: float = 0.95,
                    expected: Mapping[Any, float] | None = None, weekly: float | None = None,
                    srm_alpha: float = 0.001) -> Comparison:
    """:func:`compare` from the per-group moments alone (every group of ``labels`` has
    units): the same statistics, for moments the engine has already summed (the action
    log's lift rolls millions of units up in one query and hands over a few numbers)."""
    names = list(outcomes)
    labels = pd.Index(labels)
    counts = next(iter(outcomes.values())).moments.n.astype("int64")
    srm = sample_ratio(list(labels), counts, expected, srm_alpha)
    c = int(labels.get_loc(control))
    arms = np.array([i for i in range(len(labels)) if i != c])
    x = covariate_moments
    if x is not None:
        _check_varies(x, labels, control, covariate)
    parts = []
    for name in names:
        y, rate, cov = outcomes[name].moments, outcomes[name].rate, outcomes[name].covariance
        part = _differences(y, arms, c, rate, confidence)
        if x is not None:
            adjusted = cuped(y, x, cov, arms, c, confidence)
            # An outcome that does not vary within either group (every member renewed) leaves
            # the covariate nothing to explain, and Welch's interval on it has no width: the
            # plain interval (Newcombe's, for a rate) is the honest one there.
            still = y.var[arms] + y.var[c] == 0
            part.update(theta=adjusted.theta, variance_reduction=adjusted.variance_reduction,
                        adjusted_difference=adjusted.difference,
                        adjusted_ci_low=np.where(still, part["ci_low"], adjusted.low),
                        adjusted_ci_high=np.where(still, part["ci_high"], adjusted.high),
                        adjusted_p_value=np.where(still, part["p_value"], adjusted.p_value))
        parts.append(part)
    # Rows arm by arm, each arm's outcomes in the order given.
    order = np.arange(len(arms) * len(names)).reshape(len(names), len(arms)).T.ravel()
    columns = {key: np.concatenate([part[key] for part in parts])[order] for key in parts[0]}
    columns["arm"] = np.tile(np.asarray(labels[arms], dtype=object), len(names))[order]
    columns["outcome"] = np.repeat(np.asarray(names, dtype=object), len(arms))[order]
    result = _conclude(columns, x is not None, counts.sum(), weekly)
    return Comparison(result, group, control, tuple(names), covariate, confidence, srm,
                      int(counts.sum()))


def _check_varies(x: Moments, labels: pd.Index, control: Any, covariate: str | None) -> None:
    c = int(labels.get_loc(control))
    arms = np.array([i for i in range(len(labels)) if i != c])
    if not (x.var[arms] + x.var[c] > 0).all():
        raise InputError(f"covariate '{covariate}' does not vary within the groups, so it "
                         "cannot narrow the interval; pass covariate=None")


def _differences(y: Moments, arms: np.ndarray, c: int, rate: bool,
                 confidence: float) -> dict[str, np.ndarray]:
    """The plain difference of each arm against the control, with its interval."""
    n_t, n_c = y.n[arms], np.full(len(arms), y.n[c])
    mean_t, mean_c = y.mean[arms], np.full(len(arms), y.mean[c])
    if rate:
        low, high, p_value = newcombe(np.rint(mean_t * n_t), n_t, np.rint(mean_c * n_c), n_c,
                                      confidence)
    else:
        low, high, p_value = welch(mean_t, y.var[arms], n_t, mean_c, y.var[c], n_c, confidence)
    difference = mean_t - mean_c
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(mean_c != 0, difference / mean_c, np.nan)
    return {"kind": np.full(len(arms), "rate" if rate else "mean", dtype=object),
            "n_treated": n_t.astype("int64"), "n_control": n_c.astype("int64"),
            "treated_mean": mean_t, "control_mean": mean_c, "difference": difference,
            "ci_low": low, "ci_high": high, "relative_lift": relative, "p_value": p_value,
            "method": np.full(len(arms), "newcombe" if rate else "welch", dtype=object)}


def _conclude(columns: dict[str, np.ndarray], adjusted: bool, units: int,
              weekly: float | None) -> pd.DataFrame:
    """The verdict, the extra units and the weeks, and the frame in its column order."""
    prefix = "adjusted_" if adjusted else ""
    difference, low, high = (columns[f"{prefix}{k}"] for k in ("difference", "ci_low",
                                                                 "ci_high"))
    pair = columns["n_treated"] + columns["n_control"]
    columns["verdict"] = verdicts(low, high).astype(object)
    extra = extra_units(difference, low, high, pair)
    columns["extra_units"] = pd.array(np.where(np.isnan(extra), None, extra), dtype="Int64")
    # New units reach this pair of groups in proportion to their share of all units.
    columns["weeks_needed"] = (np.full(len(pair), np.nan) if weekly is None
                               else extra / (weekly * pair / units))
    order = ["arm", "outcome", "kind", "n_treated", "n_control", "treated_mean",
             "control_mean", "difference", "ci_low", "ci_high", "relative_lift", "p_value",
             "method", *(ADJUSTED if adjusted else []), "verdict", "extra_units",
             "weeks_needed"]
    return pd.DataFrame({name: columns[name] for name in order})


def _outcome_names(frame: pd.DataFrame, outcomes: Any, group: str) -> list[str]:
    names = [outcomes] if isinstance(outcomes, str) else list(outcomes or [])
    if not names:
        raise InputError("outcomes is empty; name at least one outcome column, such as "
                         "outcomes=['purchased', 'revenue']")
    for name in names:
        check_column(frame, name, "outcome")
        if name == group:
            raise InputError(f"'{name}' is the group column and cannot also be an outcome; "
                             "name the columns that record what the units did")
    if len(set(names)) < len(names):
        raise InputError(f"outcomes {names} repeat a column; name each outcome once")
    return names


def _whole(value: Any, name: str, *, low: int) -> int:
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool) and value >= low
    if not ok:
        raise InputError(f"{name}={value!r} should be a whole number of at least {low}")
    return int(value)


def _weekly(arrivals: Any, per: Any) -> float | None:
    if per not in ("day", "week"):
        raise InputError(f"arrivals_per={per!r} is not a period; use 'day' or 'week'")
    if arrivals is None:
        return None
    ok = isinstance(arrivals, int | float) and not isinstance(arrivals, bool)
    if not ok or not math.isfinite(arrivals) or arrivals <= 0:
        raise InputError(f"arrivals={arrivals!r} should be a positive number of new units "
                         f"per {per}")
    return float(arrivals) * (7 if per == "day" else 1)


def _plain(value: Any) -> Any:
    """A JSON type for a value of a frame: numbers, strings, booleans or None."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _percent(value: float) -> str:
    return f"{value:.2%}"


def _sentence(row: Any, control: Any, confidence: float) -> str:
    rate = row.kind == "rate"

    def change(d: float, low: float, high: float) -> str:
        if rate:
            return f"{d * 100:+.2f} points ({low * 100:+.2f} to {high * 100:+.2f})"
        return f"{d:+,.3f} ({low:+,.3f} to {high:+,.3f})"

    level = (f"{_percent(row.treated_mean)} against {_percent(row.control_mean)}" if rate
             else f"{row.treated_mean:,.2f} against {row.control_mean:,.2f} per unit")
    lift = "" if pd.isna(row.relative_lift) else f", {row.relative_lift:+.1%} relative"
    text = (f"{row.arm} against {control}, {row.outcome}: {level}, "
            f"{change(row.difference, row.ci_low, row.ci_high)}{lift}")
    if hasattr(row, "adjusted_difference"):
        text += (", with CUPED "
                 f"{change(row.adjusted_difference, row.adjusted_ci_low, row.adjusted_ci_high)}")
    text += f" at {confidence:.0%}"
    if row.verdict != "inconclusive":
        return f"{text}: {row.verdict}."
    if pd.isna(row.extra_units):
        return f"{text}: inconclusive, with no difference seen."
    weeks = "" if pd.isna(row.weeks_needed) else f" (about {row.weeks_needed:,.1f} weeks)"
    return (f"{text}: inconclusive; about {int(row.extra_units):,} more units{weeks} would "
            "exclude zero if the difference holds.")
