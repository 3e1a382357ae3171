// The plug-in host: loads plug-ins over the C ABI (hestia/plugin.h) and runs what they
// register — custom operations, write interceptors, scheduled jobs and event subscriptions.
//
// Owns: the only dlopen in the server (file-safety checks, ABI checks, init/shutdown), the
// host function table, the registries, the job scheduler thread and the event dispatcher
// thread. The interactions layer calls it (fhir-core/interactions/plugin_operations.cc); the
// server wires it (fhir-core/server/runtime.cc). It never sees HTTP or the interactions: FHIR
// calls made by plug-ins go through a Gateway the server provides at Start().
//
// Life cycle: Load() (plug-ins register in init; FHIR calls are refused then), Start() (jobs
// and events begin; FHIR calls allowed), Stop() (threads end), destruction (shutdown of every
// plug-in in reverse load order, then dlclose).
// Errors: every refusal to load names the file and the reason; start-up fails on any of them
// (docs/adr/0009-plugin-abi.md). A plug-in's failure inside a request is that request's error.
// Thread-safety: after Load() the registries are immutable; every method is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/storage/plugin_store.h"

namespace hestia::plugins {

// One plug-in of the configured list.
struct PluginConfig {
  std::string name;         // the plug-in's name; must equal its descriptor's name
  std::string file;         // path relative to the plug-ins folder; default "<name>.so"
  std::string config_json;  // its `config` subtree as a JSON object ("{}" when absent)
};

struct HostOptions {
  std::string dir;  // the only folder plug-ins load from (plugins.dir)
  std::vector<PluginConfig> plugins;
  int event_poll_ms = 250;  // how often the dispatcher looks for new events
};

// Reads the plug-ins list from YAML text:
//   plugins:
//     - name: hello
//       file: hello.so          # optional, default <name>.so
//       config: {greeting: hi}  # optional, any YAML; the plug-in reads it with config_get
// kInvalid with the reason for anything else.
Result<std::vector<PluginConfig>> ParsePluginList(std::string_view yaml_text);

// Checks that `file` may be loaded from `dir`: a relative path without '..' components, every
// component below `dir` (and `dir` itself) not a symbolic link, the file a regular file, and
// neither it nor `dir` group- or world-writable nor owned by another user (root excepted).
// Returns the path to load; kInvalid naming the rule broken otherwise.
Result<std::string> CheckPluginPath(const std::string& dir, const std::string& file);

// Who a FHIR call is made for: the user of the HTTP request that led to it, or the system.
struct Caller {
  std::string authorization;  // the request's Authorization header ("" for the system)
  std::string request_id;
  std::string base_url;
};

// A FHIR request a plug-in makes, in REST form (path relative to the base, "" for the base).
struct GatewayRequest {
  std::string method;
  std::string path;
  std::string query;
  std::string body;
  Caller caller;
};
struct GatewayResponse {
  int status = 500;
  std::string body;  // a resource, Bundle or OperationOutcome
};
using Gateway = std::function<GatewayResponse(const GatewayRequest&)>;

// A registered custom operation (for routing and the CapabilityStatement).
struct OperationInfo {
  std::string plugin;
  std::string name;     // without '$'
  uint32_t levels = 0;  // HESTIA_OP_* flags
  std::string type;     // "" = any resource type
  std::string definition_url;
  bool affects_state = false;
};

enum class WriteKind { kCreate, kUpdate, kDelete };

struct WriteInfo {
  WriteKind kind = WriteKind::kCreate;
  std::string_view type;
  std::string_view id;
  long version = 0;
  std::string_view resource;  // the JSON to be stored (before) or stored (after); "" deletes
  std::string_view previous;  // the version this write replaces; "" for creates (ABI v1.1)
};

struct OperationCall {
  uint32_t level = 0;  // one HESTIA_OP_*
  std::string_view name;
  std::string_view method;
  std::string_view type;
  std::string_view id;
  std::string_view parameters;  // a Parameters resource
};

struct OperationResult {
  int status = 200;
  std::string body;
};

class PluginHost {
 public:
  // Checks, loads and initialises every plug-in of `options` in order. Every refusal is logged
  // with its reason; the first one is returned (kInvalid for file and ABI problems, the
  // plug-in's failure otherwise) and nothing stays loaded.
  static Result<std::unique_ptr<PluginHost>> Load(const HostOptions& options);

  // Load() from the server options: `dir` (plugins.dir), and the list either inline
  // (`inline_list`, plugins.list: a YAML sequence of {name, file, config}, as hestia.yaml's
  // list under plugins.list arrives) or in `list_file` (plugins.config, a YAML file in the
  // ParsePluginList format). Neither: a host with no plug-ins. Both, a list without a folder,
  // or an unreadable list: kInvalid.
  static Result<std::unique_ptr<PluginHost>> LoadConfigured(const std::string& dir,
                                                            const std::string& list_file,
                                                            const std::string& inline_list = "");

  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;
  ~PluginHost();  // Stop(), shutdown of every plug-in (reverse order), dlclose

  // FHIR calls become possible through `gateway`; jobs and event delivery start when `store`
  // is given (tests may pass null to run without background work).
  Status Start(Gateway gateway, std::unique_ptr<storage::PluginStore> store);
  // Ends the scheduler and dispatcher threads; callbacks in flight finish first.
  void Stop();

  std::vector<OperationInfo> Operations() const;
  // Whether a plug-in offers $name at `level` for `type`.
  bool HasOperation(uint32_t level, std::string_view type, std::string_view name) const;
  // Runs the operation. kNotSupported when no plug-in offers it or the method is not allowed;
  // the plug-in's error (kInternal when it failed without one) otherwise.
  Result<OperationResult> InvokeOperation(const Caller& caller, const OperationCall& call);

  bool HasInterceptors() const;
  // Runs the before-phase interceptors matching the write; the first rejection is returned
  // (with the plug-in's code and OperationOutcome detail) and the write must not happen.
  Status BeforeWrite(const Caller& caller, const WriteInfo& write);
  // Runs the after-phase interceptors; failures are logged, never returned.
  void AfterWrite(const Caller& caller, const WriteInfo& write);

  // Names and versions of the loaded plug-ins, in load order.
  std::vector<std::pair<std::string, std::string>> Loaded() const;

  struct Impl;

 private:
  explicit PluginHost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hestia::plugins
