"""PostgreSQL functions that run a fast-path turn's trips (two writes, one view) inside the server.

Why: on PostgreSQL a `!command` turn sent about 24 statements (issue 23). At 100 clients the
bot's process spent 3.1 ms of CPU a turn against SQLite's 1.1 ms and the server 1.7 ms, most of
both per statement: psycopg builds, sends and parses each one and reads its result (a wait on
the server wherever a row count decides what comes next), and the server parses, binds and
answers each (`bench/pg_where.py`). Here the message's transaction (`receive_planned`: the
thread's lease, the event, the thread, the message, the plan, its steps, their audit rows) and
the answer's (`finish_round`: the step's end, the plan's, the answer with the turn's end, the
lease given back, their audit rows) are one statement each: one `SELECT fn(payload)`, one
result, with the same checks made by the same conditional statements in the same order, inside
the caller's transaction (group commit still decides where transactions begin and commit).

The Python operations in `storage/parts/plans.py` compute every value (ids, timestamps, JSON
texts, audit details) exactly as on SQLite and hand them over as one `jsonb` document; the
functions only decide what the row counts decide. Names carry a version: a change of body is a
new function in a new migration, so replicas of two releases never call each other's.
"""

from __future__ import annotations

from typing import Any

from chatops.storage.alert_groups import LINK_KIND, LINK_PLATFORM
from chatops.storage.views import TITLE

RECEIVE_PLANNED = "chatops_receive_planned_v1"
FINISH_ROUND_V1 = "chatops_finish_round_v1"
FINISH_ROUND = "chatops_finish_round_v2"  # migration 19 (`FINISH_ROUND_V2_SQL`)
THREAD_VIEW = "chatops_thread_view_v1"

# `p`: lease {thread_id, owner, now, cutoff} or null; event {platform, event_id, received_at,
# message_id}; thread {id, platform, channel, external_id, title, now}; message {…columns};
# plan {…columns}; steps [{…columns}]; audit [{at, kind, actor, thread_id, plan_id, step_id,
# detail}]. Returns 'busy' (the lease is another live process's: nothing stored), 'duplicate'
# (the event was seen before: only the lease, as on SQLite) or 'stored'.
RECEIVE_PLANNED_SQL = f"""
CREATE OR REPLACE FUNCTION {RECEIVE_PLANNED}(p jsonb) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    n bigint;
    l jsonb := p->'lease';
    e jsonb := p->'event';
    t jsonb := p->'thread';
BEGIN
    IF jsonb_typeof(l) = 'object' THEN
        INSERT INTO thread_leases (thread_id, owner, taken_at) VALUES (l->>'thread_id', l->>'owner', l->>'now')
        ON CONFLICT (thread_id) DO UPDATE SET owner = excluded.owner, taken_at = excluded.taken_at
        WHERE thread_leases.owner = excluded.owner OR thread_leases.taken_at < l->>'cutoff'
           OR (thread_leases.owner IS NULL OR thread_leases.owner NOT IN
               (SELECT id FROM processes WHERE stopped_at IS NULL AND heartbeat_at > l->>'cutoff'));
        GET DIAGNOSTICS n = ROW_COUNT;
        IF n <> 1 THEN
            RETURN 'busy';
        END IF;
    END IF;
    INSERT INTO events (platform, event_id, received_at, message_id)
    VALUES (e->>'platform', e->>'event_id', e->>'received_at', e->>'message_id') ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN 'duplicate';
    END IF;
    INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at)
    VALUES (t->>'id', t->>'platform', t->>'channel', t->>'external_id', t->>'title', t->>'now', t->>'now')
    ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at;
    INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text, attachments,
                          created_at, owner, turn_ended_at)
    SELECT id, thread_id, 'user', platform, user_id, user_name, text, perceived_text, attachments, created_at,
           owner, NULL
    FROM jsonb_to_record(p->'message') AS m(id text, thread_id text, platform text, user_id text,
         user_name text, text text, perceived_text text, attachments text, created_at text, owner text);
    INSERT INTO plans (id, thread_id, message_id, round, goal, status, requester, created_at, expires_at,
                       decided_at, decided_by, owner)
    SELECT id, thread_id, message_id, round, goal, status, requester, created_at, expires_at, NULL, NULL, owner
    FROM jsonb_to_record(p->'plan') AS x(id text, thread_id text, message_id text, round bigint, goal text,
         status text, requester text, created_at text, expires_at text, owner text);
    INSERT INTO steps (id, plan_id, position, tool, args, reason, risk, status, result, error, decided_by,
                       started_at, finished_at, duration_ms, summary, outcome, provenance, tainted, owner,
                       tool_fingerprint)
    SELECT id, plan_id, position, tool, args, reason, risk, status, NULL, NULL, decided_by, started_at, NULL,
           NULL, NULL, NULL, provenance, tainted, owner, tool_fingerprint
    FROM jsonb_to_recordset(p->'steps') AS s(id text, plan_id text, position bigint, tool text, args text,
         reason text, risk text, status text, decided_by text, started_at text, provenance text,
         tainted bigint, owner text, tool_fingerprint text);
    INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail)
    SELECT at, kind, actor, thread_id, plan_id, step_id, detail
    FROM jsonb_to_recordset(p->'audit') AS a(at text, kind text, actor text, thread_id text, plan_id text,
         step_id text, detail text);
    RETURN 'stored';
END
$fn$
"""

