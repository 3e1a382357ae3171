// FHIRPath semantics beyond the official suite: Bundle resolve(), search-extraction options,
// time zones, decimals, UCUM in comparisons, primitive extensions.
// FHIRPath N1: http://hl7.org/fhirpath/N1/ ; FHIR R4: http://hl7.org/fhir/R4/fhirpath.html
#include <string>

#include <gtest/gtest.h>

#include "hestia/fhirpath/engine.h"
#include "test_engine.h"

namespace hestia::fhirpath {
namespace {

constexpr const char* kBundle = R"({"resourceType": "Bundle", "type": "collection", "entry": [
  {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1",
   "gender": "female", "name": [{"family": "Ng"}]}},
  {"fullUrl": "urn:uuid:o1", "resource": {"resourceType": "Observation", "id": "o1",
   "status": "final", "code": {"text": "weight"}, "subject": {"reference": "urn:uuid:p1"},
   "valueQuantity": {"value": 150, "unit": "lb", "system": "http://unitsofmeasure.org",
                     "code": "[lb_av]"},
   "effectiveDateTime": "2020-05-01T10:00:00+02:00",
   "focus": [{"reference": "Patient/zz"}, {"reference": "Group/g1"}],
   "component": [{"code": {"text": "a"}, "valueString": "x"},
                 {"code": {"text": "b"}, "valueInteger": 3}]}}]})";

class SemanticsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { engine_ = SharedTestEngine(); }
  void SetUp() override {
    if (engine_ == nullptr) GTEST_SKIP() << "definitions package absent";
    ASSERT_TRUE(json::Parse(kBundle, json::Limits{}, &bundle_).ok());
    observation_ = &bundle_["entry"][1]["resource"];
  }
  // Evaluates over the Observation, with the Bundle as %resource (as when a server indexes
  // a Bundle entry).
  std::string Eval(const std::string& text, EvalOptions options = {}) {
    auto expr = engine_->Compile(text);
    if (!expr.ok()) return "error: " + expr.status().message();
    Collection context{engine_->ResourceItem(*observation_)};
    auto r = engine_->Evaluate(*expr.value(), context, &bundle_, nullptr, options);
    if (!r.ok()) return "error: " + r.status().message();
    std::string s;
    for (const Item& i : r.value()) s += (s.empty() ? "" : ", ") + ItemToString(i);
    return s;
  }
  static inline std::shared_ptr<const Engine> engine_;
  json::Document bundle_;
  const json::Value* observation_ = nullptr;
};

TEST_F(SemanticsTest, ResolvesWithinTheBundleAndTypesUnresolvableReferences) {
  EXPECT_EQ(Eval("subject.resolve().name.family"), "Ng");
  EXPECT_EQ(Eval("subject.where(resolve() is Patient).reference"), "urn:uuid:p1");
  EXPECT_EQ(Eval("focus.where(resolve() is Patient).reference"), "Patient/zz");
  EXPECT_EQ(Eval("focus.resolve().count()"), "2");
}

TEST_F(SemanticsTest, AsOnRepeatingElementsNeedsLenientAs) {
  EvalOptions search;
  search.lenient_as = true;
  EXPECT_NE(Eval("component.value as string").find("error"), std::string::npos);
  EXPECT_EQ(Eval("component.value as string", search), "x");
  EXPECT_EQ(Eval("component.value.as(integer)", search), "3");
  EXPECT_EQ(Eval("component.value.ofType(integer)"), "3");
}

TEST_F(SemanticsTest, QuantitiesCompareAcrossUnits) {
  EXPECT_EQ(Eval("value > 60 'kg'"), "true");
  EXPECT_EQ(Eval("value < 70 'kg'"), "true");
  EXPECT_EQ(Eval("value ~ 68 'kg'"), "true");
  EXPECT_EQ(Eval("value = 150 '[lb_av]'"), "true");
  EXPECT_EQ(Eval("value = 150 's'"), "");
  EXPECT_NE(Eval("value < 150 's'").find("error"), std::string::npos);
}

TEST_F(SemanticsTest, DateTimesCompareInUtcAndByPrecision) {
  EXPECT_EQ(Eval("effective = @2020-05-01T08:00:00Z"), "true");
  EXPECT_EQ(Eval("effective > @2020-05-01T07:59:59Z"), "true");
  EXPECT_EQ(Eval("effective = @2020-05-01"), "");
  EXPECT_EQ(Eval("effective > @2020-04"), "true");
  EXPECT_EQ(Eval("effective.toString()"), "2020-05-01T10:00:00+02:00");
}

TEST_F(SemanticsTest, DecimalsKeepTheirScale) {
  EXPECT_EQ(Eval("1.10 + 2.205"), "3.305");
  EXPECT_EQ(Eval("(0.1 + 0.2).toString()"), "0.3");
  EXPECT_EQ(Eval("1.50.precision()"), "2");
  EXPECT_EQ(Eval("10 / 4"), "2.5");
  EXPECT_EQ(Eval("1.2 ~ 1.21"), "true");
  EXPECT_EQ(Eval("1.2 = 1.21"), "false");
}

TEST_F(SemanticsTest, StringEquivalenceIgnoresCaseAndWhitespace) {
  EXPECT_EQ(Eval("'Hello  World' ~ 'hello world'"), "true");
  EXPECT_EQ(Eval("'Hello' = 'hello'"), "false");
  EXPECT_EQ(Eval("code.text = 'weight'"), "true");
}

TEST_F(SemanticsTest, EnvironmentVariablesAndTypes) {
  EXPECT_EQ(Eval("%resource.type().name"), "Bundle");
  EXPECT_EQ(Eval("%context.id"), "o1");
  EXPECT_EQ(Eval("%`vs-observation-status`"), "http://hl7.org/fhir/ValueSet/observation-status");
  EXPECT_EQ(Eval("status.type().name"), "code");
  EXPECT_EQ(Eval("Observation.is(DomainResource)"), "true");
  EXPECT_EQ(Eval("Resource.id"), "o1");
}

}  // namespace
}  // namespace hestia::fhirpath
