// Index extraction (search/extract*.cc, normalize.cc): the rows each search-parameter type
// yields for spec-like resources, and a sweep over Synthea and every example of the
// definitions package.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/resources/type_registry.h"
#include "hestia/search/canonical_unit.h"
#include "hestia/search/index.h"
#include "hestia/search/parameter_registry.h"

namespace hestia::search {
namespace {

constexpr const char* kBase = "https://fhir.example.org/r4";

struct Shared {
  std::shared_ptr<const ParameterRegistry> registry;
  std::shared_ptr<const ParameterRegistry> typed;  // registry->WithElementTypes (PartSources)
  std::shared_ptr<const Extractor> extractor;
};

// Building the FHIRPath model takes seconds (more under ASan): once per test binary.
const Shared& Fixture() {
  static const Shared shared = [] {
    Shared s;
    auto types = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    auto params = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    if (!types.ok() || !params.ok()) return s;
    auto engine = fhirpath::Engine::Create(types.value());
    if (!engine.ok()) return s;
    s.registry = params.value();
    s.typed = s.registry->WithElementTypes(*types.value());
    s.extractor = std::make_shared<Extractor>(engine.value(), std::string(kBase) + "/");
    return s;
  }();
  return shared;
}

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Fixture().extractor == nullptr) GTEST_SKIP() << "definitions package not available";
  }

  // Extracts the rows of `text` (a resource) with the package registry, or with the server's
  // (`typed`: element types known, so HumanName/Address parts are shared); fails the test on
  // malformed JSON.
  IndexRows Extract(const std::string& text, bool typed = false) {
    json::Document doc;
    Status parsed = json::Parse(text, json::Limits{}, &doc);
    EXPECT_TRUE(parsed.ok()) << parsed.ToString();
    if (!parsed.ok()) return {};
    type_ = std::string(json::StringMember(doc, "resourceType"));
    auto rows =
        Fixture().extractor->Extract(type_, doc, typed ? *Fixture().typed : *Fixture().registry);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? std::move(rows).value() : IndexRows{};
  }

  int64_t Hash(const std::string& code) const { return ParamHash(type_, code); }

  std::set<std::pair<std::string, std::string>> Tokens(const IndexRows& rows,
                                                       const std::string& code) const {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& t : rows.tokens) {
      if (t.param_hash == Hash(code)) out.insert({t.system, t.code});
    }
    return out;
  }
  std::set<std::string> Norms(const IndexRows& rows, const std::string& code) const {
    std::set<std::string> out;
    for (const auto& s : rows.strings) {
      if (s.param_hash == Hash(code)) out.insert(s.norm);
    }
    return out;
  }
  std::vector<DateRow> Dates(const IndexRows& rows, const std::string& code) const {
    std::vector<DateRow> out;
    for (const auto& d : rows.dates) {
      if (d.param_hash == Hash(code)) out.push_back(d);
    }
    return out;
  }
  std::vector<QuantityRow> Quantities(const IndexRows& rows, const std::string& code) const {
    std::vector<QuantityRow> out;
    for (const auto& q : rows.quantities) {
      if (q.param_hash == Hash(code)) out.push_back(q);
    }
    return out;
  }
  // (type, id, url) of each reference row.
  std::set<std::tuple<std::string, std::string, std::string>> Refs(const IndexRows& rows,
                                                                   const std::string& code) const {
    std::set<std::tuple<std::string, std::string, std::string>> out;
    for (const auto& r : rows.references) {
      if (r.param_hash == Hash(code)) out.insert({r.target_type, r.target_id, r.url});
    }
    return out;
  }
  std::set<std::string> Uris(const IndexRows& rows, const std::string& code) const {
    std::set<std::string> out;
    for (const auto& u : rows.uris) {
      if (u.param_hash == Hash(code)) out.insert(u.uri);
    }
    return out;
  }

  std::string type_;
};

Micros At(const std::string& text) {
  auto r = ParseFhirDateTime(text);
  EXPECT_TRUE(r.ok()) << text;
  return r.ok() ? r->low : 0;
}

using Pairs = std::set<std::pair<std::string, std::string>>;

// --- normal forms ---------------------------------------------------------------------------

TEST(NormalizeTest, CaseAccentsAndWhitespace) {
  EXPECT_EQ(NormalizeString("Renée"), "renee");
  EXPECT_EQ(NormalizeString("  MÜLLER \t  Straße "), "muller strasse");
  EXPECT_EQ(NormalizeString("Ångström"), "angstrom");
  EXPECT_EQ(NormalizeString("ÉLODIE"), NormalizeString("elodie"));
  EXPECT_EQ(NormalizeString("Smith"), "smith");
  EXPECT_EQ(NormalizeString("   "), "");
}

