"""Reference pages generated from the declarations: ``python -m tenure.docs`` rewrites
``docs/data-contract.md`` and ``docs/configuration.md``; a test keeps them in step."""

from __future__ import annotations

import sys
from pathlib import Path

from tenure.config import render_docs
from tenure.contract import TABLES
from tenure.io import OPTIONS

__all__ = ["render_configuration", "render_contract"]


def render_configuration() -> str:
    """Workspace settings, the ``[actions]`` section and mapping-file options, as Markdown."""
    lines = [render_docs().rstrip("\n"), "", *_actions_settings(), "", "## Mapping-file options",
             "",
             "The `[options]` table of a mapping file (see [ingest](ingest.md)) says how to read "
             "one file.", "", "| option | default | what it does |", "| --- | --- | --- |"]
    for name, (default, help_text) in OPTIONS.items():
        shown = f'"{default}"' if isinstance(default, str) else str(default)
        lines.append(f"| `{name}` | `{shown}` | {_cell(help_text)} |")
    return "\n".join(lines) + "\n"

def _actions_settings() -> list[str]:
    """The keys of the ``[actions]`` section: its own, the policy's, each channel's, every
    playbook's, and each playbook's own thresholds."""
    from tenure.actions._config import CHANNEL, DEFAULT_CHANNELS, PLAYBOOK, POLICY, SECTION
    from tenure.actions.playbooks import PLAYBOOKS
    from tenure.config import _toml_value

    lines = ["## Actions", "",
             "The `[actions]` section holds the playbooks, the channels and the contact policy "
             "(see [actions](actions.md)); every key is optional. Channels "
             + ", ".join(f"`{c}`" for c in DEFAULT_CHANNELS) + " exist from the start, with "
             "their own defaults where they differ from those below.", "",
             "| setting | default | what it does |", "| --- | --- | --- |"]
    for setting in (*SECTION, *POLICY, *CHANNEL, *PLAYBOOK):
        lines.append(f"| `{setting.key}` | `{_toml_value(setting.default)}` | "
                     f"{_cell(setting.help)} |")
    lines += ["", "Each playbook's own settings, under `[actions.playbooks.NAME]`:", "",
              "| playbook | kind | channels | prior effect | setting | default | what it does |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for playbook in PLAYBOOKS.values():
        head = (f"`{playbook.name}` | {playbook.kind} | {', '.join(playbook.channels)} | "
                f"{playbook.prior_effect:g}")
        if not playbook.settings:
            lines.append(f"| {head} | | | |")
        for setting in playbook.settings:
            lines.append(f"| {head} | `{setting.key.rsplit('.', 1)[1]}` | "
                         f"`{_toml_value(setting.default)}` | {_cell(setting.help)} |")
            head = " | | | "
    return lines


_TYPE_WORDS = {
    "id": "id (text, kept as written)",
    "text": "text",
    "number": "number",
    "integer": "whole number",
    "timestamp": "date and time",
    "date": "date",
    "boolean": "true/false",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_contract() -> str:
    """The data contract as Markdown."""
    lines = [
        "# The data contract",
        "",
        "The tables a business brings to tenure, their columns, keys and rules. Only `orders`",
        "is needed to get value out of tenure, and of it only `order_id`, `customer_id`,",
        "`ordered_at` and `amount`; every other table and column is optional, and each",
        "capability says what it uses.",
        "",
        "- **Key**: the columns that identify a row. Ingesting a row whose key is already stored",
        "  updates it; the same row again changes nothing.",
        "- **Header spellings**: columns are matched to the contract by name or by one of these",
        "  spellings, ignoring case, spaces, underscores and hyphens. A mapping file",
        "  (see [ingest](ingest.md)) names any other header.",
        "- **Types**: dates and times are stored as local time in the workspace's time zone",
        "  (`workspace.timezone`); amounts may carry currency signs and thousands separators.",
        "- Rows that break a rule are held in quarantine with the reason; the others land.",
        "",
        "This page is generated from `tenure/contract.py`.",
    ]
    for table in TABLES.values():
        lines += ["", f"## `{table.name}`", "", table.description, ""]
        lines.append(f"Key: {', '.join(f'`{k}`' for k in table.key)}.")
        if table.used_by:
            lines.append(f"Used by: {table.used_by}.")
        lines += ["", "| column | type | required | meaning | header spellings |",
                  "| --- | --- | --- | --- | --- |"]
        for column in table.columns:
            meaning = column.description
            if column.allowed:
                meaning += " One of: " + ", ".join(f"`{v}`" for v in column.allowed) + "."
            if column.allowed_setting:
                meaning += " Allowed values: setting " + " and ".join(
                    f"`{s}`" for s in column.allowed_setting) + "."
            if column.minimum is not None or column.maximum is not None:
                low = "" if column.minimum is None else f"at least {column.minimum:g}"
                high = "" if column.maximum is None else f"at most {column.maximum:g}"
                meaning += " " + " and ".join(x for x in (low, high) if x).capitalize() + "."
            if column.references:
                meaning += f" Refers to `{column.references}`."
            spellings = ", ".join(column.aliases) or ""
            lines.append(f"| `{column.name}` | {_TYPE_WORDS[column.type]} | "
                         f"{'yes' if column.required else ''} | {_cell(meaning)} | "
                         f"{_cell(spellings)} |")
        if table.rules:
            lines += ["", "Rules: " + "; ".join(r.describe() for r in table.rules) + "."]
    return "\n".join(lines) + "\n"


def main(folder: str = "docs") -> None:
    target = Path(folder)
    (target / "data-contract.md").write_text(render_contract(), encoding="utf-8")
    (target / "configuration.md").write_text(render_configuration(), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
