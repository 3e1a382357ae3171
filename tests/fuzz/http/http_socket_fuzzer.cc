// libFuzzer target: arbitrary bytes written to a running HttpServer over loopback — the
// whole request path under ASan, Pistache's framing and timeouts included. The client
// half-closes after writing so that incomplete requests end at once; every 64 inputs the
// server must still answer /healthz.
// Thread-safety: the fuzzer thread drives; the server runs its own workers.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "fuzz_service.h"
#include "hestia/base/log.h"
#include "hestia/rest/http_server.h"
#include "support/http_client.h"

namespace {

void WriteAndDrain(int port, const uint8_t* data, size_t size) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    size_t off = 0;
    while (off < size) {
      ssize_t n = ::send(fd, data + off, size - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    ::shutdown(fd, SHUT_WR);
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 500) > 0 && ::recv(fd, buf, sizeof buf, 0) > 0) {
    }
  }
  ::close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hestia::rest::HttpServer* server = [] {
    hestia::log::SetLevel(hestia::log::Level::kError);
    hestia::rest::HttpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 2;
    options.max_request_bytes = 64 * 1024;
    options.header_timeout_ms = 200;
    options.body_timeout_ms = 200;
    auto started =
        hestia::rest::HttpServer::Start(options, std::make_shared<hestia::fuzz::FuzzService>());
    if (!started.ok()) std::abort();
    return std::move(started).value().release();
  }();
  static int runs = 0;
  WriteAndDrain(server->port(), data, size);
  if (++runs % 64 == 0) {
    hestia::testing::HttpClient probe("127.0.0.1", server->port(), 5000);
    auto health = probe.Send("GET", "/healthz");
    if (!health.ok() || health->status != 200) std::abort();
  }
  return 0;
}
