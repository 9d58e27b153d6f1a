"""Real data bundled with tenure, for examples, tests and benchmarks.

CDNOW (Fader & Hardie): every purchase made at the CDNOW online music store by the cohort of
23,570 customers whose first purchase was in the first quarter of 1997, followed to the end
of June 1998: 69,659 purchase records. The 1/10 systematic sample of 2,357 customers (6,919
records) is the one the buy-till-you-die papers fit (Fader, Hardie & Lee 2005, "Counting
Your Customers the Easy Way"), with weeks as the time unit, calibration to 1997-09-30 and a
39-week holdout to 1998-06-30.

>>> from tenure.datasets import load_cdnow
>>> orders = load_cdnow(kind="sample")
>>> len(orders), orders.customer_id.nunique()
(6919, 2357)

Hillstrom (MineThatData, 2008): a randomised e-mail experiment on 64,000 recent customers,
the standard public test of lift statistics and uplift models; see :func:`load_hillstrom`.

Donations (Fader, Hardie & Shang 2010): the 11,104 people who first gave to a US non-profit
in 1995, as the number with each pattern of giving over the six annual opportunities
1996-2001: the recency/frequency table the BG/BB paper fits.

>>> from tenure.datasets import load_donations
>>> donors = load_donations()
>>> len(donors), int(donors.weights.sum())
(22, 11104)
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib.resources import files
from typing import Literal

import numpy as np
import pandas as pd

from tenure.errors import TenureError

__all__ = ["CDNOW_CALIBRATION_END", "CDNOW_OBSERVATION_END", "load_cdnow", "load_donations",
           "load_hillstrom"]

CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30")
CDNOW_OBSERVATION_END = pd.Timestamp("1998-06-30")


@cache
def _read(kind: str) -> pd.DataFrame:
    path = files("tenure.datasets") / "data" / f"CDNOW_{kind}.txt.gz"
    with gzip.open(path.open("rb"), "rt", encoding="ascii") as handle:
        lines = [line.split() for line in handle if line.strip()]
    if kind == "master":
        lines = lines[1:]  # the master file has a header line
        ids, dates, cds, dollars = zip(*lines, strict=True)
        masters = ids
    else:
        masters, ids, dates, cds, dollars = zip(*lines, strict=True)
    frame = pd.DataFrame({
        "customer_id": [str(int(i)) for i in ids],
        "ordered_at": pd.to_datetime(pd.Series(dates), format="%Y%m%d"),
        "quantity": np.asarray(cds, dtype=np.int64),
        "amount": np.asarray(dollars, dtype=np.float64),
    })
    if kind == "sample":
        frame["master_id"] = [str(int(i)) for i in masters]
    sequence = frame.groupby("customer_id", sort=False).cumcount() + 1
    frame.insert(1, "order_id", frame["customer_id"] + "-" + sequence.astype(str))
    return frame


def load_cdnow(kind: Literal["sample", "master"] = "sample") -> pd.DataFrame:
    """The CDNOW purchase records as tidy orders.

    Columns: customer_id, order_id (customer and record number), ordered_at (a date),
    quantity (CDs bought), amount (US dollars); the sample adds master_id, the customer's id
    in the master file. Several records on one day are kept apart; the models count them as
    one purchase, as the papers do.
    """
    if kind not in ("sample", "master"):
        raise TenureError(f"kind '{kind}' is not a CDNOW file; use 'sample' or 'master'")
    return _read(kind).copy()


HILLSTROM_SEGMENTS = ("No E-Mail", "Mens E-Mail", "Womens E-Mail")


@cache
def _read_hillstrom() -> pd.DataFrame:
    path = files("tenure.datasets") / "data" / "hillstrom_email.csv.gz"
    with path.open("rb") as handle:
        frame = pd.read_csv(handle, compression="gzip", dtype={
            "recency": "int8", "history": "float64", "mens": "int8", "womens": "int8",
            "newbie": "int8", "visit": "int8", "conversion": "int8", "spend": "float64"})
    for flag in ("mens", "womens", "newbie"):
        frame[flag] = frame[flag].astype(bool)
    # The bands are named "1) $0 - $100" ... "7) $1,000 +": their leading digit orders them.
    bands = sorted(frame["history_segment"].unique())
    frame["history_segment"] = pd.Categorical(frame["history_segment"], bands, ordered=True)
    frame["zip_code"] = pd.Categorical(frame["zip_code"], ["Urban", "Surburban", "Rural"])
    frame["channel"] = pd.Categorical(frame["channel"], ["Phone", "Web", "Multichannel"])
    frame["segment"] = pd.Categorical(frame["segment"], HILLSTROM_SEGMENTS)
    return frame


def load_hillstrom() -> pd.DataFrame:
    """The Hillstrom e-mail experiment: 64,000 customers, three randomised groups.

    Kevin Hillstrom released it for the MineThatData E-Mail Analytics and Data Mining
    Challenge (2008). Customers who had bought within the last twelve months were split at
    random into three groups of about a third: one was sent an e-mail campaign featuring
    men's merchandise, one a campaign featuring women's merchandise, and one nothing.
    Visits, purchases and spend were then tracked for two weeks. It is where a lift estimate
    and an uplift model meet a real randomised experiment.

    One row per customer:

    - ``recency`` (int8): months since the last purchase, 1 to 12.
    - ``history_segment`` (ordered categorical): the band of past-year spend,
      ``1) $0 - $100`` to ``7) $1,000 +``.
    - ``history`` (float): dollars spent in the past year, the pre-period covariate.
    - ``mens``, ``womens`` (bool): bought men's or women's merchandise in the past year.
    - ``zip_code`` (categorical): Urban, Surburban [sic, as published] or Rural.
    - ``newbie`` (bool): a new customer in the past twelve months.
    - ``channel`` (categorical): Phone, Web or Multichannel, where they bought last year.
    - ``segment`` (categorical): the randomised group, No E-Mail (the control), Mens E-Mail
      or Womens E-Mail.
    - ``visit``, ``conversion`` (int8, 0 or 1): visited the site, or bought, in the two weeks.
    - ``spend`` (float): dollars spent in the two weeks (0 for the 99% who bought nothing).

    The group figures (visit rate, conversion rate, spend per customer) are the published
    ones: Mens E-Mail 18.28%, 1.25%, $1.42; Womens E-Mail 15.14%, 0.88%, $1.08; No E-Mail
    10.62%, 0.57%, $0.65.

    >>> from tenure.datasets import load_hillstrom
    >>> mail = load_hillstrom()
    >>> mail.groupby("segment", observed=True)[["visit", "conversion", "spend"]].mean().round(4)
                    visit  conversion   spend
    segment
    No E-Mail      0.1062      0.0057  0.6528
    Mens E-Mail    0.1828      0.0125  1.4226
    Womens E-Mail  0.1514      0.0088  1.0772
    """
    return _read_hillstrom().copy()


def load_donations() -> pd.DataFrame:
    """The 1995 donor cohort of Fader, Hardie & Shang (2010), "Customer-Base Analysis in a
    Discrete-Time Noncontractual Setting", Marketing Science 29(6), table 1: one row per
    pattern of annual donations in 1996-2001, ready for ``BetaGeoBetaBinom().fit``.

    Columns: frequency (years with a donation), recency (the last such year, 1 = 1996; 0 if
    none), n_periods (6 opportunities) and weights (donors with that pattern).
    """
    path = files("tenure.datasets") / "data" / "donations_1995.csv"
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype="int64")
