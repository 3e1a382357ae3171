// The transaction load and the read-back checker of the durability proofs. See
// durability_support.h.
#include "durability_support.h"

#include <chrono>
#include <filesystem>
#include <set>

#include "hestia/base/id.h"
#include "hestia/base/json.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
const Headers kFhirJson = {{"Content-Type", "application/fhir+json"}};

bool ParseJson(const std::string& text, json::Document* doc) {
  json::Limits limits;
  limits.max_bytes = 64u << 20;
  return json::Parse(text, limits, doc).ok();
}

// "Type/id" of "Type/id/_history/n".
std::string RefOfLocation(std::string_view location) {
  return std::string(location.substr(0, location.find("/_history")));
}

std::string IdentifierValue(const std::string& marker, int k, int size) {
  return marker + "_" + std::to_string(k) + "_" + std::to_string(size);
}

struct Row {
  std::string ref;
  std::string marker;
  int k = -1;
  int size = 0;
};

// Every resource of `type` with an identifier in `system`, following the next links.
bool CollectRows(HttpClient& client, const std::string& type, const std::string& system,
                 std::vector<Row>* rows, std::vector<std::string>* problems) {
  // Every resource of the type: each proof has a database of its own. (A system-only token
  // search, identifier=system|, would be the natural filter, but answers 500 today.)
  std::string target = "/fhir/" + type + "?_count=1000";
  for (int page = 0; page < 1000 && !target.empty(); ++page) {
    auto r = client.Send("GET", target);
    if (!r.ok() || r->status != 200) {
      problems->push_back(
          "search " + target + " failed: " +
          (r.ok() ? std::to_string(r->status) + " " + r->body : r.status().ToString()));
      return false;
    }
    json::Document doc;
    if (!ParseJson(r->body, &doc)) {
      problems->push_back("search " + target + " returned no JSON");
      return false;
    }
    target.clear();
    if (const json::Value* links = json::Member(doc, "link"); links && links->IsArray()) {
      for (const auto& link : links->GetArray()) {
        if (json::StringMember(link, "relation") != "next") continue;
        const std::string url(json::StringMember(link, "url"));
        const auto at = url.find("/fhir/");
        if (at != std::string::npos) target = url.substr(at);
      }
    }
    const json::Value* entries = json::Member(doc, "entry");
    if (entries == nullptr || !entries->IsArray()) continue;
    for (const auto& entry : entries->GetArray()) {
      const json::Value* res = json::Member(entry, "resource");
      if (res == nullptr) continue;
      Row row;
      row.ref = type + "/" + std::string(json::StringMember(*res, "id"));
      const json::Value* ids = json::Member(*res, "identifier");
      if (ids == nullptr || !ids->IsArray()) continue;
      for (const auto& id : ids->GetArray()) {
        if (json::StringMember(id, "system") != system) continue;
        const std::string value(json::StringMember(id, "value"));
        const auto last = value.rfind('_');
        const auto middle = last == std::string::npos ? last : value.rfind('_', last - 1);
        if (middle == std::string::npos) continue;
        row.marker = value.substr(0, middle);
        row.k = std::atoi(value.substr(middle + 1, last - middle - 1).c_str());
        row.size = std::atoi(value.substr(last + 1).c_str());
      }
      if (!row.marker.empty()) rows->push_back(std::move(row));
    }
  }
  return true;
}

}  // namespace

std::string MarkedPatient(const std::string& system, const std::string& value) {
  return R"({"resourceType":"Patient","identifier":[{"system":")" + system + R"(","value":")" +
         value + R"("}]})";
}

std::string MarkedObservation(const std::string& system, const std::string& value,
                              const std::string& subject) {
  return R"({"resourceType":"Observation","status":"final","code":{"text":"durability"},)"
         R"("identifier":[{"system":")" +
         system + R"(","value":")" + value + R"("}],"subject":{"reference":")" + subject + R"("}})";
}

std::string TransactionEntry(const std::string& method, const std::string& url,
                             const std::string& resource, const std::string& full_url,
                             const std::string& extra_request) {
  std::string e = "{";
  if (!full_url.empty()) e += R"("fullUrl":")" + full_url + R"(",)";
  if (!resource.empty()) e += R"("resource":)" + resource + ",";
  e += R"("request":{"method":")" + method + R"(","url":")" + url + "\"" + extra_request + "}}";
  return e;
}

std::string TransactionBundle(const std::vector<std::string>& entries) {
  std::string b = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) b += (i ? "," : "") + entries[i];
  return b + "]}";
}

std::string DurableTransaction(const std::string& system, const std::string& marker, int size,
                               int patient_at) {
  const std::string patient_urn = "urn:uuid:" + NewId();
  std::vector<std::string> entries;
  for (int k = 0; k < size; ++k) {
    const std::string value = IdentifierValue(marker, k, size);
    entries.push_back(
        k == patient_at
            ? TransactionEntry("POST", "Patient", MarkedPatient(system, value), patient_urn)
            : TransactionEntry("POST", "Observation", MarkedObservation(system, value, patient_urn),
                               "urn:uuid:" + NewId()));
  }
  return TransactionBundle(entries);
}

TransactionLoad::TransactionLoad(int port, std::string system, std::string tag, int threads,
                                 unsigned seed)
    : port_(port), system_(std::move(system)), tag_(std::move(tag)) {
  for (int t = 0; t < threads; ++t) {
    threads_.emplace_back([this, t, seed] { Run(t, seed + static_cast<unsigned>(t)); });
  }
}