TEST(NormalizeTest, TextLexemesAreTheNormalizedWordsOnce) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(TextLexemes("Héart failure, HEART attack."), (Words{"attack", "failure", "heart"}));
  // Punctuation splits words, except "." and "," between digits.
  EXPECT_EQ(TextLexemes("evelyn.benchmark@example.com +1-503-555-0199"),
            (Words{"0199", "1", "503", "555", "benchmark", "com", "evelyn", "example"}));
  EXPECT_EQ(TextLexemes("3.5 mg, 1,000 units; v2.0."),
            (Words{"1,000", "3.5", "mg", "units", "v2.0"}));
  // Letters of any script, with their marks; case-folded.
  EXPECT_EQ(TextLexemes("Straße 東京 Ελλάδα"), (Words{"strasse", "ελλαδα", "東京"}));
  EXPECT_EQ(TextLexemes(" -- "), Words{});
  // Longer than PostgreSQL's lexeme limit: dropped, the rest kept.
  EXPECT_EQ(TextLexemes(std::string(kMaxLexemeBytes + 1, 'x') + " ok " +
                        std::string(kMaxLexemeBytes, 'y')),
            (Words{"ok", std::string(kMaxLexemeBytes, 'y')}));
}

TEST(NormalizeTest, AmericanSoundexPerWord) {
  EXPECT_EQ(PhoneticKey("Robert"), "R163");
  EXPECT_EQ(PhoneticKey("Rupert"), "R163");
  EXPECT_EQ(PhoneticKey("Ashcraft"), "A261");
  EXPECT_EQ(PhoneticKey("Tymczak"), "T522");
  EXPECT_EQ(PhoneticKey("Pfister"), "P236");
  EXPECT_EQ(PhoneticKey("Lee"), "L000");
  EXPECT_EQ(PhoneticKey("Renée Smith-Jones"), "R500 S530 J520");
  EXPECT_EQ(PhoneticKey("1234"), "");
}

TEST(NormalizeTest, ParamHashIsStableFnv1a) {
  // The value stored by earlier versions for Patient.identifier: changing the hash would
  // orphan every stored row.
  EXPECT_EQ(ParamHash("Patient", "identifier"), -5490033691088570421LL);
  EXPECT_NE(ParamHash("Patient", "identifier"), ParamHash("Practitioner", "identifier"));
}

TEST(CanonicalUnitTest, MilligramsAndGramsMeet) {
  auto mg = Canonicalize("http://unitsofmeasure.org", "mg", 5);
  auto g = Canonicalize("", "g", 0.005);
  ASSERT_TRUE(mg && g);
  EXPECT_EQ(mg->unit, "g");
  EXPECT_EQ(mg->unit, g->unit);
  EXPECT_NEAR(mg->value, g->value, 1e-15);
  EXPECT_EQ(CanonicalUnitKey("mg/dL"), "g.m-3");
  EXPECT_FALSE(Canonicalize("http://snomed.info/sct", "mg", 5).has_value());
  EXPECT_FALSE(Canonicalize("", "not a unit", 5).has_value());
  auto celsius = Canonicalize("http://unitsofmeasure.org", "Cel", 37);
  ASSERT_TRUE(celsius);
  EXPECT_EQ(celsius->unit, "K");
  EXPECT_NEAR(celsius->value, 310.15, 1e-9);
}

// --- token ----------------------------------------------------------------------------------

TEST_F(ExtractTest, TokenCodeableConceptCodingAndText) {
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"29463-7","display":"Body Weight"},
                      {"system":"http://snomed.info/sct","code":"27113001"},
                      {"system":"http://loinc.org","code":"29463-7"}],
            "text":"Poids"},
    "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category",
                            "code":"vital-signs"}]}]})");
  EXPECT_EQ(Tokens(rows, "code"),
            (Pairs{{"http://loinc.org", "29463-7"}, {"http://snomed.info/sct", "27113001"}}));
  EXPECT_EQ(Norms(rows, "code:text"), (std::set<std::string>{"body weight", "poids"}));
  EXPECT_EQ(Tokens(rows, "status"), (Pairs{{"", "final"}}));
  EXPECT_EQ(Tokens(rows, "category").size(), 1u);
  // The duplicate coding gives one row.
  std::size_t code_rows = 0;
  for (const auto& t : rows.tokens) code_rows += t.param_hash == Hash("code") ? 1 : 0;
  EXPECT_EQ(code_rows, 2u);
}

