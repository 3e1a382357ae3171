// Loads ../shared/data/synthea (HESTIA_SHARED_DIR) through HTTP: the hospital and practitioner
// batch Bundles first, then patient transaction Bundles (urn:uuid fullUrls and conditional
// references such as Practitioner?identifier=…), and checks that every relative reference in
// the loaded patients' resources resolves (a GET answers 200).
// The default run loads kDefaultPatients patients to stay well inside the ASan time budget;
// HESTIA_SYNTHEA_PATIENTS=10 loads them all.
// FHIR R4: http://hl7.org/fhir/R4/http.html#transaction, #trules
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "fixture.h"

namespace hestia::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kDefaultPatients = 10;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void CollectReferences(const json::Value& v, std::set<std::string>* out) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (m.name == "reference" && json::IsText(m.value)) {
        out->emplace(json::AsStringView(m.value));
      } else {
        CollectReferences(m.value, out);
      }
    }
  } else if (v.IsArray()) {
    for (const auto& e : v.GetArray()) CollectReferences(e, out);
  }
}

// Posts one Bundle and checks that it and every entry succeeded; returns the response.
json::Document Load(HttpClient& c, const fs::path& file, std::string_view expected_type) {
  HttpResponse r = Send(c, "POST", "/fhir", kJson, ReadFile(file));
  EXPECT_EQ(r.status, 200) << file << ": " << r.body.substr(0, 2000);
  json::Document out = ParseBody(r);
  EXPECT_EQ(json::StringMember(out, "type"), expected_type) << file;
  if (!out.HasMember("entry")) return out;
  for (const auto& e : out["entry"].GetArray()) {
    const std::string status(json::StringMember(e["response"], "status"));
    EXPECT_TRUE(status.rfind("200", 0) == 0 || status.rfind("201", 0) == 0)
        << file << ": " << json::Write(e).substr(0, 1000);
  }
  return out;
}

TEST(SyntheaTest, LoadsThroughTransactionsWithEveryReferenceResolved) {
  const fs::path dir = fs::path(HESTIA_SHARED_DIR) / "data" / "synthea";
  if (!fs::exists(dir)) GTEST_SKIP() << dir << " is absent (HESTIA_SHARED_DIR)";
  std::vector<fs::path> shared;
  std::vector<fs::path> patients;
  for (const auto& f : fs::directory_iterator(dir)) {
    if (f.path().extension() != ".json") continue;
    const std::string name = f.path().filename().string();
    if (name.rfind("hospitalInformation", 0) == 0 ||
        name.rfind("practitionerInformation", 0) == 0) {
      shared.push_back(f.path());
    } else {
      patients.push_back(f.path());
    }
  }
  // Hospitals (Organization, Location) before practitioners, whose roles refer to them.
  std::sort(shared.begin(), shared.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename().string() < b.filename().string();
  });
  std::sort(patients.begin(), patients.end());
  ASSERT_FALSE(shared.empty());
  ASSERT_FALSE(patients.empty());
  int count = kDefaultPatients;
  if (const char* env = std::getenv("HESTIA_SYNTHEA_PATIENTS"); env != nullptr) {
    count = std::atoi(env);
  }
  patients.resize(std::min<std::size_t>(patients.size(), static_cast<std::size_t>(count)));

  HttpClient c("127.0.0.1", Server().port(), 300000);
  for (const auto& f : shared) Load(c, f, "batch-response");
  std::set<std::string> references;
  std::size_t resources = 0;
  for (const auto& f : patients) {
    json::Document out = Load(c, f, "transaction-response");
    if (!out.HasMember("entry")) continue;
    for (const auto& e : out["entry"].GetArray()) {
      if (!e.HasMember("resource")) continue;
      ++resources;
      CollectReferences(e["resource"], &references);
    }
  }
  EXPECT_GT(resources, 200u * patients.size());
  std::size_t checked = 0;
  for (const auto& ref : references) {
    if (ref.empty() || ref[0] == '#') continue;  // contained resources
    EXPECT_EQ(ref.find(':'), std::string::npos) << "unresolved reference " << ref;
    EXPECT_EQ(ref.find('?'), std::string::npos) << "unresolved conditional reference " << ref;
    if (ref.find(':') != std::string::npos || ref.find('?') != std::string::npos) continue;
    EXPECT_EQ(Send(c, "GET", "/fhir/" + ref).status, 200) << ref;
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace hestia::testing
