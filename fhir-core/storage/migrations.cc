// Schema migrations. See migrations.h. Never edit a released migration: append a new one.
#include "migrations.h"

#include <string>
#include <vector>

#include "hestia/base/log.h"

namespace hestia::storage {
namespace {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// last_updated columns hold microseconds since the Unix epoch (exact, cheap to compare).
const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "resources, versions, token index", R"sql(
CREATE TABLE resource (
  pk           bigserial PRIMARY KEY,
  res_type     text      NOT NULL,
  res_id       text      NOT NULL,
  version      integer   NOT NULL,
  deleted      boolean   NOT NULL,
  last_updated bigint    NOT NULL,
  CONSTRAINT resource_type_id UNIQUE (res_type, res_id)
);
CREATE INDEX resource_type_updated ON resource (res_type, last_updated);

CREATE TABLE resource_version (
  seq          bigserial PRIMARY KEY,
  res_pk       bigint    NOT NULL REFERENCES resource (pk),
  res_type     text      NOT NULL,
  res_id       text      NOT NULL,
  version      integer   NOT NULL,
  method       text      NOT NULL,
  last_updated bigint    NOT NULL,
  deleted      boolean   NOT NULL,
  body         text,
  CONSTRAINT resource_version_pk_version UNIQUE (res_pk, version)
);
CREATE INDEX resource_version_type_seq ON resource_version (res_type, seq);
CREATE INDEX resource_version_updated ON resource_version (last_updated);

CREATE TABLE idx_token (
  param_hash bigint NOT NULL,
  res_pk     bigint NOT NULL REFERENCES resource (pk),
  system     text   NOT NULL,
  code       text   NOT NULL
);
CREATE INDEX idx_token_lookup ON idx_token (param_hash, code, system);
CREATE INDEX idx_token_res ON idx_token (res_pk);
)sql"},
      // Typical resources (a few KiB) stay inline and uncompressed: no TOAST compression on
      // the write path and none to undo on reads; larger ones are compressed with lz4, which
      // costs a fraction of pglz. The last_updated index duplicated the seq order that history
      // reads by (versions are written in time order), and cost every write an index insert.
      {2, "resource_version storage: inline bodies, lz4", R"sql(
ALTER TABLE resource_version SET (toast_tuple_target = 8160);
ALTER TABLE resource_version ALTER COLUMN body SET COMPRESSION lz4;
DROP INDEX resource_version_updated;
)sql"},
      // The search index (search/include/hestia/search/index.h): one lean table per parameter
      // type, keyed by param_hash = hash(resource type, code); grp ties the component rows of
      // one composite item together (0 for ordinary rows). Ranges are half-open [low, high)
      // for dates and closed [low, high] for numbers/quantities; NULL = unbounded. Index rows
      // carry no foreign keys: they are written and replaced only together with their
      // resource row, in one statement, and an FK check per row would double the write cost.
      {3, "search index tables", R"sql(
ALTER TABLE idx_token DROP CONSTRAINT IF EXISTS idx_token_res_pk_fkey;
ALTER TABLE idx_token ADD COLUMN grp integer NOT NULL DEFAULT 0;
DROP INDEX idx_token_lookup;
-- res_pk as a key column: a page in pk order over one code stops after count+1 entries.
CREATE INDEX idx_token_lookup ON idx_token (param_hash, code, res_pk) INCLUDE (system);

CREATE TABLE idx_string (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  norm       text    NOT NULL,
  exact      text    NOT NULL
);
CREATE INDEX idx_string_lookup ON idx_string (param_hash, norm text_pattern_ops) INCLUDE (res_pk);
CREATE INDEX idx_string_res ON idx_string (res_pk);

CREATE TABLE idx_date (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  low        bigint  NOT NULL,
  high       bigint  NOT NULL
);
CREATE INDEX idx_date_low ON idx_date (param_hash, low) INCLUDE (res_pk, high);
CREATE INDEX idx_date_high ON idx_date (param_hash, high) INCLUDE (res_pk, low);
CREATE INDEX idx_date_res ON idx_date (res_pk);

CREATE TABLE idx_number (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  low        numeric,
  high       numeric
);
CREATE INDEX idx_number_lookup ON idx_number (param_hash, low) INCLUDE (res_pk, high);
CREATE INDEX idx_number_res ON idx_number (res_pk);

CREATE TABLE idx_quantity (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  system     text    NOT NULL,
  code       text    NOT NULL,
  low        numeric,
  high       numeric,
  canon_unit text    NOT NULL,
  canon_low  double precision,
  canon_high double precision
);
CREATE INDEX idx_quantity_lookup ON idx_quantity (param_hash, code, low) INCLUDE (res_pk);
CREATE INDEX idx_quantity_canon ON idx_quantity (param_hash, canon_unit, canon_low)
  INCLUDE (res_pk);
CREATE INDEX idx_quantity_res ON idx_quantity (res_pk);

CREATE TABLE idx_uri (
  param_hash bigint  NOT NULL,
  res_pk     bigint  NOT NULL,
  grp        integer NOT NULL DEFAULT 0,
  uri        text    NOT NULL
);
CREATE INDEX idx_uri_lookup ON idx_uri (param_hash, uri text_pattern_ops) INCLUDE (res_pk);
CREATE INDEX idx_uri_res ON idx_uri (res_pk);

CREATE TABLE idx_reference (
  param_hash  bigint  NOT NULL,
  res_pk      bigint  NOT NULL,
  grp         integer NOT NULL DEFAULT 0,
  target_type text    NOT NULL,
  target_id   text    NOT NULL,
  url         text    NOT NULL
);
CREATE INDEX idx_reference_target ON idx_reference (target_id, target_type, param_hash, res_pk);
CREATE INDEX idx_reference_url ON idx_reference (param_hash, url) INCLUDE (res_pk)
  WHERE url <> '';
CREATE INDEX idx_reference_res ON idx_reference (res_pk, param_hash);

CREATE TABLE idx_geo (
  param_hash bigint           NOT NULL,
  res_pk     bigint           NOT NULL,
  latitude   double precision NOT NULL,
  longitude  double precision NOT NULL
);
CREATE INDEX idx_geo_lookup ON idx_geo (param_hash, latitude, longitude) INCLUDE (res_pk);
CREATE INDEX idx_geo_res ON idx_geo (res_pk);

CREATE TABLE idx_text (
  res_pk    bigint   PRIMARY KEY,
  narrative tsvector NOT NULL,
  content   tsvector NOT NULL
);
CREATE INDEX idx_text_narrative ON idx_text USING gin (narrative);
CREATE INDEX idx_text_content ON idx_text USING gin (content);

CREATE INDEX resource_type_pk ON resource (res_type, pk) WHERE NOT deleted;

-- $reindex jobs: resumable background work (search/reindex).
CREATE TABLE reindex_job (
  id          bigserial   PRIMARY KEY,
  res_type    text        NOT NULL DEFAULT '',
  res_id      text        NOT NULL DEFAULT '',
  state       text        NOT NULL,
  last_pk     bigint      NOT NULL DEFAULT 0,
  done        bigint      NOT NULL DEFAULT 0,
  total       bigint      NOT NULL DEFAULT 0,
  error       text        NOT NULL DEFAULT '',
  activated   text[]      NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
)sql"},
      // The plug-in event outbox (plugins/host, docs/adr/0009-plugin-abi.md): a statement-level
      // trigger records every new resource_version row in the writing transaction itself, so
      // an event exists exactly when its write committed, without touching the write
      // statements. Rows are ordered by (xid, version_seq); a dispatcher delivers only rows
      // whose transaction is older than every running one, so no event is ever skipped.
      {4, "plug-in outbox, event positions, job runs", R"sql(
CREATE TABLE resource_event (
  xid         bigint NOT NULL,
  version_seq bigint NOT NULL,
  PRIMARY KEY (xid, version_seq)
);

CREATE FUNCTION resource_event_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO resource_event (xid, version_seq)
    SELECT pg_current_xact_id()::text::bigint, seq FROM new_versions;
  RETURN NULL;
END
$$;

CREATE TRIGGER resource_version_outbox AFTER INSERT ON resource_version
  REFERENCING NEW TABLE AS new_versions
  FOR EACH STATEMENT EXECUTE FUNCTION resource_event_enqueue();

CREATE TABLE plugin_event_position (
  subscriber text   PRIMARY KEY,
  last_xid   bigint NOT NULL,
  last_seq   bigint NOT NULL
);

CREATE TABLE plugin_job_run (
  job      text   PRIMARY KEY,
  last_run bigint NOT NULL
);
)sql"},
  };
  return kMigrations;
}