TransactionLoad::~TransactionLoad() { Stop(); }

void TransactionLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void TransactionLoad::Run(int thread_index, unsigned seed) {
  std::mt19937 rng(seed);
  HttpClient client("127.0.0.1", port_, 20000);
  for (int seq = 0; !stop_; ++seq) {
    const std::string marker =
        tag_ + "t" + std::to_string(thread_index) + "s" + std::to_string(seq);
    const int size = std::uniform_int_distribution<int>(3, 6)(rng);
    const int patient_at = std::uniform_int_distribution<int>(0, size - 1)(rng);
    client.Close();  // a fresh connection: no silent re-send of this request
    auto r = client.Send("POST", "/fhir", kFhirJson,
                         DurableTransaction(system_, marker, size, patient_at));
    if (!r.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++counts_.transport_errors;
      }
      // The server is gone (killed); do not spin.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (r->status >= 200 && r->status < 300) {
      Ack ack{marker, size, {}};
      json::Document doc;
      const json::Value* entries = nullptr;
      if (ParseJson(r->body, &doc)) entries = json::Member(doc, "entry");
      if (entries != nullptr && entries->IsArray() &&
          entries->Size() == static_cast<unsigned>(size)) {
        for (const auto& e : entries->GetArray()) {
          const json::Value* response = json::Member(e, "response");
          if (response != nullptr) {
            ack.refs.push_back(RefOfLocation(json::StringMember(*response, "location")));
          }
        }
      }
      if (ack.refs.size() != static_cast<std::size_t>(size)) {
        counts_.unexpected.push_back(std::to_string(r->status) +
                                     " without one location per entry: " + r->body);
      }
      ++counts_.acked;
      ++acked_;
      acks_.push_back(std::move(ack));
    } else if (r->status == 503 && r->Header("Retry-After") != nullptr) {
      ++counts_.unavailable;
    } else {
      counts_.unexpected.push_back(std::to_string(r->status) + ": " + r->body.substr(0, 400));
    }
  }
}

std::vector<std::string> VerifyRun(HttpClient& client, const std::string& system,
                                   const std::vector<Ack>& acks, int* rows_found) {
  std::vector<std::string> problems;
  std::vector<Row> rows;
  for (const char* type : {"Patient", "Observation"}) {
    if (!CollectRows(client, type, system, &rows, &problems)) return problems;
  }
  if (rows_found != nullptr) *rows_found = static_cast<int>(rows.size());

  std::set<std::string> ids;
  struct Seen {
    int size = 0;
    std::set<int> entries;
    std::set<std::string> refs;
  };
  std::map<std::string, Seen> by_marker;
  for (const Row& row : rows) {
    if (!ids.insert(row.ref).second) problems.push_back("id returned twice: " + row.ref);
    Seen& seen = by_marker[row.marker];
    if (seen.size != 0 && seen.size != row.size) {
      problems.push_back("transaction " + row.marker + " has entries of different sizes");
    }
    seen.size = row.size;
    if (row.k < 0 || row.k >= row.size || !seen.entries.insert(row.k).second) {
      problems.push_back("entry " + std::to_string(row.k) + " of transaction " + row.marker +
                         " is duplicated or out of range (" + row.ref + ")");
    }
    seen.refs.insert(row.ref);
  }
  for (const auto& [marker, seen] : by_marker) {
    if (seen.entries.size() != static_cast<std::size_t>(seen.size)) {
      problems.push_back("transaction " + marker +
                         " is partly present: " + std::to_string(seen.entries.size()) + " of " +
                         std::to_string(seen.size) + " entries");
    }
  }
  for (const Ack& ack : acks) {
    auto it = by_marker.find(ack.marker);
    if (it == by_marker.end()) {
      problems.push_back("acknowledged transaction " + ack.marker + " is missing");
      continue;
    }
    for (const std::string& ref : ack.refs) {
      if (it->second.refs.count(ref) == 0) {
        problems.push_back("acknowledged " + ref + " of " + ack.marker + " is not found");
        continue;
      }
      auto read = client.Send("GET", "/fhir/" + ref);
      if (!read.ok() || read->status != 200) {
        problems.push_back("acknowledged " + ref + " is not readable: " +
                           (read.ok() ? std::to_string(read->status) : read.status().ToString()));
      }
    }
  }
  return problems;
}

long long SearchTotal(HttpClient& client, const std::string& target) {
  auto r = client.Send("GET", target);
  if (!r.ok() || r->status != 200) return -1;
  json::Document doc;
  if (!ParseJson(r->body, &doc)) return -1;
  const json::Value* total = json::Member(doc, "total");
  return total != nullptr && total->IsInt64() ? total->GetInt64() : -1;
}

int RunHestia(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv = {HestiaBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  const int code = RunCommand(argv, out);
  if (out != nullptr) {
    while (!out->empty() && (out->back() == '\n' || out->back() == ' ')) out->pop_back();
  }
  return code;
}

bool WaitReady(int port, int timeout_ms) {
  HttpClient client("127.0.0.1", port, 2000);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = client.Send("GET", "/readyz");
    if (r.ok() && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

void RemoveTree(const std::string& dir) {
  if (dir.rfind("/tmp/", 0) != 0) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace hestia::testing
