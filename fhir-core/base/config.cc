// Configuration sources and precedence. See config.h.
#include "hestia/base/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace hestia {
namespace {

void Flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>* out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsScalar()) {
    (*out)[prefix] = node.as<std::string>();
  } else if (node.IsNull()) {
    (*out)[prefix] = "";
  } else if (node.IsSequence()) {
    // A list option (plugins.list) keeps its YAML, in flow style, for its reader to parse.
    YAML::Emitter flow;
    flow.SetMapFormat(YAML::Flow);
    flow.SetSeqFormat(YAML::Flow);
    flow << node;
    (*out)[prefix] = flow.c_str();
  } else {
    throw YAML::Exception(node.Mark(), "option '" + prefix + "' must be a scalar or a list");
  }
}

}  // namespace

std::string Config::EnvName(const std::string& key) {
  std::string env = "HESTIA_";
  for (char c : key) {
    env.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  }
  return env;
}

Result<Config> Config::Load(const std::vector<OptionSpec>& specs, int argc, char** argv) {
  Config config;
  std::map<std::string, const OptionSpec*> by_key;
  std::map<std::string, const OptionSpec*> by_flag;
  for (const auto& s : specs) {
    by_key[s.key] = &s;
    if (!s.flag.empty()) by_flag[s.flag] = &s;
    if (!s.default_value.empty()) config.values_[s.key] = s.default_value;
  }

  // Flags are parsed first (so --config is known) but applied last.
  std::map<std::string, std::string> from_flags;
  std::string config_file;
  bool config_file_explicit = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) return InvalidError("unexpected argument '" + arg + "'");
    arg = arg.substr(2);
    std::string value;
    const auto eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return InvalidError("flag --" + arg + " needs a value");
    }
    if (arg == "config") {
      config_file = value;
      config_file_explicit = true;
      continue;
    }
    auto it = by_flag.find(arg);
    if (it == by_flag.end()) return InvalidError("unknown flag --" + arg + " (see --help)");
    from_flags[it->second->key] = value;
  }

  if (!config_file_explicit && std::filesystem::exists("hestia.yaml")) config_file = "hestia.yaml";
  if (!config_file.empty()) {
    std::map<std::string, std::string> from_yaml;
    try {
      Flatten(YAML::LoadFile(config_file), "", &from_yaml);
    } catch (const YAML::Exception& e) {
      return InvalidError("cannot read " + config_file + ": " + e.what());
    }
    for (auto& [k, v] : from_yaml) {
      if (by_key.count(k) == 0) return InvalidError(config_file + ": unknown option '" + k + "'");
      config.values_[k] = v;
    }
  }
  for (const auto& s : specs) {
    if (const char* env = std::getenv(EnvName(s.key).c_str()); env != nullptr) {
      config.values_[s.key] = env;
    }
  }
  for (auto& [k, v] : from_flags) config.values_[k] = v;
  return config;
}

Config Config::FromMap(std::map<std::string, std::string> values) {
  Config c;
  c.values_ = std::move(values);
  return c;
}

std::string Config::HelpText(const std::vector<OptionSpec>& specs) {
  std::ostringstream out;
  out << "  --config FILE\n      YAML configuration file (default: ./hestia.yaml when present)\n";
  for (const auto& s : specs) {
    out << "  " << (s.flag.empty() ? "" : "--" + s.flag + " VALUE") << "\n      " << s.help
        << "\n      key " << s.key << ", env " << EnvName(s.key)
        << (s.default_value.empty() ? "" : ", default " + s.default_value) << "\n";
  }
  return out.str();
}

std::string Config::Get(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string() : it->second;
}

Result<long> Config::GetInt(const std::string& key, long min, long max) const {
  const std::string v = Get(key);
  long out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < min || out > max) {
    return InvalidError("option " + key + " must be an integer in [" + std::to_string(min) + ", " +
                        std::to_string(max) + "], got '" + v + "'");
  }
  return out;
}

bool Config::GetBool(const std::string& key) const {
  const std::string v = Get(key);
  return v == "true" || v == "yes" || v == "on" || v == "1";
}

}  // namespace hestia
