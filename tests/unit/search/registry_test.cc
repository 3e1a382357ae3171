// Tests for the SearchParameter registry (search/parameter_registry.h) and the compartment
// table (resources/compartments.h): every R4 parameter loaded, per-type expressions,
// components and targets, run-time parameters, compartments.
// FHIR R4: http://hl7.org/fhir/R4/searchparameter.html, compartmentdefinition.html
#include "hestia/search/parameter_registry.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hestia/base/json.h"
#include "hestia/resources/compartments.h"
#include "hestia/resources/type_registry.h"

namespace hestia::search {
namespace {

class RegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    registry_ = std::move(loaded).value();
  }
  static std::shared_ptr<const ParameterRegistry> registry_;
};
std::shared_ptr<const ParameterRegistry> RegistryTest::registry_;

TEST_F(RegistryTest, HoldsEveryR4SearchParameter) {
  EXPECT_EQ(registry_->size(), 1375u);
  const SearchParameterDef* id = registry_->Find("Patient", "_id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->type, "token");
  ASSERT_NE(registry_->Find("Slot", "schedule"), nullptr);
  EXPECT_EQ(registry_->Find("Slot", "birthdate"), nullptr);
}

// single_instant: the date parameters whose expression for a type is one path of
// non-repeating elements ending at an instant.
TEST_F(RegistryTest, ElementTypesMarkSingleInstantParameters) {
  auto types = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  auto typed = registry_->WithElementTypes(**types);
  ASSERT_EQ(typed->size(), registry_->size());
  auto marked = [&](const char* type, const char* code) {
    const SearchParameterDef* def = typed->Find(type, code);
    EXPECT_NE(def, nullptr) << type << "." << code;
    if (def == nullptr) return false;
    return std::binary_search(def->single_instant.begin(), def->single_instant.end(),
                              std::string(type));
  };
  EXPECT_TRUE(marked("Slot", "start"));          // Slot.start: instant 1..1
  EXPECT_TRUE(marked("Appointment", "date"));    // Appointment.start: instant 0..1
  EXPECT_FALSE(marked("Patient", "birthdate"));  // date
  EXPECT_FALSE(marked("Observation", "date"));   // effective[x]: dateTime | Period | …
  EXPECT_FALSE(marked("Encounter", "date"));     // Period
  EXPECT_FALSE(marked("Slot", "status"));        // not a date
  // The registry it came from is unchanged; a parameter activated at run time (a
  // SearchParameter resource, even one on an instant) stays unmarked, the others keep theirs.
  EXPECT_TRUE(registry_->Find("Slot", "start")->single_instant.empty());
  json::Document doc;
  ASSERT_TRUE(json::Parse(R"({"resourceType":"SearchParameter","url":"http://example.org/sp/begins",
      "code":"begins","type":"date","base":["Slot"],"expression":"Slot.start"})",
                          json::Limits{}, &doc)
                  .ok());
  auto begins = ParameterRegistry::FromResource(doc);
  ASSERT_TRUE(begins.ok()) << begins.status().ToString();
  auto more = typed->WithAdded({*begins});
  ASSERT_NE(more->Find("Slot", "begins"), nullptr);
  EXPECT_TRUE(more->Find("Slot", "begins")->single_instant.empty());
  EXPECT_FALSE(more->Find("Slot", "start")->single_instant.empty());
}

TEST_F(RegistryTest, ExpressionForPicksTheTermsOfOneType) {
  const SearchParameterDef* name = registry_->Find("Practitioner", "phonetic");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->xpath_usage, "phonetic");
  const SearchParameterDef* given = registry_->Find("Patient", "given");
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(given->ExpressionFor("Patient"), "Patient.name.given");
  EXPECT_EQ(given->ExpressionFor("Practitioner"), "Practitioner.name.given");
  EXPECT_EQ(given->ExpressionFor("Observation"), "");
  // Resource-level parameters are re-rooted at the concrete type.
  EXPECT_EQ(registry_->Find("Observation", "_tag")->ExpressionFor("Observation"),
            "Observation.meta.tag");
  // Parenthesised terms keep their shape.
  const SearchParameterDef* value = registry_->Find("Observation", "value-quantity");
  ASSERT_NE(value, nullptr);
  EXPECT_NE(value->ExpressionFor("Observation").find("Observation.value"), std::string::npos);
}

