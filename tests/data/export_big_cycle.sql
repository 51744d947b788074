-- A big cycle for the export memory test (test_exchange_memory.c), written
-- through the API functions as the owner: methodology big-2016 (ecpat-2012
-- with every indicator twice, all always applicable: 32 indicators), cycle
-- big-2016, and every state of region 001 (World) assessed by a world-wide regional office with
-- 20 evidence items of about 300 characters per indicator (about 249 x 32 x 20 =
-- 159,000 items), approved, and the cycle closed. Publishing is left to the
-- daemon (it computes the ranking).
DO $$
DECLARE
    central jsonb;
    world   jsonb;
    m       jsonb;
    s       record;
    entries jsonb;
    cite    text := repeat('A citation of a law, a policy, a report or a court decision. ', 5);
BEGIN
    SELECT jsonb_build_object('role', 'central', 'office_id', id, 'office', name, 'method', 'test')
      INTO central FROM office WHERE name = 'central';
    INSERT INTO office (name, role, region) VALUES ('world', 'regional', '001');
    SELECT jsonb_build_object('role', 'regional', 'office_id', id, 'office', name,
                              'region', '001', 'method', 'test')
      INTO world FROM office WHERE name = 'world';

    SELECT vigil_private.methodology_json(id) INTO m FROM methodology WHERE code = 'ecpat-2012';
    m := jsonb_set(m, '{code}', '"big-2016"');
    m := jsonb_set(m, '{indicators}', (
        SELECT jsonb_agg(u.i - 'applies_when' ORDER BY u.k)
          FROM (SELECT t.i, t.n * 2 AS k FROM jsonb_array_elements(m->'indicators')
                       WITH ORDINALITY t (i, n)
                UNION ALL
                SELECT jsonb_set(t.i, '{code}', to_jsonb((t.i->>'code') || 'X')), t.n * 2 + 1
                  FROM jsonb_array_elements(m->'indicators') WITH ORDINALITY t (i, n)) u));
    PERFORM vigil_api.catalog_load_methodology(central,
        jsonb_build_object('request_id', 'big-m', 'methodology', m));
    PERFORM vigil_api.catalog_create_cycle(central,
        jsonb_build_object('request_id', 'big-c', 'code', 'big-2016', 'methodology', 'big-2016'));

    FOR s IN SELECT t.code FROM vigil_private.scope_states((world->>'office_id')::bigint) t (code)
              ORDER BY 1 LOOP
        SELECT jsonb_agg(jsonb_build_object(
                   'indicator', i->>'code',
                   'level', (SELECT l->>'code' FROM jsonb_array_elements(m->'scales') sc,
                                    jsonb_array_elements(sc->'levels') l
                              WHERE sc->>'code' = i->>'scale' AND (l->>'has_value')::boolean
                              LIMIT 1),
                   'justification', 'Generated for the export memory test.',
                   'evidence', (SELECT jsonb_agg(jsonb_build_object(
                                    'citation', format('%s %s/%s #%s', cite, s.code, i->>'code', n),
                                    'url', format('https://example.org/%s/%s/%s', s.code,
                                                  i->>'code', n),
                                    'date', '2016-01-01'))
                                  FROM generate_series(1, 20) n)))
          INTO entries FROM jsonb_array_elements(m->'indicators') i;
        PERFORM vigil_api.assessments_submit(world, jsonb_build_object(
            'request_id', 'big-s-' || s.code, 'state', s.code, 'cycle', 'big-2016',
            'base_revision', 0, 'entries', entries));
        PERFORM vigil_api.assessments_review(central, jsonb_build_object(
            'request_id', 'big-a-' || s.code, 'state', s.code, 'cycle', 'big-2016',
            'action', 'approve', 'revision', 1));
    END LOOP;
    PERFORM vigil_api.catalog_set_cycle_status(central, jsonb_build_object(
        'request_id', 'big-close', 'cycle', 'big-2016', 'status', 'closed'));
END
$$;
