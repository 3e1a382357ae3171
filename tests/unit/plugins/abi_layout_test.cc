// The plug-in ABI's layout is frozen (R1, R2): offsetof asserts for every v1.0 field, and the
// golden slot list abi_slots.txt that plugin.h may only append to.
// ../shared/ARCHITECTURE.md §6; docs/adr/0009-plugin-abi.md.
#include <gtest/gtest.h>
#include <hestia/plugin.h>

#include <cstddef>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

// ---- Compile-time: every v1.0 field stays where it is (LP64: x86-64, aarch64) -------------
static_assert(sizeof(void*) == 8, "the offsets below are for LP64 platforms");
#define HESTIA_AT(type, field, offset) static_assert(offsetof(type, field) == (offset), #field)
HESTIA_AT(hestia_string_view, data, 0);
HESTIA_AT(hestia_string_view, len, 8);
static_assert(sizeof(hestia_string_view) == 16);  // passed by value: may never grow

HESTIA_AT(hestia_operation_request, struct_size, 0);
HESTIA_AT(hestia_operation_request, level, 4);
HESTIA_AT(hestia_operation_request, name, 8);
HESTIA_AT(hestia_operation_request, method, 24);
HESTIA_AT(hestia_operation_request, type, 40);
HESTIA_AT(hestia_operation_request, id, 56);
HESTIA_AT(hestia_operation_request, parameters, 72);
static_assert(sizeof(hestia_operation_request) >= 88);

HESTIA_AT(hestia_operation_def, struct_size, 0);
HESTIA_AT(hestia_operation_def, levels, 4);
HESTIA_AT(hestia_operation_def, name, 8);
HESTIA_AT(hestia_operation_def, type, 24);
HESTIA_AT(hestia_operation_def, definition, 40);
HESTIA_AT(hestia_operation_def, affects_state, 56);
HESTIA_AT(hestia_operation_def, reserved, 60);
HESTIA_AT(hestia_operation_def, handler, 64);
HESTIA_AT(hestia_operation_def, user_data, 72);
static_assert(sizeof(hestia_operation_def) >= 80);

HESTIA_AT(hestia_write, struct_size, 0);
HESTIA_AT(hestia_write, interaction, 4);
HESTIA_AT(hestia_write, type, 8);
HESTIA_AT(hestia_write, id, 24);
HESTIA_AT(hestia_write, version, 40);
HESTIA_AT(hestia_write, resource, 48);
HESTIA_AT(hestia_write, previous, 64);  // v1.1
static_assert(sizeof(hestia_write) >= 80);

HESTIA_AT(hestia_interceptor_def, struct_size, 0);
HESTIA_AT(hestia_interceptor_def, phase, 4);
HESTIA_AT(hestia_interceptor_def, interactions, 8);
HESTIA_AT(hestia_interceptor_def, reserved, 12);
HESTIA_AT(hestia_interceptor_def, type, 16);
HESTIA_AT(hestia_interceptor_def, handler, 32);
HESTIA_AT(hestia_interceptor_def, user_data, 40);
static_assert(sizeof(hestia_interceptor_def) >= 48);

HESTIA_AT(hestia_job_def, struct_size, 0);
HESTIA_AT(hestia_job_def, schedule, 4);
HESTIA_AT(hestia_job_def, seconds, 8);
HESTIA_AT(hestia_job_def, reserved, 12);
HESTIA_AT(hestia_job_def, name, 16);
HESTIA_AT(hestia_job_def, handler, 32);
HESTIA_AT(hestia_job_def, user_data, 40);
static_assert(sizeof(hestia_job_def) >= 48);

HESTIA_AT(hestia_event, struct_size, 0);
HESTIA_AT(hestia_event, interaction, 4);
HESTIA_AT(hestia_event, sequence, 8);
HESTIA_AT(hestia_event, type, 16);
HESTIA_AT(hestia_event, id, 32);
HESTIA_AT(hestia_event, version, 48);
HESTIA_AT(hestia_event, last_updated_micros, 56);
HESTIA_AT(hestia_event, resource, 64);
static_assert(sizeof(hestia_event) >= 80);