TEST_F(RegistryTest, CompositeComponentsAndReferenceTargets) {
  const SearchParameterDef* cvq = registry_->Find("Observation", "code-value-quantity");
  ASSERT_NE(cvq, nullptr);
  ASSERT_EQ(cvq->components.size(), 2u);
  const SearchParameterDef* first = registry_->FindByUrl(cvq->components[0].definition);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->type, "token");
  EXPECT_EQ(registry_->FindByUrl(cvq->components[1].definition)->type, "quantity");
  const SearchParameterDef* subject = registry_->Find("Observation", "subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_NE(std::find(subject->target.begin(), subject->target.end(), "Patient"),
            subject->target.end());
}

TEST_F(RegistryTest, RunTimeParametersJoinANewRegistry) {
  json::Document doc;
  ASSERT_TRUE(json::Parse(R"({"resourceType":"SearchParameter","url":"http://example.org/sp/eye",
      "code":"eye-colour","type":"token","base":["Patient"],
      "expression":"Patient.extension('http://example.org/eye').value"})",
                          json::Limits{}, &doc)
                  .ok());
  auto def = ParameterRegistry::FromResource(doc);
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  auto next = registry_->WithAdded({*def});
  EXPECT_EQ(registry_->Find("Patient", "eye-colour"), nullptr);  // the old one is unchanged
  ASSERT_NE(next->Find("Patient", "eye-colour"), nullptr);
  EXPECT_EQ(next->size(), registry_->size() + 1);
  EXPECT_NE(next->FindByUrl("http://example.org/sp/eye"), nullptr);

  json::Document bad;
  ASSERT_TRUE(json::Parse(R"({"resourceType":"SearchParameter","code":"x","base":["Patient"]})",
                          json::Limits{}, &bad)
                  .ok());
  auto missing_type = ParameterRegistry::FromResource(bad);
  ASSERT_FALSE(missing_type.ok());
  EXPECT_NE(missing_type.status().message().find("type"), std::string::npos);
}

// RowSources: the package parameters whose expression is the union of others' share their rows.
TEST_F(RegistryTest, UnionParametersShareTheRowsOfTheirTerms) {
  auto sources = [](const ParameterRegistry& r, const char* type, const char* code) {
    std::vector<std::string> out = r.RowSources(type, code);
    std::sort(out.begin(), out.end());
    return out;
  };
  using Codes = std::vector<std::string>;
  EXPECT_EQ(sources(*registry_, "Observation", "combo-code"), (Codes{"code", "component-code"}));
  EXPECT_EQ(sources(*registry_, "Observation", "combo-value-quantity"),
            (Codes{"component-value-quantity", "value-quantity"}));
  EXPECT_EQ(sources(*registry_, "Observation", "combo-data-absent-reason"),
            (Codes{"component-data-absent-reason", "data-absent-reason"}));
  // Composites: the same components, evaluated alike, over Observation | Observation.component.
  EXPECT_EQ(sources(*registry_, "Observation", "combo-code-value-quantity"),
            (Codes{"code-value-quantity", "component-code-value-quantity"}));
  EXPECT_EQ(sources(*registry_, "Observation", "combo-code-value-concept"),
            (Codes{"code-value-concept", "component-code-value-concept"}));
  // Same expression "Observation", other components: rows of their own.
  EXPECT_EQ(sources(*registry_, "Observation", "code-value-date"), Codes{});
  EXPECT_EQ(sources(*registry_, "Observation", "code-value-quantity"), Codes{});
  // Sources have rows; a filtered expression (subject.where(resolve() is Patient)) is no union.
  EXPECT_EQ(sources(*registry_, "Observation", "code"), Codes{});
  EXPECT_EQ(sources(*registry_, "Observation", "patient"), Codes{});
  EXPECT_EQ(sources(*registry_, "Patient", "name"), Codes{});
  // One expression, two parameters: exactly one of them keeps rows.
  const Codes patient = sources(*registry_, "DeviceUseStatement", "patient");
  const Codes subject = sources(*registry_, "DeviceUseStatement", "subject");
  EXPECT_TRUE((patient == Codes{"subject"} && subject.empty()) ||
              (subject == Codes{"patient"} && patient.empty()));
  const SearchParameterDef* combo = registry_->Find("Observation", "combo-code");
  ASSERT_EQ(combo->row_sources.size(), 1u);
  EXPECT_EQ(combo->row_sources[0].first, "Observation");
  EXPECT_TRUE(registry_->Find("Observation", "code")->row_sources.empty());

  // A run-time parameter that replaces a source ends the sharing that relied on its rows.
  SearchParameterDef own_code = *registry_->Find("Observation", "component-code");
  own_code.runtime = true;
  own_code.expression = "Observation.component.code.coding";
  auto next = registry_->WithAdded({own_code});
  EXPECT_EQ(sources(*next, "Observation", "combo-code"), Codes{});
  EXPECT_TRUE(next->Find("Observation", "combo-code")->row_sources.empty());
  EXPECT_EQ(sources(*next, "Observation", "combo-value-quantity"),
            (Codes{"component-value-quantity", "value-quantity"}));
  EXPECT_EQ(sources(*registry_, "Observation", "combo-code"), (Codes{"code", "component-code"}));
}

