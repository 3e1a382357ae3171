// The official FHIRPath Patch cases (../shared/conformance/patch/fhir-patch-tests.xml) against
// hestia::fhirpath::ApplyFhirPathPatch, with the FHIR XML reader turning each case's input,
// diff and output into JSON. Every case is applied forwards: mode "both" also asks a diff
// generator to produce the diff, which Hestia does not have. A case with <error> must fail.
// Cases listed in fhirpath_patch_expected_failures.txt must fail; any other failure, or a
// listed case that passes, fails the test.
// FHIR R4: http://hl7.org/fhir/R4/fhirpatch.html
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/fhirpath/patch.h"
#include "hestia/resources/type_registry.h"
#include "hestia/resources/xml_reader.h"
#include "test_engine.h"

namespace hestia::fhirpath {
namespace {

namespace fs = std::filesystem;

struct Case {
  std::string name;
  std::string input;   // FHIR XML text
  std::string diff;    // FHIR XML text
  std::string output;  // FHIR XML text; "" when an error is expected
  std::string error;   // <error msg>
};

bool Is(const xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE &&
         xmlStrcmp(node->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

std::string Attr(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  std::string out = v == nullptr ? "" : reinterpret_cast<const char*>(v);
  xmlFree(v);
  return out;
}

// The first element inside `holder`, serialized on its own (with its namespace declaration).
std::string InnerXml(xmlDoc* doc, xmlNode* holder) {
  for (xmlNode* n = holder->children; n != nullptr; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), &xmlBufferFree);
    xmlNodeDump(buf.get(), doc, n, 0, 0);
    return reinterpret_cast<const char*>(xmlBufferContent(buf.get()));
  }
  return "";
}

std::vector<Case> LoadCases(const fs::path& file) {
  std::vector<Case> cases;
  xmlDoc* doc = xmlReadFile(file.c_str(), nullptr, XML_PARSE_NONET);
  if (doc == nullptr) return cases;
  for (xmlNode* c = xmlDocGetRootElement(doc)->children; c != nullptr; c = c->next) {
    if (!Is(c, "case")) continue;
    Case k;
    k.name = Attr(c, "name");
    for (xmlNode* p = c->children; p != nullptr; p = p->next) {
      if (Is(p, "input")) k.input = InnerXml(doc, p);
      if (Is(p, "diff")) k.diff = InnerXml(doc, p);
      if (Is(p, "output")) k.output = InnerXml(doc, p);
      if (Is(p, "error")) k.error = Attr(p, "msg");
    }
    cases.push_back(std::move(k));
  }
  xmlFreeDoc(doc);
  return cases;
}

// xhtml compares with runs of white space collapsed (the XML reader serializes the div the
// way libxml2 prints it; a patch value carries the author's text).
std::string CollapseSpace(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Deep equality with object members in any order.
bool Same(const json::Value& a, const json::Value& b, std::string* where) {
  if (json::IsNumber(a) || json::IsNumber(b)) {
    if (json::NumberText(a) == json::NumberText(b)) return true;
    *where += ": " + json::Write(a) + " vs " + json::Write(b);
    return false;
  }
  if (a.GetType() != b.GetType()) {
    *where += ": " + json::Write(a) + " vs " + json::Write(b);
    return false;
  }
  if (a.IsObject()) {
    if (a.MemberCount() != b.MemberCount()) {
      *where += ": " + json::Write(a) + " vs " + json::Write(b);
      return false;
    }
    for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
      const std::string_view key = json::AsStringView(m->name);
      const json::Value* other = json::Member(b, key);
      std::string sub = *where + "." + std::string(key);
      if (other == nullptr) {
        *where = sub + " missing";
        return false;
      }
      if (key == "div" && m->value.IsString() && other->IsString()) {
        if (CollapseSpace(json::AsStringView(m->value)) ==
            CollapseSpace(json::AsStringView(*other))) {
          continue;
        }
      }
      if (!Same(m->value, *other, &sub)) {
        *where = sub;
        return false;
      }
    }
    return true;
  }
  if (a.IsArray()) {
    if (a.Size() != b.Size()) {
      *where += ": " + json::Write(a) + " vs " + json::Write(b);
      return false;
    }
    for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
      std::string sub = *where + "[" + std::to_string(i) + "]";
      if (!Same(a[i], b[i], &sub)) {
        *where = sub;
        return false;
      }
    }
    return true;
  }
  if (a == b) return true;
  *where += ": " + json::Write(a) + " vs " + json::Write(b);
  return false;
}

// Runs one case; "" on success, else why it failed.
std::string RunCase(const Engine& engine, const Case& c) {
  const auto& registry = engine.model().registry();
  json::Document input;
  json::Document diff;
  if (Status s = resources::ParseXmlResource(c.input, registry, &input); !s.ok()) {
    return "input: " + s.message();
  }
  if (Status s = resources::ParseXmlResource(c.diff, registry, &diff); !s.ok()) {
    return "diff: " + s.message();
  }
  const Status applied = ApplyFhirPathPatch(engine, diff, &input);
  if (!c.error.empty()) {
    return applied.ok() ? "expected the error '" + c.error + "', the patch succeeded" : "";
  }
  if (!applied.ok()) return "patch failed: " + applied.message();
  json::Document output;
  if (Status s = resources::ParseXmlResource(c.output, registry, &output); !s.ok()) {
    return "output: " + s.message();
  }
  std::string where = "$";
  if (!Same(input, output, &where)) return "result differs at " + where;
  return "";
}

std::map<std::string, std::string> ReadExpectedFailures(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // "case name<TAB>reason": case names contain spaces.
    const auto tab = line.find('\t');
    out[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
  }
  return out;
}

TEST(FhirPathPatchConformance, OfficialCases) {
  const fs::path file =
      fs::path(HESTIA_SHARED_DIR) / "conformance" / "patch" / "fhir-patch-tests.xml";
  if (!fs::exists(file)) {
    GTEST_SKIP() << "FHIRPath Patch cases not found at " << file << " (../shared is absent)";
  }
  auto engine = SharedTestEngine();
  if (engine == nullptr) GTEST_SKIP() << "definitions package absent";
  const std::vector<Case> cases = LoadCases(file);
  ASSERT_FALSE(cases.empty()) << "no cases read from " << file;

  std::map<std::string, std::string> failures;
  for (const Case& c : cases) {
    const std::string why = RunCase(*engine, c);
    if (!why.empty()) failures[c.name] = why;
  }
  const auto expected = ReadExpectedFailures(HESTIA_FHIRPATH_PATCH_EXPECTED_FAILURES);
  int unexpected = 0;
  for (const auto& [name, why] : failures) {
    if (expected.count(name) == 0) {
      ++unexpected;
      ADD_FAILURE() << "unexpected failure '" << name << "': " << why;
    }
  }
  for (const auto& [name, reason] : expected) {
    if (reason.empty()) ADD_FAILURE() << "expected failure '" << name << "' has no reason";
    if (failures.count(name) == 0) {
      ADD_FAILURE() << "'" << name
                    << "' now passes: remove it from fhirpath_patch_expected_failures.txt";
    }
  }
  std::cout << "FHIRPath Patch conformance: " << cases.size() - failures.size() << "/"
            << cases.size() << " passed (" << failures.size()
            << " expected failures listed: " << expected.size() << ", unexpected: " << unexpected
            << ")\n";
}

// Rules beyond the official cases (fhirpatch.html and docs/adr/0007-bundles-and-patch.md).
class FhirPathPatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = SharedTestEngine();
    if (engine_ == nullptr) GTEST_SKIP() << "definitions package absent";
  }
  // Applies one operation (its parts after type and path, as JSON text) to `resource`;
  // returns the patched JSON or "error: <message>". An error must leave the resource as it was.
  std::string Apply(const std::string& resource, const std::string& type, const std::string& path,
                    const std::string& parts = "") const {
    json::Document doc;
    EXPECT_TRUE(json::Parse(resource, json::Limits{}, &doc).ok()) << resource;
    json::Document patch;
    const std::string text =
        R"({"resourceType":"Parameters","parameter":[{"name":"operation","part":[)"
        R"({"name":"type","valueCode":")" +
        type + R"("},{"name":"path","valueString":")" + path + "\"}" + parts + "]}]}";
    EXPECT_TRUE(json::Parse(text, json::Limits{}, &patch).ok()) << text;
    const Status s = ApplyFhirPathPatch(*engine_, patch, &doc);
    if (!s.ok()) {
      EXPECT_EQ(json::Write(doc), resource) << "a failed patch changed the resource";
      return "error: " + s.message();
    }
    return json::Write(doc);
  }
  std::shared_ptr<const Engine> engine_;
};

