-- 0007_partner_views: the SQL door of the partner exchange. A schema
-- `partner` of read-only views over what is published and past its embargo,
-- and a NOLOGIN group role vigil_partner_read holding USAGE on that schema
-- and SELECT on its views, and nothing else. A partner's login role is a
-- member of the group (deploy/partner-role.sh makes it); a partner's own
-- PostgreSQL links in with postgres_fdw (README, "Partners: the SQL door").
--
-- What the views show is what every caller but the central office sees
-- (0006, vigil_private.visible_publications): of each cycle whose status is
-- published, its newest version whose embargo is unset or past, and of that
-- version only what it stores or counted. Visibility is computed at every
-- read from now() (the start of the reader's transaction), never stored: an
-- embargo is released by the clock alone, and a republication under embargo
-- leaves readers on the version before it until its time. Nothing of an open
-- or closed cycle, of a version under embargo, or of a revision that no
-- visible publication counted ever shows.
--
-- Privileges: views read tables with the rights of their owner (the role
-- applying migrations, which owns the tables), so the group needs, and gets,
-- nothing on the tables. Functions, though, are executed with the reader's
-- rights: the views call only built-in ones, never vigil_private's. Every
-- view is a security_barrier view: a reader's WHERE clause calling a
-- function of their own (a temporary function, say) only ever sees rows the
-- view lets through, never an embargoed or unpublished one.
--
-- Shapes: every column has a built-in type (no enum of ours), so that IMPORT
-- FOREIGN SCHEMA works in a database that knows nothing of Vigil. A figure
-- is three columns, as the Figure message: X_text (rounded half away from
-- zero to 2 decimals, as shown), X_num and X_den (the exact value). Codes
-- are those of the API (ISO states, M49 regions, indicator and level codes,
-- enum names in lower case without their prefix). `position` columns are
-- 0-based display orders. Every view carries the cycle's code and the
-- published version its rows come from.

CREATE SCHEMA partner;
REVOKE ALL ON SCHEMA partner FROM PUBLIC;
COMMENT ON SCHEMA partner IS
    'Vigil''s published, past-embargo data for partners (read-only views; README, "Partners: '
    'the SQL door")';

-- ===========================================================================
-- The current visible publication of each cycle. Private (never granted):
-- the partner views read it with their owner's rights.

CREATE VIEW vigil_private.partner_publication WITH (security_barrier) AS
SELECT DISTINCT ON (p.cycle_id)
       p.id,
       p.cycle_id,
       c.code AS cycle,
       c.methodology_id,
       p.version,
       p.published_at,
       p.embargo_until,
       p.digest,
       p.canonical,
       p.ranking,
       p.aggregates
  FROM publication p
  JOIN cycle c ON c.id = p.cycle_id
 WHERE c.status = 'published'
   AND (p.embargo_until IS NULL OR p.embargo_until <= now())
 ORDER BY p.cycle_id, p.version DESC;
COMMENT ON VIEW vigil_private.partner_publication IS
    'Of each published cycle, its newest version whose embargo is unset or past at now(): what '
    'the partner views read';

-- ===========================================================================
-- Cycles and their published inputs

CREATE VIEW partner.cycles WITH (security_barrier) AS
SELECT cp.cycle AS code,
       m.code AS methodology,
       doc.predecessor->>'cycle' AS predecessor,
       (doc.predecessor->>'version')::int AS predecessor_version,
       doc.predecessor->>'digest' AS predecessor_digest,
       cp.version,
       cp.published_at,
       cp.embargo_until,
       cp.digest
  FROM vigil_private.partner_publication cp
  JOIN methodology m ON m.id = cp.methodology_id
 CROSS JOIN LATERAL (SELECT cp.canonical::jsonb->'predecessor' AS predecessor) doc;
COMMENT ON VIEW partner.cycles IS
    'One row per published cycle, past its embargo: its current version (the newest you may see), '
    'when it was published, its embargo time (past or null), the SHA-256 digest of its canonical '
    'inputs, its methodology, and the predecessor publication its movement was measured against '
    '(as its inputs name it; null when none)';

CREATE VIEW partner.published_inputs WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       cp.digest,
       cp.canonical
  FROM vigil_private.partner_publication cp;
COMMENT ON VIEW partner.published_inputs IS
    'The canonical inputs document of each current publication, exact text: digest = lower-case '
    'hex SHA-256 of its UTF-8 bytes (README, "Publication and the digest"), so that anyone can '
    'check the digest and recompute the ranking';

-- ===========================================================================
-- Methodologies of the visible cycles (immutable once loaded)

CREATE VIEW partner.methodologies WITH (security_barrier) AS
SELECT m.code,
       m.name,
       m.description,
       trim_scale(m.min_coverage_num::numeric / m.min_coverage_den)::text AS min_coverage_text,
       m.min_coverage_num,
       m.min_coverage_den
  FROM methodology m
 WHERE m.id IN (SELECT cp.methodology_id FROM vigil_private.partner_publication cp);
COMMENT ON VIEW partner.methodologies IS
    'The methodologies of the cycles in partner.cycles: name, description and the minimum '
    'coverage for ranking (exact: text "0.75" = num/den)';

CREATE VIEW partner.methodology_areas WITH (security_barrier) AS
SELECT m.code AS methodology,
       a.code,
       a.name,
       a.weight,
       a.position
  FROM methodology m
  JOIN area a ON a.methodology_id = m.id
 WHERE m.id IN (SELECT cp.methodology_id FROM vigil_private.partner_publication cp);
COMMENT ON VIEW partner.methodology_areas IS
    'Areas of each methodology in partner.methodologies, with their weight in the overall score '
    'and their display position';

CREATE VIEW partner.methodology_indicators WITH (security_barrier) AS
SELECT m.code AS methodology,
       i.code,
       a.code AS area,
       s.code AS scale,
       i.weight,
       i.question,
       i.call_to_action,
       ai.code AS applies_if_indicator,
       (SELECT array_agg(l.code ORDER BY l.position)
          FROM indicator_applies_level ial
          JOIN level l ON l.id = ial.level_id
         WHERE ial.indicator_id = i.id) AS applies_if_levels,
       i.position
  FROM methodology m
  JOIN indicator i ON i.methodology_id = m.id
  JOIN area a ON a.id = i.area_id
  JOIN scale s ON s.id = i.scale_id
  LEFT JOIN indicator ai ON ai.id = i.applies_indicator_id
 WHERE m.id IN (SELECT cp.methodology_id FROM vigil_private.partner_publication cp);
COMMENT ON VIEW partner.methodology_indicators IS
    'Indicators of each methodology: area, scale, weight within the area, question, call to '
    'action, and applicability (the indicator applies only when applies_if_indicator of the same '
    'revision is at one of applies_if_levels; both null = always)';

CREATE VIEW partner.methodology_levels WITH (security_barrier) AS
SELECT m.code AS methodology,
       s.code AS scale,
       l.code,
       l.label,
       l.value,
       max(l.value) OVER (PARTITION BY s.id) AS scale_max,
       l.position
  FROM methodology m
  JOIN scale s ON s.methodology_id = m.id
  JOIN level l ON l.scale_id = s.id
 WHERE m.id IN (SELECT cp.methodology_id FROM vigil_private.partner_publication cp);
COMMENT ON VIEW partner.methodology_levels IS
    'Levels of each scale: code, label (what files carry), value (null for "no data" and "not '
    'assessed", which count in no denominator) and the scale''s maximum; indicator score = value '
    '/ scale_max x 100';

CREATE VIEW partner.methodology_bands WITH (security_barrier) AS
SELECT m.code AS methodology,
       b.name,
       trim_scale(b.min_score::numeric / 100) AS min_score,
       b.position
  FROM methodology m
  JOIN band b ON b.methodology_id = m.id
 WHERE m.id IN (SELECT cp.methodology_id FROM vigil_private.partner_publication cp);
COMMENT ON VIEW partner.methodology_bands IS
    'Bands of the overall score, best first (position 0): a state is in the first band whose '
    'min_score (exact, as GetMethodology gives it: 75, 62.5) its rounded overall score reaches';

-- ===========================================================================
-- Rankings, as published (the stored Ranking message)

CREATE VIEW partner.rankings WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       (s.ord - 1)::int AS position,
       (s.v->>'rank')::int AS rank,
       (s.v->>'tied')::boolean AS tied,
       CASE WHEN (s.v->>'tied')::boolean THEN '=' ELSE '' END || (s.v->>'rank') AS rank_text,
       s.v->>'state' AS state,
       s.v->>'state_name' AS state_name,
       s.v->>'region' AS region,
       s.v->'overall'->>'text' AS overall_text,
       (s.v->'overall'->>'num')::bigint AS overall_num,
       (s.v->'overall'->>'den')::bigint AS overall_den,
       s.v->>'band' AS band,
       (s.v->>'band_position')::int AS band_position,
       s.v->'coverage'->>'text' AS coverage_text,
       (s.v->'coverage'->>'num')::bigint AS coverage_num,
       (s.v->'coverage'->>'den')::bigint AS coverage_den,
       s.v->'movement'->>'kind' AS movement,
       CASE WHEN s.v->'movement'->>'kind' = 'delta'
            THEN (s.v->'movement'->>'rank_delta')::int END AS rank_delta,
       CASE WHEN s.v->'movement'->>'kind' = 'delta'
            THEN (s.v->'movement'->>'band_delta')::int END AS band_delta
  FROM vigil_private.partner_publication cp
 CROSS JOIN LATERAL jsonb_array_elements(cp.ranking->'ranked') WITH ORDINALITY AS s(v, ord);
COMMENT ON VIEW partner.rankings IS
    'Ranked states of each current publication, in rank order (position; ties by name, then '
    'code): standard competition rank ("=3" when tied), overall score, band (band_position 0 = '
    'best), coverage (a percentage) and movement against the predecessor (none, delta, new, '
    'not_comparable; rank_delta = rank then - rank now and band_delta, set for delta only: '
    'positive = climbed). Rules: README, "Rankings - the rules"';

CREATE VIEW partner.area_scores WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       s.v->>'state' AS state,
       a.v->>'area' AS area,
       (a.ord - 1)::int AS position,
       a.v->'score'->>'text' AS score_text,
       (a.v->'score'->>'num')::bigint AS score_num,
       (a.v->'score'->>'den')::bigint AS score_den,
       (a.v->>'rank')::int AS rank,
       (a.v->>'tied')::boolean AS tied
  FROM vigil_private.partner_publication cp
 CROSS JOIN LATERAL jsonb_array_elements(cp.ranking->'ranked') AS s(v)
 CROSS JOIN LATERAL jsonb_array_elements(s.v->'areas') WITH ORDINALITY AS a(v, ord);
COMMENT ON VIEW partner.area_scores IS
    'Area scores of the ranked states of each current publication (methodology order), each '
    'with its rank among the ranked states on the rounded area score';

CREATE VIEW partner.not_ranked WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       (u.ord - 1)::int AS position,
       u.v->>'state' AS state,
       u.v->>'state_name' AS state_name,
       u.v->>'region' AS region,
       (SELECT array_agg(g.reason ORDER BY g.first)
          FROM (SELECT r.v->>'reason' AS reason, min(r.ord) AS first
                  FROM jsonb_array_elements(u.v->'reasons') WITH ORDINALITY AS r(v, ord)
                 GROUP BY 1) g) AS reasons,
       ARRAY(SELECT r.v->>'area'
               FROM jsonb_array_elements(u.v->'reasons') WITH ORDINALITY AS r(v, ord)
              WHERE r.v->>'reason' = 'area_unrated'
              ORDER BY r.ord) AS unrated_areas,
       u.v->'coverage'->>'text' AS coverage_text,
       (u.v->'coverage'->>'num')::bigint AS coverage_num,
       (u.v->'coverage'->>'den')::bigint AS coverage_den
  FROM vigil_private.partner_publication cp
 CROSS JOIN LATERAL jsonb_array_elements(cp.ranking->'not_ranked') WITH ORDINALITY AS u(v, ord);
COMMENT ON VIEW partner.not_ranked IS
    'States assessed in the cycle but not ranked (by name, then code), with every reason that '
    'applies in the rules'' order (not_approved, area_unrated, coverage), the areas without a '
    'rated indicator, and the coverage (null when not approved)';

-- ===========================================================================
-- Aggregates, as published

CREATE VIEW partner.aggregates WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       ia.v->>'indicator' AS indicator,
       o.level,
       o.position,
       o.count,
       o.share->>'text' AS share_text,
       (o.share->>'num')::bigint AS share_num,
       (o.share->>'den')::bigint AS share_den,
       (ia.v->>'n')::bigint AS n,
       (ia.v->>'counted')::bigint AS counted
  FROM vigil_private.partner_publication cp
 CROSS JOIN LATERAL jsonb_array_elements(cp.aggregates->'indicators') AS ia(v)
 CROSS JOIN LATERAL (
       SELECT l.v->>'level' AS level,
              (l.ord - 1)::int AS position,
              (l.v->>'count')::bigint AS count,
              l.v->'share' AS share
         FROM jsonb_array_elements(ia.v->'levels') WITH ORDINALITY AS l(v, ord)
        UNION ALL
       SELECT k.level,
              jsonb_array_length(ia.v->'levels') + k.ord - 1,
              (ia.v->>k.level)::bigint,
              NULL
         FROM (VALUES ('no_data', 1), ('not_assessed', 2), ('not_applicable', 3)) AS k(level, ord)
       ) o;
COMMENT ON VIEW partner.aggregates IS
    'Per indicator of each current publication, how many counted states (those with an approved '
    'revision, ranked or not) are at each valued level, with its share of n (the states with a '
    'valued level; share null when n is 0), then rows no_data, not_assessed and not_applicable '
    '(no share): the counts of an indicator add up to counted';

-- ===========================================================================
-- Assessments: the revisions each current publication counted

CREATE VIEW partner.assessments WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       pr.state,
       r.number AS revision,
       i.code AS indicator,
       a.code AS area,
       i.position AS indicator_position,
       l.code AS level,
       l.label AS level_label,
       l.value AS level_value,
       e.justification
  FROM vigil_private.partner_publication cp
  JOIN publication_revision pr ON pr.publication_id = cp.id
  JOIN revision r ON r.id = pr.revision_id
  JOIN revision_entry e ON e.revision_id = r.id
  JOIN indicator i ON i.id = e.indicator_id
  JOIN area a ON a.id = i.area_id
  JOIN level l ON l.id = e.level_id;
COMMENT ON VIEW partner.assessments IS
    'One row per indicator of the revision each current publication counted for a state (its '
    'number: revision): the level and its justification. An indicator that does not apply has '
    'no row; a state without an approved revision has none (see partner.not_ranked)';

CREATE VIEW partner.evidence WITH (security_barrier) AS
SELECT cp.cycle,
       cp.version,
       pr.state,
       r.number AS revision,
       i.code AS indicator,
       ev.position,
       ev.citation,
       ev.url,
       ev.date
  FROM vigil_private.partner_publication cp
  JOIN publication_revision pr ON pr.publication_id = cp.id
  JOIN revision r ON r.id = pr.revision_id
  JOIN revision_entry e ON e.revision_id = r.id
  JOIN indicator i ON i.id = e.indicator_id
  JOIN evidence ev ON ev.revision_entry_id = e.id;
COMMENT ON VIEW partner.evidence IS
    'The evidence of each row of partner.assessments, in the order submitted (position): '
    'citation, url ('''' when none) and date (null when none)';

-- ===========================================================================
-- Reference data (public by nature): the names behind the codes

CREATE VIEW partner.regions WITH (security_barrier) AS
SELECT code, name, parent FROM region;
COMMENT ON VIEW partner.regions IS
    'The UN M49 region tree the rankings'' region codes refer to (parent null for the world)';

CREATE VIEW partner.states WITH (security_barrier) AS
SELECT code, name, region FROM state;
COMMENT ON VIEW partner.states IS
    'The states that can be assessed: ISO 3166-1 alpha-2 code, English short name, smallest '
    'region';

-- ===========================================================================
-- Privileges

-- What the group holds, in one place: called here when the group exists,
-- and by deploy/partner-role.sh (as a superuser), which creates the group
-- when the role applying migrations could not. A later migration adding a
-- view calls it again.
CREATE FUNCTION vigil_private.partner_grant() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    GRANT USAGE ON SCHEMA partner TO vigil_partner_read;
    GRANT SELECT ON ALL TABLES IN SCHEMA partner TO vigil_partner_read;
END
$$;
COMMENT ON FUNCTION vigil_private.partner_grant() IS
    'Grants the group role vigil_partner_read USAGE on schema partner and SELECT on its views, '
    'nothing else (idempotent)';

-- The group role. Roles are cluster-wide, so it may exist already (another
-- database of the cluster). Creating it needs CREATEROLE (or a superuser):
-- when the role applying migrations has neither, the group is created, and
-- granted, by deploy/partner-role.sh, which runs as a superuser.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_partner_read')
       AND (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
        BEGIN
            CREATE ROLE vigil_partner_read NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created meanwhile by the migration of another database
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_partner_read') THEN
        PERFORM vigil_private.partner_grant();
    ELSE
        RAISE NOTICE 'role vigil_partner_read does not exist and % may not create it: '
                     'deploy/partner-role.sh will (as a superuser)', current_user;
    END IF;
END
$$;

-- Nothing else for anyone: PUBLIC holds nothing on the tables (0001, 0003,
-- 0006 revoke or never grant), said once more for every table and sequence,
-- and nothing on the private view or the grant function. The service role
-- has no use for the partner schema either.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA partner FROM PUBLIC, vigil_service;
REVOKE ALL ON SCHEMA partner FROM vigil_service;
REVOKE ALL ON vigil_private.partner_publication FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION vigil_private.partner_grant() FROM PUBLIC;
