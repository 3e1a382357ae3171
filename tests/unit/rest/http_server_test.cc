// Tests of the HTTP layer over real sockets: a HttpServer on a free port in front of an echo
// Service, driven by the test-support HttpClient.
// FHIR R4: http://hl7.org/fhir/R4/http.html (content types, _format, _pretty, errors)
#include "hestia/rest/http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "hestia/base/json.h"
#include "support/http_client.h"

namespace hestia::rest {
namespace {

using testing::HttpClient;
using testing::HttpResponse;

// Echoes the Request it receives as JSON; a few paths trigger special behaviour.
class EchoService : public interactions::Service {
 public:
  std::atomic<bool> ready{true};

  interactions::Response Handle(const interactions::Request& req) override {
    interactions::Response r;
    r.interaction = "echo";
    const std::string first = req.path.empty() ? "" : req.path[0];
    if (first == "throw") throw std::runtime_error("boom");
    if (first == "status" && req.path.size() == 2) {
      r.status = std::stoi(req.path[1]);
      r.interaction = "status";
      return r;
    }
    if (first == "nocontent") {
      r.status = 204;
      r.body = "{\"x\":1}";
      return r;
    }
    if (first == "headers") {
      r.status = 201;
      r.headers.Add("ETag", "W/\"3\"");
      r.headers.Add("Location", req.base_url + "/Patient/1/_history/3");
      r.headers.Add("X-Evil", "a\r\nSet-Cookie: x=y");
      r.headers.Add("Content-Length", "999");
      r.body = "{\"resourceType\":\"Patient\",\"id\":\"1\"}";
      return r;
    }
    if (first == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(20));
    json::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    doc.AddMember("method", json::MakeString(req.method, a), a);
    json::Value path(rapidjson::kArrayType);
    for (const auto& s : req.path) path.PushBack(json::MakeString(s, a), a);
    doc.AddMember("path", path, a);
    json::Value query(rapidjson::kArrayType);
    for (const auto& [k, v] : req.query) {
      json::Value pair(rapidjson::kArrayType);
      pair.PushBack(json::MakeString(k, a), a);
      pair.PushBack(json::MakeString(v, a), a);
      query.PushBack(pair, a);
    }
    doc.AddMember("query", query, a);
    doc.AddMember("raw_query", json::MakeString(req.raw_query, a), a);
    doc.AddMember("body", json::MakeString(req.body, a), a);
    doc.AddMember("base_url", json::MakeString(req.base_url, a), a);
    doc.AddMember("request_id", json::MakeString(req.request_id, a), a);
    const std::string* ct = req.headers.Find("content-type");
    doc.AddMember("content_type", json::MakeString(ct ? *ct : "", a), a);
    r.body = json::Write(doc);
    return r;
  }

  Status CheckReady() override {
    return ready ? Status::Ok() : UnavailableError("database unreachable");
  }

  void AppendMetrics(std::string* out) override {
    out->append("# TYPE hestia_db_pool_connections gauge\nhestia_db_pool_connections 4\n");
  }
};

json::Document ParseBody(const HttpResponse& r) {
  json::Document doc;
  Status st = json::Parse(r.body, json::Limits(), &doc);
  EXPECT_TRUE(st.ok()) << st.ToString() << "\n" << r.body;
  return doc;
}

// Asserts an OperationOutcome response with `status` and issue[0].code == `code`.
void ExpectOutcome(const Result<HttpResponse>& r, int status, const char* code) {
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, status) << r->body;
  const std::string* ct = r->Header("Content-Type");
  ASSERT_NE(ct, nullptr);
  EXPECT_EQ(ct->rfind("application/fhir+json", 0), 0u) << *ct;
  json::Document doc = ParseBody(*r);
  ASSERT_TRUE(doc.IsObject());
  EXPECT_EQ(json::StringMember(doc, "resourceType"), "OperationOutcome");
  const json::Value* issue = json::Member(doc, "issue");
  ASSERT_TRUE(issue != nullptr && issue->IsArray() && !issue->Empty()) << r->body;
  EXPECT_EQ(json::StringMember((*issue)[0], "code"), code) << r->body;
  EXPECT_NE(r->Header("X-Request-Id"), nullptr);
}

class HttpServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service_ = std::make_shared<EchoService>();
    HttpOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.threads = 4;
    options.max_request_bytes = 64 * 1024;
    auto server = HttpServer::Start(options, service_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value().release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    service_.reset();
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    service_->ready = true;
  }