TEST_F(ExtractTest, TokenIdentifierOfTypeAndText) {
  IndexRows rows = Extract(R"({"resourceType":"Patient","active":true,"gender":"female",
    "identifier":[{"system":"http://hospital.example/mrn","value":"MRN-1",
                   "type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0203",
                                      "code":"MR"}],"text":"Medical record number"}},
                  {"value":"no-system"}],
    "telecom":[{"system":"phone","value":"+1 555 0100"},{"system":"email","value":"a@b.org"}]})");
  EXPECT_EQ(Tokens(rows, "identifier"),
            (Pairs{{"http://hospital.example/mrn", "MRN-1"}, {"", "no-system"}}));
  EXPECT_EQ(Tokens(rows, "identifier:of-type"),
            (Pairs{{"http://terminology.hl7.org/CodeSystem/v2-0203", "MR|MRN-1"}}));
  EXPECT_EQ(Norms(rows, "identifier:text"), (std::set<std::string>{"medical record number"}));
  EXPECT_EQ(Tokens(rows, "active"), (Pairs{{"", "true"}}));
  EXPECT_EQ(Tokens(rows, "gender"), (Pairs{{"", "female"}}));
  EXPECT_EQ(Tokens(rows, "phone"), (Pairs{{"", "+1 555 0100"}}));
  EXPECT_EQ(Tokens(rows, "email"), (Pairs{{"", "a@b.org"}}));
  EXPECT_EQ(Tokens(rows, "telecom"), (Pairs{{"", "+1 555 0100"}, {"", "a@b.org"}}));
}

TEST_F(ExtractTest, TokenOnResourceLevelParameters) {
  IndexRows rows = Extract(R"({"resourceType":"Patient","meta":{
    "tag":[{"system":"http://example.org/tags","code":"vip","display":"Very important"}],
    "security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                 "code":"R"}],
    "profile":["http://example.org/StructureDefinition/p|2.0"],
    "source":"http://example.org/source#abc"}})");
  EXPECT_EQ(Tokens(rows, "_tag"), (Pairs{{"http://example.org/tags", "vip"}}));
  EXPECT_EQ(Norms(rows, "_tag:text"), (std::set<std::string>{"very important"}));
  EXPECT_EQ(Tokens(rows, "_security").size(), 1u);
  EXPECT_EQ(Uris(rows, "_profile"),
            (std::set<std::string>{"http://example.org/StructureDefinition/p",
                                   "http://example.org/StructureDefinition/p|2.0"}));
  EXPECT_EQ(Uris(rows, "_source"), (std::set<std::string>{"http://example.org/source#abc"}));
}

// --- string ---------------------------------------------------------------------------------

TEST_F(ExtractTest, StringHumanNameAndAddress) {
  IndexRows rows = Extract(R"({"resourceType":"Patient",
    "name":[{"family":"Müller","given":["Renée","Anne"],"prefix":["Dr."]}],
    "address":[{"line":["12 Rue de la Paix"],"city":"Paris","postalCode":"75002",
                "country":"FR"}]})");
  EXPECT_EQ(Norms(rows, "name"),
            (std::set<std::string>{"muller", "renee", "anne", "dr.", "renee anne muller"}));
  EXPECT_EQ(Norms(rows, "family"), (std::set<std::string>{"muller"}));
  EXPECT_EQ(Norms(rows, "given"), (std::set<std::string>{"renee", "anne"}));
  EXPECT_EQ(Norms(rows, "phonetic"),
            (std::set<std::string>{"M460", "R500", "A500", "D600", "R500 A500 M460"}));
  EXPECT_EQ(Norms(rows, "address"),
            (std::set<std::string>{"12 rue de la paix", "paris", "75002", "fr"}));
  EXPECT_EQ(Norms(rows, "address-city"), (std::set<std::string>{"paris"}));
  // The exact value is kept as written.
  bool exact = false;
  for (const auto& s : rows.strings) exact = exact || (s.exact == "Renée" && s.norm == "renee");
  EXPECT_TRUE(exact);
}

// With element types known (as the server runs), name and address leave the parts that
// family, given and address-city/-state/-postalcode/-country index to their rows.
TEST_F(ExtractTest, NameAndAddressPartsAreLeftToTheirParameters) {
  const std::string patient = R"({"resourceType":"Patient",
    "name":[{"family":"Müller","given":["Renée","Anne"],"prefix":["Dr."],"suffix":["PhD"]},
            {"text":"Anne Muller-Smith","family":"Muller-Smith"}],
    "address":[{"line":["12 Rue de la Paix"],"city":"Paris","district":"2e","state":"IDF",
                "postalCode":"75002","country":"FR","text":"12 Rue de la Paix, Paris"}]})";
  IndexRows rows = Extract(patient, true);
  EXPECT_EQ(Norms(rows, "name"),
            (std::set<std::string>{"dr.", "phd", "renee anne muller", "anne muller-smith"}));
  EXPECT_EQ(Norms(rows, "family"), (std::set<std::string>{"muller", "muller-smith"}));
  EXPECT_EQ(Norms(rows, "given"), (std::set<std::string>{"renee", "anne"}));
  EXPECT_EQ(Norms(rows, "phonetic"), Norms(Extract(patient), "phonetic"));
  EXPECT_EQ(Norms(rows, "address"),
            (std::set<std::string>{"12 rue de la paix", "2e", "12 rue de la paix, paris"}));
  EXPECT_EQ(Norms(rows, "address-city"), (std::set<std::string>{"paris"}));
  EXPECT_EQ(Norms(rows, "address-state"), (std::set<std::string>{"idf"}));
  EXPECT_EQ(Norms(rows, "address-postalcode"), (std::set<std::string>{"75002"}));
  EXPECT_EQ(Norms(rows, "address-country"), (std::set<std::string>{"fr"}));
  // Together the rows are the package registry's name and address rows.
  const IndexRows full = Extract(patient);
  std::set<std::string> name = Norms(rows, "name");
  for (const char* part : {"family", "given"}) {
    const std::set<std::string> n = Norms(rows, part);
    name.insert(n.begin(), n.end());
  }
  EXPECT_EQ(name, Norms(full, "name"));
  std::set<std::string> address = Norms(rows, "address");
  for (const char* part :
       {"address-city", "address-state", "address-postalcode", "address-country"}) {
    const std::set<std::string> a = Norms(rows, part);
    address.insert(a.begin(), a.end());
  }
  EXPECT_EQ(address, Norms(full, "address"));
  EXPECT_LT(rows.strings.size(), full.strings.size());
}

