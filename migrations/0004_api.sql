-- 0004_api: the RPCs, as SQL functions. vigild is a thin gateway: for each
-- call it runs one statement, SELECT vigil_api.<service>_<method>($1, $2),
-- with $1 = ctx (who calls: office_id, office, role, region,
-- certificate_sha256, peer, method) and $2 = the request as JSON (every field
-- under its proto name, proto3 defaults included, enums as lower-case names
-- without their prefix), and sends back the jsonb result as the response
-- message. So every rule of the domain, authorization, idempotency and the
-- audit log live here, and each call is one transaction: all or nothing.
--
-- Errors: RAISE with SQLSTATE 'VGnnn', nnn the gRPC status code (VG003
-- INVALID_ARGUMENT, VG005 NOT_FOUND, VG006 ALREADY_EXISTS, VG007
-- PERMISSION_DENIED, VG009 FAILED_PRECONDITION, VG010 ABORTED) and a message
-- that starts with the field it is about ("entries[3].level: ..."), which the
-- daemon passes on verbatim. A code the caller names that the catalog does not
-- know (state, cycle, region, indicator, level) is INVALID_ARGUMENT; the
-- object an RPC acts on that does not exist (an assessment, an office) is
-- NOT_FOUND. Any other SQL error is an INTERNAL error of the daemon.
--
-- Who may call what: the Catalog reads, every office; the Catalog writes, the
-- Offices RPCs, Review and ListAudit, the central office; Submit, a regional
-- office for the states of its scope; Get, ListRevisions and List, the
-- central office (every state) and regional offices (their scope). Partners
-- are refused by every Assessments RPC: they use the exchange.
--
-- ctx comes from the daemon, which has mapped the caller's certificate to an
-- office: the service role is trusted to pass it truthfully. What a
-- compromised daemon still cannot do is rewrite history: revisions and the
-- audit log are append-only for every role (0003).
--
-- Concurrency relies on READ COMMITTED (PostgreSQL's default): each statement
-- sees what committed before it, so a call that waited for a lock then reads
-- the winner's row.

CREATE SCHEMA vigil_api;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil_api REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
GRANT USAGE ON SCHEMA vigil_api TO vigil_service;

-- ===========================================================================
-- Formats and checks shared by every RPC

-- RFC 3339 in UTC, to the second ("2026-03-29T07:00:00Z"); "" for NULL.
CREATE FUNCTION vigil_private.rfc3339(t timestamptz) RETURNS text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT coalesce(to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
$$;

-- An exact decimal string from num/den, den a power of ten: 75/100 -> "0.75",
-- 7500/100 -> "75". Exact: numeric keeps every digit of such a quotient.
CREATE FUNCTION vigil_private.decimal_text(num bigint, den bigint) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT trim_scale(num::numeric / den)::text
$$;

-- Parses a non-negative decimal ("0.75", "62.5", "1") with at most max_frac
-- fraction digits into num/den, den = 10^(fraction digits without trailing
-- zeros). Both NULL when malformed.
CREATE FUNCTION vigil_private.decimal_parse(s text, max_frac int, OUT num bigint, OUT den bigint)
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
    m    text[] := regexp_match(s, '^([0-9]{1,6})(?:\.([0-9]+))?$');
    frac text;
BEGIN
    IF m IS NULL OR length(coalesce(m[2], '')) > max_frac THEN
        RETURN;
    END IF;
    frac := rtrim(coalesce(m[2], ''), '0');
    den := (10 ^ length(frac))::bigint;
    num := m[1]::bigint * den + coalesce(nullif(frac, '')::bigint, 0);
END
$$;

-- An RFC 3339 time from a request ("" is the caller's business).
CREATE FUNCTION vigil_private.parse_time(path text, v text) RETURNS timestamptz
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF v ~ '^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$' THEN
        BEGIN
            RETURN v::timestamptz;
        EXCEPTION WHEN data_exception THEN
            NULL; -- out of range: reported below
        END;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'VG003',
        MESSAGE = format('%s: "%s" is not an RFC 3339 time, e.g. "2026-03-29T07:00:00Z"', path, v);
END
$$;

-- A required code of the catalog's alphabet ([A-Za-z0-9._-], 1-32).
CREATE FUNCTION vigil_private.check_code(path text, v text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(v, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s: required', path);
    END IF;
    IF v !~ '^[A-Za-z0-9._-]{1,32}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s: "%s" must be 1-32 characters of [A-Za-z0-9._-]', path, v);
    END IF;
    RETURN v;
END
$$;

-- Free text with a length limit in characters (as the proto documents).
CREATE FUNCTION vigil_private.check_text(path text, v text, required boolean, max_chars int)
RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF required AND coalesce(v, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s: required', path);
    END IF;
    IF length(coalesce(v, '')) > max_chars THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s: %s characters, at most %s', path, length(v), max_chars);
    END IF;
    RETURN coalesce(v, '');
END
$$;

-- A weight: a positive integer. The cap keeps the exact integer arithmetic
-- of rankings far from overflow.
CREATE FUNCTION vigil_private.check_weight(path text, v text) RETURNS int
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(v, '') !~ '^[0-9]{1,4}$' OR v::int NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s: must be a positive integer (1-1000), not %s', path,
                             coalesce(v, 'null'));
    END IF;
    RETURN v::int;
END
$$;

-- PERMISSION_DENIED unless the caller's role is one of allowed. why tells the
-- caller what to do instead.
CREATE FUNCTION vigil_private.require_role(ctx jsonb, allowed text[], rpc text, why text)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    r text := coalesce(ctx->>'role', '');
BEGIN
    IF r = ANY (allowed) THEN
        RETURN;
    END IF;
    IF r IN ('', 'anonymous') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG007',
            MESSAGE = format('role: anonymous callers may not call %s: %s', rpc, why);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'VG007',
        MESSAGE = format('role: %s office "%s" may not call %s: %s', r, ctx->>'office', rpc, why);
END
$$;

-- ===========================================================================
-- Reference data and scopes

-- A region and every region below it.
CREATE FUNCTION vigil_private.region_tree(p_code text) RETURNS SETOF text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    WITH RECURSIVE t (code) AS (
        SELECT code FROM region WHERE code = p_code
        UNION ALL
        SELECT r.code FROM region r JOIN t ON r.parent = t.code
    )
    SELECT code FROM t
$$;

-- The states of an office's scope: its region's and the listed ones.
CREATE FUNCTION vigil_private.scope_states(p_office bigint) RETURNS SETOF text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT s.code
      FROM office o
      JOIN state s ON s.region IN (SELECT vigil_private.region_tree(o.region))
     WHERE o.id = p_office
    UNION
    SELECT os.state FROM office_state os WHERE os.office_id = p_office
$$;

-- Whether the caller may see state (and, for a regional office, write it):
-- the central office sees every state, a regional office those of its
-- scope, nobody else any.
CREATE FUNCTION vigil_private.in_scope(ctx jsonb, p_state text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT CASE ctx->>'role'
        WHEN 'central' THEN true
        WHEN 'regional' THEN EXISTS (
            SELECT 1 FROM vigil_private.scope_states((ctx->>'office_id')::bigint) s
             WHERE s = p_state)
        ELSE false
    END
$$;

CREATE FUNCTION vigil_private.require_scope(ctx jsonb, p_state text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT vigil_private.in_scope(ctx, p_state) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG007',
            MESSAGE = format('state: %s is outside the scope of office "%s"', p_state,
                             ctx->>'office');
    END IF;
END
$$;

-- A state code the caller names; INVALID_ARGUMENT when unknown.
CREATE FUNCTION vigil_private.known_state(path text, v text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(v, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s: required (an ISO 3166-1 alpha-2 code, e.g. "TH")', path);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM state WHERE code = v) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s: unknown state "%s" (an ISO 3166-1 alpha-2 code, e.g. "TH")',
                             path, v);
    END IF;
    RETURN v;
END
$$;

-- A region code, or NULL for "" (none); INVALID_ARGUMENT when unknown.
CREATE FUNCTION vigil_private.known_region(path text, v text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
BEGIN
    IF coalesce(v, '') = '' THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM region WHERE code = v) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s: unknown region "%s" (a UN M49 code, e.g. "142")', path, v);
    END IF;
    RETURN v;
END
$$;

-- A cycle the caller names; INVALID_ARGUMENT when unknown.
CREATE FUNCTION vigil_private.known_cycle(path text, v text) RETURNS cycle
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    c cycle;
BEGIN
    IF coalesce(v, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s: required', path);
    END IF;
    SELECT * INTO c FROM cycle WHERE code = v;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s: unknown cycle "%s"', path, v);
    END IF;
    RETURN c;
END
$$;

-- ===========================================================================
-- Idempotency and audit, the frame of every write:
--   stored := request_replay(...); IF stored IS NOT NULL THEN RETURN stored;
--   ... checks, changes, audit_add(...) ...
--   RETURN request_done(...);

-- SHA-256 of the method and the canonical request: jsonb's text form is
-- canonical (keys sorted, no duplicates, fixed spacing), so equal decoded
-- requests hash equal whatever their bytes on the wire.
CREATE FUNCTION vigil_private.request_hash(method text, canonical jsonb) RETURNS bytea
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT sha256(convert_to(method || E'\n' || canonical::text, 'UTF8'))
$$;

-- Checks request_id and looks it up. Returns the stored response when this
-- office already made this very request (the retry changes nothing), NULL
-- when the id is new; ALREADY_EXISTS when the id went with other content.
-- Calls with the same id serialise on an advisory lock held to the end of
-- the transaction, so a concurrent retry waits and then finds the answer.
CREATE FUNCTION vigil_private.request_replay(ctx jsonb, req jsonb, method text, canonical jsonb)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    rid    text := coalesce(req->>'request_id', '');
    caller bigint := (ctx->>'office_id')::bigint;
    prior  request;
BEGIN
    IF rid = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'request_id: required (a client-generated id, 1-64 characters of '
                      '[A-Za-z0-9._:-], unique per office)';
    END IF;
    IF rid !~ '^[A-Za-z0-9._:-]{1,64}$' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'request_id: must be 1-64 characters of [A-Za-z0-9._:-]';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('vigil_api.request'), hashtext(caller || '/' || rid));
    SELECT * INTO prior FROM request WHERE office_id = caller AND request_id = rid;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF prior.method = method
       AND prior.content_hash = vigil_private.request_hash(method, canonical) THEN
        RETURN prior.response;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'VG006',
        MESSAGE = format('request_id: "%s" was already used by this office for other content '
                         '(%s at %s); new content needs a new id', rid, prior.method,
                         vigil_private.rfc3339(prior.created_at));
END
$$;

-- Records the answer of a completed write under its request id; returns it.
CREATE FUNCTION vigil_private.request_done(ctx jsonb, req jsonb, method text, canonical jsonb,
                                           response jsonb)
RETURNS jsonb
LANGUAGE sql SET search_path = public, pg_temp AS $$
    INSERT INTO request (office_id, request_id, method, content_hash, response)
    VALUES ((ctx->>'office_id')::bigint, req->>'request_id', method,
            vigil_private.request_hash(method, canonical), response)
    RETURNING response
$$;

-- One audit row: who (office, certificate), from where, which request, what.
CREATE FUNCTION vigil_private.audit_add(ctx jsonb, req jsonb, p_action text, p_object text,
                                        p_detail jsonb)
RETURNS void
LANGUAGE sql SET search_path = public, pg_temp AS $$
    INSERT INTO audit (office_id, certificate_sha256, peer, request_id, action, object, detail)
    VALUES ((ctx->>'office_id')::bigint, coalesce(ctx->>'certificate_sha256', ''),
            coalesce(ctx->>'peer', ''), coalesce(req->>'request_id', ''), p_action, p_object,
            coalesce(p_detail, '{}'))
$$;

-- ===========================================================================
-- Response objects

CREATE FUNCTION vigil_private.cycle_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object(
               'code', c.code,
               'methodology', m.code,
               'predecessor', coalesce(p.code, ''),
               'status', c.status,
               'embargo_until', vigil_private.rfc3339(c.embargo_until),
               'created_at', vigil_private.rfc3339(c.created_at))
      FROM cycle c
      JOIN methodology m ON m.id = c.methodology_id
      LEFT JOIN cycle p ON p.id = c.predecessor_id
     WHERE c.id = p_id
$$;

-- The Methodology message, in the order it was loaded. applies_when.levels
-- come in the order of the scale's levels.
CREATE FUNCTION vigil_private.methodology_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object(
        'code', m.code,
        'name', m.name,
        'description', m.description,
        'areas', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'code', a.code, 'name', a.name, 'weight', a.weight) ORDER BY a.position),
                   '[]')
              FROM area a WHERE a.methodology_id = m.id),
        'scales', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'code', s.code,
                       'levels', (
                           SELECT jsonb_agg(jsonb_build_object(
                                      'code', l.code, 'label', l.label,
                                      'has_value', l.value IS NOT NULL,
                                      'value', coalesce(l.value, 0)) ORDER BY l.position)
                             FROM level l WHERE l.scale_id = s.id)) ORDER BY s.position),
                   '[]')
              FROM scale s WHERE s.methodology_id = m.id),
        'indicators', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'code', i.code,
                       'area', a.code,
                       'question', i.question,
                       'scale', s.code,
                       'weight', i.weight,
                       'applies_when', CASE WHEN c.id IS NOT NULL THEN jsonb_build_object(
                           'indicator', c.code,
                           'levels', (
                               SELECT jsonb_agg(l.code ORDER BY l.position)
                                 FROM indicator_applies_level al
                                 JOIN level l ON l.id = al.level_id
                                WHERE al.indicator_id = i.id)) END,
                       'call_to_action', i.call_to_action,
                       'source', i.source) ORDER BY i.position),
                   '[]')
              FROM indicator i
              JOIN area a ON a.id = i.area_id
              JOIN scale s ON s.id = i.scale_id
              LEFT JOIN indicator c ON c.id = i.applies_indicator_id
             WHERE i.methodology_id = m.id),
        'bands', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'name', b.name,
                       'min_score', vigil_private.decimal_text(b.min_score, 100))
                       ORDER BY b.position),
                   '[]')
              FROM band b WHERE b.methodology_id = m.id),
        'min_coverage', vigil_private.decimal_text(m.min_coverage_num, m.min_coverage_den))
      FROM methodology m
     WHERE m.id = p_id
