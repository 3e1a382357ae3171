// Checks that talk to a running PostgreSQL: is it accepting connections, and does it refuse
// nothing we rely on for durability (ARCHITECTURE.md §3: fsync and full_page_writes on). Used
// for the embedded cluster and for any --database-url server.
// Thread-safety: stateless; each call opens its own connection.
#include <pqxx/pqxx>
#include <string>

#include "cluster_setup.h"
#include "hestia/base/log.h"
#include "hestia/storage/embedded_cluster.h"

namespace hestia::storage {

bool AcceptsConnections(const std::string& connection_string) {
  try {
    pqxx::connection conn(connection_string);
    return conn.is_open();
  } catch (const std::exception&) {
    return false;  // starting up, in recovery, or not there yet
  }
}

Status VerifyDurableSettings(const std::string& connection_string) {
  try {
    pqxx::connection conn(connection_string);
    pqxx::nontransaction tx(conn);
    pqxx::result r = tx.exec(
        "SELECT current_setting('fsync'), current_setting('full_page_writes'), "
        "current_setting('data_checksums'), current_setting('synchronous_commit')");
    const std::string fsync = r[0][0].c_str();
    const std::string full_page_writes = r[0][1].c_str();
    if (fsync != "on" || full_page_writes != "on") {
      return InternalError("refusing a PostgreSQL server with fsync=" + fsync +
                           " and full_page_writes=" + full_page_writes +
                           ": both must be on, or a crash can lose or corrupt committed data");
    }
    if (std::string(r[0][2].c_str()) != "on" || std::string(r[0][3].c_str()) != "on") {
      log::Warn("PostgreSQL runs without data checksums or synchronous commit",
                {{"data_checksums", r[0][2].c_str()}, {"synchronous_commit", r[0][3].c_str()}});
    }
    return Status::Ok();
  } catch (const pqxx::broken_connection& e) {
    return UnavailableError(std::string("cannot connect to PostgreSQL: ") + e.what());
  } catch (const std::exception& e) {
    return InternalError(std::string("checking PostgreSQL durability settings: ") + e.what());
  }
}

}  // namespace hestia::storage
