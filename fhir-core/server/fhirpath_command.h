// `hestia fhirpath '<expression>' resource.json`: evaluate a FHIRPath expression over a
// resource file and print the result collection as JSON (with types), or the error.
//
// Owns: the command-line surface of the FHIRPath engine. Loads the type registry from the
// definitions package (HESTIA_DEFINITIONS_DIR environment variable, else the build default).
// Thread-safety: runs on the main thread; not reentrant (writes to stdout/stderr).
#pragma once

namespace hestia::server {

// `argv` holds the arguments after the subcommand: expression, file, and optional flags
// --strict and --pretty; trace() output goes to stderr. Returns 0 on success, 1 for an expression
// or evaluation error (printed on stderr with its position), 2 for a usage or input error.
int RunFhirpathCommand(int argc, char** argv);

}  // namespace hestia::server
