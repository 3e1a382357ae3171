// The option table of `hestia serve`. See options.h. Every key is documented by
// `hestia serve --help`; README.md links there rather than repeating it.
#include "options.h"

namespace hestia::server {

const std::vector<OptionSpec>& ServeOptions() {
  static const std::vector<OptionSpec> kOptions = {
      {"server.host", "host", "0.0.0.0", "Address to listen on."},
      {"server.port", "port", "8080", "TCP port to listen on (0 picks a free port)."},
      {"server.threads", "threads", "64",
       "HTTP worker threads. Each serves its connections one request at a time, so this bounds "
       "the requests in flight (and the creates the store can combine into one commit)."},
      {"server.base_path", "base-path", "/fhir", "Path of the FHIR base URL."},
      {"server.public_base_url", "base-url", "",
       "Absolute FHIR base URL used in links and Location headers (default: from the Host "
       "header)."},
      {"server.max_request_bytes", "max-request-bytes", "16777216",
       "Largest request accepted; larger bodies get 413."},
      {"server.header_timeout_ms", "header-timeout-ms", "10000",
       "Time allowed to receive the request headers."},
      {"server.body_timeout_ms", "body-timeout-ms", "60000", "Time allowed to receive the body."},
      {"server.keepalive_timeout_ms", "keepalive-timeout-ms", "60000",
       "Idle keep-alive connections are closed after this."},
      {"database.url", "database-url", "",
       "PostgreSQL connection URL. Empty: run an embedded cluster in --data-dir."},
      {"database.data_dir", "data-dir", "var",
       "Folder of the embedded PostgreSQL cluster (created on first start)."},
      {"database.pool_size", "pool-size", "72",
       "Database connections in the pool (keep above server.threads)."},
      {"database.statement_timeout_ms", "statement-timeout-ms", "30000",
       "PostgreSQL statement_timeout; longer statements fail with 503."},
      {"database.acquire_timeout_ms", "acquire-timeout-ms", "5000",
       "Wait for a free pooled connection before answering 503."},
      {"database.startup_timeout_ms", "startup-timeout-ms", "30000",
       "How long start-up waits for the database."},
      {"json.max_depth", "json-max-depth", "100", "Deepest JSON nesting accepted."},
      {"json.max_number_length", "json-max-number-length", "64",
       "Longest JSON number accepted, in characters."},
      {"fhir.definitions", "definitions", HESTIA_DEFAULT_DEFINITIONS_DIR,
       "Unpacked hl7.fhir.r4.examples@4.0.1 package (scripts/setup.sh fetches it)."},
      {"bundle.max_entries", "bundle-max-entries", "10000",
       "Most entries accepted in one batch or transaction Bundle; more get 413. Its size in "
       "bytes is bounded by server.max_request_bytes."},
      {"search.default_count", "default-count", "20", "Page size when _count is absent."},
      {"search.max_count", "max-count", "1000", "Largest page size; larger _count is lowered."},
      {"search.statement_timeout_ms", "search-timeout-ms", "10000",
       "Longest a search statement may run; longer searches answer 503 with an "
       "OperationOutcome (issue code timeout)."},
      {"booking.patient_exclusive", "booking-patient-exclusive", "true",
       "Refuse overlapping bookings of one Patient, as for practitioners, locations and "
       "devices (enforced by PostgreSQL; docs/adr/0010-scheduling.md)."},
      {"demo.load", "demo", "false",
       "Load the demo clinic (fhir-core/server/demo/clinic.json) into an empty database."},
      {"demo.file", "demo-file", HESTIA_DEFAULT_DEMO_FILE, "The demo data Bundle."},
      {"log.level", "log-level", "info", "debug, info, warn or error."},
      {"plugins.dir", "plugins-dir", "",
       "The only folder plug-ins are loaded from (absolute; not a symlink, not group- or "
       "world-writable). See docs/plugins.md."},
      {"plugins.list", "plugins-list", "",
       "The plug-ins to load and their configuration: in hestia.yaml a list of {name, file, "
       "config} under plugins.list; as a flag or variable the same list in YAML flow style "
       "(docs/plugins.md)."},
      {"plugins.config", "plugins-config", "",
       "A YAML file with the plug-in list instead (its top key 'plugins'; docs/plugins.md)."},
  };
  return kOptions;
}

}  // namespace hestia::server