// part_sources: a string parameter over HumanName/Address items leaves the parts that
// another parameter indexes (its expression + "." + part) to that parameter's rows.
TEST_F(RegistryTest, NameAndAddressPartsAreTheirOwnParametersRows) {
  auto types = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  ASSERT_TRUE(types.ok()) << types.status().ToString();
  auto typed = registry_->WithElementTypes(**types);
  using Parts = std::vector<std::string>;  // "part=code", sorted
  auto parts = [](const ParameterRegistry& r, const char* type, const char* code) {
    Parts out;
    for (const auto& p : r.PartSources(type, code)) {
      EXPECT_NE(p.bit, 0u) << p.part;
      out.push_back(p.part + "=" + p.code);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(parts(*typed, "Patient", "name"), (Parts{"family=family", "given=given"}));
  EXPECT_EQ(parts(*typed, "Patient", "address"),
            (Parts{"city=address-city", "country=address-country", "postalCode=address-postalcode",
                   "state=address-state"}));
  EXPECT_EQ(parts(*typed, "Practitioner", "name"), (Parts{"family=family", "given=given"}));
  EXPECT_EQ(parts(*typed, "Organization", "address"),
            (Parts{"city=address-city", "country=address-country", "postalCode=address-postalcode",
                   "state=address-state"}));
  // Location.address is one Address, not a list: the same.
  EXPECT_EQ(parts(*typed, "Location", "address"),
            (Parts{"city=address-city", "country=address-country", "postalCode=address-postalcode",
                   "state=address-state"}));
  // Phonetic keys are not the normal form; the parts themselves and other types keep theirs.
  EXPECT_EQ(parts(*typed, "Patient", "phonetic"), Parts{});
  EXPECT_EQ(parts(*typed, "Patient", "family"), Parts{});
  EXPECT_EQ(parts(*typed, "Patient", "address-use"), Parts{});
  EXPECT_EQ(parts(*typed, "Organization", "name"), Parts{});  // a string, not a HumanName
  // Filled from the element types only.
  EXPECT_EQ(parts(*registry_, "Patient", "name"), Parts{});

  // Replacing a part's parameter at run time ends that part's sharing only; replacing the
  // parameter itself ends all of it.
  SearchParameterDef own_family = *typed->Find("Patient", "family");
  own_family.runtime = true;
  own_family.expression = "Patient.name.family.first()";
  own_family.base = {"Patient"};
  auto next = typed->WithAdded({own_family});
  EXPECT_EQ(parts(*next, "Patient", "name"), (Parts{"given=given"}));
  EXPECT_EQ(parts(*next, "Practitioner", "name"), (Parts{"family=family", "given=given"}));
  SearchParameterDef own_address = *typed->Find("Patient", "address");
  own_address.runtime = true;
  own_address.base = {"Patient"};
  EXPECT_EQ(parts(*typed->WithAdded({own_address}), "Patient", "address"), Parts{});
  EXPECT_EQ(parts(*typed, "Patient", "name"), (Parts{"family=family", "given=given"}));
}

TEST(CompartmentsTest, PatientCompartmentFromTheDefinitions) {
  auto loaded = resources::Compartments::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const auto& c = **loaded;
  EXPECT_TRUE(c.IsCompartmentType("Patient"));
  EXPECT_FALSE(c.IsCompartmentType("Observation"));
  const auto& obs = c.Params("Patient", "Observation");
  EXPECT_NE(std::find(obs.begin(), obs.end(), "subject"), obs.end());
  EXPECT_TRUE(c.Params("Patient", "ValueSet").empty());
  const auto members = c.MemberTypes("Patient");
  EXPECT_NE(std::find(members.begin(), members.end(), "Encounter"), members.end());
}

}  // namespace
}  // namespace hestia::search
