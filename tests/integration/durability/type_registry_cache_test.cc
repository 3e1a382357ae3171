// The type registry's start-up cache (resources/type_registry.cc), which makes a restart after a
// crash fast (the crash proof bounds it at 5 s): a registry loaded from the cache equals the one
// parsed from the StructureDefinitions; the cache is really used; a cache whose sources changed,
// or that is damaged, is ignored and the sources are parsed again.
// Uses the package's Bundle-types.json and a small hand-made Bundle-resources.json in a
// temporary package folder, so that each parse is quick under the sanitizers.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "durability_support.h"
#include "hestia/resources/type_registry.h"
#include "server_process.h"

namespace hestia::testing {
namespace {

namespace fs = std::filesystem;
using resources::ElementInfo;
using resources::TypeInfo;
using resources::TypeRegistry;

constexpr const char* kCache = "/.hestia-type-registry.cache";

constexpr const char* kWidgetBundle = R"({"resourceType":"Bundle","type":"collection","entry":[
{"resource":{"resourceType":"StructureDefinition","id":"Widget","kind":"resource",
 "abstract":false,"derivation":"specialization",
 "baseDefinition":"http://hl7.org/fhir/StructureDefinition/DomainResource",
 "snapshot":{"element":[
  {"path":"Widget","min":0,"max":"*"},
  {"path":"Widget.part","min":1,"max":"*","type":[{"code":"BackboneElement"}]},
  {"path":"Widget.part.value[x]","min":0,"max":"1","type":[{"code":"string"},{"code":"Quantity"}]},
  {"path":"Widget.part.child","min":0,"max":"*","contentReference":"#Widget.part"}]}}},
{"resource":{"resourceType":"StructureDefinition","id":"WidgetProfile","kind":"resource",
 "derivation":"constraint","snapshot":{"element":[{"path":"Widget","min":1,"max":"1"}]}}}]})";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string Describe(const TypeInfo* t) {
  if (t == nullptr) return "(none)";
  std::string s = t->name + " " + t->kind + " " + t->base + (t->is_abstract ? " abstract" : "");
  for (const ElementInfo& e : t->elements) {
    s += "\n  " + e.path + " " + e.name + " " + std::to_string(e.min) + (e.is_array ? " *" : "") +
         (e.is_choice ? " [x]" : "") + " " + e.content_reference + " :";
    for (const auto& code : e.types) s += " " + code;
  }
  return s;
}

// Everything a caller can observe of the registry for the types these tests use.
std::string Snapshot(const TypeRegistry& r) {
  std::string s;
  for (const auto& name : r.ResourceTypes()) s += name + ",";
  for (const char* name : {"Widget", "WidgetProfile", "Quantity", "HumanName", "Extension",
                           "string", "Element", "BackboneElement", "Coding", "Reference", "Timing",
                           "Dosage", "ElementDefinition", "Meta", "Narrative"}) {
    s += "\n" + Describe(r.FindType(name));
  }
  std::string choice;
  const ElementInfo* value = r.ChildElement("Widget.part", "valueQuantity", &choice);
  s += "\nvalueQuantity → " + (value ? value->path : "(none)") + " " + choice;
  const ElementInfo* nested = r.ChildElement("Widget.part.child", "valueString", &choice);
  s += "\nchild.valueString → " + (nested ? nested->path : "(none)") + " " + choice;
  return s;
}

class TypeRegistryCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("hestia-typecache");
    fs::copy_file(std::string(HESTIA_DEFAULT_DEFINITIONS_DIR) + "/Bundle-types.json",
                  dir_ + "/Bundle-types.json");
    WriteAll(dir_ + "/Bundle-resources.json", kWidgetBundle);
  }
  void TearDown() override { RemoveTree(dir_); }

  std::string Load() {
    auto loaded = TypeRegistry::LoadFromPackage(dir_);
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? Snapshot(**loaded) : "";
  }

  std::string dir_;
};

TEST_F(TypeRegistryCacheTest, CacheGivesTheParsedRegistryAndIsIgnoredWhenStaleOrDamaged) {
  ASSERT_FALSE(fs::exists(dir_ + kCache));
  const std::string parsed = Load();
  ASSERT_NE(parsed.find("\nWidget resource DomainResource"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find("valueQuantity → Widget.part.value[x] Quantity"), std::string::npos);
  EXPECT_NE(parsed.find("child.valueString → Widget.part.value[x] string"), std::string::npos)
      << parsed;
  ASSERT_TRUE(fs::exists(dir_ + kCache)) << "the first load writes the cache";

  EXPECT_EQ(Load(), parsed) << "the registry from the cache differs from the parsed one";

  // The cache is what the second load read: a change made only in the cache shows.
  const std::string cache = ReadAll(dir_ + kCache);
  const std::string widget_line = "T\tWidget\tresource\tDomainResource\t0\n";
  const auto at = cache.find(widget_line);
  ASSERT_NE(at, std::string::npos);
  std::string tweaked = cache;
  tweaked.replace(at, widget_line.size(), "T\tWidget\tresource\tFromTheCache\t0\n");
  WriteAll(dir_ + kCache, tweaked);
  EXPECT_NE(Load().find("\nWidget resource FromTheCache"), std::string::npos);

  // A source that changed makes the cache stale: parsed again (and the cache rewritten).
  const auto mtime = fs::last_write_time(dir_ + "/Bundle-resources.json");
  fs::last_write_time(dir_ + "/Bundle-resources.json", mtime + std::chrono::seconds(1));
  EXPECT_EQ(Load(), parsed);
  EXPECT_EQ(ReadAll(dir_ + kCache).find("FromTheCache"), std::string::npos);

  // A damaged cache (cut short, as by a crash of a writer without rename) is not used.
  const std::string fresh = ReadAll(dir_ + kCache);
  WriteAll(dir_ + kCache, fresh.substr(0, fresh.size() / 2));
  EXPECT_EQ(Load(), parsed);
  WriteAll(dir_ + kCache, fresh.substr(0, fresh.find('\n') + 1) + "E\tnot a cache line\n");
  EXPECT_EQ(Load(), parsed);
}

}  // namespace
}  // namespace hestia::testing