# `p`: step {id, status, result, error, summary, finished_at, duration_ms, outcome, owner (null:
# unregistered), won_kind, detail, at}; plan {id, ok, at}; answer {thread_id, platform, channel,
# external_id, id, text, now, message_id, owner, claim, release, dropped_detail} or null;
# next_round {message_id, owner, claim, round} or null. Returns {step_won, plan_settled,
# answer_stored, next_round_held}.
FINISH_ROUND_SQL = f"""
CREATE OR REPLACE FUNCTION {FINISH_ROUND_V1}(p jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
DECLARE
    n bigint;
    s jsonb := p->'step';
    pl jsonb := p->'plan';
    a jsonb := p->'answer';
    r jsonb := p->'next_round';
    step_won boolean;
    plan_settled boolean;
    final text;
    held boolean;
    stored boolean := false;
    next_held boolean := NULL;
BEGIN
    UPDATE steps SET status = s->>'status', result = s->>'result', error = s->>'error', summary = s->>'summary',
           finished_at = s->>'finished_at', duration_ms = (s->>'duration_ms')::double precision,
           outcome = s->>'outcome'
    WHERE id = s->>'id' AND status = 'running' AND (s->>'owner' IS NULL OR owner = s->>'owner');
    GET DIAGNOSTICS n = ROW_COUNT;
    step_won := n = 1;
    INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail)
    VALUES (s->>'at', CASE WHEN step_won THEN s->>'won_kind' ELSE 'step.late_result' END, '', '', '',
            s->>'id', s->>'detail');
    final := CASE WHEN (pl->>'ok')::boolean AND step_won THEN 'succeeded' ELSE 'failed' END;
    UPDATE plans SET status = final WHERE id = pl->>'id' AND status IN ('running');
    GET DIAGNOSTICS n = ROW_COUNT;
    plan_settled := n = 1;
    IF plan_settled THEN
        INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail)
        VALUES (pl->>'at', 'plan.' || final, '', '', pl->>'id', '', NULL);
    END IF;
    IF jsonb_typeof(a) = 'object' AND step_won AND plan_settled THEN
        IF a->>'owner' IS NULL THEN
            UPDATE messages SET turn_ended_at = a->>'now' WHERE id = a->>'message_id' AND turn_ended_at IS NULL;
            held := true;
        ELSIF a->>'claim' IS NULL THEN
            UPDATE messages SET turn_ended_at = a->>'now'
            WHERE id = a->>'message_id' AND owner = a->>'owner' AND turn_ended_at IS NULL;
            GET DIAGNOSTICS n = ROW_COUNT;
            held := n = 1;
        ELSE
            UPDATE messages SET turn_ended_at = a->>'now'
            WHERE id = a->>'message_id' AND owner = a->>'owner' AND COALESCE(turn_claim, '') = a->>'claim'
              AND turn_ended_at IS NULL;
            GET DIAGNOSTICS n = ROW_COUNT;
            held := n = 1;
        END IF;
        IF NOT held THEN
            INSERT INTO audit (at, kind, actor, thread_id, plan_id, step_id, detail)
            VALUES (a->>'now', 'answer.dropped', '', a->>'thread_id', '', '', a->>'dropped_detail');
        ELSE
            INSERT INTO threads (id, platform, channel, external_id, title, created_at, updated_at)
            VALUES (a->>'thread_id', a->>'platform', a->>'channel', a->>'external_id', '', a->>'now', a->>'now')
            ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at;
            INSERT INTO messages (id, thread_id, role, platform, user_id, user_name, text, perceived_text,
                                  attachments, created_at, owner, turn_ended_at)
            VALUES (a->>'id', a->>'thread_id', 'bot', a->>'platform', '', '', a->>'text', a->>'text', '[]',
                    a->>'now', NULL, a->>'now');
            IF (a->>'release')::boolean AND a->>'owner' IS NOT NULL THEN
                DELETE FROM thread_leases WHERE thread_id = a->>'thread_id' AND owner = a->>'owner';
            END IF;
            stored := true;
        END IF;
    END IF;
    IF jsonb_typeof(r) = 'object' AND jsonb_typeof(a) IS DISTINCT FROM 'object' THEN
        next_held := (r->>'owner' IS NULL OR EXISTS (
                          SELECT 1 FROM messages WHERE id = r->>'message_id' AND owner = r->>'owner'
                          AND turn_ended_at IS NULL
                          AND (r->>'claim' IS NULL OR COALESCE(turn_claim, '') = r->>'claim')))
                     AND NOT EXISTS (SELECT 1 FROM plans WHERE message_id = r->>'message_id'
                                     AND round >= (r->>'round')::bigint);
    END IF;
    RETURN jsonb_build_object('step_won', step_won, 'plan_settled', plan_settled, 'answer_stored', stored,
                              'next_round_held', next_held);
END
$fn$
"""

