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