$$;

-- The Office message; certificates only for ListOffices.
CREATE FUNCTION vigil_private.office_json(p_id bigint, with_certificates boolean) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object(
               'id', o.id,
               'name', o.name,
               'role', o.role,
               'region', coalesce(o.region, ''),
               'active', o.active,
               'states', (SELECT coalesce(jsonb_agg(os.state ORDER BY os.state), '[]')
                            FROM office_state os WHERE os.office_id = o.id))
           || CASE WHEN with_certificates THEN jsonb_build_object('certificates', (
                  SELECT coalesce(jsonb_agg(jsonb_build_object(
                             'sha256', c.sha256, 'subject', c.subject,
                             'added_at', vigil_private.rfc3339(c.added_at))
                             ORDER BY c.added_at, c.sha256), '[]')
                    FROM office_cert c WHERE c.office_id = o.id))
              ELSE '{}' END
      FROM office o
     WHERE o.id = p_id
$$;

-- The Assessment message.
CREATE FUNCTION vigil_private.assessment_json(p_id bigint) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object(
               'state', s.code,
               'state_name', s.name,
               'cycle', c.code,
               'status', a.status,
               'latest_revision', a.latest_revision,
               'approved_revision', a.approved_revision,
               'review_comment', a.review_comment,
               'updated_at', vigil_private.rfc3339(a.updated_at))
      FROM assessment a
      JOIN state s ON s.code = a.state
      JOIN cycle c ON c.id = a.cycle_id
     WHERE a.id = p_id
$$;

