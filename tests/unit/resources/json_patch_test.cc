// Tests for the JSON Patch engine (json_patch.h): hand-written cases for FHIR-shaped documents,
// and every case of ../shared/conformance/patch/json-patch-tests.json (HESTIA_SHARED_DIR)
// against json_patch_expected_failures.txt — the test fails when an unlisted case fails and
// when a listed case passes, so the list can only shrink.
// FHIR R4: http://hl7.org/fhir/R4/http.html#patch; RFC 6902; RFC 6901
#include "hestia/resources/json_patch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace hestia::resources {
namespace {

json::Document ParseOrDie(std::string_view text) {
  json::Document doc;
  Status s = json::Parse(text, json::Limits{}, &doc);
  EXPECT_TRUE(s.ok()) << s.ToString() << " in " << text;
  return doc;
}

std::string Patched(std::string_view doc_text, std::string_view patch_text, Status* status) {
  json::Document doc = ParseOrDie(doc_text);
  json::Document patch = ParseOrDie(patch_text);
  *status = ApplyJsonPatch(patch, &doc);
  return json::Write(doc);
}

TEST(JsonPatchTest, AppliesEveryOperation) {
  Status s;
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/-","value":3}])", &s),
            R"({"a":[1,2,3]})");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(Patched(R"({"a":[1,2]})", R"([{"op":"add","path":"/a/0","value":0}])", &s),
            R"({"a":[0,1,2]})");
  EXPECT_EQ(Patched(R"({"a":1,"b":2,"c":3})", R"([{"op":"remove","path":"/a"}])", &s),
            R"({"b":2,"c":3})")
      << "remove keeps member order";
  EXPECT_EQ(Patched(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/a","path":"/c"}])", &s),
            R"({"a":{"b":1},"c":{"b":1}})");
  EXPECT_EQ(
      Patched(R"({"a/b":1,"m~n":2})",
              R"([{"op":"replace","path":"/a~1b","value":5},{"op":"remove","path":"/m~0n"}])", &s),
      R"({"a/b":5})");
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(Patched(R"({"x":1})", R"([{"op":"replace","path":"","value":[true]}])", &s), "[true]");
}

TEST(JsonPatchTest, KeepsDecimalsExactAndComparesNumbersByValue) {
  Status s;
  EXPECT_EQ(Patched(R"({"v":1.50})",
                    R"([{"op":"test","path":"/v","value":1.5},)"
                    R"({"op":"add","path":"/w","value":0.010}])",
                    &s),
            R"({"v":1.50,"w":0.010})");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST(JsonPatchTest, FailsAtomically) {
  for (const char* patch : {
           R"([{"op":"add","path":"/new","value":1},{"op":"test","path":"/a","value":2}])",
           R"([{"op":"add","path":"/new","value":1},{"op":"remove","path":"/zz"}])",
           R"([{"op":"add","path":"/new","value":1},{"op":"add","path":"/a/b/c","value":1}])",
           R"([{"op":"add","path":"/new","value":1},{"op":"replace","path":"/nope","value":1}])",
           R"([{"op":"add","path":"/new","value":1},{"op":"move","from":"/o","path":"/o/x"}])",
           R"([{"op":"add","path":"/l/5","value":1}])",
           R"([{"op":"add","path":"/l/01","value":1}])",
           R"([{"op":"remove","path":"/l/-"}])",
           R"([{"op":"add","path":"new","value":1}])",
           R"([{"op":"add","path":"/~2","value":1}])",
           R"([{"op":"add","path":"/x"}])",
           R"([{"op":"copy","path":"/x"}])",
           R"([{"op":"frobnicate","path":"/x"}])",
           R"([{"path":"/x"}])",
           R"([1])",
           R"({"op":"add","path":"/x","value":1})",
       }) {
    const std::string original = R"({"a":1,"o":{"p":1},"l":[0]})";
    Status s;
    EXPECT_EQ(Patched(original, patch, &s), original) << patch;
    EXPECT_FALSE(s.ok()) << patch;
    EXPECT_EQ(s.code(), StatusCode::kInvalid) << patch;
  }
}

// The shared RFC 6902 suite. The expected-failures file has one line per case:
// "<comment> | <one-line reason>"; lines starting with # and blank lines are ignored.
TEST(JsonPatchTest, ConformanceSuite) {
  namespace fs = std::filesystem;
  const fs::path suite =
      fs::path(HESTIA_SHARED_DIR) / "conformance" / "patch" / "json-patch-tests.json";
  if (!fs::exists(suite)) GTEST_SKIP() << suite << " is absent (HESTIA_SHARED_DIR)";
  std::ifstream in(suite);
  std::stringstream text;
  text << in.rdbuf();
  json::Document cases = ParseOrDie(text.str());
  ASSERT_TRUE(cases.IsArray());

  std::map<std::string, std::string> expected_failures;
  std::ifstream list(HESTIA_JSON_PATCH_EXPECTED_FAILURES);
  ASSERT_TRUE(list.good()) << HESTIA_JSON_PATCH_EXPECTED_FAILURES;
  for (std::string line; std::getline(list, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.find(" | ");
    ASSERT_NE(bar, std::string::npos) << "no ' | reason' in: " << line;
    expected_failures[line.substr(0, bar)] = line.substr(bar + 3);
  }

  std::set<std::string> seen;
  int passed = 0;
  for (const auto& c : cases.GetArray()) {
    if (c.HasMember("disabled") && c["disabled"].IsBool() && c["disabled"].GetBool()) continue;
    const std::string name(json::StringMember(c, "comment"));
    ASSERT_FALSE(name.empty()) << "a case without a comment";
    seen.insert(name);
    json::Document doc;
    doc.CopyFrom(c["doc"], doc.GetAllocator());
    const Status s = ApplyJsonPatch(c["patch"], &doc);
    bool ok = false;
    if (c.HasMember("expected")) {
      ok = s.ok() && JsonEqual(doc, c["expected"]);
    } else {
      ok = !s.ok();  // an "error" case
    }
    const bool listed = expected_failures.count(name) > 0;
    if (ok) ++passed;
    if (!ok && !listed) {
      ADD_FAILURE() << "case '" << name << "' fails: " << s.ToString() << " → " << json::Write(doc);
    }
    if (ok && listed) {
      ADD_FAILURE() << "case '" << name
                    << "' passes now: remove it from json_patch_expected_failures.txt";
    }
  }
  for (const auto& [name, reason] : expected_failures) {
    EXPECT_TRUE(seen.count(name) > 0) << "listed case '" << name << "' is not in the suite";
  }
  EXPECT_GT(passed, 0);
}

}  // namespace
}  // namespace hestia::resources
