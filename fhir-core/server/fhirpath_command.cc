// `hestia fhirpath` subcommand. See fhirpath_command.h.
// Thread-safety: main thread only.
#include "fhirpath_command.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"

namespace hestia::server {

int RunFhirpathCommand(int argc, char** argv) {
  std::vector<std::string> positional;
  fhirpath::EvalOptions options;
  bool pretty = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--strict") {
      options.strict = true;
    } else if (arg == "--pretty") {
      pretty = true;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) {
    std::cerr << "usage: hestia fhirpath [--strict] [--pretty] '<expression>' resource.json\n";
    return 2;
  }
  // Syntax errors are reported before the definitions are loaded.
  auto expr = fhirpath::Engine::Parse(positional[0]);
  if (!expr.ok()) {
    std::cerr << expr.status().message() << "\n";
    return 1;
  }
  std::ifstream in(positional[1], std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << positional[1] << "\n";
    return 2;
  }
  std::ostringstream text;
  text << in.rdbuf();
  json::Document doc;
  if (Status s = json::Parse(text.str(), json::Limits{}, &doc); !s.ok()) {
    std::cerr << positional[1] << ": " << s.message() << "\n";
    return 2;
  }
  const char* env_dir = std::getenv("HESTIA_DEFINITIONS_DIR");
  const std::string dir = env_dir != nullptr ? env_dir : HESTIA_DEFAULT_DEFINITIONS_DIR;
  auto registry = resources::TypeRegistry::LoadFromPackage(dir);
  if (!registry.ok()) {
    std::cerr << registry.status().message() << "\n";
    return 2;
  }
  auto engine = fhirpath::Engine::Create(registry.value());
  if (!engine.ok()) {
    std::cerr << engine.status().message() << "\n";
    return 2;
  }
  fhirpath::Environment env;
  env.trace = [](std::string_view label, const fhirpath::Collection& items) {
    std::cerr << "trace " << label << ": " << fhirpath::CollectionToJson(items, false) << "\n";
  };
  auto result = engine.value()->Evaluate(*expr.value(), doc, &env, options);
  if (!result.ok()) {
    std::cerr << result.status().message() << "\n";
    return 1;
  }
  std::cout << fhirpath::CollectionToJson(result.value(), pretty) << "\n";
  return 0;
}

}  // namespace hestia::server
