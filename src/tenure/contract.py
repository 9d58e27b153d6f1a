"""The data contract: the tables a business brings, their columns, types, keys and rules.

This module is the single declaration the workspace, the ingest validation, the simulator
and ``docs/data-contract.md`` are built from. Only ``orders`` (customer_id, order_id,
ordered_at, amount) is needed to get value out of tenure; every other table is optional and
each capability says which ones it reads.

Types are the user's words: ``id`` and ``text`` are strings (an id is kept exactly as given,
``"007"`` stays ``"007"``), ``number`` is a decimal amount, ``integer`` a whole number,
``timestamp`` a local date and time in the workspace's time zone, ``date`` a calendar day,
``boolean`` true or false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tenure.errors import InputError

__all__ = ["TABLES", "Column", "Rule", "Table", "table"]

ColumnType = Literal["id", "text", "number", "integer", "timestamp", "date", "boolean"]

SQL_TYPES: dict[str, str] = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "number": "DOUBLE",
    "integer": "BIGINT",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    type: ColumnType
    description: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    # Canonical values and the spellings accepted for each (compared without case).
    allowed: Mapping[str, tuple[str, ...]] | None = None
    # Name of a setting whose list gives the allowed values (e.g. the funnel stages).
    allowed_setting: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    # "table.column" this column points to; checked when ingest.strict_references is on.
    references: str | None = None
    # Setting whose value fills the column when a file leaves it out or blank.
    default_setting: str | None = None
    # The column this one is computed from at ingest (never read from a file).
    derived_from: str | None = None
    # Earliest plausible date, when the workspace's (ingest.earliest_date) does not fit.
    earliest: str | None = None

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]


@dataclass(frozen=True)
class Rule:
    """A row rule: ``later`` must not be before ``earlier`` when both are present."""

    earlier: str
    later: str

    def describe(self) -> str:
        return f"{self.later} must not be before {self.earlier}"


@dataclass(frozen=True)
class Table:
    """One table of the contract, with its natural key."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    time_column: str | None = None
    rules: tuple[Rule, ...] = ()
    used_by: str = ""
    # The column holding an order's status as the shop exported it: rows whose status is
    # not a sale are left out, and a refund's amount (``refund_amount``) becomes negative.
    status: str | None = None
    refund_amount: str | None = None
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})
        missing = [k for k in self.key if k not in self._by_name]
        assert not missing, f"{self.name}: key columns {missing} are not declared"
        for column in self.columns:
            assert column.derived_from is None or column.derived_from in self._by_name

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return name in self._by_name

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def read_columns(self) -> tuple[Column, ...]:
        """The columns a file can bring (the derived ones are computed from them)."""
        return tuple(c for c in self.columns if c.derived_from is None)


# Header spellings seen in shop, marketplace and CRM exports, matched without case, spaces,
# underscores or hyphens. A mapping file overrides them.
# Within one column, earlier spellings win: a file with two columns that both fit (下单时间
# and 付款时间) lands the earlier one and the report names the other.
_CUSTOMER_ID = (
    "客户编号", "客户ID", "客户id", "客户号", "会员ID", "会员编号", "会员号", "用户ID", "买家ID",
    "买家会员名", "买家账号", "买家昵称", "会员名", "会员账号", "用户名", "客户账号",
    "customer", "customer_number", "customer_no", "cust_id", "client_id", "buyer_id", "buyer",
)
_ORDER_ID = ("订单号", "订单编号", "订单ID", "主订单编号", "订单号码", "order", "order_number",
             "order_no", "order_name")
_SKU = ("商品编码", "商品编号", "商家编码", "货号", "SKU编码", "SKU", "产品编码", "商品ID",
        "item_id", "product_id")
_PHONE = ("手机号", "手机", "手机号码", "联系手机", "联系电话", "电话", "电话号码", "收货人手机",
          "收货人手机号", "收货人电话", "买家手机号", "mobile", "phone_number", "telephone")


def _phone(description: str) -> tuple[Column, Column]:
    return (
        Column("phone", "text", description, aliases=_PHONE),
        Column("phone_normalized", "text", "The phone number in one form for matching "
               "(`+8613800138000`), computed from `phone` at ingest; empty when `phone` is "
               "not a phone number.", derived_from="phone"),
    )


def _id(name: str, description: str, **kw) -> Column:
    return Column(name, "id", description, **kw)


def _customer_ref(required: bool = True) -> Column:
    return _id(
        "customer_id",
        "The customer, as in `customers.customer_id`.",
        required=required,
        aliases=_CUSTOMER_ID,
        references="customers.customer_id",
    )


