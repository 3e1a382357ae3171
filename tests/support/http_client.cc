// Blocking HTTP/1.1 test client. See http_client.h.
#include "http_client.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace hestia::testing {
namespace {

constexpr std::size_t kMaxHeadBytes = 1 << 20;

long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ListContains(std::string_view value, std::string_view token) {
  while (true) {
    std::size_t comma = value.find(',');
    if (EqualsIgnoreCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    value.remove_prefix(comma + 1);
  }
}

Status TimeoutError(std::string what) { return Status(StatusCode::kTimeout, std::move(what)); }

// Waits until fd is ready for `events` or the deadline passes.
Status WaitFor(int fd, short events, long deadline_ms) {
  while (true) {
    long left = deadline_ms - NowMs();
    if (left <= 0) return TimeoutError("timed out waiting for the server");
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    if (n > 0) return Status::Ok();
    if (n < 0 && errno != EINTR) return UnavailableError(std::string("poll: ") + strerror(errno));
  }
}

}  // namespace

const std::string* HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

HttpClient::HttpClient(std::string host, int port, int timeout_ms)
    : host_(std::move(host)), port_(port), timeout_ms_(timeout_ms) {}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  reused_ = false;
  buffer_.clear();
}

Status HttpClient::Connect() {
  Close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::string port = std::to_string(port_);
  int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &list);
  if (rc != 0) return UnavailableError("cannot resolve " + host_ + ": " + gai_strerror(rc));
  long deadline = NowMs() + timeout_ms_;
  Status last = UnavailableError("no address for " + host_);
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last = UnavailableError("connect to " + host_ + ":" + port + ": " + strerror(errno));
      ::close(fd);
      continue;
    }
    Status ready = WaitFor(fd, POLLOUT, deadline);
    int err = 0;
    socklen_t len = sizeof err;
    if (ready.ok()) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (!ready.ok() || err != 0) {
      last = ready.ok()
                 ? UnavailableError("connect to " + host_ + ":" + port + ": " + strerror(err))
                 : ready;
      ::close(fd);
      continue;
    }
    fd_ = fd;
    break;
  }
  ::freeaddrinfo(list);
  return fd_ >= 0 ? Status::Ok() : last;
}

Status HttpClient::WriteAll(std::string_view bytes) {
  long deadline = NowMs() + timeout_ms_;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      HESTIA_RETURN_IF_ERROR(WaitFor(fd_, POLLOUT, deadline));
      continue;
    }
    return UnavailableError(std::string("send: ") + strerror(errno));
  }
  return Status::Ok();
}

Result<std::size_t> HttpClient::Fill(long deadline_ms) {
  char chunk[65536];
  while (true) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return static_cast<std::size_t>(n);
    }
    if (n == 0) return std::size_t{0};
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      HESTIA_RETURN_IF_ERROR(WaitFor(fd_, POLLIN, deadline_ms));
      continue;
    }
    if (errno == ECONNRESET) return std::size_t{0};
    return UnavailableError(std::string("recv: ") + strerror(errno));
  }
}