# A thread's newest page as `storage.views.thread_view` reads it with `before` unset (the reply to
# a message), and its alert group's row or link when `with_alert`: the rows of its six reads as
# one jsonb document (NULL for no such thread), turned into the same dict by the same Python.
# Messages, plans and notices come newest first, as the reads return them; a step's
# `duration_ms` comes as text, so that a float stays a float.
THREAD_VIEW_SQL = f"""
CREATE OR REPLACE FUNCTION {THREAD_VIEW}(tid text, lim bigint, with_alert boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    v_head jsonb;
    v_messages jsonb;
    v_since text := NULL;
    v_plans jsonb;
    v_notices jsonb;
    v_alert jsonb := NULL;
    v_link text := NULL;
BEGIN
    SELECT jsonb_build_array(id, {TITLE}, created_at, updated_at) INTO v_head FROM threads WHERE id = tid;
    IF v_head IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(jsonb_agg(jsonb_build_array(m.id, m.role, m.user_name, m.text, m.perceived_text, m.attachments,
                                                m.created_at) ORDER BY m.created_at DESC, m.rowid DESC), '[]'::jsonb)
    INTO v_messages
    FROM (SELECT id, role, user_name, text, perceived_text, attachments, created_at, rowid FROM messages
          WHERE thread_id = tid ORDER BY created_at DESC, rowid DESC LIMIT lim + 1) m;
    IF lim > 0 AND jsonb_array_length(v_messages) > lim THEN
        v_since := v_messages->(lim::int - 1)->>6;
    END IF;
    SELECT COALESCE(jsonb_agg(jsonb_build_array(
               p.id, p.message_id, p.round, p.goal, p.status, p.requester, p.created_at, p.expires_at, p.decided_at,
               p.decided_by,
               (SELECT COALESCE(jsonb_agg(jsonb_build_array(
                           s.id, s.tool, s.args, s.reason, s.risk, s.status, s.result, s.summary, s.error, s.decided_by,
                           s.duration_ms::text, s.outcome, s.provenance, s.tainted, s.files) ORDER BY s.position),
                       '[]'::jsonb)
                FROM steps s WHERE s.plan_id = p.id)) ORDER BY p.created_at DESC, p.rowid DESC), '[]'::jsonb)
    INTO v_plans
    FROM (SELECT * FROM plans
          WHERE message_id IN (SELECT e->>0 FROM jsonb_array_elements(v_messages) WITH ORDINALITY AS t(e, n)
                               WHERE n <= lim AND e->>1 = 'user')
          ORDER BY created_at DESC, rowid DESC LIMIT lim) p;
    SELECT COALESCE(jsonb_agg(jsonb_build_array(n.id, n.level, n.text, n.created_at) ORDER BY n.id DESC), '[]'::jsonb)
    INTO v_notices
    FROM (SELECT id, level, text, created_at FROM notices
          WHERE thread_id = tid AND (v_since IS NULL OR created_at >= v_since) ORDER BY id DESC LIMIT 500) n;
    IF with_alert THEN
        SELECT jsonb_build_array(source, group_key, thread_id, status, alerts, fired_at, resolved_at, created_at,
                                 updated_at) INTO v_alert
        FROM alert_groups WHERE thread_id = tid ORDER BY updated_at DESC LIMIT 1;
        IF v_alert IS NULL THEN
            SELECT ref INTO v_link FROM platform_refs
            WHERE platform = '{LINK_PLATFORM}' AND kind = '{LINK_KIND}' AND key = tid;
        END IF;
    END IF;
    RETURN jsonb_build_object('head', v_head, 'messages', v_messages, 'plans', v_plans, 'notices', v_notices,
                              'alert', v_alert, 'link', v_link);
END
$fn$
"""

