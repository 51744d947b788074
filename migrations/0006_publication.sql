-- 0006_publication: the published rankings of a cycle, their canonical
-- inputs, and the SQL side of the Rankings service (proto/vigil/v1/
-- rankings.proto). Scoring is not here: the daemon computes rankings and
-- aggregates in C (server/rank.c, aggregate.c) from the canonical inputs
-- document (server/canon.h) that rankings_inputs builds from the live data.
-- This file builds those inputs, stores what the daemon publishes, and
-- serves it back under the visibility rules. Conventions as in 0004 (ctx/req
-- JSON, SECURITY DEFINER, VGnnn errors naming the field, request ids, audit).
--
-- Publication is two calls of the daemon, with its computation between them:
--   1. rankings_inputs  -> the document D and a token T of the live inputs;
--   2. the daemon ranks D, serialises it canonically, takes its digest;
--   3. rankings_publish(token T, canonical, digest, ranking, aggregates)
--      refuses (ABORTED) when the inputs changed in between, so that what is
--      stored was computed from exactly what it claims.
--
-- Visibility of published data: the central office sees every version, even
-- under embargo; everyone else (regional, partner, anonymous) only versions
-- whose embargo is unset or past, of cycles whose status is published. For
-- them the current version is the newest one they may see, and a cycle with
-- none answers NOT_FOUND with the same message whether it is unknown,
-- unpublished or embargoed: an embargo must not leak.

-- ===========================================================================
-- Tables. Append-only like revision and audit (0003): nothing published is
-- edited in place; a correction is a new version.

CREATE TABLE publication (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cycle_id      bigint NOT NULL REFERENCES cycle (id),
    version       integer NOT NULL CHECK (version > 0), -- 1, 2, ... per cycle
    published_at  timestamptz NOT NULL DEFAULT now(),
    -- NULL = none. Whole seconds (rounded up when given with a fraction), so
    -- that the time shown (RFC 3339 to the second), the time enforced and the
    -- time the daemons arm their release timers on are one and the same.
    embargo_until timestamptz CHECK (embargo_until = date_trunc('second', embargo_until)),
    -- Lower-case hex SHA-256 of canonical's UTF-8 bytes. Checked when stored
    -- (rankings_publish), deliberately not by a constraint: `vigil verify` is
    -- the check of what is stored, and its tests alter one column alone.
    digest        text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    canonical     text NOT NULL,  -- the canonical inputs document (canon.h), exact bytes
    ranking       jsonb NOT NULL, -- the Ranking message the daemon computed, as given
    aggregates    jsonb NOT NULL, -- the aggregates the daemon computed, as given
    office_id     bigint NOT NULL REFERENCES office (id), -- who published
    UNIQUE (cycle_id, version)
);
-- rankings_next_embargo: the few publications still under embargo.
CREATE INDEX publication_embargo_idx ON publication (embargo_until)
    WHERE embargo_until IS NOT NULL;

-- The revisions a publication counted: one row per state of its inputs
-- document (every state with an assessment in the cycle); revision_id NULL
-- for a state that had no approved revision (listed as not ranked). Country
-- cards of the published view read their entries through it.
CREATE TABLE publication_revision (
    publication_id bigint NOT NULL REFERENCES publication (id),
    state          text NOT NULL REFERENCES state (code),
    revision_id    bigint REFERENCES revision (id),
    PRIMARY KEY (publication_id, state)
);

CREATE TRIGGER publication_append_only BEFORE UPDATE OR DELETE ON publication
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER publication_no_truncate BEFORE TRUNCATE ON publication
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER publication_revision_append_only BEFORE UPDATE OR DELETE ON publication_revision
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER publication_revision_no_truncate BEFORE TRUNCATE ON publication_revision
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();

-- The service role works through the functions below only (see 0003).
REVOKE ALL ON publication, publication_revision FROM PUBLIC, vigil_service;

-- ===========================================================================
-- Inputs

