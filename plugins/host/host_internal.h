// The host's private state (private to hestia_plugins_host): the opaque ABI handles
// (hestia_host, hestia_call, hestia_buffer), one LoadedPlugin per plug-in, the registries of
// what plug-ins registered, and PluginHost::Impl. See host.h.
// Thread-safety: registries are written during Load() only (one thread) and read-only
// afterwards; a hestia_call belongs to the one thread running its callback.
#pragma once

#include <hestia/plugin.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/plugins/host.h"

namespace hestia::plugins {
struct LoadedPlugin;
}  // namespace hestia::plugins

// OWNERSHIP: the host's, one per loaded plug-in (hestia_host in plugin.h).
struct hestia_host {
  hestia::plugins::PluginHost::Impl* impl = nullptr;
  hestia::plugins::LoadedPlugin* plugin = nullptr;
};

// OWNERSHIP: the host's, on the stack of the thread making a callback (hestia_call).
struct hestia_call {
  hestia::plugins::PluginHost::Impl* impl = nullptr;
  const hestia::plugins::LoadedPlugin* plugin = nullptr;
  hestia::plugins::Caller caller;
  bool operation = false;  // respond() allowed
  bool responded = false;
  int http_status = 0;
  std::string body;
  bool has_error = false;
  hestia_status error_code = HESTIA_OK;
  std::string diagnostics;
  std::string expression;
};

// OWNERSHIP: created by the host (new), destroyed by buffer_release (delete).
struct hestia_buffer {
  std::string text;
};

namespace hestia::plugins {

struct LoadedPlugin {
  std::string name;
  std::string version;
  std::string path;
  void* handle = nullptr;  // dlopen handle
  hestia_shutdown_fn shutdown = nullptr;
  void* state = nullptr;  // from init
  bool initialized = false;
  std::string config_json;                         // the plug-in's config subtree
  std::map<std::string, std::string> config_flat;  // dotted key → scalar text
  hestia_host host;
};

struct RegisteredOperation {
  OperationInfo info;
  const LoadedPlugin* plugin = nullptr;
  hestia_operation_fn handler = nullptr;
  void* user_data = nullptr;
};

struct RegisteredInterceptor {
  const LoadedPlugin* plugin = nullptr;
  uint32_t phase = 0;
  uint32_t interactions = 0;
  std::string type;
  hestia_interceptor_fn handler = nullptr;
  void* user_data = nullptr;
};

struct RegisteredJob {
  const LoadedPlugin* plugin = nullptr;
  std::string name;  // "<plugin>/<job>", the key of plugin_job_run
  uint32_t schedule = 0;
  uint32_t seconds = 0;
  hestia_job_fn handler = nullptr;
  void* user_data = nullptr;
  Micros next_check = 0;  // scheduler thread only
};

struct RegisteredSubscription {
  const LoadedPlugin* plugin = nullptr;
  std::string subscriber;  // "<plugin>/<name>", the key of plugin_event_position
  uint32_t interactions = 0;
  std::string type;
  hestia_event_fn handler = nullptr;
  void* user_data = nullptr;
};

struct PluginHost::Impl {
  HostOptions options;
  std::vector<std::unique_ptr<LoadedPlugin>> plugins;
  std::vector<RegisteredOperation> operations;
  std::vector<RegisteredInterceptor> interceptors;
  std::vector<RegisteredJob> jobs;
  std::vector<RegisteredSubscription> subscriptions;
  LoadedPlugin* initializing = nullptr;  // registration is allowed for this plug-in only

  Gateway gateway;  // set by Start(); FHIR calls are refused before
  std::unique_ptr<storage::PluginStore> store;
  std::mutex mu;
  std::condition_variable cv;
  bool stopping = false;
  std::thread scheduler;
  std::thread dispatcher;

  void RunScheduler();
  void RunDispatcher();
};

// The host function table (host_api.cc).
const hestia_host_api* HostApi();

// Maps an ABI status to ours (unknown codes → kInternal), and an HTTP status to the ABI.
StatusCode StatusCodeFromAbi(hestia_status code);
hestia_status AbiStatusFromHttp(int http_status);

// The Status a finished callback reports: the recorded error, or kInternal naming `what`
// when the plug-in returned `code` without recording one.
Status CallbackError(const hestia_call& call, hestia_status code, const std::string& what);

// JSON string literal (with quotes) for `s`.
std::string JsonQuote(std::string_view s);

// Loading (loader.cc): opens, checks and initialises one plug-in into `impl`.
Status LoadPlugin(PluginHost::Impl* impl, const PluginConfig& config);
void UnloadAll(PluginHost::Impl* impl);

}  // namespace hestia::plugins
