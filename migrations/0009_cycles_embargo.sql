-- 0009_cycles_embargo: ListCycles no longer lets an embargo show. Until now
-- (0004) every caller saw a cycle whose status is published, with the
-- embargo time of its newest publication, even while that publication was
-- under embargo: the results stayed hidden, but the fact and the time of a
-- coming publication did not. The rule of the published reads (0006) now
-- applies here too: for everyone but the central office a cycle counts as
-- published only once it has a publication they may see, and its embargo
-- time shows only once it has passed. Before that, regional and partner
-- offices see it as they see a closed cycle (not at all), and so do
-- anonymous callers.

CREATE OR REPLACE FUNCTION vigil_api.catalog_list_cycles(ctx jsonb, req jsonb) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT jsonb_build_object('cycles', coalesce(jsonb_agg(
               CASE WHEN ctx->>'role' = 'central' OR c.embargo_until IS NULL
                         OR c.embargo_until <= now()
                    THEN vigil_private.cycle_json(c.id)
                    ELSE vigil_private.cycle_json(c.id) || '{"embargo_until": ""}'
               END ORDER BY c.created_at, c.id), '[]'))
      FROM cycle c
     WHERE CASE coalesce(ctx->>'role', '')
               WHEN 'central' THEN true
               WHEN 'regional' THEN c.status = 'open' OR EXISTS (
                   SELECT 1 FROM vigil_private.visible_publications(ctx, c.id))
               WHEN 'partner' THEN c.status = 'open' OR EXISTS (
                   SELECT 1 FROM vigil_private.visible_publications(ctx, c.id))
               ELSE EXISTS (SELECT 1 FROM vigil_private.visible_publications(ctx, c.id))
           END
$$;