-- The Revision message; entries (in the methodology's order) on request.
CREATE FUNCTION vigil_private.revision_json(p_id bigint, with_entries boolean) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object(
               'number', r.number,
               'draft', r.draft,
               'office', o.name,
               'created_at', vigil_private.rfc3339(r.created_at),
               'base_revision', r.base_revision)
           || CASE WHEN with_entries THEN jsonb_build_object('entries', (
                  SELECT coalesce(jsonb_agg(jsonb_build_object(
                             'indicator', i.code,
                             'level', l.code,
                             'justification', e.justification,
                             'evidence', (
                                 SELECT coalesce(jsonb_agg(jsonb_build_object(
                                            'citation', v.citation,
                                            'url', v.url,
                                            'date', coalesce(to_char(v.date, 'YYYY-MM-DD'), ''))
                                            ORDER BY v.position), '[]')
                                   FROM evidence v WHERE v.revision_entry_id = e.id))
                             ORDER BY i.position), '[]')
                    FROM revision_entry e
                    JOIN indicator i ON i.id = e.indicator_id
                    JOIN level l ON l.id = e.level_id
                   WHERE e.revision_id = r.id))
              ELSE '{}' END
      FROM revision r
      JOIN office o ON o.id = r.office_id
     WHERE r.id = p_id
$$;

-- ===========================================================================
-- Methodologies

-- Validates a Methodology message as a whole and stores it; returns its id.
-- Nothing is stored on error (the caller's transaction rolls back). Used by
-- LoadMethodology and by the migration that loads the first methodology.
CREATE FUNCTION vigil_private.methodology_store(m jsonb) RETURNS bigint
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    v_code    text;
    cov       record;
    areas     jsonb := '{}'; -- area code -> its index
    used      jsonb := '{}'; -- area code -> true once an indicator is in it
    scales    jsonb := '{}'; -- scale code -> its level codes, in order
    inds      jsonb := '{}'; -- indicator code -> {"i": index, "scale": code}
    labels    jsonb;
    vals      jsonb;
    lcodes    jsonb;
    e         jsonb;
    f         jsonb;
    i         int;
    j         int;
    p         text;
    q         text;
    c         text;
    ref       text;
    positive  boolean;
    score     record;
    prev      int;
    v_id      bigint;
BEGIN
    IF m IS NULL OR jsonb_typeof(m) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'methodology: required';
    END IF;
    v_code := vigil_private.check_code('methodology.code', m->>'code');
    IF EXISTS (SELECT 1 FROM methodology WHERE code = v_code) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG006',
            MESSAGE = format('methodology.code: methodology "%s" already exists; a loaded '
                             'methodology never changes, load the new one under a new code',
                             v_code);
    END IF;
    PERFORM vigil_private.check_text('methodology.name', m->>'name', true, 200);
    PERFORM vigil_private.check_text('methodology.description', m->>'description', false, 20000);
    IF coalesce(m->>'min_coverage', '') = '' THEN
        SELECT 1::bigint AS num, 1::bigint AS den INTO cov;
    ELSE
        SELECT * INTO cov FROM vigil_private.decimal_parse(m->>'min_coverage', 6);
        IF cov.num IS NULL OR cov.num = 0 OR cov.num > cov.den THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('methodology.min_coverage: "%s" must be a decimal in (0, 1] '
                                 'with at most 6 decimals, e.g. "0.75" ("" means 1)',
                                 m->>'min_coverage');
        END IF;
    END IF;

    -- Areas.
    IF jsonb_array_length(coalesce(m->'areas', '[]')) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'methodology.areas: at least one area is required';
    END IF;
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(m->'areas') WITH ORDINALITY t (v, n)
    LOOP
        p := format('methodology.areas[%s]', i);
        c := vigil_private.check_code(p || '.code', e->>'code');
        IF areas ? c THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.code: "%s" is given twice (also methodology.areas[%s])',
                                 p, c, areas->>c);
        END IF;
        PERFORM vigil_private.check_text(p || '.name', e->>'name', true, 200);
        PERFORM vigil_private.check_weight(p || '.weight', e->>'weight');
        areas := areas || jsonb_build_object(c, i);
    END LOOP;

    -- Scales and their levels.
    IF jsonb_array_length(coalesce(m->'scales', '[]')) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'methodology.scales: at least one scale is required';
    END IF;
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(m->'scales') WITH ORDINALITY t (v, n)
    LOOP
        p := format('methodology.scales[%s]', i);
        c := vigil_private.check_code(p || '.code', e->>'code');
        IF scales ? c THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.code: "%s" is given twice', p, c);
        END IF;
        IF jsonb_array_length(coalesce(e->'levels', '[]')) = 0 THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.levels: at least one level is required', p);
        END IF;
        lcodes := '[]';
        labels := '{}';
        vals := '{}';
        positive := false;
        FOR f, j IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(e->'levels') WITH ORDINALITY t (v, n)
        LOOP
            q := format('%s.levels[%s]', p, j);
            ref := coalesce(f->>'code', '');
            IF ref = '' THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s.code: required', q);
            END IF;
            IF ref !~ '^[a-z_]{1,32}$' THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.code: "%s" must be 1-32 characters of [a-z_]', q, ref);
            END IF;
            IF lcodes ? ref THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.code: "%s" is given twice in scale %s', q, ref, c);
            END IF;
            PERFORM vigil_private.check_text(q || '.label', f->>'label', true, 100);
            IF labels ? (f->>'label') THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.label: "%s" is also the label of level "%s" (labels are '
                                     'what files carry: unique per scale)',
                                     q, f->>'label', labels->>(f->>'label'));
            END IF;
            IF coalesce((f->>'has_value')::boolean, false) THEN
                IF coalesce(f->>'value', '') !~ '^[0-9]{1,4}$' OR (f->>'value')::int > 1000 THEN
                    RAISE EXCEPTION USING ERRCODE = 'VG003',
                        MESSAGE = format('%s.value: must be an integer 0-1000, not %s', q,
                                         coalesce(f->>'value', 'null'));
                END IF;
                IF vals ? (f->>'value') THEN
                    RAISE EXCEPTION USING ERRCODE = 'VG003',
                        MESSAGE = format('%s.value: %s is also the value of level "%s"',
                                         q, f->>'value', vals->>(f->>'value'));
                END IF;
                vals := vals || jsonb_build_object(f->>'value', ref);
                positive := positive OR (f->>'value')::int > 0;
            ELSIF coalesce(f->>'value', '0') <> '0' THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.value: must be 0 when has_value is false', q);
            END IF;
            lcodes := lcodes || to_jsonb(ref);
            labels := labels || jsonb_build_object(f->>'label', ref);
        END LOOP;
        IF NOT positive THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.levels: at least one level needs a value above 0', p);
        END IF;
        scales := scales || jsonb_build_object(c, lcodes);
    END LOOP;

    -- Indicators: known area and scale; a condition on an earlier indicator.
    IF jsonb_array_length(coalesce(m->'indicators', '[]')) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'methodology.indicators: at least one indicator is required';
    END IF;
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(m->'indicators') WITH ORDINALITY t (v, n)
    LOOP
        p := format('methodology.indicators[%s]', i);
        c := vigil_private.check_code(p || '.code', e->>'code');
        IF inds ? c THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.code: "%s" is given twice (also methodology.indicators[%s])',
                                 p, c, inds->c->>'i');
        END IF;
        IF coalesce(e->>'area', '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s.area: required', p);
        END IF;
        IF NOT areas ? (e->>'area') THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.area: unknown area "%s"', p, e->>'area');
        END IF;
        IF coalesce(e->>'scale', '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s.scale: required', p);
        END IF;
        IF NOT scales ? (e->>'scale') THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.scale: unknown scale "%s"', p, e->>'scale');
        END IF;
        PERFORM vigil_private.check_weight(p || '.weight', e->>'weight');
        PERFORM vigil_private.check_text(p || '.question', e->>'question', true, 2000);
        PERFORM vigil_private.check_text(p || '.call_to_action', e->>'call_to_action', false, 2000);
        PERFORM vigil_private.check_text(p || '.source', e->>'source', false, 2000);
        IF jsonb_typeof(e->'applies_when') = 'object' THEN
            ref := coalesce(e->'applies_when'->>'indicator', '');
            IF ref = '' THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.applies_when.indicator: required', p);
            ELSIF ref = c THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.applies_when.indicator: "%s" cannot depend on itself', p, c);
            ELSIF NOT inds ? ref THEN
                IF EXISTS (SELECT 1 FROM jsonb_array_elements(m->'indicators') x
                            WHERE x->>'code' = ref) THEN
                    RAISE EXCEPTION USING ERRCODE = 'VG003',
                        MESSAGE = format('%s.applies_when.indicator: "%s" must come before "%s" '
                                         'in methodology.indicators', p, ref, c);
                END IF;
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.applies_when.indicator: unknown indicator "%s"', p, ref);
            END IF;
            IF jsonb_array_length(coalesce(e->'applies_when'->'levels', '[]')) = 0 THEN
                RAISE EXCEPTION USING ERRCODE = 'VG003',
                    MESSAGE = format('%s.applies_when.levels: at least one level is required', p);
            END IF;
            lcodes := scales->(inds->ref->>'scale');
            labels := '{}'; -- here: the levels seen
            FOR f, j IN SELECT t.v, t.n - 1
                          FROM jsonb_array_elements(e->'applies_when'->'levels') WITH ORDINALITY t (v, n)
            LOOP
                q := format('%s.applies_when.levels[%s]', p, j);
                IF NOT lcodes ? (f#>>'{}') THEN
                    RAISE EXCEPTION USING ERRCODE = 'VG003',
                        MESSAGE = format('%s: "%s" is not a level of scale %s (allowed: %s)', q,
                                         f#>>'{}', inds->ref->>'scale',
                                         (SELECT string_agg(x, ', ')
                                            FROM jsonb_array_elements_text(lcodes) x));
                END IF;
                IF labels ? (f#>>'{}') THEN
                    RAISE EXCEPTION USING ERRCODE = 'VG003',
                        MESSAGE = format('%s: "%s" is given twice', q, f#>>'{}');
                END IF;
                labels := labels || jsonb_build_object(f#>>'{}', true);
            END LOOP;
        END IF;
        inds := inds || jsonb_build_object(c, jsonb_build_object('i', i, 'scale', e->>'scale'));
        used := used || jsonb_build_object(e->>'area', true);
    END LOOP;
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(m->'areas') WITH ORDINALITY t (v, n)
    LOOP
        IF NOT used ? (e->>'code') THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('methodology.areas[%s]: area "%s" has no indicator', i, e->>'code');
        END IF;
    END LOOP;

    -- Bands: best first, strictly decreasing, the last at 0.
    IF jsonb_array_length(coalesce(m->'bands', '[]')) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'methodology.bands: at least one band is required';
    END IF;
    labels := '{}'; -- here: the band names seen
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(m->'bands') WITH ORDINALITY t (v, n)
    LOOP
        p := format('methodology.bands[%s]', i);
        PERFORM vigil_private.check_text(p || '.name', e->>'name', true, 100);
        IF labels ? (e->>'name') THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.name: "%s" is given twice', p, e->>'name');
        END IF;
        labels := labels || jsonb_build_object(e->>'name', true);
        SELECT * INTO score FROM vigil_private.decimal_parse(coalesce(e->>'min_score', ''), 2);
        IF score.num IS NULL OR score.num * 100 > score.den * 10000 THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.min_score: "%s" must be a decimal 0-100 with at most 2 '
                                 'decimals', p, e->>'min_score');
        END IF;
        IF i > 0 AND score.num * 100 / score.den >= prev THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.min_score: %s is not below the previous band''s %s (bands '
                                 'come best first, strictly decreasing)', p, e->>'min_score',
                                 vigil_private.decimal_text(prev, 100));
        END IF;
        prev := score.num * 100 / score.den;
    END LOOP;
    IF prev <> 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s.min_score: the last band must start at 0, not %s', p,
                             vigil_private.decimal_text(prev, 100));
    END IF;

    -- Valid: store it.
    INSERT INTO methodology (code, name, description, min_coverage_num, min_coverage_den)
    VALUES (v_code, m->>'name', coalesce(m->>'description', ''), cov.num, cov.den)
    RETURNING id INTO v_id;
    INSERT INTO area (methodology_id, code, name, weight, position)
    SELECT v_id, t.v->>'code', t.v->>'name', (t.v->>'weight')::int, t.n - 1
      FROM jsonb_array_elements(m->'areas') WITH ORDINALITY t (v, n);
    INSERT INTO scale (methodology_id, code, position)
    SELECT v_id, t.v->>'code', t.n - 1
      FROM jsonb_array_elements(m->'scales') WITH ORDINALITY t (v, n);
    INSERT INTO level (scale_id, code, label, value, position)
    SELECT s.id, l.v->>'code', l.v->>'label',
           CASE WHEN coalesce((l.v->>'has_value')::boolean, false) THEN (l.v->>'value')::int END,
           l.n - 1
      FROM jsonb_array_elements(m->'scales') t (v)
      JOIN scale s ON s.methodology_id = v_id AND s.code = t.v->>'code'
     CROSS JOIN LATERAL jsonb_array_elements(t.v->'levels') WITH ORDINALITY l (v, n);
    -- One statement per indicator, in order: a condition refers to an
    -- earlier indicator, which must be visible to the next insert.
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(m->'indicators') WITH ORDINALITY t (v, n)
    LOOP
        INSERT INTO indicator (methodology_id, code, area_id, scale_id, weight, question,
                               call_to_action, source, position, applies_indicator_id)
        SELECT v_id, e->>'code', a.id, s.id, (e->>'weight')::int, e->>'question',
               coalesce(e->>'call_to_action', ''), coalesce(e->>'source', ''), i,
               (SELECT x.id FROM indicator x
                 WHERE x.methodology_id = v_id AND x.code = e->'applies_when'->>'indicator')
          FROM area a, scale s
         WHERE a.methodology_id = v_id AND a.code = e->>'area'
           AND s.methodology_id = v_id AND s.code = e->>'scale';
    END LOOP;
    INSERT INTO indicator_applies_level (indicator_id, level_id)
    SELECT i.id, l.id
      FROM jsonb_array_elements(m->'indicators') t (v)
      JOIN indicator i ON i.methodology_id = v_id AND i.code = t.v->>'code'
      JOIN indicator cond ON cond.id = i.applies_indicator_id
      JOIN level l ON l.scale_id = cond.scale_id
     WHERE l.code IN (SELECT jsonb_array_elements_text(t.v->'applies_when'->'levels'));
    INSERT INTO band (methodology_id, position, name, min_score)
    SELECT v_id, t.n - 1, t.v->>'name', d.num * 100 / d.den
      FROM jsonb_array_elements(m->'bands') WITH ORDINALITY t (v, n)
     CROSS JOIN LATERAL vigil_private.decimal_parse(t.v->>'min_score', 2) d;
    RETURN v_id;
END
$$;

-- ===========================================================================
-- Revisions

-- The entries in a canonical order (by indicator code, bytewise), for the
-- content hashes: the order of entries in a request carries no meaning.
CREATE FUNCTION vigil_private.entries_canonical(entries jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = public, pg_temp AS $$
    SELECT coalesce(jsonb_agg(t.v ORDER BY t.v->>'indicator' COLLATE "C", t.n), '[]')
      FROM jsonb_array_elements(coalesce(entries, '[]')) WITH ORDINALITY t (v, n)
$$;

-- The allowed level codes of a scale, for messages: "yes, partial, no, ...".
CREATE FUNCTION vigil_private.scale_levels_text(p_scale bigint) RETURNS text
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT string_agg(code, ', ' ORDER BY position) FROM level WHERE scale_id = p_scale
$$;

-- Checks one evidence item of a request.
CREATE FUNCTION vigil_private.evidence_check(path text, ev jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    url  text := coalesce(ev->>'url', '');
    day  text := coalesce(ev->>'date', '');
BEGIN
    PERFORM vigil_private.check_text(path || '.citation', ev->>'citation', true, 1000);
    PERFORM vigil_private.check_text(path || '.url', url, false, 2000);
    IF url <> '' AND (url !~* '^https?://[^\s/?#]+\S*$' OR url ~ '[[:cntrl:]]') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('%s.url: "%s" is not an http:// or https:// URL', path, url);
    END IF;
    IF day <> '' THEN
        BEGIN
            IF day !~ '^\d{4}-\d{2}-\d{2}$' OR to_char(day::date, 'YYYY-MM-DD') <> day THEN
                RAISE invalid_datetime_format;
            END IF;
        EXCEPTION WHEN data_exception THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.date: "%s" is not a date YYYY-MM-DD', path, day);
        END;
    END IF;
END
$$;

-- Checks the entries of a revision against the methodology: each entry a
-- known indicator, at most once, with a level of its scale, within the size
-- limits; then, in the methodology's order, every indicator that applies on
-- this very revision present and every one that does not absent.
CREATE FUNCTION vigil_private.entries_check(p_methodology bigint, entries jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    given   jsonb := '{}'; -- indicator code -> {"i": index, "level": code}
    e       jsonb;
    i       int;
    p       text;
    ind     indicator;
    cond    indicator;
    applies boolean;
    n       int;
BEGIN
    FOR e, i IN SELECT t.v, t.n - 1 FROM jsonb_array_elements(entries) WITH ORDINALITY t (v, n)
    LOOP
        p := format('entries[%s]', i);
        IF coalesce(e->>'indicator', '') = '' THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = format('%s.indicator: required', p);
        END IF;
        SELECT * INTO ind FROM indicator
         WHERE methodology_id = p_methodology AND code = e->>'indicator';
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.indicator: unknown indicator "%s" in methodology %s', p,
                                 e->>'indicator',
                                 (SELECT code FROM methodology WHERE id = p_methodology));
        END IF;
        IF given ? ind.code THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.indicator: "%s" is given twice (also entries[%s])', p,
                                 ind.code, given->ind.code->>'i');
        END IF;
        IF NOT EXISTS (SELECT 1 FROM level WHERE scale_id = ind.scale_id
                                             AND code = coalesce(e->>'level', '')) THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.level: %s of scale %s (allowed: %s)', p,
                                 CASE WHEN coalesce(e->>'level', '') = '' THEN 'required: a level'
                                      ELSE format('"%s" is not a level', e->>'level') END,
                                 (SELECT code FROM scale WHERE id = ind.scale_id),
                                 vigil_private.scale_levels_text(ind.scale_id));
        END IF;
        PERFORM vigil_private.check_text(p || '.justification', e->>'justification', false, 4000);
        n := jsonb_array_length(coalesce(e->'evidence', '[]'));
        IF n > 20 THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('%s.evidence: %s items, at most 20', p, n);
        END IF;
        PERFORM vigil_private.evidence_check(format('%s.evidence[%s]', p, t.n - 1), t.v)
           FROM jsonb_array_elements(coalesce(e->'evidence', '[]')) WITH ORDINALITY t (v, n);
        given := given || jsonb_build_object(ind.code,
                                             jsonb_build_object('i', i, 'level', e->>'level'));
    END LOOP;

    -- An indicator whose condition indicator does not apply does not apply
    -- either; conditions point to earlier indicators, so one pass decides.
    FOR ind IN SELECT * FROM indicator WHERE methodology_id = p_methodology ORDER BY position
    LOOP
        applies := ind.applies_indicator_id IS NULL;
        IF NOT applies THEN
            SELECT * INTO cond FROM indicator WHERE id = ind.applies_indicator_id;
            applies := EXISTS (
                SELECT 1 FROM indicator_applies_level al JOIN level l ON l.id = al.level_id
                 WHERE al.indicator_id = ind.id AND l.code = given->cond.code->>'level');
        END IF;
        IF applies AND NOT given ? ind.code THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('entries: indicator %s applies and has no entry (every applicable '
                                 'indicator needs exactly one level; no_data and not_assessed '
                                 'are levels)', ind.code);
        END IF;
        IF NOT applies AND given ? ind.code THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('entries[%s].indicator: %s does not apply here: it applies only '
                                 'when %s is %s, and %s is %s', given->ind.code->>'i', ind.code,
                                 cond.code,
                                 (SELECT string_agg(l.code, ' or ' ORDER BY l.position)
                                    FROM indicator_applies_level al
                                    JOIN level l ON l.id = al.level_id
                                   WHERE al.indicator_id = ind.id),
                                 cond.code,
                                 coalesce(given->cond.code->>'level', 'not applicable'));
        END IF;
    END LOOP;
END
$$;

-- Stores the entries and evidence of a checked request under a revision.
CREATE FUNCTION vigil_private.entries_store(p_revision bigint, p_methodology bigint, entries jsonb)
RETURNS void
LANGUAGE sql SET search_path = public, pg_temp AS $$
    INSERT INTO revision_entry (revision_id, indicator_id, level_id, justification)
    SELECT p_revision, i.id, l.id, coalesce(t.v->>'justification', '')
      FROM jsonb_array_elements(entries) t (v)
      JOIN indicator i ON i.methodology_id = p_methodology AND i.code = t.v->>'indicator'
      JOIN level l ON l.scale_id = i.scale_id AND l.code = t.v->>'level';

    INSERT INTO evidence (revision_entry_id, position, citation, url, date)
    SELECT re.id, ev.n - 1, ev.v->>'citation', coalesce(ev.v->>'url', ''),
           nullif(ev.v->>'date', '')::date
      FROM jsonb_array_elements(entries) t (v)
      JOIN indicator i ON i.methodology_id = p_methodology AND i.code = t.v->>'indicator'
      JOIN revision_entry re ON re.revision_id = p_revision AND re.indicator_id = i.id
     CROSS JOIN LATERAL jsonb_array_elements(coalesce(t.v->'evidence', '[]'))
           WITH ORDINALITY ev (v, n);
$$;

-- ===========================================================================
-- Offices

-- Checks a scope (region and explicit states) for an office of role r.
CREATE FUNCTION vigil_private.scope_check(r text, p_region text, p_states jsonb) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    seen jsonb := '{}';
    s    text;
    i    int;
BEGIN
    PERFORM vigil_private.known_region('region', p_region);
    FOR s, i IN SELECT t.v, t.n - 1
                  FROM jsonb_array_elements_text(coalesce(p_states, '[]')) WITH ORDINALITY t (v, n)
    LOOP
        PERFORM vigil_private.known_state(format('states[%s]', i), s);
        IF seen ? s THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('states[%s]: "%s" is given twice (also states[%s])', i, s,
                                 seen->>s);
        END IF;
        seen := seen || jsonb_build_object(s, i);
    END LOOP;
    IF r = 'regional' AND coalesce(p_region, '') = '' AND seen = '{}' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'region: required for a regional office unless states are given';
    END IF;
END
$$;

-- The office an Offices RPC acts on, by name; NOT_FOUND when there is none.
CREATE FUNCTION vigil_private.office_by_name(v text) RETURNS office
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    o office;
BEGIN
    IF coalesce(v, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'office: required (an office name)';
    END IF;
    SELECT * INTO o FROM office WHERE name = v;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005', MESSAGE = format('office: no office named "%s"', v);
    END IF;
    RETURN o;
END
$$;

-- Reads one DER element at byte offset pos (0-based): its tag, the length of
-- its header and of its content. Raises on truncation or long tags.
CREATE FUNCTION vigil_private.der_element(der bytea, pos int, OUT tag int, OUT hdr int, OUT len int)
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
    b int;
BEGIN
    IF pos + 2 > length(der) THEN
        RAISE EXCEPTION 'DER: truncated at %', pos;
    END IF;
    tag := get_byte(der, pos);
    b := get_byte(der, pos + 1);
    IF tag & 31 = 31 OR b = 128 OR b > 131 THEN
        RAISE EXCEPTION 'DER: unsupported encoding at %', pos;
    END IF;
    hdr := 2;
    len := b;
    IF b > 128 THEN
        len := 0;
        FOR k IN 1 .. b - 128 LOOP
            len := len * 256 + get_byte(der, pos + 1 + k);
        END LOOP;
        hdr := 2 + b - 128;
    END IF;
    IF pos + hdr + len > length(der) THEN
        RAISE EXCEPTION 'DER: truncated element at %', pos;
    END IF;
END
$$;

-- The subject's first commonName of a DER X.509 certificate, as UTF-8 with
-- control characters masked as '?' (as server/certid.c does); "" when it has
-- none. Raises when der is not shaped like a certificate.
CREATE FUNCTION vigil_private.der_subject_cn(der bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = public, pg_temp AS $$
DECLARE
    el   record;
    atv  record;
    typ  record;
    val  record;
    top  int;
    pos  int;
    stop int;
    r    int;
    rend int;
    raw  bytea;
    cn   text := '';
BEGIN
    el := vigil_private.der_element(der, 0);           -- Certificate
    IF el.tag <> 48 OR el.hdr + el.len <> length(der) THEN
        RAISE EXCEPTION 'DER: not a certificate';
    END IF;
    top := el.hdr;
    el := vigil_private.der_element(der, top);         -- TBSCertificate
    IF el.tag <> 48 THEN
        RAISE EXCEPTION 'DER: not a certificate';
    END IF;
    pos := top + el.hdr;
    el := vigil_private.der_element(der, pos);
    IF el.tag = 160 THEN                                -- [0] version
        pos := pos + el.hdr + el.len;
    END IF;
    FOR k IN 1 .. 4 LOOP                                -- serial, signature, issuer, validity
        el := vigil_private.der_element(der, pos);
        pos := pos + el.hdr + el.len;
    END LOOP;
    el := vigil_private.der_element(der, pos);         -- subject: SEQUENCE OF SET OF
    IF el.tag <> 48 THEN
        RAISE EXCEPTION 'DER: no subject';
    END IF;
    stop := pos + el.hdr + el.len;
    pos := pos + el.hdr;
    WHILE pos < stop LOOP
        el := vigil_private.der_element(der, pos);     -- RelativeDistinguishedName (SET)
        r := pos + el.hdr;
        rend := pos + el.hdr + el.len;
        WHILE r < rend LOOP
            atv := vigil_private.der_element(der, r);  -- AttributeTypeAndValue
            typ := vigil_private.der_element(der, r + atv.hdr); -- OID 2.5.4.3 = commonName
            IF typ.tag = 6 AND substring(der FROM r + atv.hdr + typ.hdr + 1 FOR typ.len) = '\x550403'::bytea
            THEN
                val := vigil_private.der_element(der, r + atv.hdr + typ.hdr + typ.len);
                raw := substring(der FROM r + atv.hdr + typ.hdr + typ.len + val.hdr + 1 FOR val.len);
                cn := CASE val.tag
                    WHEN 12 THEN convert_from(raw, 'UTF8')   -- UTF8String
                    WHEN 19 THEN convert_from(raw, 'UTF8')   -- PrintableString
                    WHEN 22 THEN convert_from(raw, 'UTF8')   -- IA5String
                    WHEN 20 THEN convert_from(raw, 'LATIN1') -- T61String, as OpenSSL reads it
                    WHEN 30 THEN (SELECT string_agg(chr(get_byte(raw, 2 * x) * 256
                                                        + get_byte(raw, 2 * x + 1)), '' ORDER BY x)
                                    FROM generate_series(0, val.len / 2 - 1) x) -- BMPString (BMP only)
                    ELSE '' END;
                RETURN regexp_replace(coalesce(cn, ''), '[\u0001-\u001f\u007f-\u009f]', '?', 'g');
            END IF;
            r := r + atv.hdr + atv.len;
        END LOOP;
        pos := rend;
    END LOOP;
    RETURN '';
END
$$;

-- ===========================================================================
-- Catalog service

-- ListRegions: any caller. Parents before children, then by code.
CREATE FUNCTION vigil_api.catalog_list_regions(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH RECURSIVE t (code, depth) AS (
        SELECT code, 0 FROM region WHERE parent IS NULL
        UNION ALL
        SELECT r.code, t.depth + 1 FROM region r JOIN t ON r.parent = t.code
    )
    SELECT jsonb_build_object('regions', coalesce(jsonb_agg(jsonb_build_object(
               'code', r.code, 'name', r.name, 'parent', coalesce(r.parent, ''))
               ORDER BY t.depth, r.code), '[]'))
      FROM t JOIN region r ON r.code = t.code
$$;

-- ListStates: any caller; optionally a region and every region below it.
-- By name (Unicode code points), then code.
CREATE FUNCTION vigil_api.catalog_list_states(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_region text := vigil_private.known_region('region', req->>'region');
BEGIN
    RETURN jsonb_build_object('states', coalesce((
        SELECT jsonb_agg(jsonb_build_object('code', s.code, 'name', s.name, 'region', s.region)
                         ORDER BY s.name COLLATE "C", s.code)
          FROM state s
         WHERE v_region IS NULL
            OR s.region IN (SELECT vigil_private.region_tree(v_region))), '[]'));
END
$$;

-- ListCycles: oldest first. Closed cycles for the central office only; the
-- public listener sees published cycles only.
CREATE FUNCTION vigil_api.catalog_list_cycles(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object('cycles', coalesce(jsonb_agg(vigil_private.cycle_json(c.id)
                                                           ORDER BY c.created_at, c.id), '[]'))
      FROM cycle c
     WHERE CASE coalesce(ctx->>'role', '')
               WHEN 'central' THEN true
               WHEN 'regional' THEN c.status <> 'closed'
               WHEN 'partner' THEN c.status <> 'closed'
               ELSE c.status = 'published'
           END
$$;

-- GetMethodology: any caller; by cycle or by methodology code.
CREATE FUNCTION vigil_api.catalog_get_methodology(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    by_cycle text := coalesce(req->>'cycle', '');
    by_code  text := coalesce(req->>'methodology', '');
    v_id     bigint;
BEGIN
    IF by_cycle <> '' AND by_code <> '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'methodology: give either cycle or methodology, not both';
    ELSIF by_cycle <> '' THEN
        v_id := (vigil_private.known_cycle('cycle', by_cycle)).methodology_id;
    ELSIF by_code <> '' THEN
        SELECT id INTO v_id FROM methodology WHERE code = by_code;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = format('methodology: unknown methodology "%s"', by_code);
        END IF;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'cycle: required: a cycle, or a methodology code in methodology';
    END IF;
    RETURN jsonb_build_object('methodology', vigil_private.methodology_json(v_id));
END
$$;

-- LoadMethodology: central office only; validated as a whole.
CREATE FUNCTION vigil_api.catalog_load_methodology(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Catalog/LoadMethodology';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    v_id      bigint;
    m         jsonb := req->'methodology';
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Catalog/LoadMethodology',
                                       'the central office loads methodologies');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    BEGIN
        v_id := vigil_private.methodology_store(CASE WHEN jsonb_typeof(m) = 'object' THEN m END);
    EXCEPTION WHEN unique_violation THEN -- loaded concurrently under another request id
        RAISE EXCEPTION USING ERRCODE = 'VG006',
            MESSAGE = format('methodology.code: methodology "%s" already exists', m->>'code');
    END;
    PERFORM vigil_private.audit_add(ctx, req, 'methodology.load', m->>'code',
        jsonb_build_object('name', m->>'name',
                           'areas', jsonb_array_length(m->'areas'),
                           'indicators', jsonb_array_length(m->'indicators')));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
                                      jsonb_build_object('code', m->>'code'));
END
$$;

-- CreateCycle: central office only. A new cycle is open.
CREATE FUNCTION vigil_api.catalog_create_cycle(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Catalog/CreateCycle';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    v_code    text;
    v_meth    bigint;
    v_pred    bigint;
    v_id      bigint;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Catalog/CreateCycle',
                                       'the central office creates cycles');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    v_code := vigil_private.check_code('code', req->>'code');
    IF coalesce(req->>'methodology', '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'methodology: required';
    END IF;
    SELECT id INTO v_meth FROM methodology WHERE code = req->>'methodology';
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('methodology: unknown methodology "%s"', req->>'methodology');
    END IF;
    IF coalesce(req->>'predecessor', '') <> '' THEN
        v_pred := (vigil_private.known_cycle('predecessor', req->>'predecessor')).id;
    END IF;
    BEGIN
        INSERT INTO cycle (code, methodology_id, predecessor_id)
        VALUES (v_code, v_meth, v_pred)
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING ERRCODE = 'VG006',
            MESSAGE = format('code: cycle "%s" already exists', v_code);
    END;
    PERFORM vigil_private.audit_add(ctx, req, 'cycle.create', v_code,
        jsonb_build_object('methodology', req->>'methodology',
                           'predecessor', coalesce(req->>'predecessor', '')));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
                                      jsonb_build_object('cycle', vigil_private.cycle_json(v_id)));
END
$$;

-- SetCycleStatus: central office only; open <-> closed. A published cycle
-- is the Rankings service's business.
CREATE FUNCTION vigil_api.catalog_set_cycle_status(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Catalog/SetCycleStatus';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    c         cycle;
    target    text := coalesce(req->>'status', 'unspecified');
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Catalog/SetCycleStatus',
                                       'the central office opens and closes cycles');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    c := vigil_private.known_cycle('cycle', req->>'cycle');
    IF target NOT IN ('open', 'closed') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('status: must be open or closed, not %s (publication belongs to '
                             'the Rankings service)', target);
    END IF;
    -- Locked: submissions hold a share lock on their cycle, so the change
    -- waits for those in flight and later ones see it.
    SELECT * INTO c FROM cycle WHERE id = c.id FOR NO KEY UPDATE;
    IF c.status = 'published' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('cycle: %s is published; its status is the Rankings service''s '
                             'business', c.code);
    END IF;
    UPDATE cycle SET status = target::cycle_status WHERE id = c.id;
    PERFORM vigil_private.audit_add(ctx, req, 'cycle.status', c.code,
        jsonb_build_object('from', c.status, 'to', target));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
                                      jsonb_build_object('cycle', vigil_private.cycle_json(c.id)));
END
$$;

-- ===========================================================================
-- Offices service (WhoAmI is answered by the daemon itself)

-- ListOffices: central office only. By name (code points).
CREATE FUNCTION vigil_api.offices_list_offices(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Offices/ListOffices',
                                       'the central office manages offices');
    RETURN jsonb_build_object('offices', coalesce((
        SELECT jsonb_agg(vigil_private.office_json(o.id, true) ORDER BY o.name COLLATE "C")
          FROM office o), '[]'));
END
$$;

-- AddOffice: central office only.
CREATE FUNCTION vigil_api.offices_add_office(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Offices/AddOffice';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    v_name    text := coalesce(req->>'name', '');
    v_role    text := coalesce(req->>'role', 'unspecified');
    v_id      bigint;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Offices/AddOffice',
                                       'the central office manages offices');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    PERFORM vigil_private.check_text('name', v_name, true, 200);
    IF v_name ~ '[\u0001-\u001f\u007f]' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'name: control characters are not allowed';
    END IF;
    IF v_role NOT IN ('regional', 'central', 'partner') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('role: must be regional, central or partner, not %s', v_role);
    END IF;
    PERFORM vigil_private.scope_check(v_role, req->>'region', req->'states');
    BEGIN
        INSERT INTO office (name, role, region)
        VALUES (v_name, v_role::office_role, nullif(req->>'region', ''))
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING ERRCODE = 'VG006',
            MESSAGE = format('name: an office named "%s" already exists', v_name);
    END;
    INSERT INTO office_state (office_id, state)
    SELECT v_id, s FROM jsonb_array_elements_text(coalesce(req->'states', '[]')) s;
    PERFORM vigil_private.audit_add(ctx, req, 'office.add', v_name,
        jsonb_build_object('id', v_id, 'role', v_role, 'region', coalesce(req->>'region', ''),
                           'states', coalesce(req->'states', '[]')));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('office', vigil_private.office_json(v_id, false)));
END
$$;

-- AddCertificate: central office only. The fingerprint is the SHA-256 of the
-- certificate's DER, computed here from the PEM, or given.
CREATE FUNCTION vigil_api.offices_add_certificate(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Offices/AddCertificate';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    o         office;
    pem       text := coalesce(req->>'certificate_pem', '');
    hex       text := lower(replace(coalesce(req->>'sha256', ''), ':', ''));
    v_subject text := coalesce(req->>'subject', '');
    field     text := 'sha256';
    b64       text[];
    der       bytea;
    holder    text;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Offices/AddCertificate',
                                       'the central office manages offices');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    o := vigil_private.office_by_name(req->>'office');
    IF pem <> '' AND hex <> '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'certificate_pem: give either certificate_pem or sha256, not both';
    ELSIF pem = '' AND hex = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'certificate_pem: required: the certificate (PEM), or its fingerprint in sha256';
    ELSIF pem <> '' THEN
        IF v_subject <> '' THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = 'subject: goes with sha256 only; a PEM certificate''s subject is read from it';
        END IF;
        field := 'certificate_pem';
        b64 := regexp_match(pem, '-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----');
        BEGIN
            der := decode(regexp_replace(b64[1], '\s', '', 'g'), 'base64');
            v_subject := vigil_private.der_subject_cn(der);
        EXCEPTION WHEN others THEN
            der := NULL;
        END;
        IF der IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = 'certificate_pem: not a PEM X.509 certificate '
                          '(-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)';
        END IF;
        hex := encode(sha256(der), 'hex');
    ELSE
        IF hex !~ '^[0-9a-f]{64}$' THEN
            RAISE EXCEPTION USING ERRCODE = 'VG003',
                MESSAGE = 'sha256: must be 64 hex digits (SHA-256 of the DER; colons allowed)';
        END IF;
        PERFORM vigil_private.check_text('subject', v_subject, false, 200);
        v_subject := regexp_replace(v_subject, '[\u0001-\u001f\u007f-\u009f]', '?', 'g');
    END IF;
    SELECT f.name INTO holder FROM office_cert c JOIN office f ON f.id = c.office_id
     WHERE c.sha256 = hex;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG006',
            MESSAGE = format('%s: certificate %s is already registered (office "%s")', field, hex,
                             holder);
    END IF;
    BEGIN
        INSERT INTO office_cert (sha256, office_id, subject) VALUES (hex, o.id, v_subject);
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION USING ERRCODE = 'VG006',
            MESSAGE = format('%s: certificate %s is already registered', field, hex);
    END;
    PERFORM vigil_private.audit_add(ctx, req, 'office.add_certificate', o.name,
        jsonb_build_object('sha256', hex, 'subject', v_subject));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('certificate', (
            SELECT jsonb_build_object('sha256', c.sha256, 'subject', c.subject,
                                      'added_at', vigil_private.rfc3339(c.added_at))
              FROM office_cert c WHERE c.sha256 = hex)));
END
$$;

-- SetScope: central office only; replaces the office's region and states.
CREATE FUNCTION vigil_api.offices_set_scope(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Offices/SetScope';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    o         office;
    previous  jsonb;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Offices/SetScope',
                                       'the central office manages offices');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    o := vigil_private.office_by_name(req->>'office');
    SELECT * INTO o FROM office WHERE id = o.id FOR NO KEY UPDATE;
    PERFORM vigil_private.scope_check(o.role::text, req->>'region', req->'states');
    previous := vigil_private.office_json(o.id, false);
    UPDATE office SET region = nullif(req->>'region', '') WHERE id = o.id;
    DELETE FROM office_state WHERE office_id = o.id;
    INSERT INTO office_state (office_id, state)
    SELECT o.id, s FROM jsonb_array_elements_text(coalesce(req->'states', '[]')) s;
    PERFORM vigil_private.audit_add(ctx, req, 'office.scope', o.name,
        jsonb_build_object('from', jsonb_build_object('region', previous->'region',
                                                      'states', previous->'states'),
                           'to', jsonb_build_object('region', coalesce(req->>'region', ''),
                                                    'states', coalesce(req->'states', '[]'))));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('office', vigil_private.office_json(o.id, false)));
END
$$;

-- SetActive: central office only. An office cannot disable itself (the
-- central office would lock itself out).
CREATE FUNCTION vigil_api.offices_set_active(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Offices/SetActive';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    o         office;
    v_active  boolean := coalesce((req->>'active')::boolean, false);
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Offices/SetActive',
                                       'the central office manages offices');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    o := vigil_private.office_by_name(req->>'office');
    IF NOT v_active AND o.id = (ctx->>'office_id')::bigint THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('active: office "%s" cannot disable itself', o.name);
    END IF;
    UPDATE office SET active = v_active WHERE id = o.id;
    PERFORM vigil_private.audit_add(ctx, req, 'office.active', o.name,
        jsonb_build_object('from', o.active, 'to', v_active));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('office', vigil_private.office_json(o.id, false)));
END
$$;

-- ===========================================================================
-- Assessments service: regional and central offices; partners use the
-- exchange.

-- Submit: a whole revision of one state in one cycle, by a regional office
-- (the central office reviews what it did not write).
CREATE FUNCTION vigil_api.assessments_submit(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method   CONSTANT text := '/vigil.v1.Assessments/Submit';
    entries    jsonb := coalesce(req->'entries', '[]');
    canonical  jsonb := (req - 'request_id')
                        || jsonb_build_object('entries', vigil_private.entries_canonical(entries));
    stored     jsonb;
    v_state    text;
    c          cycle;
    a          assessment;
    base       int := coalesce((req->>'base_revision')::int, 0);
    is_draft   boolean := coalesce((req->>'draft')::boolean, false);
    v_number   int;
    v_rev      bigint;
    new_status assessment_status;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{regional}', 'Assessments/Submit',
                                       'regional offices submit, the central office reviews, '
                                       'partners use the exchange');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    v_state := vigil_private.known_state('state', req->>'state');
    c := vigil_private.known_cycle('cycle', req->>'cycle');
    PERFORM vigil_private.require_scope(ctx, v_state);
    IF base < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'base_revision: must be 0 (first revision) or the current revision''s number';
    END IF;
    PERFORM vigil_private.entries_check(c.methodology_id, entries);

    -- Writers of one assessment serialise on its row: create it if new (a
    -- concurrent creator makes this wait, then do nothing), lock it, and
    -- only then compare the base revision with the current one.
    INSERT INTO assessment (state, cycle_id, status) VALUES (v_state, c.id, 'draft')
        ON CONFLICT (state, cycle_id) DO NOTHING;
    SELECT * INTO a FROM assessment WHERE state = v_state AND cycle_id = c.id FOR UPDATE;
    -- Share lock: SetCycleStatus waits for submissions in flight.
    SELECT * INTO c FROM cycle WHERE id = c.id FOR SHARE;
    IF a.status = 'approved' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('state: the assessment of %s in %s is approved (locked) at revision '
                             '%s; the central office must unlock it first', v_state, c.code,
                             a.approved_revision);
    END IF;
    IF c.status <> 'open' AND NOT a.correction_open THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('cycle: %s is %s; it accepts revisions only of assessments the '
                             'central office unlocked for correction', c.code, c.status);
    END IF;
    IF base <> a.latest_revision THEN
        RAISE EXCEPTION USING ERRCODE = 'VG010',
            MESSAGE = CASE WHEN base < a.latest_revision
                THEN format('base_revision: stale, the current revision is %s', a.latest_revision)
                ELSE format('base_revision: %s does not exist, the current revision is %s', base,
                            a.latest_revision) END;
    END IF;

    v_number := a.latest_revision + 1;
    INSERT INTO revision (assessment_id, number, draft, office_id, base_revision, content_hash)
    VALUES (a.id, v_number, is_draft, (ctx->>'office_id')::bigint, base,
            sha256(convert_to(vigil_private.entries_canonical(entries)::text, 'UTF8')))
    RETURNING id INTO v_rev;
    PERFORM vigil_private.entries_store(v_rev, c.methodology_id, entries);
    new_status := CASE WHEN is_draft THEN 'draft' ELSE 'submitted' END;
    UPDATE assessment SET latest_revision = v_number, status = new_status, updated_at = now()
     WHERE id = a.id;
    PERFORM vigil_private.audit_add(ctx, req, 'assessment.submit',
        format('%s/%s#%s', v_state, c.code, v_number),
        jsonb_build_object('draft', is_draft, 'base_revision', base, 'status', new_status,
                           'entries', jsonb_array_length(entries)));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('revision', v_number, 'status', new_status));
END
$$;

-- The assessment a read or review names: state and cycle known, the state
-- visible to the caller, the assessment existing.
CREATE FUNCTION vigil_private.assessment_named(ctx jsonb, req jsonb) RETURNS assessment
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
    v_state text := vigil_private.known_state('state', req->>'state');
    c       cycle := vigil_private.known_cycle('cycle', req->>'cycle');
    a       assessment;
BEGIN
    PERFORM vigil_private.require_scope(ctx, v_state);
    SELECT * INTO a FROM assessment WHERE state = v_state AND cycle_id = c.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('state: %s has no assessment in cycle %s', v_state, c.code);
    END IF;
    RETURN a;
END
$$;

-- Get: the assessment and one revision (0 = the latest) with its entries.
CREATE FUNCTION vigil_api.assessments_get(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a     assessment;
    n     int := coalesce((req->>'revision')::int, 0);
    v_rev bigint;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{regional,central}', 'Assessments/Get',
                                       'partners get published data through the exchange');
    a := vigil_private.assessment_named(ctx, req);
    IF n < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'revision: must be 0 (the latest) or a revision number';
    END IF;
    SELECT id INTO v_rev FROM revision
     WHERE assessment_id = a.id AND number = CASE WHEN n = 0 THEN a.latest_revision ELSE n END;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'VG005',
            MESSAGE = format('revision: %s/%s has no revision %s (the latest is %s)', a.state,
                             req->>'cycle', n, a.latest_revision);
    END IF;
    RETURN jsonb_build_object('assessment', vigil_private.assessment_json(a.id),
                              'revision', vigil_private.revision_json(v_rev, true));
END
$$;

-- ListRevisions: oldest first, without entries.
CREATE FUNCTION vigil_api.assessments_list_revisions(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    a assessment;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{regional,central}', 'Assessments/ListRevisions',
                                       'partners get published data through the exchange');
    a := vigil_private.assessment_named(ctx, req);
    RETURN jsonb_build_object('revisions', coalesce((
        SELECT jsonb_agg(vigil_private.revision_json(r.id, false) ORDER BY r.number)
          FROM revision r WHERE r.assessment_id = a.id), '[]'));
END
$$;

-- List: the assessments of a cycle the caller may see (the review queue with
-- status = submitted), by state name (code points), then code.
CREATE FUNCTION vigil_api.assessments_list(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    c        cycle;
    v_region text;
    v_status text := coalesce(req->>'status', 'unspecified');
    central  boolean := ctx->>'role' = 'central';
BEGIN
    PERFORM vigil_private.require_role(ctx, '{regional,central}', 'Assessments/List',
                                       'partners get published data through the exchange');
    c := vigil_private.known_cycle('cycle', req->>'cycle');
    v_region := vigil_private.known_region('region', req->>'region');
    IF v_status <> 'unspecified'
       AND NOT v_status = ANY (enum_range(NULL::assessment_status)::text[]) THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('status: unknown status %s', v_status);
    END IF;
    RETURN jsonb_build_object('assessments', coalesce((
        SELECT jsonb_agg(vigil_private.assessment_json(a.id) ORDER BY s.name COLLATE "C", s.code)
          FROM assessment a
          JOIN state s ON s.code = a.state
         WHERE a.cycle_id = c.id
           AND (v_status = 'unspecified' OR a.status::text = v_status)
           AND (v_region IS NULL OR s.region IN (SELECT vigil_private.region_tree(v_region)))
           AND (central OR s.code IN (
                   SELECT vigil_private.scope_states((ctx->>'office_id')::bigint)))), '[]'));
END
$$;

-- Review: central office only. Approve a submitted revision, return it with
-- a comment, or unlock an approved assessment with a comment. The revision
-- reviewed must be the latest.
CREATE FUNCTION vigil_api.assessments_review(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    k_method  CONSTANT text := '/vigil.v1.Assessments/Review';
    canonical jsonb := req - 'request_id';
    stored    jsonb;
    a         assessment;
    v_cycle   text;
    v_action  text := coalesce(req->>'action', 'unspecified');
    v_comment text := coalesce(req->>'comment', '');
    n         int := coalesce((req->>'revision')::int, 0);
    obj       text;
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Assessments/Review',
                                       'the central office reviews');
    stored := vigil_private.request_replay(ctx, req, k_method, canonical);
    IF stored IS NOT NULL THEN
        RETURN stored;
    END IF;
    a := vigil_private.assessment_named(ctx, req);
    SELECT * INTO a FROM assessment WHERE id = a.id FOR UPDATE;
    v_cycle := (SELECT code FROM cycle WHERE id = a.cycle_id);
    obj := format('%s/%s', a.state, v_cycle);
    IF v_action NOT IN ('approve', 'return', 'unlock') THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'action: required: approve, return or unlock';
    END IF;
    PERFORM vigil_private.check_text('comment', v_comment, false, 4000);
    IF n <= 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = format('revision: required: the number of the revision reviewed (the '
                             'latest is %s)', a.latest_revision);
    END IF;
    IF n <> a.latest_revision THEN
        RAISE EXCEPTION USING ERRCODE = 'VG010',
            MESSAGE = CASE WHEN n < a.latest_revision
                THEN format('revision: stale, the current revision is %s', a.latest_revision)
                ELSE format('revision: %s does not exist, the current revision is %s', n,
                            a.latest_revision) END;
    END IF;
    -- A comment of blanks says nothing: it is no comment.
    IF v_action IN ('return', 'unlock') AND v_comment !~ '\S' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = format('comment: required to %s', CASE v_action
                WHEN 'return' THEN 'return a revision' ELSE 'unlock an approved assessment' END);
    END IF;

    IF v_action = 'unlock' THEN
        IF a.status <> 'approved' THEN
            RAISE EXCEPTION USING ERRCODE = 'VG009',
                MESSAGE = format('state: %s is %s; only an approved assessment can be unlocked',
                                 obj, a.status);
        END IF;
        UPDATE assessment SET status = 'unlocked', correction_open = true,
                              review_comment = v_comment, updated_at = now()
         WHERE id = a.id;
    ELSIF a.status <> 'submitted' THEN
        RAISE EXCEPTION USING ERRCODE = 'VG009',
            MESSAGE = CASE a.status
                WHEN 'draft' THEN format('revision: %s#%s is a draft; only a submitted revision '
                                         'can be %s', obj, n,
                                         CASE v_action WHEN 'approve' THEN 'approved'
                                                       ELSE 'returned' END)
                WHEN 'approved' THEN format('state: %s is already approved (revision %s)', obj,
                                            a.approved_revision)
                ELSE format('state: %s is %s; a new revision must be submitted first', obj,
                            a.status) END;
    ELSIF v_action = 'approve' THEN
        UPDATE assessment SET status = 'approved', approved_revision = n,
                              correction_open = false, updated_at = now()
         WHERE id = a.id;
    ELSE
        UPDATE assessment SET status = 'returned', review_comment = v_comment, updated_at = now()
         WHERE id = a.id;
    END IF;
    SELECT * INTO a FROM assessment WHERE id = a.id;
    PERFORM vigil_private.audit_add(ctx, req, 'assessment.' || v_action,
        format('%s#%s', obj, n), jsonb_build_object('comment', v_comment, 'status', a.status));
    RETURN vigil_private.request_done(ctx, req, k_method, canonical,
        jsonb_build_object('status', a.status, 'approved_revision', a.approved_revision));
END
$$;

-- ListAudit: central office only; by id, paged with after_id.
CREATE FUNCTION vigil_api.assessments_list_audit(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_since timestamptz;
    v_after bigint := coalesce((req->>'after_id')::bigint, 0);
    v_limit int := coalesce((req->>'limit')::int, 0);
BEGIN
    PERFORM vigil_private.require_role(ctx, '{central}', 'Assessments/ListAudit',
                                       'the audit log is the central office''s');
    IF coalesce(req->>'since', '') <> '' THEN
        v_since := vigil_private.parse_time('since', req->>'since');
    END IF;
    IF v_after < 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003',
            MESSAGE = 'after_id: must be 0 (from the start) or an entry id';
    END IF;
    IF v_limit = 0 THEN
        v_limit := 100;
    ELSIF v_limit NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'VG003', MESSAGE = 'limit: must be 1-1000 (0 means 100)';
    END IF;
    RETURN jsonb_build_object('entries', coalesce((
        SELECT jsonb_agg(jsonb_build_object(
                   'id', x.id,
                   'at', vigil_private.rfc3339(x.at),
                   'office', coalesce(o.name, ''),
                   'certificate_sha256', x.certificate_sha256,
                   'peer', x.peer,
                   'request_id', x.request_id,
                   'action', x.action,
                   'object', x.object,
                   'detail', x.detail::text) ORDER BY x.id)
          FROM (SELECT * FROM audit
                 WHERE audit.id > v_after AND (v_since IS NULL OR audit.at >= v_since)
                 ORDER BY audit.id LIMIT v_limit) x
          LEFT JOIN office o ON o.id = x.office_id), '[]'));
END
$$;

-- ===========================================================================
-- Privileges: the service role may call the RPC functions and nothing else.

REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil_private FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA vigil_api FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    vigil_api.catalog_list_regions(jsonb, jsonb),
    vigil_api.catalog_list_states(jsonb, jsonb),
    vigil_api.catalog_list_cycles(jsonb, jsonb),
    vigil_api.catalog_get_methodology(jsonb, jsonb),
    vigil_api.catalog_load_methodology(jsonb, jsonb),
    vigil_api.catalog_create_cycle(jsonb, jsonb),
    vigil_api.catalog_set_cycle_status(jsonb, jsonb),
    vigil_api.offices_list_offices(jsonb, jsonb),
    vigil_api.offices_add_office(jsonb, jsonb),
    vigil_api.offices_add_certificate(jsonb, jsonb),
    vigil_api.offices_set_scope(jsonb, jsonb),
    vigil_api.offices_set_active(jsonb, jsonb),
    vigil_api.assessments_submit(jsonb, jsonb),
    vigil_api.assessments_get(jsonb, jsonb),
    vigil_api.assessments_list_revisions(jsonb, jsonb),
    vigil_api.assessments_list(jsonb, jsonb),
    vigil_api.assessments_review(jsonb, jsonb),
    vigil_api.assessments_list_audit(jsonb, jsonb)
TO vigil_service;