  static HttpClient Client() { return HttpClient("127.0.0.1", server_->port(), 10000); }

  static inline HttpServer* server_ = nullptr;
  static inline std::shared_ptr<EchoService> service_;
};

TEST_F(HttpServerTest, PortIsBound) { EXPECT_GT(server_->port(), 0); }

TEST_F(HttpServerTest, Healthz) {
  auto c = Client();
  auto r = c.Send("GET", "/healthz");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("up"), std::string::npos);
  auto post = c.Send("POST", "/healthz");
  ExpectOutcome(post, 405, "not-supported");
  ASSERT_NE(post->Header("Allow"), nullptr);
}

TEST_F(HttpServerTest, ReadyzFollowsService) {
  auto c = Client();
  auto r = c.Send("GET", "/readyz");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  service_->ready = false;
  auto down = c.Send("GET", "/readyz");
  ExpectOutcome(down, 503, "transient");
  EXPECT_NE(down->Header("Retry-After"), nullptr);
  EXPECT_NE(down->body.find("database unreachable"), std::string::npos);
}

TEST_F(HttpServerTest, OutsideBaseIs404) {
  auto c = Client();
  ExpectOutcome(c.Send("GET", "/"), 404, "not-found");
  ExpectOutcome(c.Send("GET", "/fhirx/Patient"), 404, "not-found");
  ExpectOutcome(c.Send("GET", "/other/thing?x=1"), 404, "not-found");
}

