// Search differential test (issue 4): loads ../shared/data/synthea, the demo clinic and the
// varied resources of generated_resources.json into a real server, then, for every search
// parameter of Patient, Practitioner, PractitionerRole, Organization, Location,
// HealthcareService, Schedule, Slot, Appointment, Encounter, Observation and Condition, runs
// queries built from values the resources actually hold (and values they do not) and compares
// the ids the server returns with a brute-force evaluation of the same search over the
// parameter's FHIRPath results; also a few chained (ref:Type.param=) and reverse-chained
// (_has:Type:ref:param=) searches per type over references that resolve (probes.h, oracle.h:
// written from the spec, sharing no code with hestia_search).
//
// _text and _content (full text, tokenized by PostgreSQL) are bounded instead: resources where
// the word stands alone in the narrative / in free-text strings must match, and nothing that
// lacks the word anywhere may.
// Any mismatch fails the test unless expected_differences.txt lists the parameter with a
// reason. The report prints, per parameter, the queries run and every mismatch with the query
// and the missing / unexpected ids.
// HESTIA_SEARCH_DIFF_TYPES=Patient,Slot narrows the run to some types.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "fixture.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"
#include "hestia/search/parameter_registry.h"
#include "probes.h"

namespace hestia::testing {
namespace {

namespace fs = std::filesystem;
using sdiff::Corpus;
using sdiff::Probe;
using sdiff::ProbeBuilder;

constexpr std::size_t kShownIds = 8;
constexpr int kMaxPages = 100;
constexpr std::size_t kSharedPerType = 120;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string DefinitionsDir() {
  const char* dir = std::getenv("HESTIA_DEFINITIONS_DIR");
  return dir != nullptr ? dir : HESTIA_DEFAULT_DEFINITIONS_DIR;
}

// "Type code" → reason, from expected_differences.txt.
std::map<std::string, std::string> ReadExpectedDifferences() {
  std::map<std::string, std::string> out;
  std::istringstream in(ReadFile(HESTIA_SEARCH_DIFF_EXPECTED));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string type;
    std::string code;
    words >> type >> code;
    std::string reason;
    std::getline(words, reason);
    if (!type.empty() && !code.empty()) out[type + " " + code] = reason;
  }
  return out;
}

struct Shared {
  Corpus corpus;
  std::shared_ptr<const fhirpath::Engine> engine;
  std::shared_ptr<const search::ParameterRegistry> registry;
  std::map<std::string, std::string> expected_differences;
  std::string setup_error;  // non-empty: loading failed, every test fails with it
  std::string skip;         // non-empty: no Synthea data, every test skips
};
Shared* g_shared = nullptr;

// Posts a batch/transaction Bundle asking for the stored resources back and adds them to the
// corpus. Returns "" or what went wrong.
std::string Load(HttpClient& c, const std::string& bundle, const std::string& what,
                 Corpus* corpus) {
  auto r = c.Send("POST", "/fhir",
                  {{"Content-Type", "application/fhir+json"}, {"Prefer", "return=representation"}},
                  bundle);
  if (!r.ok()) return what + ": " + r.status().ToString();
  if (r->status != 200)
    return what + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 600);
  json::Document doc;
  json::Limits limits;
  limits.max_bytes = std::size_t{1} << 28;
  if (!json::Parse(r->body, limits, &doc).ok()) return what + ": response is not JSON";
  const json::Value* entries = json::Member(doc, "entry");
  if (entries == nullptr || !entries->IsArray()) return "";
  for (const auto& e : entries->GetArray()) {
    const json::Value* resp = json::Member(e, "response");
    const std::string status(resp != nullptr ? json::StringMember(*resp, "status") : "");
    if (status.rfind("200", 0) != 0 && status.rfind("201", 0) != 0) {
      return what + ": entry answered '" + status + "': " + json::Write(e).substr(0, 600);
    }
    if (const json::Value* res = json::Member(e, "resource"); res != nullptr) corpus->Add(*res);
  }
  return "";
}

