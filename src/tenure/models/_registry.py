"""Every value model, by the short name the CLI, the saved models and the scores use."""

from __future__ import annotations

from tenure.models._base import ValueModel
from tenure.models._beta_geo import BetaGeo
from tenure.models._beta_geo_beta_binom import BetaGeoBetaBinom
from tenure.models._gamma_gamma import GammaGamma
from tenure.models._ggompertz import GGompertzNBD
from tenure.models._modified_beta_geo import ModifiedBetaGeo
from tenure.models._pareto_nbd import ParetoNBD
from tenure.models._shifted_beta_geo import ShiftedBetaGeo

__all__ = ["MODELS"]

MODELS: dict[str, type[ValueModel]] = {
    cls.name: cls
    for cls in (BetaGeo, ParetoNBD, ModifiedBetaGeo, GGompertzNBD, BetaGeoBetaBinom,
                ShiftedBetaGeo, GammaGamma)
}