TEST_F(ExtractTest, StringNamesWithText) {
  IndexRows rows = Extract(R"({"resourceType":"Practitioner",
    "name":[{"text":"Dr Adam Careful","family":"Careful","given":["Adam"]}]})");
  EXPECT_EQ(Norms(rows, "name"), (std::set<std::string>{"dr adam careful", "careful", "adam"}));
}

// --- date -----------------------------------------------------------------------------------

TEST_F(ExtractTest, DatePrecisionsBecomeRanges) {
  struct Case {
    const char* birth_date;
    const char* low;
    const char* high;
  } cases[] = {
      {"1974", "1974-01-01", "1975-01-01"},
      {"1974-12", "1974-12-01", "1975-01-01"},
      {"1974-12-25", "1974-12-25", "1974-12-26"},
  };
  for (const auto& c : cases) {
    IndexRows rows =
        Extract(std::string(R"({"resourceType":"Patient","birthDate":")") + c.birth_date + "\"}");
    auto dates = Dates(rows, "birthdate");
    ASSERT_EQ(dates.size(), 1u) << c.birth_date;
    EXPECT_EQ(dates[0].low, At(c.low)) << c.birth_date;
    EXPECT_EQ(dates[0].high, At(c.high)) << c.birth_date;
  }
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"effectiveDateTime":"2021-03-04T10:20:30+02:00",
    "issued":"2021-03-04T09:00:00.250Z"})");
  auto effective = Dates(rows, "date");
  ASSERT_EQ(effective.size(), 1u);
  EXPECT_EQ(effective[0].low, At("2021-03-04T08:20:30Z"));
  EXPECT_EQ(effective[0].high, At("2021-03-04T08:20:31Z"));
  // A dateTime with a time but no zone is not valid FHIR: not indexed, the rest is.
  rows = Extract(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "effectiveDateTime":"2021-03-04T10:20:30"})");
  EXPECT_TRUE(Dates(rows, "date").empty());
  EXPECT_FALSE(Tokens(rows, "status").empty());
}

// An instant is precise to the second at least; a coarser value in an instant element is not
// a valid instant and is not indexed (the ordered sort's bounded walk relies on every instant
// row being at most kMaxInstantWidth wide). dateTime keeps every precision.
TEST_F(ExtractTest, InstantsCoarserThanASecondAreNotIndexed) {
  IndexRows rows = Extract(R"({"resourceType":"Slot","schedule":{"reference":"Schedule/s"},
    "status":"free","start":"2027-03-01T09:00:00.250+01:00","end":"2027-03-01"})");
  auto start = Dates(rows, "start");
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].low, At("2027-03-01T08:00:00.250Z"));
  EXPECT_LE(start[0].high - start[0].low, kMaxInstantWidth);
  rows = Extract(R"({"resourceType":"Slot","schedule":{"reference":"Schedule/s"},
    "status":"free","start":"2027-03-01","end":"2027-03-02"})");
  EXPECT_TRUE(Dates(rows, "start").empty());
  EXPECT_FALSE(Tokens(rows, "status").empty());
  rows = Extract(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "effectiveDateTime":"2027-03"})");
  ASSERT_EQ(Dates(rows, "date").size(), 1u);
}

