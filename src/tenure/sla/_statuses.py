"""The status words tenure reads in ``ticket_status``, and what each does to the clocks."""

from __future__ import annotations

from tenure.sla._measure import OPEN, PAUSED, REPLIED, RESOLVED

__all__ = ["STATUS_WORDS", "kind_sql"]

# Compared without case or surrounding spaces. ``open`` after a reply means the customer
# wrote again, which starts a next-response wait, so only words for that belong to it.
STATUS_WORDS: dict[int, tuple[str, ...]] = {
    OPEN: ("open", "new", "reopened", "打开", "新建", "待处理", "重新打开"),
    REPLIED: ("replied", "answered", "已回复", "已答复"),
    PAUSED: ("pending", "on_hold", "on-hold", "on hold", "hold", "等待客户", "待客户回复",
             "挂起", "等待第三方"),
    RESOLVED: ("resolved", "solved", "closed", "已解决", "已关闭", "关闭"),
}


def kind_sql(column: str, p) -> str:
    """A SQL expression giving the kind code of ``column`` (NULL for an unknown word)."""
    # Most histories spell the words exactly as listed; only other spellings pay for
    # lower() and trim() on every row.
    exact = " ".join(f"WHEN {p(word)} THEN {kind}"
                     for kind, words in STATUS_WORDS.items() for word in words)
    folded = " ".join(
        f"WHEN lower(trim({column})) IN ({', '.join(p(w) for w in words)}) THEN {kind}"
        for kind, words in STATUS_WORDS.items()
    )
    return f"CAST(CASE {column} {exact} ELSE CASE {folded} END END AS TINYINT)"
