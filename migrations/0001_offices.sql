-- 0001_offices: who may call Vigil. An office (regional, central or partner)
-- is identified by the SHA-256 fingerprints of its client certificates; the
-- certificate subject is informative only. The domain schema comes later.

-- The group role the daemon's login role belongs to. Roles are cluster-wide,
-- so it may exist already (another database on the same cluster).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_service') THEN
        CREATE ROLE vigil_service NOLOGIN;
    END IF;
END
$$;

CREATE TYPE office_role AS ENUM ('regional', 'central', 'partner');

CREATE TABLE office (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE
               CHECK (name <> '' AND length(name) <= 200),
    role       office_role NOT NULL,
    region     text CHECK (region IS NULL OR region ~ '^[0-9A-Za-z_-]{1,32}$'),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE office_cert (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    office_id  bigint NOT NULL REFERENCES office (id),
    subject    text NOT NULL DEFAULT '',
    added_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX office_cert_office_idx ON office_cert (office_id);

-- The service role reads identities on every call and checks that the schema
-- is complete for the health check. Office management by RPC (a later
-- migration) will add what it needs.
GRANT SELECT ON office, office_cert TO vigil_service;
GRANT SELECT ON vigil_migration TO vigil_service;