TEST_F(FhirPathPatchTest, DecimalsStayExact) {
  EXPECT_EQ(Apply(R"({"resourceType":"Observation","status":"final","valueQuantity":{"value":1}})",
                  "replace", "Observation.value.value", R"(,{"name":"value","valueDecimal":1.50})"),
            R"({"resourceType":"Observation","status":"final","valueQuantity":{"value":1.50}})");
}

TEST_F(FhirPathPatchTest, ChoiceElementsTakeTheValueType) {
  EXPECT_EQ(Apply(R"({"resourceType":"Patient","deceasedBoolean":false})", "replace",
                  "Patient.deceased", R"(,{"name":"value","valueDateTime":"2020-01-01"})"),
            R"({"resourceType":"Patient","deceasedDateTime":"2020-01-01"})");
  EXPECT_EQ(Apply(R"({"resourceType":"Patient"})", "add", "Patient",
                  R"(,{"name":"name","valueString":"deceased"},)"
                  R"({"name":"value","valueBoolean":true})"),
            R"({"resourceType":"Patient","deceasedBoolean":true})");
  EXPECT_NE(Apply(R"({"resourceType":"Patient"})", "add", "Patient",
                  R"(,{"name":"name","valueString":"deceased"},)"
                  R"({"name":"value","valueString":"x"})")
                .find("error: "),
            std::string::npos);
}

