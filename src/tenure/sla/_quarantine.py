"""Quarantine rows for what an evaluation could not measure, with a reason and a message.

Each statement reads what :mod:`tenure.sla._evaluate` set aside (registered as
``_sla_unknown_priority`` and ``_sla_late``) or finds the bad status changes again, and
writes them with source ``sla``.
"""

from __future__ import annotations

from tenure._sql import Params
from tenure.sla._measure import RESOLVED
from tenure.sla._statuses import STATUS_WORDS, kind_sql

__all__ = ["quarantine_statements"]


def _words() -> str:
    return ", ".join(words[0] for words in STATUS_WORDS.values())


_COLUMNS = '(ingest_id, table_name, source, "row", column_name, reason, value, message)'

_UNKNOWN_PRIORITY = f"""
    INSERT INTO quarantine {_COLUMNS}
    SELECT coalesce(t._ingest_id, 0), 'tickets', $source, NULL, 'priority',
           'unknown_priority', t.priority,
           'ticket ' || t.ticket_id || CASE WHEN t.priority IS NULL
               THEN ' has no priority and sla.default_priority is not set'
               ELSE ' has priority ''' || t.priority || '''' END
           || ', which policy ''' || x.policy || ''' does not name; its priorities are '
           || x.priorities || '; correct the ticket or add the priority to [sla.policies.'
           || x.policy || '.targets]'
    FROM _sla_unknown_priority u JOIN tickets t ON t.rowid = u.tid
    JOIN (SELECT policy_index, any_value(policy) AS policy,
                 string_agg(priority, ', ' ORDER BY priority) AS priorities
          FROM _sla_targets GROUP BY policy_index) x ON x.policy_index = u.policy_index
"""

_BAD_STATUS = f"""
    INSERT INTO quarantine {_COLUMNS}
    SELECT coalesce(s._ingest_id, 0), 'ticket_status', $source, NULL,
           CASE WHEN t.ticket_id IS NULL THEN 'ticket_id' WHEN s.kind IS NULL THEN 'status'
                ELSE 'at' END,
           CASE WHEN t.ticket_id IS NULL THEN 'unknown_ticket'
                WHEN s.kind IS NULL THEN 'unknown_status' ELSE 'before_opened' END,
           CASE WHEN t.ticket_id IS NULL THEN s.ticket_id WHEN s.kind IS NULL THEN s."status"
                ELSE CAST(s."at" AS VARCHAR) END,
           CASE WHEN t.ticket_id IS NULL
                    THEN 'status ''' || s."status" || ''' at ' || CAST(s."at" AS VARCHAR)
                         || ' names ticket ' || s.ticket_id
                         || ', which is not in tickets; ingest the ticket first'
                WHEN s.kind IS NULL
                    THEN 'ticket ' || s.ticket_id || ' has status ''' || s."status"
                         || ''' at ' || CAST(s."at" AS VARCHAR)
                         || ', which tenure does not know; use one of ' || $words
                         || ' (or a spelling listed in docs/sla.md)'
                ELSE 'ticket ' || s.ticket_id || ' changed to ''' || s."status" || ''' at '
                     || CAST(s."at" AS VARCHAR) || ', before it opened at '
                     || CAST(t.opened_at AS VARCHAR) || '; correct the time'
           END
    FROM (SELECT *, {{kind}} AS kind FROM ticket_status WHERE "at" <= $as_of) s
    LEFT JOIN tickets t ON s.ticket_id = t.ticket_id
    WHERE t.ticket_id IS NULL OR s.kind IS NULL OR s."at" < t.opened_at
"""

_AFTER_RESOLUTION = f"""
    INSERT INTO quarantine {_COLUMNS}
    SELECT coalesce(s._ingest_id, 0), 'ticket_status', $source, NULL, 'at',
           'after_resolution', CAST(s."at" AS VARCHAR),
           'ticket ' || s.ticket_id || ' changed to ''' || s."status" || ''' at '
           || CAST(s."at" AS VARCHAR) || ', after it was resolved at '
           || CAST(least(CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END,
                         r.first_resolved) AS VARCHAR)
           || '; record a reopened ticket as a new ticket, or correct the time'
    FROM _sla_late l JOIN tickets t ON t.rowid = l.tid
    JOIN (SELECT *, {{kind}} AS kind FROM ticket_status) s
        ON s.ticket_id = t.ticket_id AND s."at" = l.at_local AND s.kind = l.kind
    LEFT JOIN (SELECT ticket_id, min("at") AS first_resolved
               FROM (SELECT *, {{kind}} AS kind FROM ticket_status)
               WHERE kind = {RESOLVED} AND "at" <= $as_of GROUP BY ticket_id) r
        ON r.ticket_id = s.ticket_id
"""


def quarantine_statements(p: Params, priorities: bool, statuses: bool, late: bool) -> list[str]:
    """The statements that quarantine each kind of problem found."""
    kind = kind_sql('"status"', p)
    p.values["words"] = _words()
    wanted = ((priorities, _UNKNOWN_PRIORITY), (statuses, _BAD_STATUS),
              (late, _AFTER_RESOLUTION))
    return [sql.replace("{kind}", kind) for found, sql in wanted if found]