TEST_F(ExtractTest, DatePeriodAndTiming) {
  IndexRows rows = Extract(R"({"resourceType":"Encounter","status":"finished",
    "class":{"code":"AMB"},"period":{"start":"2020-01-01T10:00:00Z"}})");
  auto period = Dates(rows, "date");
  ASSERT_EQ(period.size(), 1u);
  EXPECT_EQ(period[0].low, At("2020-01-01T10:00:00Z"));
  EXPECT_EQ(period[0].high, kMaxMicros);

  rows = Extract(R"({"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},
    "period":{"start":"2020-01-01","end":"2020-01-03"}})");
  period = Dates(rows, "date");
  ASSERT_EQ(period.size(), 1u);
  EXPECT_EQ(period[0].low, At("2020-01-01"));
  EXPECT_EQ(period[0].high, At("2020-01-04"));

  rows = Extract(R"({"resourceType":"ServiceRequest","status":"active","intent":"order",
    "subject":{"reference":"Patient/1"},
    "occurrenceTiming":{"event":["2020-05-01","2020-05-08T09:00:00Z"],
                        "repeat":{"boundsPeriod":{"start":"2020-05-01","end":"2020-06"}}}})");
  auto occurrence = Dates(rows, "occurrence");
  ASSERT_EQ(occurrence.size(), 3u);
  std::set<std::pair<Micros, Micros>> got;
  for (const auto& d : occurrence) got.insert({d.low, d.high});
  EXPECT_EQ(got, (std::set<std::pair<Micros, Micros>>{
                     {At("2020-05-01"), At("2020-05-02")},
                     {At("2020-05-08T09:00:00Z"), At("2020-05-08T09:00:01Z")},
                     {At("2020-05-01"), At("2020-07-01")}}));
}

// --- number and quantity --------------------------------------------------------------------

TEST_F(ExtractTest, NumberKeepsExactDecimalText) {
  IndexRows rows = Extract(R"({"resourceType":"RiskAssessment","status":"final",
    "subject":{"reference":"Patient/1"},
    "prediction":[{"probabilityDecimal":0.020},{"probabilityRange":{"low":{"value":1.50},
                                                                    "high":{"value":3}}}]})");
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& n : rows.numbers) {
    if (n.param_hash == Hash("probability")) got.insert({n.low, n.high});
  }
  EXPECT_EQ(got, (Pairs{{"0.020", "0.020"}, {"1.50", "3"}}));
}

TEST_F(ExtractTest, QuantityWithUcumCanonical) {
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final",
    "code":{"text":"dose"},
    "valueQuantity":{"value":5.0,"unit":"milligram","system":"http://unitsofmeasure.org",
                     "code":"mg"}})");
  auto q = Quantities(rows, "value-quantity");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].system, "http://unitsofmeasure.org");
  EXPECT_EQ(q[0].code, "mg");
  EXPECT_EQ(q[0].low, "5.0");
  EXPECT_EQ(q[0].high, "5.0");
  EXPECT_EQ(q[0].canon_unit, "g");
  EXPECT_NEAR(q[0].canon_low, 0.005, 1e-15);
  EXPECT_NEAR(q[0].canon_high, 0.005, 1e-15);

  rows = Extract(R"({"resourceType":"Observation","status":"final","code":{"text":"dose"},
    "valueQuantity":{"value":0.005,"code":"g"}})");
  q = Quantities(rows, "value-quantity");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].system, "");
  EXPECT_EQ(q[0].canon_unit, "g");
  EXPECT_NEAR(q[0].canon_low, 0.005, 1e-15);

  // Not UCUM: no canonical form; the unit stands in for a missing code.
  rows = Extract(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "valueQuantity":{"value":3,"unit":"tablets"}})");
  q = Quantities(rows, "value-quantity");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].code, "tablets");
  EXPECT_EQ(q[0].canon_unit, "");
}

TEST_F(ExtractTest, QuantityRangeAgeAndMoney) {
  IndexRows rows = Extract(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "onsetRange":{"low":{"value":2,"system":"http://unitsofmeasure.org","code":"a"},
                  "high":{"value":5,"system":"http://unitsofmeasure.org","code":"a"}}})");
  auto q = Quantities(rows, "onset-age");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].low, "2");
  EXPECT_EQ(q[0].high, "5");
  EXPECT_EQ(q[0].canon_unit, "s");
  EXPECT_LT(q[0].canon_low, q[0].canon_high);

  rows = Extract(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "onsetRange":{"high":{"value":5,"system":"http://unitsofmeasure.org","code":"a"}}})");
  q = Quantities(rows, "onset-age");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].low, "");
  EXPECT_EQ(q[0].high, "5");

  rows = Extract(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "onsetAge":{"value":40,"unit":"yr","system":"http://unitsofmeasure.org","code":"a"}})");
  q = Quantities(rows, "onset-age");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].low, "40");

  rows = Extract(R"({"resourceType":"Invoice","status":"issued",
    "totalGross":{"value":48.50,"currency":"EUR"}})");
  q = Quantities(rows, "totalgross");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].system, "urn:iso:std:iso:4217");
  EXPECT_EQ(q[0].code, "EUR");
  EXPECT_EQ(q[0].low, "48.50");
}

// --- composite ------------------------------------------------------------------------------