// A transaction Bundle that PUTs every resource of `collection` (a Bundle) at its id.
std::string PutTransaction(const std::string& collection_text) {
  json::Document in;
  json::Limits limits;
  limits.max_bytes = std::size_t{1} << 26;
  if (!json::Parse(collection_text, limits, &in).ok()) return "";
  json::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("resourceType", "Bundle", a);
  out.AddMember("type", "transaction", a);
  json::Value entries(rapidjson::kArrayType);
  for (const auto& e : in["entry"].GetArray()) {
    const json::Value& res = e["resource"];
    const std::string url = std::string(json::StringMember(res, "resourceType")) + "/" +
                            std::string(json::StringMember(res, "id"));
    json::Value entry(rapidjson::kObjectType);
    entry.AddMember("resource", json::Value(res, a), a);
    json::Value request(rapidjson::kObjectType);
    request.AddMember("method", "PUT", a);
    request.AddMember("url", json::MakeString(url, a), a);
    entry.AddMember("request", request, a);
    entries.PushBack(entry, a);
  }
  out.AddMember("entry", entries, a);
  return json::Write(out);
}

// Synthea's shared batch Bundles (1,191 each of Organization, Location, Practitioner,
// PractitionerRole) cut to what the patients refer to (conditional references by identifier)
// plus the first `keep` of each type, and posted as one transaction instead of a batch of
// per-entry commits: the full set costs minutes under ASan and adds no variety.
std::string SharedSubset(const std::string& text, const std::set<std::string>& referenced,
                         std::size_t keep) {
  json::Document in;
  json::Limits limits;
  limits.max_bytes = std::size_t{1} << 26;
  if (!json::Parse(text, limits, &in).ok()) return "";
  auto identifier_of = [](const json::Value& v) {
    const json::Value* ids = json::Member(v, "identifier");
    if (ids == nullptr) return std::string();
    const json::Value& id = ids->IsArray() ? (ids->Empty() ? *ids : (*ids)[0]) : *ids;
    if (!id.IsObject()) return std::string();
    return std::string(json::StringMember(id, "system")) + "|" +
           std::string(json::StringMember(id, "value"));
  };
  std::map<std::string, std::size_t> kept_per_type;
  std::set<std::string> kept_practitioners;
  std::vector<bool> kept(in["entry"].Size(), false);
  for (int pass = 0; pass < 2; ++pass) {
    for (rapidjson::SizeType i = 0; i < in["entry"].Size(); ++i) {
      const json::Value& res = in["entry"][i]["resource"];
      const std::string type(json::StringMember(res, "resourceType"));
      if ((type == "PractitionerRole") != (pass == 1)) continue;
      if (type == "PractitionerRole") {
        const json::Value* prac = json::Member(res, "practitioner");
        kept[i] = prac != nullptr && kept_practitioners.count(identifier_of(*prac)) > 0;
        continue;
      }
      const std::string ident = identifier_of(res);
      kept[i] = referenced.count(ident) > 0 || kept_per_type[type] < keep;
      if (!kept[i]) continue;
      ++kept_per_type[type];
      if (type == "Practitioner") kept_practitioners.insert(ident);
    }
  }
  json::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("resourceType", "Bundle", a);
  out.AddMember("type", "transaction", a);
  json::Value entries(rapidjson::kArrayType);
  for (rapidjson::SizeType i = 0; i < in["entry"].Size(); ++i) {
    if (kept[i]) entries.PushBack(json::Value(in["entry"][i], a), a);
  }
  out.AddMember("entry", entries, a);
  return json::Write(out);
}

// "system|value" of every conditional reference "Type?identifier=system|value" in `text`.
void ReferencedIdentifiers(const std::string& text, std::set<std::string>* out) {
  static constexpr std::string_view kMark = "?identifier=";
  for (auto pos = text.find(kMark); pos != std::string::npos; pos = text.find(kMark, pos + 1)) {
    const auto start = pos + kMark.size();
    const auto end = text.find('"', start);
    if (end != std::string::npos) out->insert(text.substr(start, end - start));
  }
}

