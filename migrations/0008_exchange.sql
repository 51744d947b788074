-- 0008_exchange: the SQL side of the Exchange service (proto/vigil/v1/
-- exchange.proto): the feed of changes to published data (Changes), the bulk
-- export of one publication (Export) and the bulk import of assessments
-- (Import). Conventions as in 0004 (ctx/req JSON, SECURITY DEFINER, VGnnn
-- errors naming the field, request ids, audit).
--
-- The feed is a table, change_event, written once per change and never
-- edited: a consumer resumes from a cursor (the seq of the last event it
-- processed) with `WHERE seq > after ORDER BY seq`. For that to be exact --
-- never a change missed, never one twice -- seq order must be commit order,
-- and more: whenever a reader can see event N, it must already see every
-- event below N that will ever commit. A sequence number alone does not give
-- that. nextval() is not transactional: T1 takes 7, T2 takes 8, T2 commits
-- first; a reader paging at that moment gets 8 and moves its cursor past 7,
-- which then commits and is never delivered. Ordering by commit time or
-- transaction id has the same hole (both are fixed before the commit becomes
-- visible, and a long commit - WAL flush, synchronous replication - lets a
-- later one overtake it).
--
-- So every append goes through vigil_private.change_append, which first
-- takes one transaction-level advisory lock (change_lock, key below) and
-- only then draws the next seq. PostgreSQL releases a transaction's locks
-- after its commit has become visible to others (CommitTransaction: the
-- commit record, then ProcArrayEndTransaction, then the locks), so the next
-- writer draws its seq only once the previous one's events are visible (or
-- gone, if it aborted). Hence: if a reader's snapshot sees seq N, every
-- transaction that drew a seq below N had ended before N's writer got the
-- lock, so before N committed, so before the snapshot: committed ones are
-- visible, aborted ones left gaps that nobody will ever fill. Each page is
-- one statement with one snapshot, so paging in separate autocommit
-- statements neither skips nor repeats. The same holds on a streaming
-- replica, which replays commit records in the order they were written,
-- that is under the lock.
--
-- To hold that lock as briefly as possible, the writers append at the very
-- end of their transaction: the events are written by DEFERRABLE INITIALLY
-- DEFERRED constraint triggers, which run at COMMIT (after every statement
-- of the transaction, the publication_revision rows of a publication
-- included) and are followed at once by the commit itself. Writers of
-- events thus serialise only for the few milliseconds of their commit.
-- (SET CONSTRAINTS ... IMMEDIATE would move the append earlier and hold the
-- lock longer: slower, never wrong.) The trigger functions are SECURITY
-- DEFINER because a deferred trigger runs at COMMIT, outside the
-- vigil_api function that queued it, and so (PostgreSQL 15) as the
-- session's role: the service role, which may not write the table.
--
-- The lock: pg_advisory_xact_lock(6217579140699342919), the bytes
-- "VIGILCHG" read as a big-endian integer (the migration lock of
-- server/sql.c is "VIGILMIG"). Anything else appending to change_event must
-- take it first; readers never take it.
--
-- What enters the feed (audience 'public' unless said):
--   published          a publication visible at once (no embargo, or one
--                      already past at its commit), then its revisions;
--   embargo_released   an embargoed publication, when exchange_release finds
--                      its time passed (the daemon calls it from its embargo
--                      timer and at start), then its revisions;
--   revision_published after each of the two above, one per state whose
--                      counted revision has not been in the feed before
--                      (a republication repeats none of the unchanged ones);
--   approved           audience 'central': a revision approved in a cycle
--                      not yet published (include_approvals).
-- Each is written once: unique indexes back the checks made under the lock.
-- Events are appended by these triggers and functions only, at their
-- commit; approvals made before this migration are not in the feed, and
-- publications made before it are entered by the migration itself (below),
-- under their publication (or embargo) time.
--
-- Cursors are "c" followed by the seq as 16 lower-case hex digits
-- ("c000000000000002a" = 42): fixed width, so that they also sort as text.
-- Only the cursors of events that exist and the caller may see are accepted
-- (every other string, a forged seq included, is INVALID_ARGUMENT); an event
-- is never deleted, so a cursor stays valid for ever.
--
-- The change JSON is the vigil.v1.Change message (proto field names, enums
-- in lower case without their prefix), stored when it is appended (frozen:
-- the ranking and revisions as published), without cursor and committed_at,
-- which exchange_changes adds from the row.

