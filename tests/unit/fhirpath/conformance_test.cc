// The official FHIRPath R4 test suite (tests-fhir-r4.xml) against hestia_fhirpath.
// FHIR R4: http://hl7.org/fhir/R4/fhirpath.html ; suite: github.com/FHIR/fhir-test-cases
// r4/fhirpath
//
// Reads ../shared/conformance/fhirpath (HESTIA_SHARED_DIR) with the JSON renderings of the
// inputs (input-json/), runs every test, and compares the failures with the checked-in
// expected_failures.txt: an unlisted failure fails the test, and so does a listed test that
// now passes (the list only shrinks). Skipped when the suite or the definitions are absent.
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"

namespace hestia::fhirpath {
namespace {

namespace fs = std::filesystem;

struct Expected {
  std::string type;
  std::string text;
};

struct Case {
  std::string name;
  std::string input_file;
  std::string expression;
  std::string invalid;  // "", "syntax", "semantic", "execution"
  bool strict = false;
  bool predicate = false;
  bool ordered = true;
  std::vector<Expected> outputs;
};

std::string Attr(xmlNode* node, const char* name) {
  xmlChar* v = xmlGetProp(node, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string Text(xmlNode* node) {
  xmlChar* v = xmlNodeGetContent(node);
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

bool Is(xmlNode* node, const char* name) {
  return node->type == XML_ELEMENT_NODE &&
         xmlStrcmp(node->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

void Collect(xmlNode* node, std::map<std::string, int>* seen, std::vector<Case>* out) {
  for (xmlNode* n = node->children; n != nullptr; n = n->next) {
    if (Is(n, "group")) {
      Collect(n, seen, out);
      continue;
    }
    if (!Is(n, "test")) continue;
    Case c;
    c.name = Attr(n, "name");
    if (int count = ++(*seen)[c.name]; count > 1) c.name += "#" + std::to_string(count);
    c.input_file = Attr(n, "inputfile");
    c.strict = Attr(n, "mode") == "strict";
    c.predicate = Attr(n, "predicate") == "true";
    c.ordered = Attr(n, "ordered") != "false";
    for (xmlNode* k = n->children; k != nullptr; k = k->next) {
      if (Is(k, "expression")) {
        c.expression = Text(k);
        c.invalid = Attr(k, "invalid");
        if (Attr(k, "mode") == "strict") c.strict = true;
      } else if (Is(k, "output")) {
        c.outputs.push_back({Attr(k, "type"), Text(k)});
      }
    }
    out->push_back(std::move(c));
  }
}

// The FHIRPath type name the suite uses for an item.
std::string SuiteType(const Item& item) {
  switch (item.kind) {
    case ItemKind::kBoolean:
      return "boolean";
    case ItemKind::kInteger:
      return "integer";
    case ItemKind::kDecimal:
      return "decimal";
    case ItemKind::kString:
      return "string";
    case ItemKind::kDate:
      return "date";
    case ItemKind::kDateTime:
      return "dateTime";
    case ItemKind::kTime:
      return "time";
    case ItemKind::kQuantity:
      return "Quantity";
    case ItemKind::kTypeInfo:
      return "TypeInfo";
    case ItemKind::kNode: {
      const std::string name = TypeNameOf(item);
      return name.substr(name.find('.') + 1);
    }
  }
  return {};
}

std::string Canonical(std::string s) {
  if (!s.empty() && s[0] == '@') s.erase(0, 1);
  if (!s.empty() && s[0] == 'T') s.erase(0, 1);
  return s;
}

bool Matches(const Item& actual, const Expected& e) {
  if (!e.type.empty() && SuiteType(actual) != e.type) return false;
  const std::string got = Canonical(ItemToString(actual));
  const std::string want = Canonical(e.text);
  if (got == want) return true;
  if (e.type == "decimal" || e.type == "integer") {
    char* end = nullptr;
    const double w = std::strtod(want.c_str(), &end);
    return *end == '\0' && std::strtod(got.c_str(), nullptr) == w;
  }
  return false;
}

std::string Describe(const Collection& items) {
  std::string s = "[";
  for (const Item& i : items)
    s += (s.size() > 1 ? ", " : "") + SuiteType(i) + ":" + ItemToString(i);
  return s + "]";
}

// Runs one case; returns "" on success or why it failed.
std::string RunCase(const Engine& engine, const Case& c, const json::Document* input) {
  EvalOptions options;
  options.strict = c.strict;
  Environment env;
  env.trace = [](std::string_view, const Collection&) {};
  auto expr = engine.Compile(c.expression);
  Result<Collection> result = Status(StatusCode::kInvalid, "not run");
  if (expr.ok()) {
    result = input != nullptr
                 ? engine.Evaluate(*expr.value(), *input, &env, options)
                 : engine.Evaluate(*expr.value(), Collection{}, nullptr, &env, options);
  }
  if (!c.invalid.empty()) {
    if (!expr.ok() || !result.ok()) return "";
    return "expected a " + c.invalid + " error, got " + Describe(result.value());
  }
  if (!expr.ok()) return "compile error: " + expr.status().message();
  if (!result.ok()) return "evaluation error: " + result.status().message();
  Collection items = std::move(result).value();
  if (c.predicate) items = Collection{Item::Bool(!items.empty())};
  if (items.size() != c.outputs.size()) {
    return "expected " + std::to_string(c.outputs.size()) + " items, got " + Describe(items);
  }
  std::vector<bool> used(items.size(), false);
  for (std::size_t i = 0; i < c.outputs.size(); ++i) {
    bool found = false;
    for (std::size_t j = c.ordered ? i : 0; j < (c.ordered ? i + 1 : items.size()); ++j) {
      if (!used[j] && Matches(items[j], c.outputs[i])) {
        used[j] = found = true;
        break;
      }
    }
    if (!found) {
      return "output " + std::to_string(i) + ": expected " + c.outputs[i].type + ":" +
             c.outputs[i].text + ", got " + Describe(items);
    }
  }
  return "";
}

std::map<std::string, std::string> ReadExpectedFailures(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.find_first_of(" \t");
    const std::string name = line.substr(0, space);
    const std::string reason = space == std::string::npos ? "" : line.substr(space + 1);
    out[name] = reason;
  }
  return out;
}

TEST(FhirpathConformance, OfficialR4Suite) {
  const fs::path suite = fs::path(HESTIA_SHARED_DIR) / "conformance" / "fhirpath";
  if (!fs::exists(suite / "tests-fhir-r4.xml")) {
    GTEST_SKIP() << "FHIRPath suite not found at " << suite << " (../shared is absent)";
  }
  auto registry = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  if (!registry.ok()) GTEST_SKIP() << "definitions package absent: " << registry.status().message();
  auto engine = Engine::Create(registry.value());
  ASSERT_TRUE(engine.ok()) << engine.status().message();

  xmlDoc* doc = xmlReadFile((suite / "tests-fhir-r4.xml").c_str(), nullptr,
                            XML_PARSE_NONET | XML_PARSE_NOBLANKS);
  ASSERT_NE(doc, nullptr);
  std::vector<Case> cases;
  std::map<std::string, int> seen;
  Collect(xmlDocGetRootElement(doc), &seen, &cases);
  xmlFreeDoc(doc);

  std::map<std::string, std::unique_ptr<json::Document>> inputs;
  json::Limits limits;
  std::map<std::string, std::string> failures;
  for (const Case& c : cases) {
    const json::Document* input = nullptr;
    if (!c.input_file.empty()) {
      auto& slot = inputs[c.input_file];
      if (slot == nullptr) {
        const fs::path file =
            suite / "input-json" / fs::path(c.input_file).replace_extension(".json");
        std::ifstream in(file, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        slot = std::make_unique<json::Document>();
        ASSERT_TRUE(json::Parse(text.str(), limits, slot.get()).ok()) << file;
      }
      input = slot.get();
    }
    const std::string why = RunCase(*engine.value(), c, input);
    if (!why.empty()) failures[c.name] = why;
  }

  const auto expected = ReadExpectedFailures(HESTIA_FHIRPATH_EXPECTED_FAILURES);
  int unexpected = 0;
  for (const auto& [name, why] : failures) {
    if (expected.count(name) == 0) {
      ++unexpected;
      ADD_FAILURE() << "unexpected failure " << name << ": " << why;
    }
  }
  for (const auto& [name, reason] : expected) {
    if (reason.empty()) ADD_FAILURE() << "expected failure " << name << " has no reason";
    if (failures.count(name) == 0) {
      ADD_FAILURE() << name << " now passes: remove it from expected_failures.txt";
    }
  }
  std::cout << "FHIRPath R4 conformance: " << cases.size() - failures.size() << "/" << cases.size()
            << " passed (" << failures.size() << " expected failures listed: " << expected.size()
            << ", unexpected: " << unexpected << ")\n";
}

}  // namespace
}  // namespace hestia::fhirpath
