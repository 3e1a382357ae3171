// Pistache connection handling. See connection_handler.h.
#include "connection_handler.h"

#include <strings.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <utility>

#include <pistache/async.h>
#include <pistache/http_header.h>
#include <pistache/mime.h>

#include "hestia/base/log.h"
#include "hestia/base/operation_outcome.h"

namespace hestia::rest {

namespace Http = Pistache::Http;
using Pistache::Tcp::Peer;

namespace {

constexpr const char* kStateKey = "hestia.connection";
constexpr std::string_view kStandInRequestLine = "GET / HTTP/1.1\r\n";

std::string_view FirstLine(std::string_view head) { return head.substr(0, head.find("\r\n")); }

}  // namespace

struct ConnectionHandler::Connection {
  std::string head;                    // bytes of the current request up to the empty line
  std::optional<WireRequest> request;  // our parse of `head`, once complete
  bool closing = false;                // the last response said "Connection: close"

  void Reset() {
    head.clear();
    request.reset();
  }
};

ConnectionHandler::ConnectionHandler(std::shared_ptr<Dispatcher> dispatcher)
    : dispatcher_(std::move(dispatcher)) {}

std::shared_ptr<ConnectionHandler::Connection> ConnectionHandler::StateOf(
    const std::shared_ptr<Peer>& peer) {
  auto data = peer->tryGetData(kStateKey);
  if (data) return std::static_pointer_cast<Connection>(data);
  auto conn = std::make_shared<Connection>();
  peer->putData(kStateKey, conn);
  return conn;
}

void ConnectionHandler::onInput(const char* buffer, size_t len, const std::shared_ptr<Peer>& peer) {
  std::shared_ptr<Connection> conn;
  try {
    conn = StateOf(peer);
  } catch (...) {
    return;  // allocation failure: drop the input; the keep-alive timeout closes the peer
  }
  // After "Connection: close" we only drain what the client still sends until it closes.
  if (conn->closing) return;
  const std::size_t max_body = dispatcher_->options().max_request_bytes;
  try {
    auto parser = getParser(peer);
    std::string_view input(buffer, len);
    if (!conn->request) {
      if (conn->head.empty()) {
        // RFC 9112 §2.2: ignore empty lines before a request line (some clients send a CRLF
        // after a body).
        while (!input.empty() && (input.front() == '\r' || input.front() == '\n')) {
          input.remove_prefix(1);
        }
        if (input.empty()) return;
        // A new request. Pistache's transport applies the header and body timeouts only to
        // non-idle peers, measured from the parser's last reset: mark the peer busy and
        // restart the clock here (else a keep-alive connection gets only the keep-alive
        // timeout for a stalled request, or a 408 mid-upload after a long idle spell), and
        // show the parser a stand-in request line so that the header timeout applies while
        // the real head arrives.
        peer->setIdle(false);
        parser->reset();
        parser->feed(kStandInRequestLine.data(), kStandInRequestLine.size());
        parser->parse();
      }
      std::size_t old = conn->head.size();
      conn->head.append(input.substr(0, kMaxHeadBytes + 4 - std::min(old, kMaxHeadBytes)));
      std::size_t end = conn->head.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
      if (end == std::string::npos) {
        if (conn->head.size() > kMaxHeadBytes) {
          return Reject(
              peer, conn.get(),
              Status(StatusCode::kTooLarge, "the request line and headers exceed " +
                                                std::to_string(kMaxHeadBytes) + " bytes"));
        }
        return;
      }
      input.remove_prefix(end + 4 - old);
      conn->head.resize(end + 2);
      auto parsed = ParseRequestHead(conn->head);
      if (!parsed.ok()) return Reject(peer, conn.get(), parsed.status());
      auto framing = FramingOf(*parsed);
      if (!framing.ok()) return Reject(peer, conn.get(), framing.status());
      if (framing->length > max_body) {
        return Reject(
            peer, conn.get(),
            Status(StatusCode::kTooLarge, "the request body of " + std::to_string(framing->length) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(max_body) + " bytes"));
      }
      conn->request = std::move(parsed).value();
      // Pistache frames the body from these headers only: it never parses the client's
      // other header fields (Date, Cache-Control, Accept … had memory bugs upstream).
      std::string framing_head =
          framing->chunked      ? std::string("Transfer-Encoding: chunked\r\n\r\n")
          : framing->length > 0 ? "Content-Length: " + std::to_string(framing->length) + "\r\n\r\n"
                                : std::string("\r\n");
      parser->feed(framing_head.data(), framing_head.size());
      const std::string* expect = FindHeader(conn->request->headers, "Expect");
      if (expect != nullptr && (framing->chunked || framing->length > 0) &&
          strcasecmp(expect->c_str(), "100-continue") == 0 && input.empty()) {
        peer->send(Pistache::RawBuffer("HTTP/1.1 100 Continue\r\n\r\n", 25))
            .then([](ssize_t) {}, Pistache::Async::IgnoreException);
      }
    }
    if (!input.empty() && !parser->feed(input.data(), input.size())) {
      return Reject(peer, conn.get(),
                    Status(StatusCode::kTooLarge, "the request body exceeds the limit of " +
                                                      std::to_string(max_body) + " bytes"));
    }
    if (parser->parse() != Http::Private::State::Done) return;
    WireRequest request = std::move(*conn->request);
    request.body = std::as_const(parser->request).body();
    conn->Reset();
    if (request.body.size() > max_body) {
      conn->head = request.method + " " + request.target;
      return Reject(peer, conn.get(),
                    Status(StatusCode::kTooLarge, "the request body exceeds the limit of " +
                                                      std::to_string(max_body) + " bytes"));
    }
    bool keep_alive = WantsKeepAlive(request);
    WireResponse response = dispatcher_->Handle(request);
    // Pistache measures the keep-alive timeout of an idle peer from the parser's last reset:
    // resetting it only now, when the answer goes out, keeps a request that ran longer than
    // the timeout from having its connection closed under the answer.
    parser->reset();
    if (!keep_alive) conn->closing = true;
    Send(peer, response, request.minor_version, keep_alive);
  } catch (const Http::HttpError& e) {
    StatusCode code = e.code() == 413   ? StatusCode::kTooLarge
                      : e.code() == 501 ? StatusCode::kNotSupported
                                        : StatusCode::kStructure;
    Reject(peer, conn.get(), Status(code, "malformed HTTP request: " + e.reason()));
  } catch (const std::exception& e) {
    Reject(peer, conn.get(), StructureError(std::string("malformed HTTP request: ") + e.what()));
  } catch (...) {
    Reject(peer, conn.get(), StructureError("malformed HTTP request"));
  }
}

void ConnectionHandler::Reject(const std::shared_ptr<Peer>& peer, Connection* conn,
                               const Status& status) {
  try {
    std::string_view line = FirstLine(conn->head);
    std::string_view method = line.substr(0, std::min<std::size_t>(line.find(' '), 16));
    std::string_view target;
    if (std::size_t sp = line.find(' '); sp != std::string_view::npos) {
      target = line.substr(sp + 1, line.find(' ', sp + 1) - sp - 1);
    }
    WireResponse response = dispatcher_->Reject(status, method, target);
    int minor = conn->request ? conn->request->minor_version : 1;
    getParser(peer)->reset();
    conn->Reset();
    conn->closing = true;
    Send(peer, response, minor, /*keep_alive=*/false);
  } catch (...) {
    conn->closing = true;
  }
}

void ConnectionHandler::Send(const std::shared_ptr<Peer>& peer, const WireResponse& response,
                             int minor_version, bool keep_alive) {
  std::string bytes = SerializeResponse(response, minor_version, keep_alive);
  std::size_t size = bytes.size();
  peer->setIdle(true);
  auto written = peer->send(Pistache::RawBuffer(std::move(bytes), size));
  if (keep_alive) {
    written.then([](ssize_t) {}, Pistache::Async::IgnoreException);
    return;
  }
  // Lingering close: send FIN once the response is on the wire, keep reading (and
  // discarding) until the client closes, so that unread request bytes never turn into a
  // reset that destroys the response in flight.
  std::weak_ptr<Peer> weak = peer;
  written.then(
      [weak](ssize_t) {
        if (auto p = weak.lock()) ::shutdown(p->fd(), SHUT_WR);
      },
      Pistache::Async::IgnoreException);
}

void ConnectionHandler::onRequest(const Http::Request& /*request*/, Http::ResponseWriter response) {
  // Unreachable: onInput dispatches every request itself.
  response.send(Http::Code::Internal_Server_Error,
                OperationOutcomeJson(InternalError("request bypassed the dispatcher")),
                MIME(Application, Json));
}

void ConnectionHandler::onTimeout(const Http::Request& /*request*/, Http::ResponseWriter response) {
  response.send(
      Http::Code::Request_Timeout,
      OperationOutcomeJson(Status(StatusCode::kTimeout, "the request was not received in time")),
      MIME(Application, Json));
}

}  // namespace hestia::rest
