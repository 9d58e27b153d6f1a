"""The playbooks: each turns what tenure knows about customers into proposed actions.

Each playbook is a small module declaring one :class:`Playbook`: an eligibility query in
the engine as of the plan date, a reason template (English here, Chinese in
``tenure/i18n/zh/actions.toml``), its channels, offer and owner rule, its prior effect and
its own thresholds, set under ``[actions.playbooks.NAME]`` in ``tenure.toml``.

>>> [p.name for p in PLAYBOOKS.values()][:3]
['maintenance_due', 'replenishment', 'trade_in']
"""

from tenure.actions.playbooks._at_risk import AT_RISK
from tenure.actions.playbooks._base import PROPOSAL_COLUMNS, Playbook, sentence
from tenure.actions.playbooks._care import CARE
from tenure.actions.playbooks._cross_sell import CROSS_SELL, associations
from tenure.actions.playbooks._handover import HANDOVER
from tenure.actions.playbooks._maintenance import MAINTENANCE
from tenure.actions.playbooks._membership import MEMBERSHIP
from tenure.actions.playbooks._nurture import NURTURE, learned_days
from tenure.actions.playbooks._recovery import RECOVERY
from tenure.actions.playbooks._referral import REFERRAL
from tenure.actions.playbooks._replenishment import REPLENISHMENT
from tenure.actions.playbooks._trade_in import TRADE_IN
from tenure.actions.playbooks._win_back import WIN_BACK

__all__ = ["PLAYBOOKS", "PROPOSAL_COLUMNS", "Playbook", "associations", "learned_days",
           "sentence"]

PLAYBOOKS: dict[str, Playbook] = {p.name: p for p in (
    MAINTENANCE, REPLENISHMENT, TRADE_IN, NURTURE, AT_RISK, WIN_BACK, CROSS_SELL, MEMBERSHIP,
    CARE, RECOVERY, REFERRAL, HANDOVER)}