-- The canonical inputs document of a cycle from the live data (canon.h):
-- the methodology in full (as GetMethodology gives it; the daemon
-- normalises it), the predecessor's current publication, and every state
-- with an assessment in the cycle with the levels of its latest approved
-- revision. The daemon serialises it canonically; key order here is moot.
CREATE FUNCTION vigil_private.rankings_document(p_cycle bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object(
        'format', 'vigil-ranking-inputs/1',
        'cycle', c.code,
        'methodology', vigil_private.methodology_json(c.methodology_id),
        -- Latest version whatever its embargo: movement is computed against
        -- what the predecessor currently says. NULL (JSON null) when none.
        'predecessor', (
            SELECT jsonb_build_object('cycle', pc.code, 'digest', p.digest, 'version', p.version)
              FROM cycle pc
              JOIN publication p ON p.cycle_id = pc.id
             WHERE pc.id = c.predecessor_id
             ORDER BY p.version DESC
             LIMIT 1),
        'states', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'code', s.code,
                       'name', s.name,
                       'region', s.region,
                       'revision', a.approved_revision,
                       'levels', coalesce(lv.levels, '{}'))
                       ORDER BY s.code COLLATE "C"), '[]')
              FROM assessment a
              JOIN state s ON s.code = a.state
              LEFT JOIN LATERAL (
                  SELECT jsonb_object_agg(i.code, l.code) AS levels
                    FROM revision r
                    JOIN revision_entry e ON e.revision_id = r.id
                    JOIN indicator i ON i.id = e.indicator_id
                    JOIN level l ON l.id = e.level_id
                   WHERE r.assessment_id = a.id AND r.number = a.approved_revision) lv ON true
             WHERE a.cycle_id = c.id))
      FROM cycle c
     WHERE c.id = p_cycle
$$;

