// Tests for the type registry built from the definitions package (type_registry.h).
// FHIR R4: http://hl7.org/fhir/R4/resourcelist.html, elementdefinition.html
#include "hestia/resources/type_registry.h"

#include <gtest/gtest.h>

namespace hestia::resources {
namespace {

class TypeRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    registry_ = std::move(loaded).value();
  }
  static std::shared_ptr<const TypeRegistry> registry_;
};
std::shared_ptr<const TypeRegistry> TypeRegistryTest::registry_;

TEST_F(TypeRegistryTest, EveryConcreteR4ResourceTypeAndNothingElse) {
  const auto& types = registry_->ResourceTypes();
  EXPECT_EQ(types.size(), 146u);  // R4 4.0.1: every non-abstract resource StructureDefinition
  for (const char* t :
       {"Patient", "Practitioner", "PractitionerRole", "Organization", "Location",
        "HealthcareService", "Schedule", "Slot", "Appointment", "AppointmentResponse", "Encounter",
        "Observation", "Bundle", "Binary", "Parameters", "OperationOutcome"}) {
    EXPECT_TRUE(registry_->IsResourceType(t)) << t;
  }
  for (const char* t : {"Resource", "DomainResource", "MetadataResource", "HumanName", "patient",
                        "", "vitalsigns"}) {
    EXPECT_FALSE(registry_->IsResourceType(t)) << t;
  }
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
}

TEST_F(TypeRegistryTest, ElementsCarryTypesAndCardinality) {
  const ElementInfo* name = registry_->FindElement("Patient.name");
  ASSERT_NE(name, nullptr);
  EXPECT_TRUE(name->is_array);
  ASSERT_EQ(name->types.size(), 1u);
  EXPECT_EQ(name->types[0], "HumanName");
  const ElementInfo* status = registry_->FindElement("Slot.status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->min, 1);
  EXPECT_FALSE(status->is_array);
  const TypeInfo* human_name = registry_->FindType("HumanName");
  ASSERT_NE(human_name, nullptr);
  EXPECT_EQ(human_name->kind, "complex-type");
  EXPECT_EQ(registry_->FindType("Patient")->base, "DomainResource");
}

TEST_F(TypeRegistryTest, ChildElementResolvesChoicesDataTypesAndContentReferences) {
  std::string choice;
  const ElementInfo* value = registry_->ChildElement("Observation", "valueQuantity", &choice);
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->path, "Observation.value[x]");
  EXPECT_EQ(choice, "Quantity");
  ASSERT_NE(registry_->ChildElement("Observation", "valueString", &choice), nullptr);
  EXPECT_EQ(choice, "string");
  EXPECT_EQ(registry_->ChildElement("Observation", "valueHumanName", &choice), nullptr);
  const ElementInfo* multiple = registry_->ChildElement("Patient", "multipleBirthInteger", &choice);
  ASSERT_NE(multiple, nullptr);
  EXPECT_EQ(multiple->path, "Patient.multipleBirth[x]");
  EXPECT_EQ(choice, "integer");
  ASSERT_NE(registry_->ChildElement("Patient", "deceasedDateTime", &choice), nullptr);
  EXPECT_EQ(choice, "dateTime");

  const ElementInfo* given = registry_->ChildElement("Patient.name", "given");
  ASSERT_NE(given, nullptr);
  EXPECT_EQ(given->path, "HumanName.given");

  const ElementInfo* nested = registry_->ChildElement("Questionnaire.item.item", "linkId");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->path, "Questionnaire.item.linkId");
  EXPECT_EQ(registry_->ChildElement("Patient", "nonsense"), nullptr);
}

TEST(TypeRegistryLoadTest, MissingPackageIsAClearError) {
  auto loaded = TypeRegistry::LoadFromPackage("/nonexistent");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("Bundle-types.json"), std::string::npos);
}

}  // namespace
}  // namespace hestia::resources
