"""Fixed vocabularies of the simulated business: a coffee-equipment shop in China."""

from __future__ import annotations

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国玉兰红梅鑫宇浩然子涵雨欣思远嘉怡晨"
)

REGIONS = [
    "北京", "上海", "广东", "浙江", "江苏", "四川", "湖北", "山东", "福建", "湖南", "河南",
    "河北", "陕西", "重庆", "天津", "安徽", "辽宁", "云南", "江西", "广西",
]
REGION_WEIGHTS = [9, 10, 11, 9, 8, 6, 5, 6, 5, 4, 5, 3, 3, 3, 3, 3, 2, 2, 2, 1]

SEGMENTS = ["consumer", "smb", "enterprise"]
SEGMENT_WEIGHTS = [0.72, 0.23, 0.05]

# Acquisition channels and accounts. Referral customers name their referrer.
CHANNELS = [
    "search", "marketplace", "store", "wechat:coffee_lab", "wechat:home_barista",
    "douyin:bean_talk", "xiaohongshu:latte_art", "referral",
]
CHANNEL_WEIGHTS = [0.22, 0.25, 0.10, 0.08, 0.06, 0.07, 0.05, 0.17]
# How much more likely than average a customer from each channel is to refer others.
CHANNEL_REFERRAL_PROPENSITY = {
    "search": 0.8, "marketplace": 0.3, "store": 1.0, "wechat:coffee_lab": 1.5,
    "wechat:home_barista": 4.0, "douyin:bean_talk": 0.6, "xiaohongshu:latte_art": 2.0,
    "referral": 1.5,
}

REPS = [f"rep_{i:02d}" for i in range(1, 13)]
SERVICE_ACCOUNTS = [f"wx_service_{i}" for i in range(1, 7)]

LEAD_SOURCES = ["website", "trade_show", "referral", "cold_call", "wechat"]
LEAD_SOURCE_WEIGHTS = [0.35, 0.15, 0.2, 0.15, 0.15]
LOST_REASONS = {
    "ML": ["no_budget", "not_a_fit"],
    "MQL": ["no_budget", "no_response", "not_a_fit"],
    "SL": ["no_response", "chose_competitor", "timing"],
    "SQL": ["price", "chose_competitor", "timing"],
}

TICKET_PRIORITIES = ["P1", "P2", "P3", "P4"]
TICKET_PRIORITY_WEIGHTS = [0.05, 0.2, 0.5, 0.25]
# First-response target in calendar minutes per priority; the simulator misses it about a
# quarter of the time, as the retention literature reports for businesses that have SLAs.
RESPONSE_TARGET_MINUTES = {"P1": 60, "P2": 240, "P3": 480, "P4": 1440}
TICKET_CATEGORIES = ["installation", "repair", "billing", "delivery", "usage"]

CONTACT_CHANNELS = ["sms", "email", "wechat"]
CONSENT_RATES = {"sms": 0.85, "email": 0.6, "wechat": 0.9}
CAMPAIGN_KINDS = ["promo", "reminder", "winback", "care"]

CHURN_CODES_CUSTOMER = ["closed", "acquired", "moved"]
CHURN_CODES_PRODUCT = ["missing_feature", "poor_onboarding", "setup_problems", "not_adopted",
                       "bugs", "service"]

# (sku prefix, category, Chinese name, count, lifespan, maintenance, consumable life,
#  trade-in value)
PRODUCT_LINES = [
    ("MCH", "espresso_machine", "意式咖啡机", 8, 2190, 180, None, 600.0),
    ("GRD", "grinder", "磨豆机", 6, 1000, 365, None, 200.0),
    ("BEAN", "coffee_beans", "咖啡豆", 40, None, None, 30, None),
    ("FLT", "water_filter", "滤芯", 10, None, None, 60, None),
    ("DSC", "descaler", "除垢剂", 4, None, None, 90, None),
    ("ACC", "accessory", "配件", 30, None, None, None, None),
]
# Chance that a line of a first order / of a later order is in each product line.
FIRST_ORDER_MIX = [0.45, 0.2, 0.2, 0.05, 0.02, 0.08]
REPEAT_ORDER_MIX = [0.03, 0.03, 0.55, 0.15, 0.09, 0.15]

# Customers abroad, who give their own time zone; the rest live in the business's zone.
ABROAD_SHARE = 0.04
ABROAD_ZONES = ["America/Los_Angeles", "Europe/London", "Australia/Sydney", "Asia/Tokyo"]
# Chance that a living customer has their equipment serviced each maintenance interval.
SERVICE_TAKE_UP = 0.45
