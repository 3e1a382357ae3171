// Loading plug-ins: the plug-ins list, file-safety checks, dlopen, the descriptor checks and
// init. The only code in the server that calls dlopen (tests/layering_test.sh). See host.h.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <filesystem>

#include "hestia/base/log.h"
#include "host_internal.h"

namespace hestia::plugins {
namespace {

// YAML → JSON (maps → objects, sequences → arrays, scalars → strings) and dotted scalars.
void ConvertConfig(const YAML::Node& node, const std::string& prefix, std::string* json,
                   std::map<std::string, std::string>* flat) {
  if (node.IsMap()) {
    *json += '{';
    bool first = true;
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      if (!first) *json += ',';
      first = false;
      *json += JsonQuote(key) + ':';
      ConvertConfig(kv.second, prefix.empty() ? key : prefix + "." + key, json, flat);
    }
    *json += '}';
  } else if (node.IsSequence()) {
    *json += '[';
    for (std::size_t i = 0; i < node.size(); ++i) {
      if (i > 0) *json += ',';
      ConvertConfig(node[i], prefix + "." + std::to_string(i), json, flat);
    }
    *json += ']';
  } else if (node.IsScalar()) {
    const std::string value = node.as<std::string>();
    *json += JsonQuote(value);
    (*flat)[prefix] = value;
  } else {
    *json += "null";
  }
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The rules a file or folder on the load path must meet (besides not being a symlink).
Status CheckOwnerAndMode(const struct stat& st, const std::string& what) {
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return InvalidError(what + " is group- or world-writable");
  }
  if (st.st_uid != 0 && st.st_uid != geteuid()) {
    return InvalidError(what + " is owned by another user (uid " + std::to_string(st.st_uid) + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<PluginConfig>> ParsePluginList(std::string_view yaml_text) {
  std::vector<PluginConfig> out;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    if (!root.IsMap()) return InvalidError("the plug-ins list must be a map with key 'plugins'");
    for (const auto& kv : root) {
      if (kv.first.as<std::string>() != "plugins") {
        return InvalidError("unknown key '" + kv.first.as<std::string>() +
                            "' in the plug-ins list (only 'plugins')");
      }
    }
    const YAML::Node list = root["plugins"];
    if (list.IsNull()) return out;
    if (!list.IsSequence()) return InvalidError("'plugins' must be a list");
    for (const auto& item : list) {
      if (!item.IsMap()) return InvalidError("each entry of 'plugins' must be a map");
      PluginConfig p;
      std::map<std::string, std::string> unused;
      p.config_json = "{}";
      for (const auto& kv : item) {
        const std::string key = kv.first.as<std::string>();
        if (key == "name") {
          p.name = kv.second.as<std::string>();
        } else if (key == "file") {
          p.file = kv.second.as<std::string>();
        } else if (key == "config") {
          if (!kv.second.IsMap() && !kv.second.IsNull()) {
            return InvalidError("'config' of a plug-in must be a map");
          }
          p.config_json.clear();
          if (kv.second.IsNull()) {
            p.config_json = "{}";
          } else {
            ConvertConfig(kv.second, "", &p.config_json, &unused);
          }
        } else {
          return InvalidError("unknown key '" + key + "' in a plug-ins entry (name, file, config)");
        }
      }
      if (!ValidName(p.name)) {
        return InvalidError("plug-in name '" + p.name + "' must match [a-z0-9_-]{1,64}");
      }
      if (p.file.empty()) p.file = p.name + ".so";
      out.push_back(std::move(p));
    }
  } catch (const YAML::Exception& e) {
    return InvalidError(std::string("cannot read the plug-ins list: ") + e.what());
  }
  return out;
}

Result<std::string> CheckPluginPath(const std::string& dir, const std::string& file) {
  namespace fs = std::filesystem;
  if (dir.empty()) return InvalidError("plugins.dir is not set");
  const fs::path d(dir);
  if (!d.is_absolute()) return InvalidError("plugins.dir '" + dir + "' must be an absolute path");
  for (const auto& part : d) {
    if (part == "..") return InvalidError("plugins.dir '" + dir + "' contains '..'");
  }
  const fs::path f(file);
  if (file.empty() || f.is_absolute()) {
    return InvalidError("plug-in file '" + file + "' must be a path relative to plugins.dir");
  }
  for (const auto& part : f) {
    if (part == ".." || part == ".") {
      return InvalidError("plug-in file '" + file + "' contains '" + part.string() + "'");
    }
  }
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0) return InvalidError("plugins.dir '" + dir + "' does not exist");
  if (S_ISLNK(st.st_mode)) return InvalidError("plugins.dir '" + dir + "' is a symbolic link");
  if (!S_ISDIR(st.st_mode)) return InvalidError("plugins.dir '" + dir + "' is not a folder");
  HESTIA_RETURN_IF_ERROR(CheckOwnerAndMode(st, "plugins.dir '" + dir + "'"));
  fs::path current = d;
  for (const auto& part : f) {
    current /= part;
    if (lstat(current.c_str(), &st) != 0) {
      return InvalidError("'" + current.string() + "' does not exist");
    }
    if (S_ISLNK(st.st_mode)) {
      return InvalidError("'" + current.string() + "' is a symbolic link");
    }
    HESTIA_RETURN_IF_ERROR(CheckOwnerAndMode(st, "'" + current.string() + "'"));
  }
  if (!S_ISREG(st.st_mode)) return InvalidError("'" + current.string() + "' is not a file");
  return current.string();
}

Status LoadPlugin(PluginHost::Impl* impl, const PluginConfig& config) {
  HESTIA_ASSIGN_OR_RETURN(const std::string path, CheckPluginPath(impl->options.dir, config.file));
  // Open without following links and load through the descriptor, so the file checked is the
  // file loaded even if the folder changes in between.
  const int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return InvalidError("'" + path + "' cannot be opened");
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !CheckOwnerAndMode(st, path).ok()) {
    close(fd);
    return InvalidError("'" + path + "' changed while it was checked");
  }
  // glibc finds an already loaded object by name before anything else, and a plug-in that
  // cannot be unloaded (C++ objects with STB_GNU_UNIQUE symbols) keeps its name after
  // dlclose; a descriptor number used once is never used again for loading, so a later load
  // can never be answered with an earlier plug-in.
  static std::atomic<int> next_fd{64};
  const int load_fd = fcntl(fd, F_DUPFD_CLOEXEC, next_fd.load());
  close(fd);
  if (load_fd < 0) return InvalidError("'" + path + "' cannot be opened for loading");
  next_fd = std::max(next_fd.load(), load_fd + 1);
  const std::string fd_path = "/proc/self/fd/" + std::to_string(load_fd);
  void* handle = dlopen(fd_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  close(load_fd);
  if (handle == nullptr) {
    const char* why = dlerror();
    return InvalidError("'" + path + "' is not a loadable shared object: " +
                        (why != nullptr ? why : "unknown error"));
  }
  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->handle = handle;
  plugin->path = path;
  auto refuse = [&](const std::string& why) {
    dlclose(handle);
    return InvalidError("'" + path + "' refused: " + why);
  };
  void* symbol = dlsym(handle, HESTIA_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr) return refuse("it exports no " HESTIA_PLUGIN_ENTRY_SYMBOL);
  hestia_plugin_entry_fn entry = nullptr;
  static_assert(sizeof(entry) == sizeof(symbol));
  std::memcpy(&entry, &symbol, sizeof entry);  // POSIX: object and function pointers agree
  const hestia_plugin_descriptor* d = entry();
  if (d == nullptr) return refuse("its entry point returned no descriptor");
  // The first four fields exist in every version; read nothing else until struct_size allows.
  constexpr std::size_t kV10Size =
      offsetof(hestia_plugin_descriptor, shutdown) + sizeof(hestia_shutdown_fn);
  if (d->magic != HESTIA_PLUGIN_MAGIC) return refuse("wrong magic number");
  if (d->abi_major != HESTIA_PLUGIN_ABI_MAJOR) {
    return refuse("it was built for ABI major " + std::to_string(d->abi_major) +
                  ", this server speaks " + std::to_string(HESTIA_PLUGIN_ABI_MAJOR));
  }
  if (d->abi_minor_required > HESTIA_PLUGIN_ABI_MINOR) {
    return refuse("it needs ABI 1." + std::to_string(d->abi_minor_required) +
                  ", this server offers 1." + std::to_string(HESTIA_PLUGIN_ABI_MINOR));
  }
  if (d->struct_size < kV10Size) {
    return refuse("its descriptor is " + std::to_string(d->struct_size) +
                  " bytes, smaller than v1.0's " + std::to_string(kV10Size));
  }
  if (d->name == nullptr || !ValidName(d->name)) return refuse("its name is not [a-z0-9_-]+");
  if (config.name != d->name) {
    return refuse("it calls itself '" + std::string(d->name) + "', the list says '" + config.name +
                  "'");
  }
  for (const auto& other : impl->plugins) {
    if (other->name == d->name) return refuse("a plug-in named '" + other->name + "' is loaded");
  }
  if (d->init == nullptr) return refuse("it has no init function");
  plugin->name = d->name;
  plugin->version = d->version != nullptr ? d->version : "";
  plugin->shutdown = d->shutdown;
  plugin->config_json = config.config_json;
  try {
    YAML::Node node = YAML::Load(config.config_json);  // JSON is YAML
    std::string ignored;
    if (node.IsMap()) ConvertConfig(node, "", &ignored, &plugin->config_flat);
  } catch (const YAML::Exception& e) {
    return refuse(std::string("its configuration cannot be read: ") + e.what());
  }
  plugin->host.impl = impl;
  plugin->host.plugin = plugin.get();

  // Registrations made by init are kept only when init succeeds.
  const std::size_t ops = impl->operations.size(), icps = impl->interceptors.size(),
                    jobs = impl->jobs.size(), subs = impl->subscriptions.size();
  impl->initializing = plugin.get();
  void* state = nullptr;
  const hestia_status s = d->init(HostApi(), &plugin->host, &state);
  impl->initializing = nullptr;
  if (s != HESTIA_OK) {
    impl->operations.resize(ops);
    impl->interceptors.resize(icps);
    impl->jobs.resize(jobs);
    impl->subscriptions.resize(subs);
    dlclose(handle);
    return Status(s == HESTIA_ERR_INVALID ? StatusCode::kInvalid : StatusCode::kInternal,
                  "'" + path + "' refused: its init failed with code " + std::to_string(s) +
                      " (see the plug-in's log lines above)");
  }
  plugin->state = state;
  plugin->initialized = true;
  log::Info("plug-in loaded",
            {{"plugin", plugin->name}, {"version", plugin->version}, {"path", path}});
  impl->plugins.push_back(std::move(plugin));
  return Status::Ok();
}

void UnloadAll(PluginHost::Impl* impl) {
  for (auto it = impl->plugins.rbegin(); it != impl->plugins.rend(); ++it) {
    LoadedPlugin& p = **it;
    if (p.initialized && p.shutdown != nullptr) p.shutdown(p.state);
    p.initialized = false;
  }
  impl->operations.clear();
  impl->interceptors.clear();
  impl->jobs.clear();
  impl->subscriptions.clear();
  for (auto it = impl->plugins.rbegin(); it != impl->plugins.rend(); ++it) {
    if ((*it)->handle != nullptr) dlclose((*it)->handle);
  }
  impl->plugins.clear();
}

}  // namespace hestia::plugins
