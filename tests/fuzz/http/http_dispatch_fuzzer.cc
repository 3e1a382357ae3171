// libFuzzer target: arbitrary bytes as an HTTP request head + body through our head parser
// and the Dispatcher (routing, decoding, negotiation, _pretty, metrics, logs).
// Thread-safety: single-threaded fuzzer.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "dispatcher.h"
#include "fuzz_service.h"
#include "hestia/base/log.h"
#include "wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hestia::rest::Dispatcher* dispatcher = [] {
    hestia::log::SetLevel(hestia::log::Level::kError);
    hestia::rest::HttpOptions options;
    options.max_request_bytes = 4096;
    return new hestia::rest::Dispatcher(options, std::make_shared<hestia::fuzz::FuzzService>());
  }();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t end = input.find("\r\n\r\n");
  auto request = hestia::rest::ParseRequestHead(input.substr(0, end));
  if (!request.ok()) return 0;
  if (end != std::string_view::npos) request->body = std::string(input.substr(end + 4));
  hestia::rest::WireResponse response = dispatcher->Handle(*request);
  (void)hestia::rest::SerializeResponse(response, request->minor_version, true);
  return 0;
}