constexpr long long kMigrationLock = 0x4845535449414D49LL;  // "HESTIAMI"

}  // namespace

int LatestSchemaVersion() { return Migrations().back().version; }

Status ApplyMigrations(pqxx::connection& conn) {
  try {
    pqxx::nontransaction session(conn);
    session.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
    session.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text "
        "NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
    const int current =
        session.exec("SELECT coalesce(max(version), 0) FROM schema_migrations")[0][0].as<int>();
    session.commit();
    Status result = Status::Ok();
    if (current > LatestSchemaVersion()) {
      result = InternalError("database schema version " + std::to_string(current) +
                             " is newer than this server's " +
                             std::to_string(LatestSchemaVersion()) + "; refusing to downgrade");
    } else {
      for (const auto& m : Migrations()) {
        if (m.version <= current) continue;
        pqxx::work txn(conn);
        txn.exec(m.sql);
        txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version,
                        std::string(m.name));
        txn.commit();
        log::Info("schema migration applied", {{"version", m.version}, {"name", m.name}});
      }
    }
    pqxx::nontransaction unlock(conn);
    unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    unlock.commit();
    return result;
  } catch (const std::exception& e) {
    return InternalError(std::string("schema migration failed: ") + e.what());
  }
}

}  // namespace hestia::storage
