// The Pistache side of the HTTP layer: bytes in from a connection, bytes out to it.
//
// Owns: per-connection state (the request head being captured, the "closing" flag), the
// size limits (head ≤ kMaxHeadBytes, body ≤ HttpOptions::max_request_bytes, checked against
// Content-Length as soon as the head is complete), "100 Continue", the OperationOutcome for
// malformed requests, keep-alive and lingering close.
// We override Tcp::Handler::onInput (which Http::Handler implements privately) so that no
// Pistache plain-text error ever reaches a client. The request head is ours: we capture and
// parse it (wire.h), so duplicate headers and repeated query parameters survive (Pistache
// keeps both in hash maps). Pistache's parser only frames the body: it is fed a stand-in
// request line and the framing header (Content-Length or Transfer-Encoding) and never sees
// the client's other header fields, whose eager parsing (Date, Cache-Control, media types)
// is where Pistache 0.0.5 is fragile. Its step and clock still drive the header, body and
// keep-alive timeouts of the transport; we restart them at each request's first byte (see
// docs/adr/0002-http-layer.md).
// Thread-safety: Pistache clones the handler per worker thread; a connection is served by
// one worker, so per-connection state needs no lock. The Dispatcher is shared and
// thread-safe.
#pragma once

#include <cstddef>
#include <memory>

#include <pistache/http.h>
#include <pistache/peer.h>

#include "dispatcher.h"

namespace hestia::rest {

class ConnectionHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(ConnectionHandler)

  // The request line and header fields together; larger → 413 and the connection closes.
  static constexpr std::size_t kMaxHeadBytes = 64 * 1024;

  explicit ConnectionHandler(std::shared_ptr<Dispatcher> dispatcher);

  void onInput(const char* buffer, size_t len,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override;
  void onTimeout(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override;

 private:
  struct Connection;
  static std::shared_ptr<Connection> StateOf(const std::shared_ptr<Pistache::Tcp::Peer>& peer);
  void Reject(const std::shared_ptr<Pistache::Tcp::Peer>& peer, Connection* conn,
              const Status& status);
  static void Send(const std::shared_ptr<Pistache::Tcp::Peer>& peer, const WireResponse& response,
                   int minor_version, bool keep_alive);

  std::shared_ptr<Dispatcher> dispatcher_;
};

}  // namespace hestia::rest