std::string LoadEverything(Shared* s) {
  auto types = resources::TypeRegistry::LoadFromPackage(DefinitionsDir());
  if (!types.ok()) return types.status().ToString();
  auto engine = fhirpath::Engine::Create(types.value());
  if (!engine.ok()) return engine.status().ToString();
  s->engine = engine.value();
  auto registry = search::ParameterRegistry::LoadFromPackage(DefinitionsDir());
  if (!registry.ok()) return registry.status().ToString();
  s->registry = registry.value();
  s->expected_differences = ReadExpectedDifferences();

  HttpClient c("127.0.0.1", Server().port(), 600000);
  const fs::path synthea = fs::path(HESTIA_SHARED_DIR) / "data" / "synthea";
  if (!fs::exists(synthea)) {
    s->skip = synthea.string() + " is absent (HESTIA_SHARED_DIR)";
    return "";
  }
  const auto started = std::chrono::steady_clock::now();
  std::string err =
      Load(c, PutTransaction(ReadFile(HESTIA_DEMO_CLINIC)), "demo clinic", &s->corpus);
  if (err.empty()) {
    err = Load(c, PutTransaction(ReadFile(HESTIA_SEARCH_DIFF_GENERATED)),
               "generated_resources.json", &s->corpus);
  }
  std::vector<fs::path> shared;
  std::vector<fs::path> patients;
  for (const auto& f : fs::directory_iterator(synthea)) {
    if (f.path().extension() != ".json") continue;
    const std::string name = f.path().filename().string();
    (name.rfind("hospitalInformation", 0) == 0 || name.rfind("practitionerInformation", 0) == 0
         ? shared
         : patients)
        .push_back(f.path());
  }
  std::sort(shared.begin(), shared.end());
  std::sort(patients.begin(), patients.end());
  std::set<std::string> referenced;
  for (const auto& f : patients) ReferencedIdentifiers(ReadFile(f), &referenced);
  for (const auto& f : shared) {
    if (err.empty()) {
      err = Load(c, SharedSubset(ReadFile(f), referenced, kSharedPerType), f.filename().string(),
                 &s->corpus);
    }
  }
  for (const auto& f : patients) {
    if (err.empty()) err = Load(c, ReadFile(f), f.filename().string(), &s->corpus);
  }
  if (!err.empty()) return err;

  // The base the server writes into links and absolute references.
  auto r = c.Send("GET", "/fhir/Patient?_count=1");
  if (!r.ok() || r->status != 200) return "GET /fhir/Patient?_count=1 failed";
  json::Document doc;
  if (!json::Parse(r->body, {}, &doc).ok()) return "search answer is not JSON";
  for (const auto& l : doc["link"].GetArray()) {
    if (json::StringMember(l, "relation") == "self") {
      const std::string url(json::StringMember(l, "url"));
      s->corpus.base_url = url.substr(0, url.find("/Patient"));
    }
  }
  std::cout << "[search_diff] loaded " << s->corpus.size() << " resources in "
            << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                started)
                   .count()
            << " s; base " << s->corpus.base_url << "\n";
  return "";
}

// The ids a search returns over all its pages, or an error text.
struct Answer {
  std::vector<std::string> ids;  // sorted; duplicates kept
  std::string error;
};

Answer Search(HttpClient& c, const std::string& base_url, const std::string& type,
              const std::string& query) {
  Answer a;
  std::string target = "/fhir/" + type + "?" + query + (query.empty() ? "" : "&") + "_count=1000";
  for (int page = 0; page < kMaxPages && !target.empty(); ++page) {
    auto r = c.Send("GET", target);
    if (!r.ok()) {
      a.error = r.status().ToString();
      return a;
    }
    if (r->status != 200) {
      // The OperationOutcome's diagnostics are enough to see why.
      json::Document outcome;
      std::string why = r->body.substr(0, 300);
      if (json::Parse(r->body, {}, &outcome).ok()) {
        const json::Value* issues = json::Member(outcome, "issue");
        if (issues != nullptr && issues->IsArray() && !issues->Empty()) {
          why = std::string(json::StringMember((*issues)[0], "diagnostics"));
        }
      }
      a.error = "HTTP " + std::to_string(r->status) + ": " + why;
      return a;
    }
    json::Document doc;
    json::Limits limits;
    limits.max_bytes = std::size_t{1} << 28;
    if (!json::Parse(r->body, limits, &doc).ok()) {
      a.error = "answer is not JSON";
      return a;
    }
    if (const json::Value* entries = json::Member(doc, "entry"); entries != nullptr) {
      for (const auto& e : entries->GetArray()) {
        const json::Value* search = json::Member(e, "search");
        if (search != nullptr && json::StringMember(*search, "mode") != "match") continue;
        const json::Value* res = json::Member(e, "resource");
        if (res != nullptr) a.ids.emplace_back(json::StringMember(*res, "id"));
      }
    }
    target.clear();
    if (const json::Value* links = json::Member(doc, "link"); links != nullptr) {
      for (const auto& l : links->GetArray()) {
        if (json::StringMember(l, "relation") != "next") continue;
        std::string url(json::StringMember(l, "url"));
        if (url.rfind(base_url, 0) == 0) url = "/fhir" + url.substr(base_url.size());
        target = url;
      }
    }
  }
  if (!target.empty()) a.error = "more than " + std::to_string(kMaxPages) + " pages";
  std::sort(a.ids.begin(), a.ids.end());
  return a;
}