TEST_F(HttpServerTest, FhirRequestReachesService) {
  auto c = Client();
  auto r = c.Send("GET", "/fhir/Patient/a%2Db?name=J%C3%B6rg+M&date=ge2020&date=le2021",
                  {{"Host", "example.org:8080"}, {"X-Custom", "1"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(*r->Header("Content-Type"), "application/fhir+json;charset=utf-8");
  json::Document doc = ParseBody(*r);
  EXPECT_EQ(json::StringMember(doc, "method"), "GET");
  const json::Value& path = doc["path"];
  ASSERT_EQ(path.Size(), 2u);
  EXPECT_EQ(json::AsStringView(path[1]), "a-b");
  const json::Value& query = doc["query"];
  ASSERT_EQ(query.Size(), 3u);
  EXPECT_EQ(json::AsStringView(query[0][1]), "J\xC3\xB6rg M");
  EXPECT_EQ(json::AsStringView(query[2][1]), "le2021");
  EXPECT_EQ(json::StringMember(doc, "raw_query"), "name=J%C3%B6rg+M&date=ge2020&date=le2021");
  EXPECT_EQ(json::StringMember(doc, "base_url"), "http://example.org:8080/fhir");
  auto base = c.Send("GET", "/fhir");
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(base->status, 200);
  EXPECT_EQ(ParseBody(*base)["path"].Size(), 0u);
}

TEST_F(HttpServerTest, PathTricksAre400) {
  auto c = Client();
  ExpectOutcome(c.Send("GET", "/fhir/Patient/..%2F..%2Fetc"), 400, "invalid");
  ExpectOutcome(c.Send("GET", "/fhir/Patient/%2e%2e"), 400, "invalid");
  ExpectOutcome(c.Send("GET", "/fhir/Patient/../x"), 400, "invalid");
  ExpectOutcome(c.Send("GET", "/fhir/Patient?name=%zz"), 400, "invalid");
}

TEST_F(HttpServerTest, AcceptAndFormat) {
  auto c = Client();
  ExpectOutcome(c.Send("GET", "/fhir/Patient", {{"Accept", "application/fhir+xml"}}), 406,
                "not-supported");
  ExpectOutcome(c.Send("GET", "/fhir/Patient?_format=xml"), 406, "not-supported");
  ExpectOutcome(c.Send("GET", "/fhir/Patient?_format=text/html"), 406, "not-supported");
  auto json = c.Send("GET", "/fhir/Patient", {{"Accept", "application/json"}});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(*json->Header("Content-Type"), "application/json;charset=utf-8");
  auto any = c.Send("GET", "/fhir/Patient", {{"Accept", "text/html, */*;q=0.1"}});
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(*any->Header("Content-Type"), "application/fhir+json;charset=utf-8");
  auto fmt = c.Send("GET", "/fhir/Patient?_format=json", {{"Accept", "application/xml"}});
  ASSERT_TRUE(fmt.ok());
  EXPECT_EQ(fmt->status, 200);
  auto fmt_json = c.Send("GET", "/fhir/Patient?_format=application/json");
  ASSERT_TRUE(fmt_json.ok());
  EXPECT_EQ(*fmt_json->Header("Content-Type"), "application/json;charset=utf-8");
}

TEST_F(HttpServerTest, RequestContentType) {
  auto c = Client();
  const std::string body = R"({"resourceType":"Patient"})";
  ExpectOutcome(c.Send("POST", "/fhir/Patient", {{"Content-Type", "text/plain"}}, body), 415,
                "not-supported");
  ExpectOutcome(c.Send("POST", "/fhir/Patient", {}, body), 415, "not-supported");
  ExpectOutcome(c.Send("PUT", "/fhir/Patient/1",
                       {{"Content-Type", "application/fhir+json; charset=iso-8859-1"}}, body),
                415, "not-supported");
  ExpectOutcome(c.Send("POST", "/fhir/Patient", {{"Content-Type", "application/fhir+xml"}}, body),
                415, "not-supported");
  auto ok = c.Send("POST", "/fhir/Patient",
                   {{"Content-Type", "application/fhir+json;charset=utf-8"}}, body);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ParseBody(*ok)["body"].GetString(), body);
  auto patch = c.Send("PATCH", "/fhir/Patient/1", {{"Content-Type", "application/json-patch+json"}},
                      R"([{"op":"remove","path":"/active"}])");
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->status, 200) << patch->body;
  EXPECT_EQ(json::StringMember(ParseBody(*patch), "content_type"), "application/json-patch+json");
  auto form = c.Send("POST", "/fhir/Patient/_search?a=1",
                     {{"Content-Type", "application/x-www-form-urlencoded"}}, "name=x+y");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->status, 200) << form->body;
  EXPECT_EQ(ParseBody(*form)["query"].Size(), 2u);
  auto empty = c.Send("POST", "/fhir/Patient/_search");  // no body → no Content-Type needed
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->status, 200);
}

TEST_F(HttpServerTest, BodyTooLargeIs413WithOutcome) {
  auto c = Client();
  std::string big(200 * 1024, 'x');
  ExpectOutcome(c.Send("POST", "/fhir/Patient", {{"Content-Type", "application/fhir+json"}}, big),
                413, "too-long");
  // The same limit holds for chunked bodies, whose size is unknown up front.
  auto chunked = Client();
  std::string request =
      "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) request += "1000\r\n" + std::string(4096, 'y') + "\r\n";
  request += "0\r\n\r\n";
  ExpectOutcome(chunked.SendRaw(request), 413, "too-long");
  // A body just under the limit is fine.
  auto ok = Client().Send("POST", "/fhir/Patient", {{"Content-Type", "application/json"}},
                          "\"" + std::string(60 * 1024, 'z') + "\"");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpServerTest, ExpectContinue) {
  auto c = Client();
  auto r =
      c.Send("POST", "/fhir/Patient",
             {{"Content-Type", "application/fhir+json"}, {"Expect", "100-continue"}}, "{\"a\":1}");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  auto big = Client().SendRaw(
      "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\n"
      "Expect: 100-continue\r\nContent-Length: 100000000\r\n\r\n");
  ExpectOutcome(big, 413, "too-long");
}