DEFINITIONS = (RECEIVE_PLANNED_SQL, FINISH_ROUND_SQL, THREAD_VIEW_SQL)

# v2 of `finish_round` (migration 19): the same statements in the same order, but its three
# conditional UPDATEs find their row by primary key. In v1 the planner served them from the small
# indexes their other condition matches (`steps_running` for `status = 'running'`,
# `idx_plans_status_expires_at` for the plan's, `messages_unfinished_turns` for `turn_ended_at IS
# NULL`) and filtered on the id: every running step, running plan and unfinished turn (with their
# index entries not yet vacuumed) was visited per call, about 100 of each at 100 clients (auto_explain,
# issue 23, `bench/results/issue23-pg-server-24.txt`). Spelled here so that no index but the primary
# key matches: `status = 'running' COLLATE "C"` (equality under the deterministic default collation
# is byte equality: the same rows) and `num_nulls(turn_ended_at) = 1` (the same rows; the planner
# simplifies `(turn_ended_at IS NULL) = true` back to the predicate) imply no partial index's
# predicate and match no other index's column collation.
FINISH_ROUND_V2_SQL = (
    FINISH_ROUND_SQL.replace(FINISH_ROUND_V1, FINISH_ROUND)
    .replace("WHERE id = s->>'id' AND status = 'running'", "WHERE id = s->>'id' AND status = 'running' COLLATE \"C\"")
    .replace("WHERE id = pl->>'id' AND status IN ('running')",
             "WHERE id = pl->>'id' AND status = 'running' COLLATE \"C\"")
    .replace("AND turn_ended_at IS NULL;", "AND num_nulls(turn_ended_at) = 1;")
)
assert FINISH_ROUND_V2_SQL.count('COLLATE "C"') == 2 and FINISH_ROUND_V2_SQL.count("num_nulls(turn_ended_at) = 1;") == 3


def create(db: Any) -> None:
    """Migration 17's body on PostgreSQL (a SQLite store runs the same operations in Python)."""
    for definition in DEFINITIONS:
        db.execute(definition)


def create_v19(db: Any) -> None:
    """Migration 19's body on PostgreSQL: `finish_round` v2 beside v1 (a replica of the previous
    release, in a rolling upgrade, still calls v1)."""
    db.execute(FINISH_ROUND_V2_SQL)
