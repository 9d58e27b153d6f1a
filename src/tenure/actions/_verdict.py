"""What an interval allows one to say, and how much longer to wait when it allows nothing.

An interval that excludes zero says the arm did better (``higher``) or worse (``lower``)
than the control. One that spans zero is ``inconclusive``, whatever the point estimate: the
data are consistent with no effect and with effects of either sign.

For an inconclusive result the useful question is how much more data would settle it.
An interval's half-width shrinks as one over the square root of the units, so if the
effect stays at the difference observed, the interval first excludes zero at

    units needed = units now * (half-width towards zero / |difference|)^2

This is the sample at which a true effect of that size would be found about half the time;
for the customary 80% chance about twice as many units are needed in all
(((z_0.975 + z_0.8) / z_0.975)^2 = 2.04 at 95% confidence). With a known rate of new units
entering the experiment, the extra units become weeks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["VERDICTS", "extra_units", "verdicts"]

VERDICTS = ("higher", "lower", "inconclusive")


def verdicts(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """``higher`` where the interval lies above zero, ``lower`` below, else inconclusive."""
    return np.where(low > 0, "higher", np.where(high < 0, "lower", "inconclusive"))


def extra_units(difference: np.ndarray, low: np.ndarray, high: np.ndarray,
                units: np.ndarray) -> np.ndarray:
    """More units (in both groups together) for the interval to exclude zero at the observed
    difference: 0 where it already does, NaN where the difference is exactly zero."""
    difference = np.asarray(difference, dtype=float)
    toward_zero = np.where(difference > 0, difference - low, high - difference)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (toward_zero / np.abs(difference)) ** 2
    extra = np.ceil(np.asarray(units, dtype=float) * np.maximum(factor - 1, 0))
    extra = np.where(difference == 0, np.nan, extra)
    return np.where(verdicts(low, high) == "inconclusive", extra, 0.0)
