-- 0003_domain: the tables of the assessment domain (design.md, "Domain"):
-- office scopes, methodologies, cycles, assessments kept as append-only
-- revisions, the idempotency record of writes and the audit log. The logic
-- lives in the vigil_api functions (0004); the service role reaches these
-- tables only through them (SECURITY DEFINER), so it is granted nothing here.

-- Private helpers of the API functions (0004); never granted to the service
-- role. Functions are executable by PUBLIC by default: not those the owner
-- creates here (0004 also revokes them explicitly).
CREATE SCHEMA vigil_private;
ALTER DEFAULT PRIVILEGES IN SCHEMA vigil_private REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Append-only tables: UPDATE, DELETE and TRUNCATE are refused for every role,
-- the owner included (only a deliberate ALTER TABLE ... DISABLE TRIGGER by the
-- owner or a superuser gets past it), so that the database itself holds the
-- line even against a compromised daemon.
CREATE FUNCTION vigil_private.refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'insufficient_privilege',
        MESSAGE = format('%s is append-only: %s refused', TG_TABLE_NAME, TG_OP);
END
$$;

-- ---------------------------------------------------------------------------
-- Offices: scope. An office's scope is its region (office.region, 0001) and
-- every region below it, plus the states listed here.

-- Offices registered before the region table existed may name any region;
-- NOT VALID keeps them (they cover no state until their scope is set) while
-- every new or changed office must name a known region.
ALTER TABLE office ADD CONSTRAINT office_region_fkey
    FOREIGN KEY (region) REFERENCES region (code) NOT VALID;

CREATE TABLE office_state (
    office_id bigint NOT NULL REFERENCES office (id),
    state     text NOT NULL REFERENCES state (code),
    PRIMARY KEY (office_id, state)
);
CREATE INDEX office_state_state_idx ON office_state (state);

-- ---------------------------------------------------------------------------
-- Methodologies: immutable once loaded (a new methodology never rewrites an
-- old cycle, and published digests cover the methodology in full).

CREATE TABLE methodology (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name         text NOT NULL CHECK (name <> ''),
    description  text NOT NULL DEFAULT '',
    -- Minimum coverage for ranking, exactly: num / den, den a power of ten
    -- (the decimal as loaded, trailing zeros dropped: "0.75" = 75/100), in (0, 1].
    min_coverage_num bigint NOT NULL,
    min_coverage_den bigint NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (min_coverage_num > 0 AND min_coverage_num <= min_coverage_den)
);

CREATE TABLE area (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    methodology_id bigint NOT NULL REFERENCES methodology (id),
    code           text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    name           text NOT NULL CHECK (name <> ''),
    weight         integer NOT NULL CHECK (weight > 0),
    position       integer NOT NULL, -- display order, 0-based as loaded
    UNIQUE (methodology_id, code),
    UNIQUE (methodology_id, position)
);

CREATE TABLE scale (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    methodology_id bigint NOT NULL REFERENCES methodology (id),
    code           text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    position       integer NOT NULL,
    UNIQUE (methodology_id, code),
    UNIQUE (methodology_id, position)
);

-- A level without a value ("no data", "not assessed") counts in no denominator.
CREATE TABLE level (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    scale_id bigint NOT NULL REFERENCES scale (id),
    code     text NOT NULL CHECK (code ~ '^[a-z_]{1,32}$'),
    label    text NOT NULL CHECK (label <> ''), -- what files carry (CSV): unique per scale
    value    integer CHECK (value >= 0),        -- NULL = no value
    position integer NOT NULL,
    UNIQUE (scale_id, code),
    UNIQUE (scale_id, label),
    UNIQUE (scale_id, value),
    UNIQUE (scale_id, position)
);