Result<HttpResponse> HttpClient::ReadResponse(bool head_request) {
  long deadline = NowMs() + timeout_ms_;
  while (true) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeadBytes) return StructureError("response head too large");
      HESTIA_ASSIGN_OR_RETURN(std::size_t n, Fill(deadline));
      if (n == 0) {
        bool nothing = buffer_.empty();
        Close();
        if (nothing) return UnavailableError("the server closed the connection without answering");
        return StructureError("the server closed the connection inside a response head");
      }
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    HttpResponse response;
    std::string_view rest = head;
    std::size_t eol = rest.find("\r\n");
    std::string_view status_line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
      Close();
      return StructureError("malformed status line: " + std::string(status_line.substr(0, 80)));
    }
    bool http10 = status_line[7] == '0';
    std::string code(status_line.substr(9, 3));
    char* code_end = nullptr;
    long status = std::strtol(code.c_str(), &code_end, 10);
    if (code_end != code.c_str() + 3 || status < 100 || status > 599) {
      Close();
      return StructureError("malformed status code: " + code);
    }
    response.status = static_cast<int>(status);
    while (!rest.empty()) {
      eol = rest.find("\r\n");
      std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        Close();
        return StructureError("malformed response header: " + std::string(line.substr(0, 80)));
      }
      response.headers.emplace_back(std::string(line.substr(0, colon)),
                                    std::string(Trim(line.substr(colon + 1))));
    }
    if (response.status < 200 && response.status != 101) continue;  // 100 Continue & co.

    bool close = http10;
    if (const std::string* c = response.Header("Connection")) {
      if (ListContains(*c, "close")) close = true;
      if (ListContains(*c, "keep-alive")) close = false;
    }
    bool bodiless =
        head_request || response.status < 200 || response.status == 204 || response.status == 304;
    const std::string* te = response.Header("Transfer-Encoding");
    const std::string* cl = response.Header("Content-Length");
    if (bodiless) {
      // nothing to read
    } else if (te != nullptr && ListContains(*te, "chunked")) {
      while (true) {
        std::size_t line_end;
        while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
          HESTIA_ASSIGN_OR_RETURN(std::size_t n, Fill(deadline));
          if (n == 0) return StructureError("connection closed inside a chunked body");
        }
        std::string size_text = buffer_.substr(0, line_end);
        char* size_end = nullptr;
        unsigned long long size = std::strtoull(size_text.c_str(), &size_end, 16);
        if (size_end == size_text.c_str() ||
            (*size_end != '\0' && *size_end != ';' && *size_end != ' ' && *size_end != '\t')) {
          Close();
          return StructureError("malformed chunk size: " + size_text.substr(0, 40));
        }
        buffer_.erase(0, line_end + 2);
        if (size == 0) {
          // Trailer fields, then the empty line.
          while (true) {
            while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
              HESTIA_ASSIGN_OR_RETURN(std::size_t n, Fill(deadline));
              if (n == 0) return StructureError("connection closed inside chunked trailers");
            }
            bool last = line_end == 0;
            buffer_.erase(0, line_end + 2);
            if (last) break;
          }
          break;
        }
        while (buffer_.size() < size + 2) {
          HESTIA_ASSIGN_OR_RETURN(std::size_t n, Fill(deadline));
          if (n == 0) return StructureError("connection closed inside a chunk");
        }
        response.body.append(buffer_, 0, size);
        buffer_.erase(0, size + 2);
      }
    } else if (cl != nullptr) {
      char* len_end = nullptr;
      unsigned long long length = std::strtoull(cl->c_str(), &len_end, 10);
      if (cl->empty() || *len_end != '\0') {
        Close();
        return StructureError("malformed Content-Length: " + *cl);
      }
      while (buffer_.size() < length) {
        HESTIA_ASSIGN_OR_RETURN(std::size_t n, Fill(deadline));
        if (n == 0) {
          Close();
          return StructureError("connection closed inside a response body");
        }
      }
      response.body = buffer_.substr(0, length);
      buffer_.erase(0, length);
    } else {
      // No framing: the body runs to the end of the connection.
      while (true) {
        HESTIA_ASSIGN_OR_RETURN(std::size_t n, Fill(deadline));
        if (n == 0) break;
      }
      response.body = std::move(buffer_);
      close = true;
    }
    if (close) {
      Close();
    } else {
      reused_ = true;
    }
    return response;
  }
}

Result<HttpResponse> HttpClient::Send(
    std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  bool has_length = false;
  for (const auto& [k, v] : headers) {
    has_host = has_host || EqualsIgnoreCase(k, "Host");
    has_length = has_length || EqualsIgnoreCase(k, "Content-Length") ||
                 EqualsIgnoreCase(k, "Transfer-Encoding");
    request.append(k).append(": ").append(v).append("\r\n");
  }
  if (!has_host) request.append("Host: " + host_ + ":" + std::to_string(port_) + "\r\n");
  bool body_method = method == "POST" || method == "PUT" || method == "PATCH";
  if (!has_length && (!body.empty() || body_method)) {
    request.append("Content-Length: " + std::to_string(body.size()) + "\r\n");
  }
  request.append("\r\n");
  request.append(body);
  bool head_request = method == "HEAD";

  for (int attempt = 0;; ++attempt) {
    if (fd_ < 0) HESTIA_RETURN_IF_ERROR(Connect());
    bool was_reused = reused_;
    Status written = WriteAll(request);
    if (!written.ok()) {
      // The server may have answered early (413) and stopped reading; take its answer.
      if (fd_ >= 0 && written.code() != StatusCode::kTimeout) {
        Result<HttpResponse> early = ReadResponse(head_request);
        if (early.ok()) return early;
      }
      Close();
      if (was_reused && attempt == 0) continue;
      return written;
    }
    Result<HttpResponse> response = ReadResponse(head_request);
    if (!response.ok() && was_reused && attempt == 0 &&
        response.status().code() == StatusCode::kUnavailable) {
      Close();
      continue;  // the server had closed the idle connection
    }
    if (!response.ok()) Close();
    return response;
  }
}

Result<HttpResponse> HttpClient::SendRaw(std::string_view bytes) {
  if (fd_ < 0) HESTIA_RETURN_IF_ERROR(Connect());
  Status written = WriteAll(bytes);
  Result<HttpResponse> response = ReadResponse(/*head_request=*/false);
  if (!response.ok()) {
    Close();
    if (!written.ok()) return written;
  }
  return response;
}

}  // namespace hestia::testing