TEST_F(ExtractTest, CompositeCodeValueQuantityGroups) {
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
    "component":[
      {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
       "valueQuantity":{"value":107,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
      {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},
       "valueQuantity":{"value":60,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})");
  // component-code-value-quantity: one group per component, code#0 and value#1 sharing grp.
  std::map<std::string, int32_t> code_group;
  for (const auto& t : rows.tokens) {
    if (t.param_hash == Hash("component-code-value-quantity#0")) code_group[t.code] = t.grp;
  }
  std::map<std::string, int32_t> value_group;
  for (const auto& q : rows.quantities) {
    if (q.param_hash == Hash("component-code-value-quantity#1")) value_group[q.low] = q.grp;
  }
  ASSERT_EQ(code_group.size(), 2u);
  ASSERT_EQ(value_group.size(), 2u);
  EXPECT_EQ(code_group["8480-6"], value_group["107"]);
  EXPECT_EQ(code_group["8462-4"], value_group["60"]);
  EXPECT_NE(code_group["8480-6"], code_group["8462-4"]);
  EXPECT_GT(code_group["8480-6"], 0);
  // Ordinary rows have grp 0.
  for (const auto& t : rows.tokens) {
    if (t.param_hash == Hash("code")) {
      EXPECT_EQ(t.grp, 0);
    }
  }
  // code-value-quantity: the Observation itself is the item; it has no value, so the group is
  // incomplete and none of its rows is written (a composite value needs every component).
  for (const auto& q : rows.quantities) {
    EXPECT_NE(q.param_hash, Hash("code-value-quantity#1"));
  }
  for (const auto& t : rows.tokens) {
    EXPECT_NE(t.param_hash, Hash("code-value-quantity#0"));
  }
}

// A parameter that shares rows (ParameterRegistry::RowSources) has none of its own; its
// sources have theirs.
TEST_F(ExtractTest, SharedRowParametersWriteNoRowsOfTheirOwn) {
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final",
    "code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}],"text":"BP panel"},
    "valueQuantity":{"value":5,"system":"http://unitsofmeasure.org","code":"mm[Hg]"},
    "component":[
      {"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},
       "valueQuantity":{"value":107,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]})");
  const std::set<int64_t> shared = {
      Hash("combo-code"), Hash("combo-code:text"), Hash("combo-value-quantity"),
      Hash("combo-code-value-quantity#0"), Hash("combo-code-value-quantity#1")};
  for (const auto& t : rows.tokens) EXPECT_EQ(shared.count(t.param_hash), 0u) << t.code;
  for (const auto& s : rows.strings) EXPECT_EQ(shared.count(s.param_hash), 0u) << s.norm;
  for (const auto& q : rows.quantities) EXPECT_EQ(shared.count(q.param_hash), 0u) << q.low;
  EXPECT_EQ(Tokens(rows, "code"),
            (std::set<std::pair<std::string, std::string>>{{"http://loinc.org", "85354-9"}}));
  EXPECT_EQ(Tokens(rows, "component-code"),
            (std::set<std::pair<std::string, std::string>>{{"http://loinc.org", "8480-6"}}));
  EXPECT_EQ(Norms(rows, "code:text"), std::set<std::string>{"bp panel"});
  std::set<std::string> values;
  for (const auto& q : rows.quantities) {
    if (q.param_hash == Hash("value-quantity") || q.param_hash == Hash("component-value-quantity"))
      values.insert(q.low);
  }
  EXPECT_EQ(values, (std::set<std::string>{"5", "107"}));
  std::set<int32_t> groups;  // code-value-quantity (the Observation), component-… (component 1)
  for (const auto& q : rows.quantities) {
    if (q.param_hash == Hash("code-value-quantity#1") ||
        q.param_hash == Hash("component-code-value-quantity#1"))
      groups.insert(q.grp);
  }
  EXPECT_EQ(groups, std::set<int32_t>{1});
}

// --- reference ------------------------------------------------------------------------------

TEST_F(ExtractTest, ReferenceForms) {
  IndexRows rows = Extract(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "subject":{"reference":"Patient/123/_history/4"},
    "performer":[{"reference":"https://fhir.example.org/r4/Practitioner/7"},
                 {"reference":"http://other.example/fhir/Organization/1"},
                 {"reference":"#contained-1"},
                 {"reference":"urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"},
                 {"identifier":{"system":"http://npi.example","value":"999"},
                  "display":"Dr Who"}],
    "basedOn":[{"reference":"CarePlan/cp-1"}]})");
  using Ref = std::tuple<std::string, std::string, std::string>;
  EXPECT_EQ(Refs(rows, "subject"), (std::set<Ref>{{"Patient", "123", ""}}));
  EXPECT_EQ(Refs(rows, "patient"), (std::set<Ref>{{"Patient", "123", ""}}));
  EXPECT_EQ(Refs(rows, "performer"),
            (std::set<Ref>{{"Practitioner", "7", ""},
                           {"", "", "http://other.example/fhir/Organization/1"},
                           {"", "", "urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7"}}));
  EXPECT_EQ(Tokens(rows, "performer:identifier"), (Pairs{{"http://npi.example", "999"}}));
  EXPECT_EQ(Refs(rows, "based-on"), (std::set<Ref>{{"CarePlan", "cp-1", ""}}));
}

TEST_F(ExtractTest, ReferenceCanonicalDropsVersion) {
  IndexRows rows = Extract(R"({"resourceType":"QuestionnaireResponse","status":"completed",
    "questionnaire":"http://example.org/Questionnaire/phq-9|3.1"})");
  using Ref = std::tuple<std::string, std::string, std::string>;
  EXPECT_EQ(Refs(rows, "questionnaire"),
            (std::set<Ref>{{"", "", "http://example.org/Questionnaire/phq-9"}}));
}