HESTIA_AT(hestia_subscription_def, struct_size, 0);
HESTIA_AT(hestia_subscription_def, interactions, 4);
HESTIA_AT(hestia_subscription_def, type, 8);
HESTIA_AT(hestia_subscription_def, name, 24);
HESTIA_AT(hestia_subscription_def, handler, 40);
HESTIA_AT(hestia_subscription_def, user_data, 48);
static_assert(sizeof(hestia_subscription_def) >= 56);

HESTIA_AT(hestia_host_api, struct_size, 0);
HESTIA_AT(hestia_host_api, abi_major, 4);
HESTIA_AT(hestia_host_api, abi_minor, 8);
HESTIA_AT(hestia_host_api, reserved, 12);
HESTIA_AT(hestia_host_api, log_message, 16);
HESTIA_AT(hestia_host_api, set_error, 24);
HESTIA_AT(hestia_host_api, respond, 32);
HESTIA_AT(hestia_host_api, buffer_data, 40);
HESTIA_AT(hestia_host_api, buffer_release, 48);
HESTIA_AT(hestia_host_api, read, 56);
HESTIA_AT(hestia_host_api, search, 64);
HESTIA_AT(hestia_host_api, create, 72);
HESTIA_AT(hestia_host_api, update, 80);
HESTIA_AT(hestia_host_api, delete_resource, 88);
HESTIA_AT(hestia_host_api, transaction, 96);
HESTIA_AT(hestia_host_api, config_get, 104);
HESTIA_AT(hestia_host_api, now_micros, 112);
HESTIA_AT(hestia_host_api, register_operation, 120);
HESTIA_AT(hestia_host_api, register_interceptor, 128);
HESTIA_AT(hestia_host_api, register_job, 136);
HESTIA_AT(hestia_host_api, subscribe, 144);
static_assert(sizeof(hestia_host_api) >= 152);

HESTIA_AT(hestia_plugin_descriptor, struct_size, 0);
HESTIA_AT(hestia_plugin_descriptor, magic, 4);
HESTIA_AT(hestia_plugin_descriptor, abi_major, 8);
HESTIA_AT(hestia_plugin_descriptor, abi_minor_required, 12);
HESTIA_AT(hestia_plugin_descriptor, name, 16);
HESTIA_AT(hestia_plugin_descriptor, version, 24);
HESTIA_AT(hestia_plugin_descriptor, init, 32);
HESTIA_AT(hestia_plugin_descriptor, shutdown, 40);
static_assert(sizeof(hestia_plugin_descriptor) >= 48);
#undef HESTIA_AT

static_assert(HESTIA_PLUGIN_ABI_MAJOR == 1);
static_assert(HESTIA_PLUGIN_MAGIC == 0x48504c47u);

// ---- Run time: the golden slot list ------------------------------------------------------

using Slots = std::vector<std::pair<std::string, std::vector<std::string>>>;  // in order

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every `typedef struct X { ... } X;` of a C header: its fields in order (the name after
// "(*" for function pointers, else the last identifier of the declaration).
Slots ParseHeader(std::string text) {
  text = std::regex_replace(text, std::regex(R"(/\*[\s\S]*?\*/)"), " ");
  Slots out;
  const std::regex def(R"(typedef struct (\w+) \{([^}]*)\} (\w+);)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), def); it != std::sregex_iterator();
       ++it) {
    std::vector<std::string> fields;
    std::stringstream body((*it)[2].str());
    std::string decl;
    while (std::getline(body, decl, ';')) {
      std::smatch m;
      static const std::regex function_pointer(R"(\(\*\s*(\w+)\))");
      if (std::regex_search(decl, m, function_pointer)) {
        fields.push_back(m[1]);
        continue;
      }
      static const std::regex word(R"(\w+)");
      std::string last;
      for (auto w = std::sregex_iterator(decl.begin(), decl.end(), word);
           w != std::sregex_iterator(); ++w) {
        last = w->str();
      }
      if (!last.empty()) fields.push_back(last);
    }
    out.emplace_back((*it)[1].str(), fields);
  }
  return out;
}

Slots ParseGolden(const std::string& text) {
  Slots out;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream parts(line);
    std::string type, field;
    parts >> type >> field;
    if (out.empty() || out.back().first != type) out.emplace_back(type, std::vector<std::string>{});
    out.back().second.push_back(field);
  }
  return out;
}