std::string Ids(const std::vector<std::string>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < kShownIds; ++i) out += (i ? ", " : "") + ids[i];
  if (ids.size() > kShownIds) out += ", … (" + std::to_string(ids.size()) + ")";
  return out;
}

// "" when the answer is right; otherwise the mismatch in words.
std::string Compare(const Probe& p, const Answer& a) {
  if (!a.error.empty()) return a.error;
  std::vector<std::string> missing;
  std::vector<std::string> extra;
  std::set_difference(p.expected.begin(), p.expected.end(), a.ids.begin(), a.ids.end(),
                      std::back_inserter(missing));
  const std::vector<std::string>& upper = p.bounded ? p.allowed : p.expected;
  std::set_difference(a.ids.begin(), a.ids.end(), upper.begin(), upper.end(),
                      std::back_inserter(extra));
  std::vector<std::string> repeated;
  for (std::size_t i = 1; i < a.ids.size(); ++i) {
    if (a.ids[i] == a.ids[i - 1]) repeated.push_back(a.ids[i]);
  }
  if (missing.empty() && extra.empty() && repeated.empty()) return "";
  std::string out = "expected " + std::to_string(p.expected.size()) +
                    (p.bounded ? " to " + std::to_string(p.allowed.size()) : "") + ", got " +
                    std::to_string(a.ids.size());
  if (!missing.empty()) out += "; missing: " + Ids(missing);
  if (!extra.empty()) out += "; unexpected: " + Ids(extra);
  if (!repeated.empty()) out += "; returned twice: " + Ids(repeated);
  return out;
}

bool TypeSelected(const std::string& type) {
  const char* only = std::getenv("HESTIA_SEARCH_DIFF_TYPES");
  if (only == nullptr || *only == '\0') return true;
  const std::string list = std::string(",") + only + ",";
  return list.find("," + type + ",") != std::string::npos;
}

class SearchDiffTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (g_shared != nullptr) return;
    g_shared = new Shared;
    g_shared->setup_error = LoadEverything(g_shared);
  }

  void RunType(const std::string& type) {
    if (!TypeSelected(type)) GTEST_SKIP() << "not in HESTIA_SEARCH_DIFF_TYPES";
    if (!g_shared->skip.empty()) GTEST_SKIP() << g_shared->skip;
    ASSERT_TRUE(g_shared->setup_error.empty()) << g_shared->setup_error << "\n"
                                               << Server().LogTail();
    Shared& s = *g_shared;
    const auto& resources = s.corpus.OfType(type);
    ASSERT_FALSE(resources.empty()) << "no " << type << " loaded";
    HttpClient c("127.0.0.1", Server().port(), 120000);
    ProbeBuilder builder(*s.engine, s.corpus, *s.registry);
    std::ostringstream report;
    report << "\n[search_diff] " << type << ": " << resources.size() << " resources\n";
    int failing = 0;
    int queries = 0;
    int mismatches = 0;

    // Every resource of the type, without criteria: the base line of every other answer.
    {
      Probe all;
      all.shown = "(no parameters)";
      for (const auto* r : resources) all.expected.push_back(r->id);
      std::sort(all.expected.begin(), all.expected.end());
      const std::string diff = Compare(all, Search(c, s.corpus.base_url, type, ""));
      ++queries;
      if (!diff.empty()) {
        ++failing;
        ++mismatches;
        report << "  MISMATCH " << type << "? → " << diff << "\n";
      }
    }

    auto params = s.registry->ForType(type);
    std::sort(params.begin(), params.end(),
              [](const auto* a, const auto* b) { return a->code < b->code; });
    for (const search::SearchParameterDef* def : params) {
      std::string note;
      int eval_errors = 0;
      const std::vector<Probe> probes = builder.For(type, *def, &note, &eval_errors);
      char head[160];
      std::snprintf(head, sizeof(head), "  %-28s %-9s", def->code.c_str(), def->type.c_str());
      if (probes.empty()) {
        report << head << " not checked: " << note << "\n";
        continue;
      }
      std::vector<std::string> lines;
      std::set<std::string> errors_seen;  // an error answer is printed once per parameter
      int non_empty = 0;
      for (const Probe& p : probes) {
        ++queries;
        non_empty += p.expected.empty() ? 0 : 1;
        std::string diff = Compare(p, Search(c, s.corpus.base_url, type, p.query));
        if (diff.empty()) continue;
        if (diff.rfind("HTTP ", 0) == 0 && !errors_seen.insert(diff).second) {
          diff = "(the same answer)";
        }
        lines.push_back("    MISMATCH " + type + "?" + p.shown + " → " + diff);
      }
      const auto expected = s.expected_differences.find(type + " " + def->code);
      const bool excused = expected != s.expected_differences.end();
      report << head << " " << probes.size() << " queries (" << non_empty << " expecting matches), "
             << lines.size() << " mismatches"
             << (eval_errors > 0 ? ", " + std::to_string(eval_errors) + " FHIRPath errors" : "")
             << (excused && !lines.empty() ? " (expected difference:" + expected->second + ")" : "")
             << "\n";
      for (const auto& l : lines) report << l << "\n";
      mismatches += static_cast<int>(lines.size());
      if (!lines.empty() && !excused) ++failing;
    }
    // Chained and reverse-chained searches over references that resolve.
    {
      std::vector<std::string> lines;
      const std::vector<Probe> probes = builder.Chains(type);
      for (const Probe& p : probes) {
        ++queries;
        const std::string diff = Compare(p, Search(c, s.corpus.base_url, type, p.query));
        if (!diff.empty()) lines.push_back("    MISMATCH " + type + "?" + p.shown + " → " + diff);
      }
      const bool excused = s.expected_differences.count(type + " (chains)") > 0;
      char head[160];
      std::snprintf(head, sizeof(head), "  %-28s %-9s", "(chains)", "chain/_has");
      report << head << " " << probes.size() << " queries, " << lines.size() << " mismatches\n";
      for (const auto& l : lines) report << l << "\n";
      mismatches += static_cast<int>(lines.size());
      if (!lines.empty() && !excused) ++failing;
    }
    report << "[search_diff] " << type << ": " << queries << " queries, " << mismatches
           << " mismatches, " << failing << " failing parameters\n";
    std::cout << report.str() << std::flush;
    EXPECT_EQ(failing, 0) << type << ": parameters with mismatches (see the report above)";
  }
};

TEST_F(SearchDiffTest, Patient) { RunType("Patient"); }
TEST_F(SearchDiffTest, Practitioner) { RunType("Practitioner"); }
TEST_F(SearchDiffTest, PractitionerRole) { RunType("PractitionerRole"); }
TEST_F(SearchDiffTest, Organization) { RunType("Organization"); }
TEST_F(SearchDiffTest, Location) { RunType("Location"); }
TEST_F(SearchDiffTest, HealthcareService) { RunType("HealthcareService"); }
TEST_F(SearchDiffTest, Schedule) { RunType("Schedule"); }
TEST_F(SearchDiffTest, Slot) { RunType("Slot"); }
TEST_F(SearchDiffTest, Appointment) { RunType("Appointment"); }
TEST_F(SearchDiffTest, Encounter) { RunType("Encounter"); }
TEST_F(SearchDiffTest, Observation) { RunType("Observation"); }
TEST_F(SearchDiffTest, Condition) { RunType("Condition"); }

}  // namespace
}  // namespace hestia::testing
