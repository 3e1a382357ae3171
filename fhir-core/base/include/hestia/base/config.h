// Configuration: one table of options, four sources.
//
// Owns: resolving each option from, lowest to highest precedence, its default, the YAML file
// (`hestia.yaml`, nested maps flattened to dotted keys; a list value is kept as its YAML
// flow text, e.g. plugins.list), the environment (`HESTIA_` + key
// upper-cased with '.' → '_', e.g. HESTIA_SERVER_PORT) and command-line flags
// (`--flag value` / `--flag=value`). Unknown keys and flags are errors, never ignored.
// Thread-safety: a Config is immutable after Load() and may be read from any thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hestia/base/status.h"

namespace hestia {

struct OptionSpec {
  std::string key;            // "server.port"
  std::string flag;           // "port" → --port; empty: no flag
  std::string default_value;  // "" means unset
  std::string help;
};

class Config {
 public:
  Config() = default;

  // Resolves every option of `specs`. argv[0..argc) are the arguments after the subcommand.
  // `--config FILE` names the YAML file; without it `hestia.yaml` in the working directory is
  // read when present. Returns kInvalid for unknown flags or keys and for unreadable YAML.
  static Result<Config> Load(const std::vector<OptionSpec>& specs, int argc, char** argv);

  // Builds a Config from explicit values (tests); unknown keys are kept.
  static Config FromMap(std::map<std::string, std::string> values);

  // "--port N  (server.port, HESTIA_SERVER_PORT; default 8080)  TCP port ..." one per option.
  static std::string HelpText(const std::vector<OptionSpec>& specs);
  static std::string EnvName(const std::string& key);

  std::string Get(const std::string& key) const;
  // Integer value; kInvalid when the value is not an integer in [min, max].
  Result<long> GetInt(const std::string& key, long min, long max) const;
  bool GetBool(const std::string& key) const;  // true for true/yes/on/1

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace hestia
