"""The sample-ratio check: are the groups the sizes the assignment promised?

When a 50/50 split yields 50.8/49.2 on 100,000 units, something dropped or added units
unevenly (a bot filter, a send that failed for one arm, a join that lost rows), and every
difference measured afterwards is suspect (Fabijan et al. 2019, "Diagnosing sample ratio
mismatch in online controlled experiments: a taxonomy and rules of thumb for
practitioners", KDD). The check is Pearson's chi-square test of the group counts against
the expected shares; the customary alarm is p < 0.001, strict because the check runs on
every experiment and a false alarm is costly too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from tenure.errors import InputError

__all__ = ["SampleRatio", "sample_ratio"]


@dataclass(frozen=True)
class SampleRatio:
    """The group counts against the expected shares, the chi-square statistic and its
    p-value, and whether that p-value is below ``alpha`` (a mismatch)."""

    groups: tuple
    counts: tuple[int, ...]
    expected_shares: tuple[float, ...]
    statistic: float
    p_value: float
    alpha: float

    @property
    def mismatch(self) -> bool:
        return self.p_value < self.alpha

    def to_dict(self) -> dict[str, Any]:
        return {"groups": [str(g) for g in self.groups], "counts": list(self.counts),
                "expected_shares": list(self.expected_shares), "statistic": self.statistic,
                "p_value": self.p_value, "alpha": self.alpha, "mismatch": self.mismatch}


def sample_ratio(groups: list, counts: np.ndarray, expected: Mapping | None,
                 alpha: float) -> SampleRatio:
    """Pearson's chi-square test of ``counts`` per group against the ``expected`` shares
    (group to share, in any units; an equal split when None)."""
    if expected is None:
        shares = np.full(len(groups), 1 / len(groups))
    else:
        if not isinstance(expected, Mapping):
            raise InputError(f"expected={expected!r} is not a mapping; pass the planned share "
                             "of each group, such as {'control': 0.5, 'treated': 0.5}")
        unknown = [g for g in expected if g not in groups]
        missing = [g for g in groups if g not in expected]
        if unknown or missing:
            what = (f"names {unknown[0]!r}, which is not a group" if unknown
                    else f"has no share for group {missing[0]!r}")
            raise InputError(f"expected {what}; give a share for each of "
                             f"{', '.join(map(repr, groups))}")
        raw = np.array([expected[g] for g in groups], dtype=float)
        if not (np.isfinite(raw).all() and (raw > 0).all()):
            raise InputError(f"expected shares {[expected[g] for g in groups]} should all be "
                             "positive numbers, such as 0.9 and 0.1")
        shares = raw / raw.sum()
    counts = np.asarray(counts, dtype=float)
    statistic, p_value = stats.chisquare(counts, shares * counts.sum())
    return SampleRatio(tuple(groups), tuple(int(c) for c in counts),
                       tuple(float(s) for s in shares), float(statistic), float(p_value),
                       alpha)
