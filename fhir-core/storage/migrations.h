// Schema migrations (private to hestia_storage).
//
// Owns: the ordered list of schema versions and applying the pending ones. Each migration runs
// in its own transaction under a session advisory lock, so several server nodes starting at
// once apply each migration exactly once. Applied versions are rows of schema_migrations.
// Thread-safety: call once per process at start-up.
#pragma once

#include <pqxx/pqxx>

#include "hestia/base/status.h"

namespace hestia::storage {

// Applies every migration newer than the database's version. kInternal when a migration fails
// or the database is newer than this server (downgrades are refused).
Status ApplyMigrations(pqxx::connection& conn);

// The schema version this build expects.
int LatestSchemaVersion();

}  // namespace hestia::storage