TEST_F(HttpServerTest, Pretty) {
  auto c = Client();
  auto compact = c.Send("GET", "/fhir/Patient");
  auto pretty = c.Send("GET", "/fhir/Patient?_pretty=true");
  ASSERT_TRUE(compact.ok() && pretty.ok());
  EXPECT_EQ(compact->body.find('\n'), std::string::npos);
  EXPECT_NE(pretty->body.find("\n  \"method\""), std::string::npos) << pretty->body;
  auto error = c.Send("GET", "/fhir/status/404?_pretty=true");
  ExpectOutcome(error, 404, "not-found");
  EXPECT_NE(error->body.find('\n'), std::string::npos);
}

TEST_F(HttpServerTest, RequestIdEchoedOrGenerated) {
  auto c = Client();
  auto echoed = c.Send("GET", "/fhir/Patient", {{"X-Request-Id", "abc-123"}});
  ASSERT_TRUE(echoed.ok());
  EXPECT_EQ(*echoed->Header("X-Request-Id"), "abc-123");
  EXPECT_EQ(json::StringMember(ParseBody(*echoed), "request_id"), "abc-123");
  auto generated = c.Send("GET", "/fhir/Patient");
  ASSERT_TRUE(generated.ok());
  ASSERT_NE(generated->Header("X-Request-Id"), nullptr);
  EXPECT_EQ(generated->Header("X-Request-Id")->size(), 36u);
  auto too_long = c.Send("GET", "/healthz", {{"X-Request-Id", std::string(200, 'a')}});
  ASSERT_TRUE(too_long.ok());
  EXPECT_EQ(too_long->Header("X-Request-Id")->size(), 36u);
  auto spaces = c.Send("GET", "/healthz", {{"X-Request-Id", "a b"}});
  ASSERT_TRUE(spaces.ok());
  EXPECT_NE(*spaces->Header("X-Request-Id"), "a b");
}

TEST_F(HttpServerTest, ServiceErrorsAndExceptions) {
  auto c = Client();
  ExpectOutcome(c.Send("GET", "/fhir/throw"), 500, "exception");
  ExpectOutcome(c.Send("GET", "/fhir/status/410"), 410, "deleted");
  ExpectOutcome(c.Send("GET", "/fhir/status/499"), 499, "invalid");
  ExpectOutcome(c.Send("GET", "/fhir/status/1000"), 500, "exception");
  auto alive = c.Send("GET", "/healthz");
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive->status, 200);
}