_SIDES = {
    "customer": ("customer", "客户", "客户方", "customer-side"),
    "product": ("product", "产品", "产品方", "product-side"),
}

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "customers",
            "One row per customer: who they are and how they came.",
            (
                _id("customer_id", "The customer's id in your systems.", required=True,
                    aliases=_CUSTOMER_ID),
                Column("first_seen", "timestamp", "When the customer was first known "
                       "(sign-up or first order).", aliases=("注册时间", "首次购买时间",
                       "首次下单时间", "signup_date", "created_at")),
                Column("name", "text", "Name of the person or company.",
                       aliases=("姓名", "客户名称", "客户姓名", "收货人", "收货人姓名", "联系人",
                                "customer_name")),
                *_phone("Phone number, as written."),
                Column("email", "text", "E-mail address.", aliases=("邮箱", "电子邮件", "e-mail")),
                Column("wechat_id", "text", "WeChat id.", aliases=("微信", "微信号", "wechat")),
                Column("region", "text", "Region, province or city.", aliases=("地区", "省份",
                       "区域", "城市")),
                Column("segment", "text", "Your segment (consumer, SMB, enterprise...).",
                       aliases=("客户类型", "客户分层", "分群", "客户分群")),
                Column("acquisition_channel", "text", "Channel or account that brought the "
                       "customer.", aliases=("渠道", "来源渠道", "获客渠道", "来源", "channel")),
                _id("referrer_id", "The customer who referred this one, if any.",
                    aliases=("推荐人", "推荐人ID", "推荐人编号", "referred_by"),
                    references="customers.customer_id"),
                Column("birthday", "date", "Birthday (for care actions).",
                       aliases=("生日", "出生日期"), earliest="1900-01-01"),
                Column("company_size", "integer", "Employees, for business customers.",
                       aliases=("公司规模", "员工数", "employees"), minimum=0),
                Column("timezone", "text", "The customer's own time zone (an IANA name such "
                       "as Asia/Shanghai), for quiet hours and daily caps; the workspace's "
                       "zone when empty.", aliases=("时区", "time_zone", "tz")),
            ),
            key=("customer_id",),
            time_column="first_seen",
            used_by="segments and splits of every analysis, referral reach, care actions, "
                    "the contact policy's local hours",
        ),
        Table(
            "orders",
            "One row per order or refund. The only table tenure needs.",
            (
                _id("order_id", "The order's id.", required=True, aliases=_ORDER_ID),
                _customer_ref(),
                Column("ordered_at", "timestamp", "When the order was placed.", required=True,
                       aliases=("下单时间", "订单时间", "创建时间", "订单创建时间", "成交时间",
                                "付款时间", "订单付款时间", "支付时间", "下单日期", "订单日期",
                                "交易时间", "order_date", "order_time", "created_at", "date",
                                "purchase_date", "paid_at")),
                Column("amount", "number", "What the customer paid; negative for a refund.",
                       required=True, aliases=("实付金额", "实付款", "买家实际支付金额", "实收金额",
                                               "实收款", "支付金额", "付款金额", "订单实付金额",
                                               "成交金额", "订单金额", "金额", "total",
                                               "amount_paid", "revenue", "value")),
                Column("currency", "text", "Currency code; the workspace currency when absent.",
                       aliases=("币种", "货币"), default_setting="workspace.currency"),
                Column("quantity", "integer", "Number of items in the order.",
                       aliases=("数量", "件数", "商品数量", "购买数量", "宝贝总数量", "商品总数",
                                "qty", "items")),
                Column("status", "text", "The order's status as the shop exported it "
                       "(交易成功, 交易关闭, 退款成功, paid, cancelled...). Rows whose status "
                       "is in `ingest.excluded_statuses` are left out and counted; a status in "
                       "`ingest.refund_statuses` makes the amount negative.",
                       aliases=("订单状态", "交易状态", "状态", "订单状况", "order_status",
                                "financial_status", "payment_status")),
                *_phone("The buyer's phone number, as written."),
            ),
            key=("order_id",),
            time_column="ordered_at",
            used_by="everything",
            status="status",
            refund_amount="amount",
        ),
        Table(
            "order_lines",
            "The products in each order.",
            (
                _id("order_id", "The order, as in `orders.order_id`.", required=True,
                    aliases=_ORDER_ID, references="orders.order_id"),
                Column("line_no", "integer", "Line number within the order.", required=True,
                       aliases=("行号", "序号", "line", "line_number"), minimum=0),
                _id("sku", "The product, as in `products.sku`.", required=True, aliases=_SKU,
                    references="products.sku"),
                Column("quantity", "integer", "Units bought (negative for a return).",
                       aliases=("数量", "购买数量", "qty")),
                Column("unit_price", "number", "Price per unit.", aliases=("单价", "price")),
            ),
            key=("order_id", "line_no"),
            used_by="category breadth, maintenance, consumable and repurchase reminders",
        ),
        Table(
            "products",
            "The catalogue, with the intervals that drive reminders.",
            (
                _id("sku", "The product's id.", required=True, aliases=_SKU),
                Column("name", "text", "Product name.", aliases=("商品名称", "产品名称", "品名")),
                Column("category", "text", "Category.", aliases=("类目", "品类", "分类")),
                Column("maintenance_interval_days", "integer", "Days between services.",
                       aliases=("保养周期", "保养周期天数"), minimum=1),
                Column("consumable_life_days", "integer", "Days a consumable lasts.",
                       aliases=("耗材周期", "使用天数"), minimum=1),
                Column("lifespan_days", "integer", "Expected lifetime of the product in days.",
                       aliases=("使用寿命", "寿命天数"), minimum=1),
                _id("successor_sku", "The product that replaces this one.",
                    aliases=("换代型号", "后继型号"), references="products.sku"),
                Column("trade_in_value", "number", "Value offered when traded in.",
                       aliases=("以旧换新价值", "折旧价值"), minimum=0),
            ),
            key=("sku",),
            used_by="maintenance, consumable, repurchase and upgrade actions",
        ),
        Table(
            "leads",
            "One row per lead per stage it entered.",
            (
                _id("lead_id", "The lead's id.", required=True, aliases=("线索ID", "线索编号")),
                Column("stage", "text", "Stage entered (funnel.stages or funnel.lost_stage).",
                       required=True, aliases=("阶段", "线索阶段"),
                       allowed_setting=("funnel.stages", "funnel.lost_stage")),
                Column("entered_at", "timestamp", "When the lead entered the stage.",
                       required=True, aliases=("进入时间", "阶段时间")),
                Column("source", "text", "Where the lead came from.", aliases=("线索来源", "来源")),
                _id("owner_id", "Who works the lead.", aliases=("负责人", "销售")),
                _customer_ref(required=False),
                Column("lost_reason", "text", "Why a lost lead was lost.",
                       aliases=("流失原因", "丢单原因")),
            ),
            key=("lead_id", "stage"),
            time_column="entered_at",
            used_by="lead funnel",
        ),
        Table(
            "tickets",
            "Support tickets.",
            (
                _id("ticket_id", "The ticket's id.", required=True, aliases=("工单号", "工单编号")),
                _customer_ref(),
                Column("priority", "text", "Priority as your SLA policies name it.",
                       aliases=("优先级",)),
                Column("opened_at", "timestamp", "When the ticket was opened.", required=True,
                       aliases=("创建时间", "提交时间")),
                Column("first_response_at", "timestamp", "First agent response.",
                       aliases=("首次响应时间",)),
                Column("resolved_at", "timestamp", "When it was resolved.",
                       aliases=("解决时间", "关闭时间")),
                Column("csat", "integer", "Satisfaction score, 1 to 5.",
                       aliases=("满意度", "评分"), minimum=1, maximum=5),
                Column("category", "text", "What the ticket is about.",
                       aliases=("类别", "问题类型")),
            ),
            key=("ticket_id",),
            time_column="opened_at",
            rules=(Rule("opened_at", "first_response_at"), Rule("opened_at", "resolved_at")),
            used_by="SLA compliance, churn features, service-recovery actions",
        ),
        Table(
            "ticket_status",
            "Status changes of tickets; pending and on-hold periods pause SLA clocks, "
            "`replied` marks an agent reply.",
            (
                _id("ticket_id", "The ticket, as in `tickets.ticket_id`.", required=True,
                    aliases=("工单号", "工单编号"), references="tickets.ticket_id"),
                Column("status", "text", "New status (open, replied, pending, on_hold, "
                       "resolved, ...).", required=True, aliases=("状态",)),
                Column("at", "timestamp", "When the status changed.", required=True,
                       aliases=("时间", "变更时间")),
            ),
            key=("ticket_id", "at", "status"),
            time_column="at",
            used_by="SLA clocks",
        ),
        Table(
            "contacts",
            "Touches sent to customers.",
            (
                _customer_ref(),
                Column("channel", "text", "sms, email, wechat, call, ...", required=True,
                       aliases=("渠道", "触达渠道")),
                Column("sent_at", "timestamp", "When it was sent.", required=True,
                       aliases=("发送时间", "触达时间")),
                Column("campaign", "text", "Campaign name.", aliases=("活动", "活动名称")),
                Column("kind", "text", "What the touch was (win-back, reminder, ...).",
                       aliases=("类型",)),
                Column("outcome", "text", "What came of it (opened, replied, purchased, ...).",
                       aliases=("结果",)),
            ),
            key=("customer_id", "channel", "sent_at", "campaign"),
            time_column="sent_at",
            used_by="contact frequency, churn features, action outcomes",
        ),
        Table(
            "consents",
            "Consent changes per channel; the latest one before a date is in force.",
            (
                _customer_ref(),
                Column("channel", "text", "The channel the consent is for.", required=True,
                       aliases=("渠道",)),
                Column("opted_in", "boolean", "True when the customer agrees to be contacted.",
                       required=True, aliases=("是否同意", "同意")),
                Column("at", "timestamp", "When the consent was given or withdrawn.",
                       required=True, aliases=("时间",)),
            ),
            key=("customer_id", "channel", "at"),
            time_column="at",
            used_by="contact policy, churn features",
        ),
        Table(
            "memberships",
            "Paid memberships and subscriptions.",
            (
                _customer_ref(),
                Column("tier", "text", "Membership tier.", required=True,
                       aliases=("会员等级", "等级")),
                Column("fee", "number", "Fee per period.", aliases=("会费", "费用"), minimum=0),
                Column("started_at", "timestamp", "Start of the membership.", required=True,
                       aliases=("开始时间", "开通时间")),
                Column("ended_at", "timestamp", "End, if it ended.",
                       aliases=("结束时间", "到期时间")),
            ),
            key=("customer_id", "started_at"),
            time_column="started_at",
            rules=(Rule("started_at", "ended_at"),),
            used_by="contractual churn (sBG), tier splits, SLA credits",
        ),
        Table(
            "owners",
            "Who looks after each customer, and since when: a sales rep or a WeChat account.",
            (
                _customer_ref(),
                _id("owner_id", "The rep or account.", required=True,
                    aliases=("负责人", "客户经理", "归属人")),
                Column("from_at", "timestamp", "Start of the assignment.", required=True,
                       aliases=("开始时间",)),
                Column("to_at", "timestamp", "End of the assignment, if it ended.",
                       aliases=("结束时间",)),
            ),
            key=("customer_id", "from_at"),
            time_column="from_at",
            rules=(Rule("from_at", "to_at"),),
            used_by="owner hand-over analysis, churn features",
        ),
        Table(
            "service_events",
            "Services done on products customers own: maintenance, repairs, installation.",
            (
                _customer_ref(),
                _id("sku", "The product serviced, as in `products.sku`.", required=True,
                    aliases=_SKU, references="products.sku"),
                Column("at", "timestamp", "When the service was done.", required=True,
                       aliases=("服务时间", "保养时间", "维修时间", "service_date")),
                Column("kind", "text", "What was done (maintenance, repair, installation, "
                       "...).", aliases=("服务类型", "类型", "service_type")),
            ),
            key=("customer_id", "sku", "at"),
            time_column="at",
            used_by="maintenance reminders (the interval runs from the latest service)",
        ),
        Table(
            "churn_reasons",
            "Why customers left, as recorded by your team.",
            (
                _customer_ref(),
                Column("at", "timestamp", "When the reason was recorded.", required=True,
                       aliases=("时间", "记录时间")),
                Column("code", "text", "Reason code (closed, moved, missing_feature, bugs, ...).",
                       required=True, aliases=("原因", "流失原因", "原因代码")),
                Column("side", "text", "Whose side the reason is on: customer or product.",
                       aliases=("归属", "类别"), allowed=_SIDES),
                Column("note", "text", "Free text.", aliases=("备注",)),
            ),
            key=("customer_id", "at", "code"),
            time_column="at",
            used_by="churn-reason analysis",
        ),
    )
}

# Ingest order that satisfies references (a referenced table comes first).
LOAD_ORDER: tuple[str, ...] = (
    "customers", "products", "orders", "order_lines", "leads", "tickets", "ticket_status",
    "contacts", "consents", "memberships", "owners", "service_events", "churn_reasons",
)
assert set(LOAD_ORDER) == set(TABLES)


def table(name: str, *, source: str | None = None) -> Table:
    """The contract table called ``name``, or an InputError listing the tables."""
    try:
        return TABLES[name]
    except KeyError:
        names = ", ".join(TABLES)
        raise InputError(f"there is no table '{name}'; the tables are: {names}",
                         source=source) from None


_UNIT = re.compile(r"[(\[（【](?:元|¥|￥|rmb|cny|人民币)[)\]）】]$")


def header_key(name: str) -> str:
    """How headers are compared: without case, spaces, underscores, hyphens, dots or a
    currency unit at the end (``实付款(元)`` is ``实付款``)."""
    key = re.sub(r"[\s_\-.·:：]+", "", str(name)).casefold()
    return _UNIT.sub("", key)
