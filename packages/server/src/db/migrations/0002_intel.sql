-- The intelligence store: advisories, NVD CVEs, CISA KEV and FIRST EPSS, as imported from feed
-- files or mirrors. Public intelligence belongs to no organization, so these tables have no
-- row-level security; only the server (as vigil_app) reads and writes them.

CREATE TABLE vigil.feeds (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9:._/+-]{0,127}$'),
  kind text NOT NULL CHECK (kind IN ('osv', 'kev', 'epss', 'nvd')),
  -- Path or URL (without credentials) of the import that last changed the feed.
  source text NOT NULL,
  source_sha256 text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  record_count integer NOT NULL CHECK (record_count >= 0),
  -- What the publisher calls this edition (KEV catalogVersion, EPSS model version), when it says.
  edition text,
  -- When the publisher released this edition (KEV dateReleased, EPSS score date), when it says.
  released_at timestamptz,
  imported_at timestamptz NOT NULL,
  -- The last import was partial (added and updated only): a snapshot of the same file still withdraws.
  partial boolean NOT NULL DEFAULT false,
  -- Last time a sync found the mirror unchanged: the feed is current even though nothing was written.
  checked_at timestamptz NOT NULL
);

CREATE TABLE vigil.feed_imports (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  feed text NOT NULL REFERENCES vigil.feeds (name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  source text NOT NULL,
  source_sha256 text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  records integer NOT NULL,
  added integer NOT NULL,
  modified integer NOT NULL,
  withdrawn integer NOT NULL,
  problems integer NOT NULL,
  -- The first problems (file, record, reason), for `vigil feeds status --verbose` and the API.
  problem_samples jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX feed_imports_feed_idx ON vigil.feed_imports (feed, id DESC);

-- Which records an import added, modified or withdrew: what incremental matching re-evaluates.
-- Kept for advisories and KEV; EPSS and NVD change wholesale every day and keep only counts.
CREATE TABLE vigil.feed_changes (
  import_id bigint NOT NULL REFERENCES vigil.feed_imports (id) ON DELETE CASCADE,
  record_id text NOT NULL,
  change text NOT NULL CHECK (change IN ('added', 'modified', 'withdrawn')),
  -- An advisory as it was before this import changed it: which inventories a narrowed or
  -- withdrawn advisory used to affect is read from here.
  previous jsonb,
  PRIMARY KEY (import_id, record_id)
);

CREATE TABLE vigil.advisories (
  feed text NOT NULL REFERENCES vigil.feeds (name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  id text NOT NULL,
  modified text,
  -- Withdrawn by its publisher, or gone from a newer copy of a snapshot feed.
  withdrawn boolean NOT NULL DEFAULT false,
  aliases text[] NOT NULL DEFAULT '{}',
  record jsonb NOT NULL,
  record_sha256 text NOT NULL,
  origin text NOT NULL,
  import_id bigint NOT NULL REFERENCES vigil.feed_imports (id) DEFERRABLE INITIALLY DEFERRED,
  PRIMARY KEY (feed, id)
);
CREATE INDEX advisories_aliases_idx ON vigil.advisories USING gin (aliases);

-- The packages each live advisory names, by Vigil's ecosystem key (`npm`, `Debian:12`) and
-- normalised name: the lookup a scan and the matching index start from.
CREATE TABLE vigil.advisory_packages (
  ecosystem text NOT NULL,
  name text NOT NULL,
  feed text NOT NULL,
  advisory_id text NOT NULL,
  PRIMARY KEY (ecosystem, name, feed, advisory_id),
  FOREIGN KEY (feed, advisory_id) REFERENCES vigil.advisories (feed, id) ON DELETE CASCADE
);
CREATE INDEX advisory_packages_advisory_idx ON vigil.advisory_packages (feed, advisory_id);

-- KEV, EPSS and NVD rows belong to their one feed through the import that wrote them: deleting
-- the feed (and so its imports) deletes them. Pruning old imports must keep those rows still cite.
CREATE TABLE vigil.nvd_cves (
  cve_id text PRIMARY KEY,
  published text NOT NULL,
  last_modified text NOT NULL,
  vuln_status text,
  description text,
  -- Every metric as NVD lists it, with the base score Vigil computed from its vector.
  cvss jsonb NOT NULL DEFAULT '[]'::jsonb,
  cwes text[] NOT NULL DEFAULT '{}',
  configurations jsonb,
  record_sha256 text NOT NULL,
  import_id bigint NOT NULL REFERENCES vigil.feed_imports (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE vigil.kev_entries (
  cve_id text PRIMARY KEY,
  vendor_project text NOT NULL,
  product text NOT NULL,
  vulnerability_name text NOT NULL,
  date_added date NOT NULL,
  due_date date NOT NULL,
  known_ransomware text NOT NULL CHECK (known_ransomware IN ('Known', 'Unknown')),
  short_description text NOT NULL,
  required_action text NOT NULL,
  notes text NOT NULL,
  cwes text[] NOT NULL DEFAULT '{}',
  record_sha256 text NOT NULL,
  import_id bigint NOT NULL REFERENCES vigil.feed_imports (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE vigil.epss_scores (
  cve_id text PRIMARY KEY,
  -- Stored exactly as published (numeric); a score counts as changed when its value differs.
  epss numeric NOT NULL CHECK (epss BETWEEN 0 AND 1),
  percentile numeric NOT NULL CHECK (percentile BETWEEN 0 AND 1),
  import_id bigint NOT NULL REFERENCES vigil.feed_imports (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