-- The token of a document: the SHA-256 of its jsonb text, which is canonical
-- for equal values. So it changes exactly when an input of the ranking
-- changes (an approval, a predecessor's republication, ...), and not when
-- something that does not count changes (a draft, a return, an unlock).
CREATE FUNCTION vigil_private.rankings_token(doc jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT 'inputs1:' || encode(sha256(convert_to(doc::text, 'UTF8')), 'hex')
$$;

-- The states of a region and of every region below it, sorted by code.
CREATE FUNCTION vigil_private.region_states(p_region text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT coalesce(jsonb_agg(s.code ORDER BY s.code COLLATE "C"), '[]')
      FROM state s
     WHERE s.region IN (SELECT vigil_private.region_tree(p_region))
$$;

-- VG007 unless the caller is the central office: unpublished data (the live
-- view, the inputs of a publication) is the central office's only.
CREATE FUNCTION vigil_private.require_live(ctx jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF ctx->>'role' = 'central' THEN
        RETURN;
    END IF;
    IF coalesce(ctx->>'role', '') IN ('', 'anonymous') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG007',
            MESSAGE = 'view: anonymous callers see published rankings only (the live view and '
                      'publication are the central office''s)';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'VG007',
        MESSAGE = format('view: %s office "%s" sees published rankings only (the live view and '
                         'publication are the central office''s)', ctx->>'role', ctx->>'office');
END
$$;

-- ===========================================================================
-- Visibility of published data

-- The publications of a cycle the caller may see (see the header).
CREATE FUNCTION vigil_private.visible_publications(ctx jsonb, p_cycle bigint)
RETURNS SETOF publication
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT p.*
      FROM publication p
      JOIN cycle c ON c.id = p.cycle_id
     WHERE p.cycle_id = p_cycle
       AND (ctx->>'role' = 'central'
            OR (c.status = 'published'
                AND (p.embargo_until IS NULL OR p.embargo_until <= now())))
$$;

-- The publication a published read names (req.cycle, req.version: 0 = the
-- current one the caller may see). The central office gets INVALID_ARGUMENT
-- for an unknown cycle, as elsewhere; everyone else gets the same NOT_FOUND
-- for an unknown, unpublished or embargoed one.
CREATE FUNCTION vigil_private.publication_read(ctx jsonb, req jsonb) RETURNS publication
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    v_code text := coalesce(req->>'cycle', '');
    n      int := coalesce((req->>'version')::int, 0);
    c_id   bigint;
    cur    int;
    p      publication;
BEGIN
    IF v_code = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'cycle: required';
    END IF;
    IF n < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'version: must be 0 (the current version) or a published version number';
    END IF;
    IF ctx->>'role' = 'central' THEN
        c_id := (vigil_private.known_cycle('cycle', v_code)).id;
    ELSE
        SELECT id INTO c_id FROM cycle WHERE code = v_code;
    END IF;
    SELECT max(v.version) INTO cur FROM vigil_private.visible_publications(ctx, c_id) v;
    IF cur IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('cycle: %s has no published ranking', v_code);
    END IF;
    SELECT * INTO p FROM vigil_private.visible_publications(ctx, c_id) v
     WHERE v.version = CASE WHEN n = 0 THEN cur ELSE n END;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('version: %s has no published version %s (the current is %s)',
                             v_code, n, cur);
    END IF;
    RETURN p;
END
$$;

-- The newest version of a cycle the caller may see; NULL when none.
CREATE FUNCTION vigil_private.current_version(ctx jsonb, p_cycle bigint) RETURNS int
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT max(v.version) FROM vigil_private.visible_publications(ctx, p_cycle) v
$$;

-- ===========================================================================
-- Rankings service

-- Inputs: central office only (the live view and publication). The document
-- D, its token, the predecessor's current ranking and methodology for
-- movement (null when D has no predecessor), and with a region filter the
-- states it keeps.
CREATE FUNCTION vigil_api.rankings_inputs(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c        cycle;
    v_region text;
    doc      jsonb;
    pred     record;
    result   jsonb;
BEGIN
    PERFORM vigil_private.require_live(ctx);
    c := vigil_private.known_cycle('cycle', req->>'cycle');
    v_region := vigil_private.known_region('region', req->>'region');
    doc := vigil_private.rankings_document(c.id);
    -- The very publication D names (one snapshot: the function is STABLE).
    SELECT p.ranking, m.code AS methodology INTO pred
      FROM publication p
      JOIN cycle pc ON pc.id = p.cycle_id
      JOIN methodology m ON m.id = pc.methodology_id
     WHERE p.cycle_id = c.predecessor_id
       AND p.version = (doc->'predecessor'->>'version')::int;
    result := jsonb_build_object(
        'document', doc,
        'token', vigil_private.rankings_token(doc),
        'predecessor_ranking', pred.ranking,
        'predecessor_methodology', pred.methodology);
    IF v_region IS NOT NULL THEN
        result := result || jsonb_build_object('region_states',
                                               vigil_private.region_states(v_region));
    END IF;
    RETURN result;
END
$$;

-- Publish: central office only. req is the client's PublishRequest plus what
-- the daemon adds: token (of the inputs it ranked), canonical (the exact
-- bytes), digest, ranking and aggregates. Stores a new version; the first
-- publishes a closed cycle, later ones republish it after corrections.
CREATE FUNCTION vigil_api.rankings_publish(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Rankings/Publish';
    -- The client's content only: what the daemon adds is derived from it and
    -- from the data, and differs between a first try and its retry.
    canonical jsonb := jsonb_build_object('cycle', coalesce(req->>'cycle', ''),
                                          'embargo_until', coalesce(req->>'embargo_until', ''));
    stored    jsonb;
    c         cycle;
    v_embargo timestamptz;
    v_text    text := req->>'canonical';
    v_digest  text := coalesce(req->>'digest', '');
    v_doc     jsonb;
    live      jsonb;
    p         publication;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Rankings/Publish',
                                       'the central office publishes');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    c := vigil_private.known_cycle('cycle', req->>'cycle');
    IF coalesce(req->>'embargo_until', '') <> '' THEN
        v_embargo := vigil_private.parse_time('embargo_until', req->>'embargo_until');
        v_embargo := date_trunc('second', v_embargo)
                     + CASE WHEN v_embargo > date_trunc('second', v_embargo)
                            THEN interval '1 second' ELSE interval '0' END;
    END IF;

    -- What the daemon adds: a refusal here is a daemon bug, not the caller's.
    IF coalesce(req->>'token', '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'token: required (the token of rankings_inputs)';
    END IF;
    IF v_text IS NULL OR v_digest <> encode(sha256(convert_to(v_text, 'UTF8')), 'hex') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'digest: is not the lower-case hex SHA-256 of canonical';
    END IF;
    BEGIN
        v_doc := v_text::jsonb;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'canonical: is not a JSON document';
    END;
    IF jsonb_typeof(req->'ranking') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'ranking: required (the Ranking message, as JSON)';
    END IF;
    IF jsonb_typeof(req->'aggregates') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'aggregates: required (the aggregates, as JSON)';
    END IF;

    -- Freeze the inputs until commit: approvals of this cycle wait for us
    -- (and we for those in flight), as do a republication of the predecessor
    -- and a status change of this cycle; concurrent publications of it
    -- serialise on its row. Assessments first: a submission locks its
    -- assessment and then the cycle, so the same order cannot deadlock.
    PERFORM 1 FROM assessment WHERE cycle_id = c.id ORDER BY id FOR SHARE;
    SELECT * INTO c FROM cycle WHERE id = c.id FOR NO KEY UPDATE;
    PERFORM 1 FROM cycle WHERE id = c.predecessor_id FOR SHARE;
    IF c.status = 'open' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('cycle: %s is open; close it before publishing', c.code);
    END IF;
    -- Movement is measured against the predecessor's latest version; while
    -- that version is under embargo, publishing would reveal it through the
    -- movement (and leave readers unable to verify against it): wait.
    SELECT p2.* INTO p FROM publication p2
     WHERE p2.cycle_id = c.predecessor_id
     ORDER BY p2.version DESC LIMIT 1;
    IF p.embargo_until IS NOT NULL AND p.embargo_until > now() THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('cycle: its predecessor %s is under embargo until %s; publish '
                             'after the embargo is released',
                             (SELECT code FROM cycle WHERE id = c.predecessor_id),
                             vigil_private.rfc3339(p.embargo_until));
    END IF;
    p := NULL;
    live := vigil_private.rankings_document(c.id);
    IF req->>'token' <> vigil_private.rankings_token(live) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG010',
            MESSAGE = 'cycle: its inputs changed while publishing; try again';
    END IF;
    -- The bytes must say what was ranked: everything but the methodology
    -- equal, and the methodology (normalised by the daemon, which may add
    -- fields with their defaults) containing the stored one.
    IF v_doc - 'methodology' IS DISTINCT FROM live - 'methodology'
       OR NOT coalesce((v_doc->'methodology') @> (live->'methodology'), false) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('canonical: is not the inputs document of cycle %s as it stands',
                             c.code);
    END IF;

    INSERT INTO publication (cycle_id, version, embargo_until, digest, canonical, ranking,
                             aggregates, office_id)
    VALUES (c.id,
            (SELECT coalesce(max(version), 0) + 1 FROM publication WHERE cycle_id = c.id),
            v_embargo, v_digest, v_text, req->'ranking', req->'aggregates',
            (ctx->>'office_id')::bigint)
    RETURNING * INTO p;
    INSERT INTO publication_revision (publication_id, state, revision_id)
    SELECT p.id, s->>'code', r.id
      FROM jsonb_array_elements(live->'states') s
      JOIN assessment a ON a.cycle_id = c.id AND a.state = s->>'code'
      LEFT JOIN revision r ON r.assessment_id = a.id AND r.number = (s->>'revision')::int;
    UPDATE cycle SET status = 'published', embargo_until = v_embargo WHERE id = c.id;
    PERFORM vigil_private.audit_add(ctx, req, 'cycle.publish', format('%s@v%s', c.code, p.version),
        jsonb_build_object('version', p.version, 'digest', p.digest,
                           'embargo_until', vigil_private.rfc3339(v_embargo),
                           'states', jsonb_array_length(live->'states'),
                           'previous_status', c.status));
    -- Delivered at commit, to every daemon: drop what is cached for the cycle.
    PERFORM pg_notify('vigil_cache', c.code);
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('version', p.version, 'digest', p.digest,
                           'published_at', vigil_private.rfc3339(p.published_at)));
END
$$;

-- Published: one version of a cycle (0 = the current one the caller may
-- see), as stored, with whether a newer one exists; any caller.
CREATE FUNCTION vigil_api.rankings_published(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p        publication := vigil_private.publication_read(ctx, req);
    v_region text := vigil_private.known_region('region', req->>'region');
    cur      int := vigil_private.current_version(ctx, p.cycle_id);
    result   jsonb;
BEGIN
    result := jsonb_build_object(
        'cycle', (SELECT code FROM cycle WHERE id = p.cycle_id),
        'version', p.version,
        'published_at', vigil_private.rfc3339(p.published_at),
        'embargo_until', vigil_private.rfc3339(p.embargo_until),
        'digest', p.digest,
        'ranking', p.ranking,
        'aggregates', p.aggregates,
        'superseded', p.version < cur,
        'current_version', cur);
    IF v_region IS NOT NULL THEN
        result := result || jsonb_build_object('region_states',
                                               vigil_private.region_states(v_region));
    END IF;
    RETURN result;
END
$$;

-- Card: the entries (level, justification, evidence) of the revision a
-- state's card counts, in the methodology's order. Published view: the
-- revision the publication counted (visibility as Published); live: the
-- latest approved revision (central office only). No entries when the state
-- had no approved revision.
CREATE FUNCTION vigil_api.rankings_card(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_view  text := coalesce(req->>'view', 'unspecified');
    v_state text;
    c       cycle;
    a       assessment;
    p       publication;
    v_rev   bigint;
BEGIN
    IF v_view NOT IN ('published', 'live', 'unspecified') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('view: must be published or live, not %s', v_view);
    END IF;
    IF v_view = 'live' THEN
        PERFORM vigil_private.require_live(ctx);
        IF coalesce((req->>'version')::int, 0) <> 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = 'version: goes with the published view only (the live view has none)';
        END IF;
        v_state := vigil_private.known_state('state', req->>'state');
        c := vigil_private.known_cycle('cycle', req->>'cycle');
        SELECT * INTO a FROM assessment WHERE cycle_id = c.id AND state = v_state;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'VG005',
                MESSAGE = format('state: %s has no assessment in cycle %s', v_state, c.code);
        END IF;
        SELECT id INTO v_rev FROM revision
         WHERE assessment_id = a.id AND number = a.approved_revision;
    ELSE
        v_state := vigil_private.known_state('state', req->>'state');
        p := vigil_private.publication_read(ctx, req);
        SELECT revision_id INTO v_rev FROM publication_revision
         WHERE publication_id = p.id AND state = v_state;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'VG005',
                MESSAGE = format('state: %s is not in the published ranking of %s (version %s)',
                                 v_state, req->>'cycle', p.version);
        END IF;
    END IF;
    RETURN jsonb_build_object('entries', CASE WHEN v_rev IS NULL THEN '[]'::jsonb
                                              ELSE vigil_private.revision_json(v_rev, true)->'entries'
                                         END);
END
$$;

-- History: for each cycle whose current publication (for the caller) lists
-- the state, oldest cycle first, that publication's ranking; any caller.
CREATE FUNCTION vigil_api.rankings_history(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_state text := vigil_private.known_state('state', req->>'state');
BEGIN
    RETURN jsonb_build_object(
        'state', v_state,
        'state_name', (SELECT name FROM state WHERE code = v_state),
        'items', coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                       'cycle', c.code,
                       'version', p.version,
                       'published_at', vigil_private.rfc3339(p.published_at),
                       'ranking', p.ranking) ORDER BY c.created_at, c.id)
              FROM cycle c
             CROSS JOIN LATERAL (
                   SELECT v.* FROM vigil_private.visible_publications(ctx, c.id) v
                    ORDER BY v.version DESC LIMIT 1) p
             WHERE EXISTS (SELECT 1 FROM publication_revision pr
                            WHERE pr.publication_id = p.id AND pr.state = v_state)), '[]'));
END
$$;

-- PublishedInputs: the canonical inputs of one version (visibility as
-- Published), so that anyone can check the digest and recompute.
CREATE FUNCTION vigil_api.rankings_published_inputs(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    p publication := vigil_private.publication_read(ctx, req);
BEGIN
    RETURN jsonb_build_object(
        'cycle', (SELECT code FROM cycle WHERE id = p.cycle_id),
        'version', p.version,
        'digest', p.digest,
        'canonical', p.canonical);
END
$$;

-- NextEmbargo: the earliest embargo time still ahead, "" when none; any
-- caller. The daemon arms a timer on it to drop what it cached for the
-- callers who could not see that version yet.
CREATE FUNCTION vigil_api.rankings_next_embargo(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object('next', vigil_private.rfc3339(min(embargo_until)))
      FROM publication
     WHERE embargo_until > now()
$$;

-- ===========================================================================
-- Privileges: as in 0004, the RPC functions and nothing else.

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil_private FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil_api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    vigil_api.rankings_inputs(jsonb, jsonb),
    vigil_api.rankings_publish(jsonb, jsonb),
    vigil_api.rankings_published(jsonb, jsonb),
    vigil_api.rankings_card(jsonb, jsonb),
    vigil_api.rankings_history(jsonb, jsonb),
    vigil_api.rankings_published_inputs(jsonb, jsonb),
    vigil_api.rankings_next_embargo(jsonb, jsonb)
TO vigil_service;