// "" when `header` keeps every golden struct with the golden fields as a prefix of its own
// (appending fields or structs is allowed); otherwise what broke.
std::string CheckAppendOnly(const Slots& golden, const Slots& header) {
  std::map<std::string, const std::vector<std::string>*> by_name;
  for (const auto& [name, fields] : header) by_name[name] = &fields;
  for (const auto& [name, fields] : golden) {
    auto it = by_name.find(name);
    if (it == by_name.end()) return "struct " + name + " was removed or renamed";
    const auto& now = *it->second;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i >= now.size()) return name + "." + fields[i] + " was removed";
      if (now[i] != fields[i]) {
        return name + " slot " + std::to_string(i) + " was " + fields[i] + ", now " + now[i];
      }
    }
  }
  return "";
}

// FHIR-independent: ../shared/ARCHITECTURE.md §6 R1.
TEST(AbiSlots, HeaderOnlyAppendsToTheGoldenList) {
  const Slots golden = ParseGolden(ReadFile(HESTIA_ABI_SLOTS));
  const Slots header = ParseHeader(ReadFile(HESTIA_PLUGIN_HEADER));
  ASSERT_GE(golden.size(), 10U) << "golden list not read";
  ASSERT_GE(header.size(), golden.size()) << "header not parsed";
  EXPECT_EQ(CheckAppendOnly(golden, header), "");
}

TEST(AbiSlots, TheCheckRejectsReorderRemovalAndRenameButAcceptsAppends) {
  const std::string text = ReadFile(HESTIA_PLUGIN_HEADER);
  const Slots golden = ParseGolden(ReadFile(HESTIA_ABI_SLOTS));
  auto mutated = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const std::size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    t.replace(at, from.size(), to);
    return CheckAppendOnly(golden, ParseHeader(t));
  };
  // A slot renamed (reused for something else).
  EXPECT_NE(mutated("  hestia_status (*create)(", "  hestia_status (*createX)("), "");
  EXPECT_NE(mutated("  uint32_t magic;", "  uint32_t abi_major_first;"), "");
  // Removed: the descriptor's shutdown.
  EXPECT_NE(mutated("  hestia_shutdown_fn shutdown;\n", ""), "");
  // Appended at the end of the host table: allowed (R1).
  EXPECT_EQ(
      mutated("  hestia_status (*subscribe)(hestia_host* host, const hestia_subscription_def* "
              "def);\n",
              "  hestia_status (*subscribe)(hestia_host* host, const hestia_subscription_def* "
              "def);\n  void (*added_in_1_1)(hestia_host* host);\n"),
      "");
}

// The golden list (today's layout) only appends to the frozen v1.0 header: v1.1 added
// hestia_write.previous at the end of its struct.
TEST(AbiSlots, GoldenSlotsAppendToTheFrozenV10Header) {
  const Slots golden = ParseGolden(ReadFile(HESTIA_ABI_SLOTS));
  const std::string frozen =
      std::string(HESTIA_ABI_SLOTS).substr(0, std::string(HESTIA_ABI_SLOTS).rfind('/')) +
      "/frozen/plugin_v1_0.h";
  const Slots v10 = ParseHeader(ReadFile(frozen));
  EXPECT_EQ(CheckAppendOnly(v10, golden), "");
  EXPECT_NE(v10, golden) << "v1.1 appended a slot, so the lists differ";
}

TEST(AbiHostTable, StartsWithItsSizeAndHasEveryV10Slot) {
  hestia_host_api api{};
  api.struct_size = offsetof(hestia_host_api, subscribe) + sizeof(api.subscribe);
  api.subscribe = [](hestia_host*, const hestia_subscription_def*) { return HESTIA_OK; };
  EXPECT_TRUE(HESTIA_HOST_HAS(&api, subscribe));
  api.struct_size = offsetof(hestia_host_api, subscribe);  // an older, smaller table
  EXPECT_FALSE(HESTIA_HOST_HAS(&api, subscribe));
}

}  // namespace