TEST_F(FhirPathPatchTest, PrimitiveExtensionsTravelWithTheirValue) {
  EXPECT_EQ(
      Apply(R"({"resourceType":"Patient","name":[{"given":["A","B"],)"
            R"("_given":[{"id":"a"},null]}]})",
            "move", "Patient.name.given",
            R"(,{"name":"source","valueInteger":0},{"name":"destination","valueInteger":1})"),
      R"({"resourceType":"Patient","name":[{"given":["B","A"],"_given":[null,{"id":"a"}]}]})");
  EXPECT_EQ(Apply(R"({"resourceType":"Patient","name":[{"given":["A","B"],)"
                  R"("_given":[{"id":"a"},null]}]})",
                  "delete", "Patient.name.given[0]"),
            R"({"resourceType":"Patient","name":[{"given":["B"]}]})");
}

TEST_F(FhirPathPatchTest, AddsExtensionsToPrimitives) {
  EXPECT_EQ(Apply(R"({"resourceType":"Patient","birthDate":"1970"})", "add", "Patient.birthDate",
                  R"(,{"name":"name","valueString":"extension"},{"name":"value","part":[)"
                  R"({"name":"url","valueUri":"urn:x"},{"name":"value","valueCode":"c"}]})"),
            R"({"resourceType":"Patient","birthDate":"1970","_birthDate":{"extension":[)"
            R"({"url":"urn:x","valueCode":"c"}]}})");
  EXPECT_EQ(
      Apply(R"({"resourceType":"Patient","name":[{"given":["A","B"]}]})", "add",
            "Patient.name.given[1]",
            R"(,{"name":"name","valueString":"id"},{"name":"value","valueString":"g"})"),
      R"({"resourceType":"Patient","name":[{"given":["A","B"],"_given":[null,{"id":"g"}]}]})");
}

TEST_F(FhirPathPatchTest, InsertIntoAnEmptyList) {
  EXPECT_EQ(Apply(R"({"resourceType":"Patient","active":true})", "insert", "Patient.identifier",
                  R"(,{"name":"index","valueInteger":0},)"
                  R"({"name":"value","valueIdentifier":{"value":"1"}})"),
            R"({"resourceType":"Patient","active":true,"identifier":[{"value":"1"}]})");
}

TEST_F(FhirPathPatchTest, ErrorsNameTheProblem) {
  const std::string two = R"({"resourceType":"Patient","name":[{"family":"A"},{"family":"B"}]})";
  EXPECT_NE(Apply(two, "replace", "Patient.name.family", R"(,{"name":"value","valueString":"C"})")
                .find("matches 2 elements"),
            std::string::npos);
  EXPECT_NE(Apply(two, "delete", "Patient.name.family").find("matches 2"), std::string::npos);
  EXPECT_EQ(Apply(two, "delete", "Patient.telecom"), two);  // nothing to delete is fine
  EXPECT_NE(Apply(two, "insert", "Patient.name",
                  R"(,{"name":"index","valueInteger":3},{"name":"value","valueHumanName":{}})")
                .find("outside the list"),
            std::string::npos);
  EXPECT_NE(Apply(two, "add", "Patient",
                  R"(,{"name":"name","valueString":"nickname"},{"name":"value","valueString":"x"})")
                .find("no element 'nickname'"),
            std::string::npos);
  EXPECT_NE(Apply(two, "add", "Patient",
                  R"(,{"name":"name","valueString":"gender"},{"name":"value","valueBoolean":true})")
                .find("error: "),
            std::string::npos);
  EXPECT_NE(Apply(two, "replace", "Patient.name[0].family.first(", "").find("error: "),
            std::string::npos);
  EXPECT_NE(Apply(two, "replace", "1 + 1", R"(,{"name":"value","valueInteger":3})")
                .find("not an element"),
            std::string::npos);
  EXPECT_NE(Apply(two, "delete", "Patient").find("resource itself"), std::string::npos);
  EXPECT_NE(Apply(two, "patch", "Patient").find("type must be"), std::string::npos);
}

TEST_F(FhirPathPatchTest, OnlyParametersAreFhirPathPatches) {
  json::Document doc;
  ASSERT_TRUE(json::Parse(R"({"resourceType":"Patient"})", json::Limits{}, &doc).ok());
  json::Document patch;
  ASSERT_TRUE(json::Parse("[]", json::Limits{}, &patch).ok());
  EXPECT_FALSE(IsFhirPathPatch(patch));
  EXPECT_EQ(ApplyFhirPathPatch(*engine_, patch, &doc).code(), StatusCode::kInvalid);
  ASSERT_TRUE(json::Parse(R"({"resourceType":"Parameters","parameter":[{"name":"x"}]})",
                          json::Limits{}, &patch)
                  .ok());
  EXPECT_TRUE(IsFhirPathPatch(patch));
  EXPECT_EQ(ApplyFhirPathPatch(*engine_, patch, &doc).code(), StatusCode::kInvalid);
}

}  // namespace
}  // namespace hestia::fhirpath
