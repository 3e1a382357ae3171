// `hestia serve`: wiring of configuration, definitions, storage, the FHIR service and HTTP.
// Thread-safety: runs on the main thread; worker threads are owned by HttpServer and Pool.
#include "serve_command.h"

#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "demo_loader.h"
#include "hestia/base/config.h"
#include "hestia/base/log.h"
#include "hestia/rest/http_server.h"
#include "options.h"
#include "runtime.h"

namespace hestia::server {
namespace {

int Fail(const Status& s) {
  log::Error("start-up failed", {{"error", s.ToString()}});
  std::fprintf(stderr, "hestia: %s\n", s.ToString().c_str());
  return 1;
}

// `var` names the declared variable, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HESTIA_INT_OPTION(var, key, min, max)                 \
  auto var##_result = config.GetInt(key, min, max);           \
  if (!var##_result.ok()) return Fail(var##_result.status()); \
  const long var = *var##_result
// NOLINTEND(bugprone-macro-parentheses)

}  // namespace

int RunServeCommand(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") {
      std::cout << "Usage: hestia serve [options]\n\nStarts the FHIR R4 server. Every option is "
                   "also a hestia.yaml key and a HESTIA_… environment variable;\nprecedence: "
                   "flag > environment > hestia.yaml > default.\n\n"
                << Config::HelpText(ServeOptions());
      return 0;
    }
  }
  auto loaded = Config::Load(ServeOptions(), argc, argv);
  if (!loaded.ok()) return Fail(loaded.status());
  const Config& config = *loaded;
  if (!log::SetLevel(config.Get("log.level"))) {
    return Fail(InvalidError("log.level must be debug, info, warn or error"));
  }

  // Block the stop signals in every thread we start; the main thread waits for them below.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  HESTIA_INT_OPTION(port, "server.port", 0, 65535);
  HESTIA_INT_OPTION(threads, "server.threads", 1, 256);
  HESTIA_INT_OPTION(max_request, "server.max_request_bytes", 1024, 1L << 31);
  HESTIA_INT_OPTION(header_timeout, "server.header_timeout_ms", 100, 3600000);
  HESTIA_INT_OPTION(body_timeout, "server.body_timeout_ms", 100, 3600000);
  HESTIA_INT_OPTION(keepalive_timeout, "server.keepalive_timeout_ms", 100, 3600000);

  auto runtime = OpenRuntime(config, RuntimeMinimums{}, /*supervise=*/true);
  if (!runtime.ok()) return Fail(runtime.status());

  rest::HttpOptions http;
  http.host = config.Get("server.host");
  http.port = static_cast<int>(port);
  http.threads = static_cast<int>(threads);
  http.max_request_bytes = static_cast<std::size_t>(max_request);
  http.header_timeout_ms = static_cast<int>(header_timeout);
  http.body_timeout_ms = static_cast<int>(body_timeout);
  http.keepalive_timeout_ms = static_cast<int>(keepalive_timeout);
  http.base_path = config.Get("server.base_path");
  http.public_base_url = config.Get("server.public_base_url");

  if (config.GetBool("demo.load")) {
    const std::string base = http.public_base_url.empty()
                                 ? "http://localhost:" + std::to_string(port) + http.base_path
                                 : http.public_base_url;
    if (Status s = LoadDemoData(config.Get("demo.file"), *runtime->store, *runtime->service, base);
        !s.ok()) {
      return Fail(s);
    }
  }

  auto server = rest::HttpServer::Start(http, runtime->service);
  if (!server.ok()) return Fail(server.status());
  const std::string shown_host = http.host == "0.0.0.0" ? "localhost" : http.host;
  const std::string base_url =
      "http://" + shown_host + ":" + std::to_string((*server)->port()) + http.base_path;
  log::Info("hestia ready", {{"base_url", base_url}, {"threads", threads}});
  std::printf("Hestia FHIR R4 server ready at %s  (Ctrl-C stops it)\n", base_url.c_str());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  log::Info("stopping", {{"signal", signal}});
  (*server)->Shutdown();
  server->reset();
  runtime->Close();
  log::Info("stopped");
  return 0;
}

}  // namespace hestia::server
