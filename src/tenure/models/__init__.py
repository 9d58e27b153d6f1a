"""Customer value models."""
from tenure.models._beta_geo import BetaGeo
from tenure.models._pareto_nbd import ParetoNBD
from tenure.models._summary import rfm_summary
__all__ = ["BetaGeo", "ParetoNBD", "rfm_summary"]
