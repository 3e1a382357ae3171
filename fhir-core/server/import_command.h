// `hestia import PATH…`: bulk load of Bundles, NDJSON and single resources into the database,
// in-process through the FHIR service (the same code path as HTTP), with several workers, a
// progress display, a resume state file and a summary. See `hestia import --help`.
// Thread-safety: runs on the main thread; owns its worker threads.
#pragma once

namespace hestia::server {

// argv: the arguments after `import`. Returns 0 when every file loaded, 1 when some failed (or
// the run was interrupted or could not start), 2 for a usage error.
int RunImportCommand(int argc, char** argv);

}  // namespace hestia::server