-- ===========================================================================
-- The feed

CREATE SEQUENCE change_event_seq AS bigint;

CREATE TABLE change_event (
    seq            bigint PRIMARY KEY,  -- drawn under the lock: commit order
    -- clock_timestamp() under the lock, microseconds before the commit
    committed_at   timestamptz NOT NULL,
    kind           text NOT NULL
                   CHECK (kind IN ('published', 'embargo_released', 'revision_published',
                                   'approved')),
    audience       text NOT NULL CHECK (audience IN ('public', 'central')),
    cycle_id       bigint NOT NULL REFERENCES cycle (id),
    publication_id bigint REFERENCES publication (id),
    state          text REFERENCES state (code),
    revision_id    bigint REFERENCES revision (id),
    change         jsonb NOT NULL CHECK (jsonb_typeof(change) = 'object'),
    CHECK (CASE kind
        WHEN 'approved' THEN audience = 'central' AND publication_id IS NULL
                             AND state IS NOT NULL AND revision_id IS NOT NULL
        WHEN 'revision_published' THEN audience = 'public' AND publication_id IS NOT NULL
                             AND state IS NOT NULL AND revision_id IS NOT NULL
        ELSE audience = 'public' AND publication_id IS NOT NULL
             AND state IS NULL AND revision_id IS NULL
    END)
);
ALTER SEQUENCE change_event_seq OWNED BY change_event.seq;

-- Written once: a publication enters the feed once, a revision is published
-- once whatever the number of publications that count it.
CREATE UNIQUE INDEX change_event_publication_once ON change_event (publication_id)
    WHERE kind IN ('published', 'embargo_released');
CREATE UNIQUE INDEX change_event_revision_once ON change_event (revision_id)
    WHERE kind = 'revision_published';
-- The export's cursor (the newest public event).
CREATE INDEX change_event_public_idx ON change_event (seq) WHERE audience = 'public';

CREATE TRIGGER change_event_append_only BEFORE UPDATE OR DELETE ON change_event
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER change_event_no_truncate BEFORE TRUNCATE ON change_event
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();

-- The service role works through the functions below only (see 0003).
REVOKE ALL ON change_event FROM PUBLIC, vigil_service;
REVOKE ALL ON SEQUENCE change_event_seq FROM PUBLIC, vigil_service;

-- ===========================================================================
-- Appending (see the header for why it is done this way)

-- The feed's lock, held to the end of the transaction. Reentrant.
CREATE FUNCTION vigil_private.change_lock() RETURNS void
LANGUAGE sql SET search_path = public, pg_temp AS $$
    SELECT pg_advisory_xact_lock(6217579140699342919) -- "VIGILCHG"
$$;