// --- uri, special, text ---------------------------------------------------------------------

TEST_F(ExtractTest, UriAndGeo) {
  IndexRows rows = Extract(R"({"resourceType":"ValueSet","status":"active",
    "url":"http://example.org/fhir/ValueSet/vs-1"})");
  EXPECT_EQ(Uris(rows, "url"), (std::set<std::string>{"http://example.org/fhir/ValueSet/vs-1"}));

  rows = Extract(R"({"resourceType":"Location","name":"Clinic",
    "position":{"longitude":-83.6945691,"latitude":42.25475478}})");
  ASSERT_EQ(rows.geo.size(), 1u);
  EXPECT_EQ(rows.geo[0].param_hash, Hash("near"));
  EXPECT_DOUBLE_EQ(rows.geo[0].latitude, 42.25475478);
  EXPECT_DOUBLE_EQ(rows.geo[0].longitude, -83.6945691);
}

TEST_F(ExtractTest, NarrativeAndContent) {
  IndexRows rows = Extract(R"({"resourceType":"Patient",
    "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Jos&#233; &amp; <b>Ana</b></p><table><tr><td>a</td><td>b&lt;c</td></tr></table></div>"},
    "name":[{"family":"Ramírez","given":["José"],"text":"José Ramírez"},{"family":"Ramírez"}],
    "gender":"male","identifier":[{"system":"http://hospital.example/mrn","value":"MRN-77"}],
    "telecom":[{"system":"phone","value":"555-0100"},{"system":"sms","value":"555-0100"}],
    "photo":[{"contentType":"image/png","data":"iVBORw0KGgo="}]})");
  // Lexemes (TextLexemes): normalized words, each once, sorted.
  EXPECT_EQ(rows.narrative, "a ana b c jose");
  // Not the narrative (_text's), binary data, resourceType, ids or the systems and URIs
  // that name code systems; each distinct value once.
  EXPECT_EQ(rows.content, "0100 555 77 generated image jose male mrn png ramirez");

  rows = Extract(R"({"resourceType":"Patient"})");
  EXPECT_EQ(rows.narrative, "");
}

TEST_F(ExtractTest, IdAndLastUpdatedNeedNoRows) {
  IndexRows rows = Extract(R"({"resourceType":"Patient","id":"p1",
    "meta":{"lastUpdated":"2024-01-01T00:00:00Z"}})");
  EXPECT_TRUE(Tokens(rows, "_id").empty());
  EXPECT_TRUE(Dates(rows, "_lastUpdated").empty());
}

TEST_F(ExtractTest, LongValuesStayIndexable) {
  const std::string long_text(5000, 'x');
  IndexRows rows = Extract(R"({"resourceType":"Patient","name":[{"family":")" + long_text +
                           R"("}],"identifier":[{"value":")" + long_text + R"("}]})");
  for (const auto& s : rows.strings) EXPECT_LE(s.norm.size(), 1024u);
  EXPECT_TRUE(Tokens(rows, "identifier").empty());
  EXPECT_FALSE(Norms(rows, "family").empty());
}

// --- sweep ----------------------------------------------------------------------------------

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct SweepStats {
  long resources = 0;
  long rows = 0;
  std::chrono::steady_clock::duration time{};  // spent in Extract
  std::map<std::string, long> missing;         // "Type.param" → resources without a row for it
};

long RowCount(const IndexRows& r) {
  return static_cast<long>(r.tokens.size() + r.strings.size() + r.dates.size() + r.numbers.size() +
                           r.quantities.size() + r.uris.size() + r.references.size() +
                           r.geo.size());
}

bool HasRows(const IndexRows& r, int64_t hash) {
  auto has = [hash](const auto& v) {
    return std::any_of(v.begin(), v.end(), [hash](const auto& x) { return x.param_hash == hash; });
  };
  return has(r.tokens) || has(r.strings) || has(r.dates) || has(r.numbers) || has(r.quantities) ||
         has(r.uris) || has(r.references);
}

