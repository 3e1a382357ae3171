// hestia: the server executable and its subcommands.
//   hestia serve [options]          the FHIR server (see `hestia serve --help`)
//   hestia import PATH...           bulk load Bundles and NDJSON (hestia import --help)
//   hestia db start|stop|status     a PostgreSQL cluster for operators and tests
//   hestia fhirpath EXPR FILE       evaluate a FHIRPath expression over a resource
//   hestia version
#include <cstdio>
#include <string>

#include "import_command.h"
#include "serve_command.h"
#ifdef HESTIA_HAVE_DB_COMMAND
#include "db_command.h"
#endif
#ifdef HESTIA_HAVE_FHIRPATH_COMMAND
#include "fhirpath_command.h"
#endif

namespace {

void Usage() {
  std::fprintf(stderr,
               "Usage: hestia <command> [options]\n\n"
               "Commands:\n"
               "  serve      start the FHIR R4 server (hestia serve --help)\n"
               "  import     bulk load Bundles and NDJSON files (hestia import --help)\n"
#ifdef HESTIA_HAVE_DB_COMMAND
               "  db         start, stop or inspect a PostgreSQL cluster (hestia db --help)\n"
#endif
#ifdef HESTIA_HAVE_FHIRPATH_COMMAND
               "  fhirpath   evaluate a FHIRPath expression: hestia fhirpath EXPR resource.json\n"
#endif
               "  version    print the version\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage();
    return 2;
  }
  const std::string command = argv[1];
  if (command == "serve") return hestia::server::RunServeCommand(argc - 2, argv + 2);
  if (command == "import") return hestia::server::RunImportCommand(argc - 2, argv + 2);
#ifdef HESTIA_HAVE_DB_COMMAND
  if (command == "db") return hestia::server::RunDbCommand(argc - 2, argv + 2);
#endif
#ifdef HESTIA_HAVE_FHIRPATH_COMMAND
  if (command == "fhirpath") return hestia::server::RunFhirpathCommand(argc - 2, argv + 2);
#endif
  if (command == "version" || command == "--version") {
    std::printf("hestia %s (FHIR R4 4.0.1)\n", HESTIA_VERSION);
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    Usage();
    return 0;
  }
  std::fprintf(stderr, "hestia: unknown command '%s'\n\n", command.c_str());
  Usage();
  return 2;
}