CREATE TABLE indicator (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    methodology_id bigint NOT NULL REFERENCES methodology (id),
    code           text NOT NULL CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    area_id        bigint NOT NULL REFERENCES area (id),
    scale_id       bigint NOT NULL REFERENCES scale (id),
    weight         integer NOT NULL CHECK (weight > 0),
    question       text NOT NULL CHECK (question <> ''),
    call_to_action text NOT NULL DEFAULT '',
    source         text NOT NULL DEFAULT '', -- the seed sentence it comes from
    position       integer NOT NULL,         -- display order within the methodology
    -- Applicability: the indicator applies only when this (earlier) indicator
    -- of the same revision has one of the levels in indicator_applies_level.
    applies_indicator_id bigint REFERENCES indicator (id),
    UNIQUE (methodology_id, code),
    UNIQUE (methodology_id, position),
    CHECK (applies_indicator_id IS DISTINCT FROM id)
);
CREATE INDEX indicator_area_idx ON indicator (area_id);

CREATE TABLE indicator_applies_level (
    indicator_id bigint NOT NULL REFERENCES indicator (id),
    level_id     bigint NOT NULL REFERENCES level (id),
    PRIMARY KEY (indicator_id, level_id)
);

-- Bands of the overall score, best first. min_score in hundredths (exact:
-- "62.5" = 6250); the last band starts at 0.
CREATE TABLE band (
    methodology_id bigint NOT NULL REFERENCES methodology (id),
    position       integer NOT NULL,
    name           text NOT NULL CHECK (name <> ''),
    min_score      integer NOT NULL CHECK (min_score BETWEEN 0 AND 10000),
    PRIMARY KEY (methodology_id, position),
    UNIQUE (methodology_id, name)
);

CREATE TRIGGER methodology_append_only BEFORE UPDATE OR DELETE ON methodology
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER area_append_only BEFORE UPDATE OR DELETE ON area
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER scale_append_only BEFORE UPDATE OR DELETE ON scale
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER level_append_only BEFORE UPDATE OR DELETE ON level
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER indicator_append_only BEFORE UPDATE OR DELETE ON indicator
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER indicator_applies_level_append_only BEFORE UPDATE OR DELETE
    ON indicator_applies_level
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER band_append_only BEFORE UPDATE OR DELETE ON band
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();

-- ---------------------------------------------------------------------------
-- Cycles: open -> closed -> published (publication belongs to the Rankings
-- service). Closed cycles are visible to the central office only.

CREATE TYPE cycle_status AS ENUM ('open', 'closed', 'published');

CREATE TABLE cycle (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{1,32}$'),
    methodology_id bigint NOT NULL REFERENCES methodology (id),
    predecessor_id bigint REFERENCES cycle (id),
    status         cycle_status NOT NULL DEFAULT 'open',
    embargo_until  timestamptz, -- published results hidden from all but central until then
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (predecessor_id IS DISTINCT FROM id)
);

-- ---------------------------------------------------------------------------
-- Assessments: one state in one cycle. The row is the mutable head (status,
-- latest and approved revision numbers); the history is in revision, which
-- is append-only. Concurrent writers serialise on this row (FOR UPDATE).

CREATE TYPE assessment_status AS ENUM ('draft', 'submitted', 'returned', 'approved', 'unlocked');

CREATE TABLE assessment (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state             text NOT NULL REFERENCES state (code),
    cycle_id          bigint NOT NULL REFERENCES cycle (id),
    status            assessment_status NOT NULL,
    latest_revision   integer NOT NULL DEFAULT 0,
    -- Latest approved revision; keeps counting after an unlock until a newer
    -- one is approved. 0 = none.
    approved_revision integer NOT NULL DEFAULT 0,
    -- Set by an unlock, cleared by the next approval: while set, revisions are
    -- accepted whatever the cycle's status (how a published cycle is corrected).
    correction_open   boolean NOT NULL DEFAULT false,
    review_comment    text NOT NULL DEFAULT '', -- of the last return or unlock
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (state, cycle_id),
    CHECK (approved_revision BETWEEN 0 AND latest_revision)
);
CREATE INDEX assessment_cycle_idx ON assessment (cycle_id, status);

