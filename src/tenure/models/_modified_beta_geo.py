"""MBG/NBD: BG/NBD in which a customer may also drop out right after the first purchase.

Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). Empirical validation and comparison
of models for customer base analysis. International Journal of Research in Marketing 24(3),
201-209. The likelihood and predictions share their code with BG/NBD (``bg_loglik`` with
``modified=True``).
"""

from __future__ import annotations

from tenure.models._beta_geo import BetaGeo

__all__ = ["ModifiedBetaGeo"]


class ModifiedBetaGeo(BetaGeo):
    """MBG/NBD (Batislam, Denizel & Filiztekin 2007): as BG/NBD, but the dropout chance
    p ~ Beta(a, b) applies at the first purchase too, so customers with no repeat purchase
    can be dead (under BG/NBD their P(alive) is always 1).

    >>> import tenure
    >>> from tenure.models import ModifiedBetaGeo
    >>> orders = tenure.datasets.load_cdnow(kind="sample")
    >>> s = tenure.rfm_summary(orders, observation_end="1997-09-30", unit="W")
    >>> round(ModifiedBetaGeo().fit(s).log_likelihood_, 1)
    -9582.1
    """

    name = "mbgnbd"
    title = "MBG/NBD"
    modified = True