TEST_F(HttpServerTest, ResponseHeadersAndBodilessStatuses) {
  auto c = Client();
  auto r = c.Send("POST", "/fhir/headers");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(*r->Header("ETag"), "W/\"3\"");
  EXPECT_EQ(r->Header("Location")->rfind("http://127.0.0.1:", 0), 0u);
  EXPECT_EQ(r->Header("X-Evil"), nullptr);
  EXPECT_EQ(r->Header("Set-Cookie"), nullptr);
  EXPECT_EQ(*r->Header("Content-Length"), std::to_string(r->body.size()));
  auto none = c.Send("DELETE", "/fhir/nocontent");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 204);
  EXPECT_TRUE(none->body.empty());
  EXPECT_EQ(none->Header("Content-Length"), nullptr);
  auto not_modified = c.Send("GET", "/fhir/status/304");
  ASSERT_TRUE(not_modified.ok());
  EXPECT_EQ(not_modified->status, 304);
  // The connection is still in sync after bodiless responses.
  auto after = c.Send("GET", "/healthz");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, HeadIsGetWithoutBody) {
  auto c = Client();
  auto get = c.Send("GET", "/fhir/Patient/1");
  auto head = c.Send("HEAD", "/fhir/Patient/1");
  ASSERT_TRUE(get.ok() && head.ok());
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  ASSERT_NE(head->Header("Content-Length"), nullptr);
  // The service saw GET; request ids differ but have the same length, so the sizes match.
  EXPECT_EQ(*head->Header("Content-Length"), std::to_string(get->body.size()));
  EXPECT_NE(get->body.find("\"method\":\"GET\""), std::string::npos);
  auto after = c.Send("GET", "/healthz");
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, MetricsText) {
  auto c = Client();
  ASSERT_TRUE(c.Send("GET", "/fhir/Patient").ok());
  auto r = c.Send("GET", "/metrics");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->Header("Content-Type")->rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& m = r->body;
  EXPECT_NE(m.find("# TYPE hestia_http_requests_total counter"), std::string::npos);
  EXPECT_NE(
      m.find("hestia_http_requests_total{interaction=\"echo\",method=\"GET\",status=\"200\"}"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("# TYPE hestia_http_request_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(m.find("hestia_http_request_duration_seconds_bucket{interaction=\"echo\",le=\"+Inf\"}"),
            std::string::npos);
  EXPECT_NE(m.find("hestia_http_request_duration_seconds_count{interaction=\"echo\"}"),
            std::string::npos);
  EXPECT_NE(m.find("hestia_http_requests_in_flight 1"), std::string::npos);  // this request
  EXPECT_NE(m.find("hestia_db_pool_connections 4"), std::string::npos);
}

TEST_F(HttpServerTest, ConcurrentRequests) {
  constexpr int kThreads = 8;
  constexpr int kRequests = 40;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &ok]() {
      auto c = Client();
      for (int i = 0; i < kRequests; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto r = i % 2 == 0
                     ? c.Send("GET", "/fhir/slow/" + id, {{"X-Request-Id", id}})
                     : c.Send("POST", "/fhir/Patient/" + id,
                              {{"Content-Type", "application/fhir+json"}, {"X-Request-Id", id}},
                              "{\"id\":\"" + id + "\"}");
        if (r.ok() && r->status == 200 && *r->Header("X-Request-Id") == id &&
            r->body.find(id) != std::string::npos) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
}

TEST_F(HttpServerTest, MalformedInputNeverCrashes) {
  const std::vector<std::string> inputs = {
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "BREW /fhir HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET /fhir HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /fhir HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
      "POST /fhir HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc",
      "POST /fhir HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      "POST /fhir HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "GET /fhir HTTP/1.1\r\nDate: \xff\xfe\r\nCache-Control: max-age=\x01\r\n\r\n",
      "GET /fhir HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
      std::string("\0\0\0\0\r\n\r\n", 8),
      "GET /fhir HTTP/1.1\r\nHost: x\r\nX: " + std::string(100 * 1024, 'h') + "\r\n\r\n",
      "GET /" + std::string(80 * 1024, 'p') + " HTTP/1.1\r\n\r\n",
  };
  for (const std::string& input : inputs) {
    auto c = Client();
    auto r = c.SendRaw(input);
    if (r.ok()) {
      EXPECT_GE(r->status, 400) << input.substr(0, 60);
      EXPECT_NE(r->body.find("OperationOutcome"), std::string::npos) << input.substr(0, 60);
    }
  }
  std::string random;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245 + 12345;
    random.push_back(static_cast<char>(x >> 16));
  }
  random += "\r\n\r\n";
  auto c = Client();
  (void)c.SendRaw(random);
  auto alive = Client().Send("GET", "/healthz");
  ASSERT_TRUE(alive.ok()) << alive.status().ToString();
  EXPECT_EQ(alive->status, 200);
}

TEST_F(HttpServerTest, KeepAliveAndClose) {
  auto c = Client();
  for (int i = 0; i < 5; ++i) {
    auto r = c.Send("GET", "/healthz");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->Header("Connection"), nullptr);
  }
  auto closing = c.Send("GET", "/healthz", {{"Connection", "close"}});
  ASSERT_TRUE(closing.ok());
  EXPECT_EQ(*closing->Header("Connection"), "close");
  auto again = c.Send("GET", "/healthz");  // reconnects
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 200);
  auto http10 = Client().SendRaw("GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(http10.ok());
  EXPECT_EQ(http10->status, 200);
}

TEST(HttpServerOptions, PublicBaseUrlAndRootBase) {
  auto service = std::make_shared<EchoService>();
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.base_path = "/api/fhir/";
  options.public_base_url = "https://fhir.example.org/r4/";
  auto server = HttpServer::Start(options, service);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpClient c("127.0.0.1", (*server)->port());
  auto r = c.Send("GET", "/api/fhir/Patient");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::StringMember(ParseBody(*r), "base_url"), "https://fhir.example.org/r4");
  ExpectOutcome(c.Send("GET", "/fhir/Patient"), 404, "not-found");
  (*server)->Shutdown();
  (*server)->Shutdown();  // idempotent
}

