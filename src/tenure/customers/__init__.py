"""The customers one by one: lists, profiles, the overview of the base, and the pages of
the saved models, for the people who act on them.

- :func:`search` and :func:`at_risk`: pages of customer cards (who they are, owner, tier,
  lifecycle state, value, churn risk and its reasons), filtered and sorted;
- :func:`profile`: everything about one customer;
- :func:`overview`: the base's figures per period, each with its trend;
- :func:`value_overview` and :func:`model_overview`: the value and model pages;
- :func:`prepare`: the customer tables all of these read, built once per version of the
  data (:mod:`~tenure.customers._tables`);
- :func:`mask_records` and friends: contact details as a viewer sees them.
"""

from tenure.customers._lists import BANDS, SORTS, CustomerList, at_risk, search
from tenure.customers._masking import (
    CONTACT_COLUMNS,
    mask_email,
    mask_frame,
    mask_phone,
    mask_records,
    mask_wechat,
)
from tenure.customers._models import ModelOverview, ValueOverview, model_overview, value_overview
from tenure.customers._overview import Overview, overview
from tenure.customers._profile import CustomerProfile, check_owner, profile
from tenure.customers._tables import CustomerTables, prepare

__all__ = ["BANDS", "CONTACT_COLUMNS", "SORTS", "CustomerList", "CustomerProfile",
           "CustomerTables", "ModelOverview", "Overview", "ValueOverview", "at_risk", "check_owner",
           "mask_email", "mask_frame", "mask_phone", "mask_records", "mask_wechat",
           "model_overview", "overview", "prepare", "profile", "search", "value_overview"]
