// A small blocking HTTP/1.1 client for integration tests.
//
// Owns: one keep-alive TCP connection per HttpClient, request serialization, and response
// parsing (Content-Length, chunked, read-to-close; no body for HEAD, 1xx, 204, 304). It
// reconnects when the server has closed the connection, and sends whatever bytes SendRaw is
// given so that tests can probe malformed requests.
// Used by: the integration tests of every folder (library hestia_test_support).
// Thread-safety: an HttpClient is not thread-safe; use one per thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::testing {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in order received
  std::string body;                                          // de-chunked

  // First value of header `name` (case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const;
};

class HttpClient {
 public:
  // Connects lazily to host:port. `timeout_ms` bounds connecting, each write and the whole
  // wait for one response.
  HttpClient(std::string host, int port, int timeout_ms = 30000);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads its response. Adds Host (unless given) and Content-Length
  // (unless Content-Length or Transfer-Encoding is given, and only when there is a body or
  // the method is POST/PUT/PATCH). Retries once on a fresh connection when a reused
  // connection turns out to be closed. Fails with kUnavailable when the server cannot be
  // reached or closes without answering, kTimeout on timeout, kStructure for a malformed
  // response.
  Result<HttpResponse> Send(std::string_view method, std::string_view target,
                            const std::vector<std::pair<std::string, std::string>>& headers = {},
                            std::string_view body = {});

  // Writes `bytes` verbatim on the connection (opening one if needed) and reads one
  // response. No retry. A write error is not fatal as long as a response can be read (the
  // server may answer and close before reading everything).
  Result<HttpResponse> SendRaw(std::string_view bytes);

  // Closes the connection; the next request opens a new one.
  void Close();

 private:
  Status Connect();
  Status WriteAll(std::string_view bytes);
  Result<HttpResponse> ReadResponse(bool head_request);
  // Reads more bytes into buffer_; returns 0 on EOF, kTimeout/kUnavailable on error.
  Result<std::size_t> Fill(long deadline_ms);

  std::string host_;
  int port_;
  int timeout_ms_;
  int fd_ = -1;
  bool reused_ = false;  // the connection has carried a complete response already
  std::string buffer_;   // received bytes not yet consumed
};

}  // namespace hestia::testing