TEST(HttpServerOptions, BadOptionsAndBusyPort) {
  auto service = std::make_shared<EchoService>();
  HttpOptions bad;
  bad.port = 70000;
  EXPECT_EQ(HttpServer::Start(bad, service).status().code(), StatusCode::kInvalid);
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  auto first = HttpServer::Start(options, service);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  auto second = HttpServer::Start(options, service);
  EXPECT_FALSE(second.ok());
}

// Slow clients (slowloris) are cut off by the header and body timeouts, also on a
// keep-alive connection. Pistache's transport answers these with a bare 408 (no Handler hook
// exists for it) or just closes.
TEST(HttpServerOptions, SlowClientsAreCutOff) {
  auto service = std::make_shared<EchoService>();
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.header_timeout_ms = 200;
  options.body_timeout_ms = 200;
  options.keepalive_timeout_ms = 10000;
  auto server = HttpServer::Start(options, service);
  ASSERT_TRUE(server.ok());
  for (bool reuse : {false, true}) {
    for (const char* partial :
         {"GET /healthz HTTP/1.1\r\nHost: x\r\n",
          "POST /fhir/x HTTP/1.1\r\nContent-Length: 10\r\nContent-Type: application/json\r\n"
          "\r\nab"}) {
      HttpClient c("127.0.0.1", (*server)->port(), 5000);
      if (reuse) {
        ASSERT_TRUE(c.Send("GET", "/healthz").ok());
      }
      auto start = std::chrono::steady_clock::now();
      auto r = c.SendRaw(partial);
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << partial;
      if (r.ok()) {
        EXPECT_EQ(r->status, 408);
      } else {
        EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
      }
    }
  }
}

// Idle keep-alive connections are closed after keepalive_timeout; the client reconnects.
TEST(HttpServerOptions, IdleConnectionsClose) {
  auto service = std::make_shared<EchoService>();
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.keepalive_timeout_ms = 300;
  auto server = HttpServer::Start(options, service);
  ASSERT_TRUE(server.ok());
  HttpClient idle("127.0.0.1", (*server)->port(), 5000);
  ASSERT_TRUE(idle.Send("GET", "/healthz").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  auto after = idle.Send("GET", "/healthz");  // reconnects transparently
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->status, 200);
}

// Timeouts count from the first byte of a request, not from the end of the previous one: a
// keep-alive connection that idled longer than body_timeout can still upload slowly.
TEST(HttpServerOptions, TimeoutsStartWithTheRequest) {
  auto service = std::make_shared<EchoService>();
  HttpOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.threads = 1;
  options.header_timeout_ms = 1000;
  options.body_timeout_ms = 1000;
  options.keepalive_timeout_ms = 5000;
  auto server = HttpServer::Start(options, service);
  ASSERT_TRUE(server.ok());

  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>((*server)->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto send_all = [fd](std::string_view s) {
    ASSERT_EQ(::send(fd, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  };
  auto read_response = [fd]() {
    std::string in;
    char buf[4096];
    pollfd p{fd, POLLIN, 0};
    while (in.find("\r\n\r\n") == std::string::npos || in.find('}') == std::string::npos) {
      if (::poll(&p, 1, 3000) <= 0) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<std::size_t>(n));
    }
    return in;
  };
  send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(read_response().rfind("HTTP/1.1 200", 0), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // idle > body timeout
  send_all(
      "POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 4\r\n\r\n\"a");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // < body timeout
  send_all("b\"");
  std::string answer = read_response();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  ::close(fd);
}

}  // namespace
}  // namespace hestia::rest