-- Appends one event, under the lock, and wakes the followers (NOTIFY is
-- delivered at commit). p_at: the commit time to record, NULL = now (only
-- the migration's backfill gives one). Returns the seq.
CREATE FUNCTION vigil_private.change_append(p_kind text, p_audience text, p_cycle bigint,
                                            p_publication bigint, p_state text,
                                            p_revision bigint, p_change jsonb,
                                            p_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_seq bigint;
BEGIN
    PERFORM vigil_private.change_lock();
    -- Only now, holding the lock: see the header.
    v_seq := nextval('change_event_seq');
    INSERT INTO change_event (seq, committed_at, kind, audience, cycle_id, publication_id, state,
                              revision_id, change)
    VALUES (v_seq, coalesce(p_at, clock_timestamp()), p_kind, p_audience, p_cycle, p_publication,
            p_state, p_revision, p_change);
    PERFORM pg_notify('vigil_changes', '');
    RETURN v_seq;
END
$$;

-- The Ranking message of a publication as GetRanking gives it for that
-- version: the stored ranking with its envelope (0006 stores it without).
CREATE FUNCTION vigil_private.exchange_ranking(p_id bigint, p_superseded boolean) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT p.ranking || jsonb_build_object(
               'cycle', c.code,
               'view', 'published',
               'version', p.version,
               'published_at', vigil_private.rfc3339(p.published_at),
               'embargo_until', vigil_private.rfc3339(p.embargo_until),
               'digest', p.digest,
               'superseded', p_superseded)
      FROM publication p
      JOIN cycle c ON c.id = p.cycle_id
     WHERE p.id = p_id
$$;

-- Enters a publication into the feed as p_kind (published or
-- embargo_released), then each revision it counts that is new to the feed,
-- by state code. Nothing when it is in the feed already. Takes the lock
-- before looking: each statement below sees what committed before it (READ
-- COMMITTED, volatile function), so a concurrent writer's events are seen.
-- p_at as change_append's. Returns the number of events appended.
CREATE FUNCTION vigil_private.change_publication(p_id bigint, p_kind text,
                                                 p_at timestamptz DEFAULT NULL)
RETURNS int
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    p      publication;
    v_code text;
    r      record;
    n      int := 1;
BEGIN
    PERFORM vigil_private.change_lock();
    IF EXISTS (SELECT 1 FROM change_event e
                WHERE e.publication_id = p_id AND e.kind IN ('published', 'embargo_released')) THEN
        RETURN 0;
    END IF;
    SELECT * INTO p FROM publication WHERE id = p_id;
    SELECT code INTO v_code FROM cycle WHERE id = p.cycle_id;
    PERFORM vigil_private.change_append(p_kind, 'public', p.cycle_id, p.id, NULL, NULL,
        jsonb_build_object('kind', p_kind,
                           'cycle', v_code,
                           'version', p.version,
                           'ranking', vigil_private.exchange_ranking(p.id, false)),
        p_at);
    FOR r IN SELECT pr.state, s.name, pr.revision_id
               FROM publication_revision pr
               JOIN state s ON s.code = pr.state
              WHERE pr.publication_id = p.id
                AND pr.revision_id IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM change_event e
                                 WHERE e.kind = 'revision_published'
                                   AND e.revision_id = pr.revision_id)
              ORDER BY pr.state COLLATE "C"
    LOOP
        PERFORM vigil_private.change_append('revision_published', 'public', p.cycle_id, p.id,
            r.state, r.revision_id,
            jsonb_build_object('kind', 'revision_published',
                               'cycle', v_code,
                               'version', p.version,
                               'state', r.state,
                               'state_name', r.name,
                               'revision', vigil_private.revision_json(r.revision_id, true)),
            p_at);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

-- At the commit of a new publication: visible at once (no embargo, or one
-- already past now, at the commit) -> published. An embargoed one waits for
-- exchange_release.
CREATE FUNCTION vigil_private.publication_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NEW.embargo_until IS NULL OR NEW.embargo_until <= clock_timestamp() THEN
        PERFORM vigil_private.change_publication(NEW.id, 'published');
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER publication_change AFTER INSERT ON publication
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION vigil_private.publication_change();

-- At the commit of an approval (assessments_review sets approved_revision):
-- the approved revision, for the central office, unless the cycle is
-- published (a correction of a published cycle enters the feed when it is
-- republished). A publication of the cycle cannot slip in between: it
-- locks the cycle's assessments, which the approval holds until its commit.
CREATE FUNCTION vigil_private.approval_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c     cycle;
    v_rev bigint;
BEGIN
    SELECT * INTO c FROM cycle WHERE id = NEW.cycle_id;
    IF c.status = 'published' THEN
        RETURN NULL;
    END IF;
    SELECT id INTO v_rev FROM revision
     WHERE assessment_id = NEW.id AND number = NEW.approved_revision;
    PERFORM vigil_private.change_append('approved', 'central', c.id, NULL, NEW.state, v_rev,
        jsonb_build_object('kind', 'approved',
                           'cycle', c.code,
                           'state', NEW.state,
                           'state_name', (SELECT name FROM state WHERE code = NEW.state),
                           'revision', vigil_private.revision_json(v_rev, true)));
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER assessment_approval_change AFTER UPDATE OF approved_revision
    ON assessment
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.approved_revision > OLD.approved_revision)
    EXECUTE FUNCTION vigil_private.approval_change();

-- Publications made before this migration: those visible now enter the feed
-- in the order they became visible, under that time (embargoed ones with a
-- past embargo as embargo_released); those still under embargo wait for
-- exchange_release like any other.
DO $$
DECLARE
    r record;
