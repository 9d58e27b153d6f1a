"""The simulated business carried on past the end of its data, where actions have true
effects that differ between customers.

Each customer is one of four kinds, drawn once from their latent purchase rate so that what
tenure can see of them (how often they buy, whether they still do) tells something of it:

- **persuadable**: a contact from playbook P brings an extra order with probability
  ``persuade[P]``, a few days later (exponential, mean ``response_days``); likelier among
  customers who buy rarely;
- **sleeping dog**: a contact puts them off for good with probability ``annoy[P]`` (they
  stop buying at once); likelier among customers who buy often;
- **sure thing**: alive, buys as they would anyway;
- **lost cause**: no longer a customer when the world starts; nothing moves them.

Without actions the world goes on as the Pareto/NBD process of :mod:`._business` does: a
customer alive at the end of the data buys as a Poisson process at their rate until an
exponential time at their dropout rate (memoryless, so drawn afresh from the end). Only
contacts of the treated group act; held-out customers are logged by the planner and never
contacted, so they buy as they would have.

Because the world knows each customer's rate, lifetime and kind, it knows the true effect of
every action on the chance of a purchase within a window and on the revenue in it
(:meth:`ActionWorld.true_effects`), which the lift report must recover.

>>> from tenure.simulate import ActionWorld, simulate_business
>>> world = ActionWorld(simulate_business(2_000, seed=1), seed=1)
>>> sorted(world.kinds["kind"].unique())
['lost_cause', 'persuadable', 'sleeping_dog', 'sure_thing']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from tenure.errors import TenureError

__all__ = ["KINDS", "ActionEffects", "ActionWorld", "write_world"]

KINDS = ("persuadable", "sure_thing", "lost_cause", "sleeping_dog")
DAY_S = 86_400


@dataclass(frozen=True)
class ActionEffects:
    """The true effects of contacts, per playbook: ``persuade`` (chance a persuadable
    customer places an extra order) and ``annoy`` (chance a sleeping dog stops buying);
    the largest shares of persuadables and of sleeping dogs, reached at the lowest and the
    highest purchase rates; and the mean days from a contact to the order it brings."""

    persuade: dict[str, float] = field(default_factory=lambda: {
        "maintenance_due": 0.30, "replenishment": 0.25, "trade_in": 0.15, "nurture": 0.20,
        "at_risk": 0.25, "win_back": 0.15, "cross_sell": 0.10, "membership_upgrade": 0.08,
        "care_calendar": 0.08, "service_recovery": 0.35, "referral_ask": 0.08,
        "handover_intro": 0.20})
    annoy: dict[str, float] = field(default_factory=lambda: {
        "maintenance_due": 0.02, "replenishment": 0.05, "trade_in": 0.05, "nurture": 0.05,
        "at_risk": 0.10, "win_back": 0.05, "cross_sell": 0.10, "membership_upgrade": 0.05,
        "care_calendar": 0.02, "service_recovery": 0.0, "referral_ask": 0.05,
        "handover_intro": 0.05})
    persuadable_share: float = 0.6
    sleeping_dog_share: float = 0.35
    response_days: float = 3.0

    def to_dict(self) -> dict:
        return asdict(self)


class ActionWorld:
    """``business`` carried on from the day after its end, with ``effects`` (see the module
    docstring); ``days`` of orders are drawn ahead, the seed fixes every draw."""

    def __init__(self, business, effects: ActionEffects | None = None, *, seed: int = 0,
                 days: int = 365) -> None:
        if business.params.process != "pnbd":
            raise TenureError("the action world carries on the Pareto/NBD process; simulate "
                              "the business with process='pnbd'")
        self.effects = effects or ActionEffects()
        self.rng = np.random.default_rng([seed, 2])
        latent = business.latent.to_pandas()
        self.start = pd.Timestamp(business.params.end) + pd.Timedelta(days=1)
        self.end = self.start + pd.Timedelta(days=days)
        n = len(latent)
        self.ids = latent["customer_id"].to_numpy(dtype=object)
        self.index = pd.Index(self.ids)
        self.rate = latent["purchase_rate"].to_numpy(dtype=float)  # purchases per day
        self.spend = latent["expected_spend"].to_numpy(dtype=float)
        self.nu = latent["spend_nu"].to_numpy(dtype=float)
        self.p = business.params.p
        alive = latent["alive_at_end"].to_numpy(dtype=bool)
        mu = latent["dropout_rate"].to_numpy(dtype=float)
        origin = self.start.value // 10**9
        remaining = self.rng.exponential(1 / np.maximum(mu, 1e-12)) * DAY_S
        # Seconds since the epoch at which each customer stops buying, without actions.
        self.base_death = np.where(alive, origin + remaining, -np.inf)
        self.death = self.base_death.copy()
        self.kind = self._kinds(alive)
        self.kinds = pd.DataFrame({"customer_id": self.ids, "kind": pd.Categorical.from_codes(
            self.kind, KINDS)})
        self._orders = self._baseline(origin, n)
        self._issued = 0
        self._answers: list[pd.DataFrame] = []

    def _kinds(self, alive: np.ndarray) -> np.ndarray:
        z = np.log(np.maximum(self.rate, 1e-12))
        z = (z - z[alive].mean()) / z[alive].std() if alive.any() else z
        dog = self.effects.sleeping_dog_share / (1 + np.exp(-(2 * z - 1)))
        persuadable = self.effects.persuadable_share / (1 + np.exp(2 * z - 0.5))
        u = self.rng.random(len(z))
        kind = np.where(u < dog, 3, np.where(u < dog + persuadable, 0, 1))
        return np.where(alive, kind, 2).astype(np.int8)

    def _baseline(self, origin: int, n: int) -> pd.DataFrame:
        """Every order the customers would place without actions, up to the world's end."""
        until = np.minimum(self.base_death, self.end.value // 10**9)
        span = np.maximum(until - origin, 0) / DAY_S
        counts = self.rng.poisson(self.rate * span)
        who = np.repeat(np.arange(n), counts)
        at = origin + self.rng.random(len(who)) * span[who] * DAY_S
        return pd.DataFrame({"who": who, "at": at, "amount": self._amounts(who),
                             "source": "baseline"})

    def _amounts(self, who: np.ndarray) -> np.ndarray:
        return np.maximum(np.round(self.rng.gamma(self.p, 1.0, len(who)) / self.nu[who], 2),
                          0.01)

    # -- actions -----------------------------------------------------------------------------
    def respond(self, actions: pd.DataFrame) -> pd.DataFrame:
        """Apply the contacts among ``actions`` (a plan's frame: customer_id, playbook,
        group, status, and send_from or due_date): only the treated group is contacted, at
        the start of its send window. Returns what each contact did (customer_id, playbook,
        at, persuaded, put_off). Applying the same plan twice contacts nobody twice."""
        sent = actions[(actions["group"] == "treatment")
                       & ~actions["status"].isin(["held_out", "withdrawn"])]
        if "send_from" in sent.columns:
            when = pd.to_datetime(sent["send_from"]).fillna(pd.to_datetime(sent["due_date"]))
        else:
            when = pd.to_datetime(sent["due_date"])
        fresh = pd.DataFrame({"customer_id": sent["customer_id"].to_numpy(dtype=object),
                              "playbook": sent["playbook"].to_numpy(dtype=object),
                              "at": when.to_numpy()})
        done = self.treated[["customer_id", "playbook", "at"]]
        if len(done) and len(fresh):
            seen = fresh.merge(done.assign(_seen=True), how="left",
                               on=["customer_id", "playbook", "at"])["_seen"].notna()
            fresh = fresh[~seen.to_numpy()]
        who = self.index.get_indexer(fresh["customer_id"])
        if (who < 0).any():
            raise TenureError("the plan names customers the simulated business does not have")
        at = fresh["at"].to_numpy().astype("datetime64[s]").astype(np.int64)
        persuade = fresh["playbook"].map(self.effects.persuade).fillna(0.0).to_numpy()
        annoy = fresh["playbook"].map(self.effects.annoy).fillna(0.0).to_numpy()
        alive = self.death[who] > at
        u = self.rng.random(len(who))
        persuaded = alive & (self.kind[who] == 0) & (u < persuade)
        put_off = alive & (self.kind[who] == 3) & (u < annoy)
        # The put off stop buying at once; the persuaded place an extra order.
        np.minimum.at(self.death, who[put_off], at[put_off])
        extra_at = at[persuaded] + self.rng.exponential(self.effects.response_days,
                                                        persuaded.sum()) * DAY_S
        extra = pd.DataFrame({"who": who[persuaded], "at": extra_at,
                              "amount": self._amounts(who[persuaded]), "source": "action"})
        self._orders = pd.concat([self._orders, extra], ignore_index=True)
        outcome = fresh.assign(persuaded=persuaded, put_off=put_off)
        self._answers.append(outcome)
        return outcome

    @property
    def treated(self) -> pd.DataFrame:
        """Every contact the world has answered: customer_id, playbook, at, persuaded,
        put_off."""
        if not self._answers:
            return pd.DataFrame({"customer_id": pd.Series(dtype=object),
                                 "playbook": pd.Series(dtype=object),
                                 "at": pd.Series(dtype="datetime64[ns]"),
                                 "persuaded": pd.Series(dtype=bool),
                                 "put_off": pd.Series(dtype=bool)})
        return pd.concat(self._answers, ignore_index=True)

    def orders(self, since, until) -> pd.DataFrame:
        """The orders placed from ``since`` to ``until`` (dates or times, ``until``
        excluded), as the contract's columns, each with its own id; an order a put-off
        customer would have placed after their contact is not placed."""
        lo, hi = (pd.Timestamp(since).value // 10**9, pd.Timestamp(until).value // 10**9)
        orders = self._orders
        inside = (orders["at"] >= lo) & (orders["at"] < hi)
        placed = orders[inside & (orders["at"] < self.death[orders["who"].to_numpy()])]
        placed = placed.sort_values("at", kind="stable")
        first = self._issued
        self._issued += len(placed)
        return pd.DataFrame({
            "order_id": [f"A{first + i + 1:09d}" for i in range(len(placed))],
            "customer_id": self.ids[placed["who"].to_numpy()],
            "ordered_at": pd.to_datetime(np.round(placed["at"].to_numpy()).astype(np.int64),
                                         unit="s"),
            "amount": placed["amount"].to_numpy(),
            "currency": "CNY",
        })

    def true_effects(self, units: pd.DataFrame, window_days: int) -> pd.DataFrame:
        """The true effect of contacting each unit (customer_id, playbook, plan_date),
        whatever its group, on the chance of a purchase within ``window_days`` of the plan
        date (``purchased``) and on the revenue in that window (``revenue``), from the
        customer's kind, rate and lifetime before any action."""
        who = self.index.get_indexer(units["customer_id"])
        t = pd.to_datetime(units["plan_date"]).to_numpy().astype("datetime64[s]").astype(
            np.int64)
        window = window_days * DAY_S
        covered = np.clip(self.base_death[who] - t, 0, window) / DAY_S
        baseline = 1 - np.exp(-self.rate[who] * covered)
        persuade = units["playbook"].map(self.effects.persuade).fillna(0.0).to_numpy()
        annoy = units["playbook"].map(self.effects.annoy).fillna(0.0).to_numpy()
        reached = 1 - np.exp(-window_days / self.effects.response_days)
        kind = self.kind[who]
        purchased = np.where(kind == 0, persuade * reached * (1 - baseline),
                             np.where(kind == 3, -annoy * baseline, 0.0))
        revenue = np.where(kind == 0, persuade * reached * self.spend[who],
                           np.where(kind == 3, -annoy * self.rate[who] * covered
                                    * self.spend[who], 0.0))
        return units.assign(kind=pd.Categorical.from_codes(kind, KINDS),
                            true_purchased=purchased, true_revenue=revenue)

    def to_arrow(self) -> pa.Table:
        """Each customer's kind, for ``action_truth.parquet``."""
        return pa.Table.from_pandas(self.kinds.assign(kind=self.kinds["kind"].astype(str)),
                                    preserve_index=False)

    @property
    def first_day(self) -> dt.date:
        return self.start.date()


def write_world(business, folder, *, seed: int = 0,
                effects: ActionEffects | None = None) -> ActionWorld | None:
    """The world that carries ``business`` on (see :class:`ActionWorld`), with each
    customer's kind written to ``action_truth.parquet`` and the true effects added to
    ``truth.json`` in ``folder``; None for a BG/NBD business, which the world does not
    carry on."""
    import json
    from pathlib import Path

    import pyarrow.parquet as pq

    if business.params.process != "pnbd":
        return None
    world = ActionWorld(business, effects, seed=seed)
    folder = Path(folder)
    pq.write_table(world.to_arrow(), folder / "action_truth.parquet", compression="zstd")
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    truth["actions"] = {"seed": seed, "first_day": world.first_day.isoformat(),
                        **world.effects.to_dict()}
    (folder / "truth.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    return world
