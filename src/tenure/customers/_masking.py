"""Contact details as a viewer sees them: enough to recognise, not enough to use.

>>> mask_phone("13812345678"), mask_email("zhang.wei@example.com"), mask_wechat("wxid_ab12cd")
('138****5678', 'z***@example.com', 'w***d')
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from tenure.i18n import LANGUAGES, word

__all__ = ["CONTACT_COLUMNS", "mask_email", "mask_frame", "mask_phone", "mask_records",
           "mask_wechat"]


def mask_phone(value: str) -> str:
    """The first three and last four digits of a phone number, the rest hidden."""
    text = str(value).strip()
    if len(text) < 8:
        return "*" * len(text)
    return f"{text[:3]}****{text[-4:]}"


def mask_email(value: str) -> str:
    """The first letter of the mailbox and the whole domain."""
    text = str(value).strip()
    name, at, domain = text.partition("@")
    if not at:
        return mask_wechat(text)
    return f"{name[:1]}***@{domain}"


def mask_wechat(value: str) -> str:
    """The first and last characters of an id."""
    text = str(value).strip()
    if len(text) <= 2:
        return "*" * len(text)
    return f"{text[0]}***{text[-1]}"


CONTACT_COLUMNS: dict[str, Callable[[str], str]] = {
    "phone": mask_phone, "email": mask_email, "wechat_id": mask_wechat}


@cache
def _masks() -> dict[str, Callable[[str], str]]:
    """Each contact field by every name it goes by: its own, and its header in each
    language (a list written in Chinese calls the phone 手机)."""
    named = dict(CONTACT_COLUMNS)
    for language in LANGUAGES:
        named.update({word(name, language): mask for name, mask in CONTACT_COLUMNS.items()})
    return named


def mask_records(value: Any) -> Any:
    """``value`` (JSON-like: dicts, lists, scalars) with every contact field masked,
    wherever it stands."""
    if isinstance(value, dict):
        masks = _masks()
        return {k: (masks[k](v) if k in masks and isinstance(v, str)
                    else mask_records(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_records(v) for v in value]
    return value


def mask_frame(frame):
    """``frame`` (pandas) with its contact columns masked."""
    masks = _masks()
    found = [c for c in frame.columns if c in masks]
    if not found:
        return frame
    return frame.assign(**{c: frame[c].map(lambda v, c=c: masks[c](v)
                                           if isinstance(v, str) else v) for c in found})