BEGIN
    PERFORM vigil_private.change_lock();
    FOR r IN SELECT p.id,
                    CASE WHEN p.embargo_until IS NULL OR p.embargo_until <= p.published_at
                         THEN 'published' ELSE 'embargo_released' END AS kind,
                    greatest(p.published_at, p.embargo_until) AS at
               FROM publication p
              WHERE p.embargo_until IS NULL OR p.embargo_until <= now()
              ORDER BY 3, p.cycle_id, p.version
    LOOP
        PERFORM vigil_private.change_publication(r.id, r.kind, r.at);
    END LOOP;
END
$$;

-- ===========================================================================
-- Formats

-- RFC 3339 in UTC with microseconds ("2026-03-29T07:00:00.123456Z").
CREATE FUNCTION vigil_private.rfc3339_us(t timestamptz) RETURNS text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT coalesce(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), '')
$$;

-- The cursor of an event (see the header).
CREATE FUNCTION vigil_private.cursor_text(p_seq bigint) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT 'c' || lpad(to_hex(p_seq), 16, '0')
$$;

-- The seq a cursor (ChangesRequest.after) stands for: 0 for "" (from the
-- beginning); INVALID_ARGUMENT unless it is the cursor of an event the
-- caller may see (the central office: any; everyone else: public ones).
CREATE FUNCTION vigil_private.cursor_seq(ctx jsonb, v text) RETURNS bigint
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    v_seq bigint;
BEGIN
    IF coalesce(v, '') = '' THEN
        RETURN 0;
    END IF;
    IF v ~ '^c[0-7][0-9a-f]{15}$' THEN
        v_seq := ('x' || substr(v, 2))::bit(64)::bigint;
        IF EXISTS (SELECT 1 FROM change_event e
                    WHERE e.seq = v_seq
                      AND (e.audience = 'public' OR ctx->>'role' = 'central')) THEN
            RETURN v_seq;
        END IF;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'VG003',
        MESSAGE = format('after: "%s" is not a cursor of this feed (pass "" to start from the '
                         'beginning, or the cursor of the last change you processed)',
                         CASE WHEN length(v) > 80 THEN left(v, 80) || '...' ELSE v END);
END
$$;

-- A page size: NULL or below 1 -> 100, at most 1000.
CREATE FUNCTION vigil_private.page_size(n int) RETURNS int
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN n IS NULL OR n < 1 THEN 100 ELSE least(n, 1000) END
$$;

-- ===========================================================================
-- Exchange service