// Extracts `resource` and every resource inside it (Bundle entries, contained resources are
// not separate), checking the well-known parameters of the types Synthea writes.
void Sweep(const json::Value& resource, SweepStats* stats) {
  const std::string type(json::StringMember(resource, "resourceType"));
  if (type.empty()) return;
  const auto start = std::chrono::steady_clock::now();
  auto rows = Fixture().extractor->Extract(type, resource, *Fixture().registry);
  stats->time += std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(rows.ok()) << type << ": " << rows.status().ToString();
  ++stats->resources;
  stats->rows += RowCount(*rows);
  // Parameter code → the element that must be present for it to have rows.
  static const std::map<std::string, std::vector<std::pair<std::string, std::string>>> kExpected = {
      {"Patient",
       {{"name", "name"},
        {"birthdate", "birthDate"},
        {"gender", "gender"},
        {"identifier", "identifier"},
        {"address", "address"}}},
      {"Observation",
       {{"code", "code"},
        {"subject", "subject"},
        {"status", "status"},
        {"date", "effectiveDateTime"}}},
      {"Encounter",
       {{"subject", "subject"}, {"date", "period"}, {"status", "status"}, {"class", "class"}}},
      {"Condition", {{"code", "code"}, {"subject", "subject"}}},
      {"Organization", {{"name", "name"}}},
  };
  if (auto it = kExpected.find(type); it != kExpected.end()) {
    for (const auto& [code, element] : it->second) {
      if (json::Member(resource, element) == nullptr) continue;
      // A token with only text (CodeableConcept.text) has its :text rows.
      if (!HasRows(*rows, ParamHash(type, code)) &&
          !HasRows(*rows, ParamHash(type, code + ":text"))) {
        ++stats->missing[type + "." + code];
      }
    }
    // subject.where(resolve() is Patient): a typed reference resolves to a stand-in.
    if (const json::Value* subject = json::Member(resource, "subject");
        type == "Observation" && subject != nullptr &&
        json::StringMember(*subject, "reference").rfind("Patient/", 0) == 0 &&
        !HasRows(*rows, ParamHash(type, "patient"))) {
      ++stats->missing["Observation.patient"];
    }
  }
  if (type == "Bundle") {
    if (const json::Value* entries = json::Member(resource, "entry");
        entries != nullptr && entries->IsArray()) {
      for (const auto& e : entries->GetArray()) {
        if (const json::Value* r = json::Member(e, "resource")) Sweep(*r, stats);
      }
    }
  }
}

TEST_F(ExtractTest, SweepSynthea) {
  const std::filesystem::path dir = std::filesystem::path(HESTIA_SHARED_DIR) / "data/synthea";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not available";
  SweepStats stats;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".json") continue;
    json::Document doc;
    json::Limits limits;
    limits.max_bytes = 256u << 20;
    ASSERT_TRUE(json::Parse(ReadFile(f.path()), limits, &doc).ok()) << f.path();
    Sweep(doc, &stats);
  }
  std::cout << "[ stats    ] " << stats.resources << " resources, " << stats.rows << " rows, "
            << std::chrono::duration_cast<std::chrono::microseconds>(stats.time).count() /
                   std::max(1L, stats.resources)
            << " us per resource\n";
  EXPECT_GT(stats.resources, 1000);
  EXPECT_GT(stats.rows, stats.resources * 5);
  for (const auto& [param, n] : stats.missing) {
    ADD_FAILURE() << n << " Synthea resources have no rows for " << param;
  }
}

TEST_F(ExtractTest, SweepPackageExamples) {
  const std::filesystem::path dir(HESTIA_DEFAULT_DEFINITIONS_DIR);
  auto types = resources::TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
  ASSERT_TRUE(types.ok());
  SweepStats stats;
  long files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    const std::string name = f.path().filename().string();
    const auto dash = name.find('-');
    if (f.path().extension() != ".json" || dash == std::string::npos) continue;
    if (!(*types)->IsResourceType(name.substr(0, dash))) continue;
    json::Document doc;
    json::Limits limits;
    limits.max_bytes = 256u << 20;
    limits.max_depth = 1000;
    if (!json::Parse(ReadFile(f.path()), limits, &doc).ok() || !doc.IsObject()) continue;
    if (json::StringMember(doc, "resourceType").empty()) continue;
    ++files;
    Sweep(doc, &stats);
  }
  std::cout << "[ stats    ] " << files << " files, " << stats.resources << " resources, "
            << stats.rows << " rows, "
            << std::chrono::duration_cast<std::chrono::microseconds>(stats.time).count() /
                   std::max(1L, stats.resources)
            << " us per resource\n";
  EXPECT_GT(files, 2000);
  EXPECT_GT(stats.rows, stats.resources * 3);
  // Examples are hand-written and not all complete; these must hold for the well-formed ones.
  EXPECT_EQ(stats.missing["Patient.name"], 0);
  EXPECT_EQ(stats.missing["Observation.code"], 0);
  EXPECT_EQ(stats.missing["Observation.status"], 0);
}

}  // namespace
}  // namespace hestia::search
