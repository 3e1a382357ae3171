// `hestia serve`: the FHIR server process.
#pragma once

namespace hestia::server {

// argv: the arguments after `serve`. Returns the process exit code. Runs until SIGINT or
// SIGTERM, then stops the HTTP server, the pool and (when embedded) the PostgreSQL cluster.
int RunServeCommand(int argc, char** argv);

}  // namespace hestia::server