-- Release: enters into the feed, as embargo_released, every publication
-- whose embargo time has passed and that is not in the feed yet, in the
-- order of (embargo time, cycle, version); returns {"released": n}. Any
-- caller, no request fields: the daemon calls it from its embargo timer and
-- at start (ctx {}), and several daemons may call it at the same moment:
-- the lock comes first, then the search, a statement of its own that sees
-- what the other committed, so each publication is released once (the
-- unique index says so too). Call it in a READ COMMITTED transaction (an
-- autocommit statement): an older snapshot would miss the other's events
-- and fail on the index.
CREATE FUNCTION vigil_api.exchange_release(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    r record;
    n int := 0;
BEGIN
    PERFORM vigil_private.change_lock();
    FOR r IN SELECT p.id
               FROM publication p
              WHERE p.embargo_until IS NOT NULL
                AND p.embargo_until <= clock_timestamp()
                AND NOT EXISTS (SELECT 1 FROM change_event e
                                 WHERE e.publication_id = p.id
                                   AND e.kind IN ('published', 'embargo_released'))
              ORDER BY p.embargo_until, p.cycle_id, p.version
    LOOP
        IF vigil_private.change_publication(r.id, 'embargo_released') > 0 THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('released', n);
END
$$;

-- Changes: one page of the feed after a position, in commit order. req is
-- the ChangesRequest (after, follow, include_approvals; follow is the
-- daemon's business). after_seq: the seq to continue after (the daemon's
-- next page); NULL = req.after, a cursor. Public events for every caller,
-- anonymous included; approvals too for the central office when it asks.
-- Rows: the seq, and the Change message with its cursor and committed_at.
CREATE FUNCTION vigil_api.exchange_changes(ctx jsonb, req jsonb, after_seq bigint, page_size int)
RETURNS TABLE (seq bigint, change jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    approvals boolean := coalesce((req->>'include_approvals')::boolean, false);
    v_after   bigint := after_seq;
BEGIN
    IF approvals AND coalesce(ctx->>'role', '') <> 'central' THEN
        IF coalesce(ctx->>'role', '') IN ('', 'anonymous') THEN
            RAISE EXCEPTION USING ERRCODE = 'VG007',
                MESSAGE = 'include_approvals: anonymous callers see published changes only '
                          '(approvals are the central office''s)';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'VG007',
            MESSAGE = format('include_approvals: %s office "%s" sees published changes only '
                             '(approvals are the central office''s)', ctx->>'role',
                             ctx->>'office');
    END IF;
    IF v_after IS NULL THEN
        v_after := vigil_private.cursor_seq(ctx, req->>'after');
    END IF;
    RETURN QUERY
        SELECT e.seq,
               e.change || jsonb_build_object(
                   'cursor', vigil_private.cursor_text(e.seq),
                   'committed_at', vigil_private.rfc3339_us(e.committed_at))
          FROM change_event e
         WHERE e.seq > v_after
           AND (e.audience = 'public' OR (approvals AND e.audience = 'central'))
         ORDER BY e.seq
         LIMIT vigil_private.page_size(page_size);
END
$$;

-- Whether a publication is in the feed (what Export may show).
CREATE FUNCTION vigil_private.in_feed(p_publication bigint) RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM change_event e
                    WHERE e.publication_id = p_publication
                      AND e.kind IN ('published', 'embargo_released'))
$$;

-- Export, first call: the publication req (ExportRequest: cycle, version;
-- 0 = the newest) names among those in the feed, for every caller alike
-- (so nothing under embargo, and the same NOT_FOUND for an unknown cycle,
-- an unpublished one and an embargoed one: an embargo must not leak). The
-- daemon runs this and exchange_export_assessments in one REPEATABLE READ
-- READ ONLY transaction: one snapshot. One row: the publication's id, the
-- ExportHeader (cursor: the newest public event of the snapshot, from which
-- the feed continues with exactly what came after; assessments: the number
-- of ASSESSMENT records, evidence: the evidence items in them), the
-- Methodology, the Ranking (as GetRanking gives that version) and the
-- GetAggregatesResponse.
CREATE FUNCTION vigil_api.exchange_export_begin(ctx jsonb, req jsonb)
RETURNS TABLE (publication_id bigint, header jsonb, methodology jsonb, ranking jsonb,
               aggregates jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_code text := coalesce(req->>'cycle', '');
    n      int := coalesce((req->>'version')::int, 0);
    c      cycle;
    cur    int;
    pub    publication;
BEGIN
    IF v_code = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'cycle: required';
    END IF;
    IF n < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'version: must be 0 (the current version) or a published version number';
    END IF;
    SELECT * INTO c FROM cycle cy WHERE cy.code = v_code;
    SELECT max(pb.version) INTO cur
      FROM publication pb
     WHERE pb.cycle_id = c.id AND vigil_private.in_feed(pb.id);
    IF cur IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('cycle: %s has no published ranking', v_code);
    END IF;
    SELECT * INTO pub
      FROM publication pb
     WHERE pb.cycle_id = c.id
       AND pb.version = CASE WHEN n = 0 THEN cur ELSE n END
       AND vigil_private.in_feed(pb.id);
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('version: %s has no published version %s (the current is %s)',
                             v_code, n, cur);
    END IF;
    RETURN QUERY SELECT
        pub.id,
        jsonb_build_object(
            'cycle', c.code,
            'version', pub.version,
            'published_at', vigil_private.rfc3339(pub.published_at),
            'digest', pub.digest,
            'cursor', coalesce((SELECT vigil_private.cursor_text(max(e.seq))
                                  FROM change_event e WHERE e.audience = 'public'), ''),
            'assessments', (SELECT count(*) FROM publication_revision pr
                             WHERE pr.publication_id = pub.id),
            'evidence', (SELECT count(*)
                           FROM publication_revision pr
                           JOIN revision_entry re ON re.revision_id = pr.revision_id
                           JOIN evidence v ON v.revision_entry_id = re.id
                          WHERE pr.publication_id = pub.id)),
        vigil_private.methodology_json(c.methodology_id),
        vigil_private.exchange_ranking(pub.id, pub.version < cur),
        pub.aggregates || jsonb_build_object('cycle', c.code, 'version', pub.version);
END
$$;

-- Export, the ASSESSMENT records: one per state the publication lists (its
-- publication_revision rows), by state code, keyset-paged (after_state ""
-- = from the start). record: the ExportRecord, with the revision the
-- publication counted (unset for a state it counted none of). Only for a
-- publication in the feed (NOT_FOUND otherwise, as exchange_export_begin).
CREATE FUNCTION vigil_api.exchange_export_assessments(ctx jsonb, p_publication bigint,
                                                      after_state text, page_size int)
RETURNS TABLE (state text, record jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_publication IS NULL OR NOT vigil_private.in_feed(p_publication) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('publication: %s is not a published ranking',
                             coalesce(p_publication::text, 'null'));
    END IF;
    RETURN QUERY
        SELECT pr.state,
               jsonb_build_object('kind', 'assessment', 'state', pr.state, 'state_name', s.name)
               || CASE WHEN pr.revision_id IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('revision',
                                               vigil_private.revision_json(pr.revision_id, true))
                  END
          FROM publication_revision pr
          JOIN state s ON s.code = pr.state
         WHERE pr.publication_id = p_publication
           AND pr.state COLLATE "C" > coalesce(after_state, '')
         ORDER BY pr.state COLLATE "C"
         LIMIT vigil_private.page_size(page_size);
END
$$;

-- Import: one record of an import stream. req is the ImportRequest:
-- record (a SubmitRequest), dry_run, ref (the daemon echoes it). The record
-- is a Submit, with every rule, status and the idempotency of Submit:
-- assessments_submit does the work, under the method name of Submit, so
-- that Submit and Import share request ids (a record retried through either
-- gets the first answer). Regional offices import as they submit; partners
-- import the states of their scope (office_state, or their region), which
-- assessments_submit checks once told the caller is "regional": that is the
-- role whose rights a partner's import has (writing within a scope), and
-- role is all the rules look at -- office_id, office, certificate and peer
-- are passed on unchanged, so the revision, the audit row and the request
-- row name the partner's office. A partner without a scope (read-only) is
-- refused for every state. The central office reviews, it does not import.
-- dry_run: everything is done, then undone (a private SQLSTATE raised at
-- the end rolls the subtransaction back), and the answer kept. Returns
-- {"revision", "status" (as Submit's), "dry_run"}; errors as Submit's.
CREATE FUNCTION vigil_api.exchange_import(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    rec    jsonb := req->'record';
    dry    boolean := coalesce((req->>'dry_run')::boolean, false);
    as_ctx jsonb := ctx;
    answer jsonb;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{regional,partner}', 'Exchange/Import',
                                       'regional offices and partners import, the central office '
                                       'reviews');
    IF jsonb_typeof(rec) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'record: required';
    END IF;
    IF ctx->>'role' = 'partner' THEN
        as_ctx := ctx || jsonb_build_object('role', 'regional');
    END IF;
    IF dry THEN
        BEGIN
            answer := vigil_api.assessments_submit(as_ctx, rec);
            RAISE EXCEPTION USING ERRCODE = 'VGDRY', MESSAGE = 'dry run: undone';
        EXCEPTION WHEN SQLSTATE 'VGDRY' THEN
            NULL; -- everything undone, answer kept
        END;
    ELSE
        answer := vigil_api.assessments_submit(as_ctx, rec);
    END IF;
    RETURN jsonb_build_object('revision', answer->'revision', 'status', answer->'status',
                              'dry_run', dry);
END
$$;

-- ===========================================================================
-- Privileges: as in 0004, the RPC functions and nothing else.

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil_private FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil_api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    vigil_api.exchange_release(jsonb, jsonb),
    vigil_api.exchange_changes(jsonb, jsonb, bigint, int),
    vigil_api.exchange_export_begin(jsonb, jsonb),
    vigil_api.exchange_export_assessments(jsonb, bigint, text, int),
    vigil_api.exchange_import(jsonb, jsonb)
TO vigil_service;