CREATE TABLE revision (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    assessment_id bigint NOT NULL REFERENCES assessment (id),
    number        integer NOT NULL CHECK (number > 0),
    draft         boolean NOT NULL,
    office_id     bigint NOT NULL REFERENCES office (id), -- who submitted it
    base_revision integer NOT NULL CHECK (base_revision >= 0 AND base_revision < number),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- SHA-256 of the canonical JSON of the entries (sorted by indicator,
    -- see vigil_private.entries_canonical): equal content, equal hash.
    content_hash  bytea NOT NULL CHECK (length(content_hash) = 32),
    UNIQUE (assessment_id, number)
);

CREATE TABLE revision_entry (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    revision_id   bigint NOT NULL REFERENCES revision (id),
    indicator_id  bigint NOT NULL REFERENCES indicator (id),
    level_id      bigint NOT NULL REFERENCES level (id),
    justification text NOT NULL DEFAULT '' CHECK (length(justification) <= 4000),
    UNIQUE (revision_id, indicator_id)
);

CREATE TABLE evidence (
    revision_entry_id bigint NOT NULL REFERENCES revision_entry (id),
    position          integer NOT NULL, -- 0-based, as submitted
    citation          text NOT NULL CHECK (citation <> '' AND length(citation) <= 1000),
    url               text NOT NULL DEFAULT '' CHECK (length(url) <= 2000),
    date              date,             -- NULL = none
    PRIMARY KEY (revision_entry_id, position)
);

CREATE TRIGGER revision_append_only BEFORE UPDATE OR DELETE ON revision
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER revision_no_truncate BEFORE TRUNCATE ON revision
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER revision_entry_append_only BEFORE UPDATE OR DELETE ON revision_entry
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER revision_entry_no_truncate BEFORE TRUNCATE ON revision_entry
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER evidence_append_only BEFORE UPDATE OR DELETE ON evidence
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER evidence_no_truncate BEFORE TRUNCATE ON evidence
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();

-- ---------------------------------------------------------------------------
-- Idempotency: every write RPC records its client request id and the answer
-- it gave, in the same transaction as the change. A retry with the same id
-- and the same content hash gets the stored answer; other content is refused.

CREATE TABLE request (
    office_id    bigint NOT NULL REFERENCES office (id),
    request_id   text NOT NULL CHECK (request_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    method       text NOT NULL, -- e.g. "/vigil.v1.Assessments/Submit"
    -- SHA-256 of the method and the canonical request without request_id
    -- (vigil_private.request_hash).
    content_hash bytea NOT NULL CHECK (length(content_hash) = 32),
    response     jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (office_id, request_id)
);

-- ---------------------------------------------------------------------------
-- Audit log: every change, in the same transaction as the change. office_id
-- is NULL for changes made by the operator outside the RPCs (migrations,
-- `vigild office`); detail says which.

CREATE TABLE audit (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                 timestamptz NOT NULL DEFAULT now(), -- transaction time
    office_id          bigint REFERENCES office (id),
    certificate_sha256 text NOT NULL DEFAULT '',
    peer               text NOT NULL DEFAULT '',
    request_id         text NOT NULL DEFAULT '',
    action             text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    object             text NOT NULL,
    detail             jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at_idx ON audit (at);

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION vigil_private.refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION vigil_private.refuse_change();

-- ---------------------------------------------------------------------------
-- Privileges. The service role works through the vigil_api functions only;
-- these statements state the rule explicitly even though nothing was granted,
-- so that a later GRANT by mistake stands out against them.
REVOKE ALL ON office_state, methodology, area, scale, level, indicator,
    indicator_applies_level, band, cycle, assessment, revision, revision_entry,
    evidence, request, audit, region, state
    FROM PUBLIC, vigil_service;
REVOKE EXECUTE ON FUNCTION vigil_private.refuse_change() FROM PUBLIC;
