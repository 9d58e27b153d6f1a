"""What churn means for a business, and how the horizon is learned when it is not given."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from tenure.churn._dates import horizon_days
from tenure.errors import ConfigError

__all__ = ["ChurnDefinition", "churn_definition"]

Kind = Literal["non_contractual", "contractual"]
KINDS: tuple[str, ...] = ("non_contractual", "contractual")

# Fewer repeat purchases than this say too little about the gaps to set a horizon from them.
MIN_GAPS = 30


@dataclass(frozen=True)
class ChurnDefinition:
    """The churn definition in force: its kind, its horizon H in days, and where H came from.

    - ``non_contractual``: a customer counts at an as-of date when they bought in the H days
      before it, and has churned when they buy nothing in the H days from it.
    - ``contractual``: a customer counts when they hold a membership at the as-of date, and
      has churned when they hold none H days later (it was not renewed).

    >>> ChurnDefinition("non_contractual", 182, "given").describe()[:59]
    'churn (non-contractual): no purchase in the 182 days (26 we'
    """

    kind: Kind
    horizon_days: int
    source: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(f"'{self.kind}' is not a churn definition; use non_contractual "
                              "or contractual")

    def describe(self) -> str:
        """The definition as one sentence, printed with every result."""
        h = self.horizon_days
        span = f"{h} days" + (f" ({h // 7} weeks)" if h % 7 == 0 else "")
        if self.kind == "non_contractual":
            body = (f"no purchase in the {span} from the as-of date, among customers who "
                    "bought in as many days before it")
        else:
            body = (f"no membership held {span} after the as-of date, among customers who "
                    "held one at it (not renewed)")
        return f"churn ({self.kind.replace('_', '-')}): {body}; horizon {self.source}"

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict:
        return {"kind": self.kind, "horizon_days": self.horizon_days, "source": self.source}

    @classmethod
    def from_dict(cls, data: dict) -> ChurnDefinition:
        return cls(data["kind"], int(data["horizon_days"]), data["source"])


def churn_definition(workspace, *, kind: str | None = None,
                     horizon: str | int | None = None) -> ChurnDefinition:
    """The churn definition for ``workspace``: arguments first, then ``tenure.toml``.

    An unset non-contractual horizon is learned from the gaps between each customer's
    consecutive purchase days: the ``churn.horizon_quantile`` quantile of those gaps, rounded
    up to whole weeks. It reads every order in the workspace, because gaps seen only before an
    early date are cut short by it (a 200-day gap cannot be seen in the first 100 days); the
    horizon defines the label and is no feature, so no customer's future reaches a model
    through it. An unset contractual horizon is one membership period
    (``churn.membership_period_days``).
    """
    config = workspace.config
    kind = kind or config["churn.definition"]
    if kind not in KINDS:
        raise ConfigError(f"'{kind}' is not a churn definition; use non_contractual or "
                          "contractual")
    if horizon is not None and horizon != "":
        return ChurnDefinition(kind, horizon_days(horizon), "given")
    if config["churn.horizon"]:
        text = config["churn.horizon"]
        return ChurnDefinition(kind, horizon_days(text), f"set by churn.horizon = '{text}'")
    if kind == "contractual":
        days = config["churn.membership_period_days"]
        return ChurnDefinition(kind, days, "one membership period (churn.membership_period_days)")
    return _learned(workspace, config["churn.horizon_quantile"])


def _learned(workspace, quantile: float) -> ChurnDefinition:
    import ibis

    orders = workspace.table("orders")
    days = orders.filter(orders.amount > 0).select(
        "customer_id", day=orders.ordered_at.date()).distinct()
    previous = days.day.lag().over(ibis.window(group_by="customer_id", order_by="day"))
    gaps = days.mutate(gap=days.day.delta(previous, unit="day")).filter(lambda t: t.gap.notnull())
    summary = gaps.aggregate(n=gaps.count(), q=gaps.gap.quantile(quantile)).to_pyarrow()
    n, q = summary["n"][0].as_py(), summary["q"][0].as_py()
    if n < MIN_GAPS:
        raise ConfigError(
            f"only {n} repeat purchases, too few to learn the churn horizon from; set "
            "churn.horizon (such as '26W') or pass a horizon"
        )
    weeks = max(1, math.ceil(float(q) / 7))
    return ChurnDefinition(
        "non_contractual", weeks * 7,
        f"learned: the {quantile:.0%} quantile of {n:,} gaps between purchase days "
        f"is {float(q):.0f} days, rounded up to whole weeks",
    )
