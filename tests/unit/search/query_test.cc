// Tests for the search query parser (search/query.h): every parameter type with its modifiers
// and prefixes, escapes, chains, _has, result parameters, strict and lenient handling, the
// conditional form, QueryToJson and Clause::Clone. Examples are the spec's where it has one.
// FHIR R4: http://hl7.org/fhir/R4/search.html
#include "hestia/search/query.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "hestia/base/json.h"
#include "hestia/base/uri.h"

namespace hestia::search {
namespace {

class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = ParameterRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    registry_ = std::move(loaded).value();
  }

  // Parses "a=1&b=2" (decoded like a URL query) for a search on `type`.
  static Result<Query> Parse(const std::string& type, std::string_view query,
                             bool lenient = false) {
    auto pairs = ParseQuery(query);
    if (!pairs.ok()) return pairs.status();
    ParseOptions options;
    options.lenient = lenient;
    options.base_url = "http://example.org/fhir";
    return ParseSearch({type}, false, *pairs, *registry_, options);
  }
  static Result<Query> ParsePairs(const std::string& type,
                                  const std::vector<std::pair<std::string, std::string>>& pairs) {
    ParseOptions options;
    return ParseSearch({type}, false, pairs, *registry_, options);
  }
  static Result<Query> ParseSystem(std::string_view query, bool lenient = false) {
    auto pairs = ParseQuery(query);
    if (!pairs.ok()) return pairs.status();
    ParseOptions options;
    options.lenient = lenient;
    return ParseSearch({}, true, *pairs, *registry_, options);
  }
  // The one clause of a successful parse.
  static const Clause& Only(const Result<Query>& q) {
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ(q->clauses.size(), 1u);
    return q->clauses.at(0);
  }
  static void ExpectError(const Result<Query>& q, StatusCode code, std::string_view needle,
                          std::string_view expression = {}) {
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().code(), code) << q.status().ToString();
    EXPECT_NE(q.status().message().find(needle), std::string::npos) << q.status().ToString();
    if (!expression.empty()) {
      EXPECT_EQ(q.status().expression(), expression);
    }
  }

  static std::shared_ptr<const ParameterRegistry> registry_;
};
std::shared_ptr<const ParameterRegistry> QueryTest::registry_;

// FHIR R4: http://hl7.org/fhir/R4/search.html#string
TEST_F(QueryTest, StringValuesAndModifiers) {
  auto q = Parse("Patient", "given=eve");
  const Clause& plain = Only(q);
  EXPECT_EQ(plain.kind, Clause::Kind::kParameter);
  EXPECT_EQ(plain.resource_type, "Patient");
  ASSERT_NE(plain.param, nullptr);
  EXPECT_EQ(plain.param->code, "given");
  EXPECT_EQ(plain.modifier, Modifier::kNone);
  ASSERT_EQ(plain.values.size(), 1u);
  EXPECT_EQ(plain.values[0].text, "eve");

  auto exact = Parse("Patient", "given:exact=Eve");
  EXPECT_EQ(Only(exact).modifier, Modifier::kExact);
  EXPECT_EQ(Only(exact).values[0].text, "Eve");
  EXPECT_EQ(Only(exact).name, "given:exact");
  auto contains = Parse("Patient", "given:contains=eve");
  EXPECT_EQ(Only(contains).modifier, Modifier::kContains);
  // Spaces are part of string values ('+' decodes to a space).
  auto spaced = Parse("Patient", "name=van+der");
  EXPECT_EQ(Only(spaced).values[0].text, "van der");
  ExpectError(Parse("Patient", "given:text=eve"), StatusCode::kInvalid, "':text'", "given:text");
  ExpectError(Parse("Patient", "given:below=eve"), StatusCode::kInvalid, "':below'");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#token
TEST_F(QueryTest, TokenForms) {
  auto q = Parse("Patient",
                 "identifier=http://acme.org/patient|2345,|2345,http://acme.org/patient|,2345");
  const Clause& c = Only(q);
  ASSERT_EQ(c.values.size(), 4u);
  EXPECT_TRUE(c.values[0].token.has_system);
  EXPECT_EQ(c.values[0].token.system, "http://acme.org/patient");
  EXPECT_EQ(c.values[0].token.code, "2345");
  EXPECT_TRUE(c.values[1].token.has_system);
  EXPECT_EQ(c.values[1].token.system, "");
  EXPECT_EQ(c.values[1].token.code, "2345");
  EXPECT_TRUE(c.values[2].token.has_system);
  EXPECT_EQ(c.values[2].token.system, "http://acme.org/patient");
  EXPECT_EQ(c.values[2].token.code, "");
  EXPECT_FALSE(c.values[3].token.has_system);
  EXPECT_EQ(c.values[3].token.code, "2345");

  ExpectError(Parse("Patient", "identifier=a|b|c"), StatusCode::kInvalid, "token", "identifier");
  ExpectError(Parse("Patient", "identifier=|"), StatusCode::kInvalid, "system");
  ExpectError(Parse("Patient", "gender=male,,female"), StatusCode::kInvalid, "empty value");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#token (modifiers)
TEST_F(QueryTest, TokenModifiers) {
  auto text = Parse("Condition", "code:text=headache");
  EXPECT_EQ(Only(text).modifier, Modifier::kText);
  EXPECT_EQ(Only(text).values[0].text, "headache");

  auto not_male = Parse("Patient", "gender:not=male");
  EXPECT_EQ(Only(not_male).modifier, Modifier::kNot);
  EXPECT_EQ(Only(not_male).values[0].token.code, "male");

  auto of_type = Parse(
      "Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053");
  const Clause& t = Only(of_type);
  EXPECT_EQ(t.modifier, Modifier::kOfType);
  EXPECT_EQ(t.values[0].token.system, "http://terminology.hl7.org/CodeSystem/v2-0203");
  EXPECT_EQ(t.values[0].token.code, "MR");
  EXPECT_EQ(t.values[0].text, "446053");
  ExpectError(Parse("Patient", "identifier:of-type=MR|446053"), StatusCode::kInvalid, ":of-type");
  ExpectError(Parse("Patient", "gender:of-type=a|b|c"), StatusCode::kInvalid, "only to Identifier");

  for (std::string_view m : {"in", "not-in", "below", "above"}) {
    const std::string query = "code:" + std::string(m) + "=http://snomed.info/sct|235862008";
    ExpectError(Parse("Condition", query), StatusCode::kNotSupported, "terminology",
                "code:" + std::string(m));
    auto lenient = Parse("Condition", query, /*lenient=*/true);
    ASSERT_TRUE(lenient.ok()) << lenient.status().ToString();
    EXPECT_TRUE(lenient->clauses.empty());
    ASSERT_EQ(lenient->ignored.size(), 1u);
    EXPECT_EQ(lenient->ignored[0], "code:" + std::string(m));
  }
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#missing
TEST_F(QueryTest, MissingOnEveryType) {
  for (std::string_view q : {"gender:missing=true", "given:missing=true", "birthdate:missing=true",
                             "general-practitioner:missing=true"}) {
    auto r = Parse("Patient", q);
    EXPECT_EQ(Only(r).modifier, Modifier::kMissing) << q;
    EXPECT_TRUE(Only(r).values[0].missing) << q;
  }
  auto f = Parse("Observation", "value-quantity:missing=false");
  EXPECT_FALSE(Only(f).values[0].missing);
  ExpectError(Parse("Patient", "gender:missing=maybe"), StatusCode::kInvalid, "true or false");
  // A malformed value of a known parameter fails even under lenient handling.
  ExpectError(Parse("Patient", "gender:missing=maybe", /*lenient=*/true), StatusCode::kInvalid,
              "true or false");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#number, #prefix
TEST_F(QueryTest, NumberPrefixes) {
  auto q = Parse("RiskAssessment", "probability=gt0.8");
  EXPECT_EQ(Only(q).values[0].prefix, Prefix::kGt);
  EXPECT_EQ(Only(q).values[0].number, "0.8");
  auto plain = Parse("RiskAssessment", "probability=100,1e2,-0.5");
  ASSERT_EQ(Only(plain).values.size(), 3u);
  EXPECT_EQ(Only(plain).values[0].prefix, Prefix::kEq);
  EXPECT_EQ(Only(plain).values[1].number, "1e2");
  EXPECT_EQ(Only(plain).values[2].number, "-0.5");
  const std::pair<std::string_view, Prefix> prefixes[] = {
      {"eq", Prefix::kEq}, {"ne", Prefix::kNe}, {"gt", Prefix::kGt},
      {"lt", Prefix::kLt}, {"ge", Prefix::kGe}, {"le", Prefix::kLe},
      {"sa", Prefix::kSa}, {"eb", Prefix::kEb}, {"ap", Prefix::kAp}};
  for (const auto& [text, prefix] : prefixes) {
    auto r = Parse("RiskAssessment", "probability=" + std::string(text) + "0.5");
    EXPECT_EQ(Only(r).values[0].prefix, prefix) << text;
    EXPECT_EQ(Only(r).values[0].number, "0.5") << text;
  }
  ExpectError(Parse("RiskAssessment", "probability=xx0.5"), StatusCode::kInvalid, "'xx'",
              "probability");
  ExpectError(Parse("RiskAssessment", "probability=abc"), StatusCode::kInvalid, "'ab'");
  ExpectError(Parse("RiskAssessment", "probability=12abc"), StatusCode::kInvalid, "not a number");
  ExpectError(Parse("RiskAssessment", "probability=1.2.3"), StatusCode::kInvalid, "not a number");
  // An unknown prefix is skipped under lenient handling; a malformed number is not.
  auto lenient = Parse("RiskAssessment", "probability=xx0.5", /*lenient=*/true);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->ignored, std::vector<std::string>{"probability"});
  EXPECT_FALSE(Parse("RiskAssessment", "probability=gt", /*lenient=*/true).ok());
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#date
TEST_F(QueryTest, DatesBecomeRangesByPrecision) {
  auto year = Parse("Observation", "date=2013");
  const TimeRange y = Only(year).values[0].date;
  EXPECT_EQ(FormatInstant(y.low), "2013-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatInstant(y.high), "2014-01-01T00:00:00.000Z");
  auto day = Parse("Observation", "date=ge2013-01-14");
  EXPECT_EQ(Only(day).values[0].prefix, Prefix::kGe);
  EXPECT_EQ(FormatInstant(Only(day).values[0].date.high), "2013-01-15T00:00:00.000Z");
  // An unencoded '+' of a zone offset arrives as a space and is read back.
  auto zoned = Parse("Observation", "date=lt2013-01-14T10:00:00+01:00");
  EXPECT_EQ(Only(zoned).values[0].prefix, Prefix::kLt);
  EXPECT_EQ(FormatInstant(Only(zoned).values[0].date.low), "2013-01-14T09:00:00.000Z");
  for (std::string_view p : {"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"}) {
    EXPECT_TRUE(Parse("Observation", "date=" + std::string(p) + "2013-03").ok()) << p;
  }
  ExpectError(Parse("Observation", "date=2013-13-01"), StatusCode::kInvalid, "date");
  ExpectError(Parse("Observation", "date=zz2013"), StatusCode::kInvalid, "'zz'");
  ExpectError(Parse("Observation", "date=tomorrow"), StatusCode::kInvalid, "'to'");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#quantity
TEST_F(QueryTest, QuantityForms) {
  auto full = Parse("Observation", "value-quantity=5.4|http://unitsofmeasure.org|mg");
  const SearchValue& v = Only(full).values[0];
  EXPECT_EQ(v.prefix, Prefix::kEq);
  EXPECT_EQ(v.quantity.number, "5.4");
  EXPECT_TRUE(v.quantity.has_system);
  EXPECT_EQ(v.quantity.system, "http://unitsofmeasure.org");
  EXPECT_EQ(v.quantity.code, "mg");
  auto any_system = Parse("Observation", "value-quantity=5.4||mg");
  EXPECT_FALSE(Only(any_system).values[0].quantity.has_system);
  EXPECT_EQ(Only(any_system).values[0].quantity.code, "mg");
  auto bare = Parse("Observation", "value-quantity=le5.4");
  EXPECT_EQ(Only(bare).values[0].prefix, Prefix::kLe);
  EXPECT_EQ(Only(bare).values[0].quantity.number, "5.4");
  EXPECT_EQ(Only(bare).values[0].quantity.code, "");
  auto ap = Parse("Observation", "value-quantity=ap5.4|http://unitsofmeasure.org|mg");
  EXPECT_EQ(Only(ap).values[0].prefix, Prefix::kAp);
  ExpectError(Parse("Observation", "value-quantity=5.4|mg"), StatusCode::kInvalid, "quantity");
  ExpectError(Parse("Observation", "value-quantity=5x||mg"), StatusCode::kInvalid, "decimal");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#reference
TEST_F(QueryTest, ReferenceForms) {
  auto typed = Parse("Observation", "subject=Patient/23");
  EXPECT_EQ(Only(typed).values[0].reference.type, "Patient");
  EXPECT_EQ(Only(typed).values[0].reference.id, "23");
  auto bare = Parse("Observation", "subject=23");
  EXPECT_EQ(Only(bare).values[0].reference.type, "");
  EXPECT_EQ(Only(bare).values[0].reference.id, "23");
  auto ours = Parse("Observation", "subject=http://example.org/fhir/Patient/23");
  EXPECT_EQ(Only(ours).values[0].reference.type, "Patient");
  EXPECT_EQ(Only(ours).values[0].reference.id, "23");
  EXPECT_EQ(Only(ours).values[0].reference.url, "");
  auto theirs = Parse("Observation", "subject=http://other.org/fhir/Patient/23");
  EXPECT_EQ(Only(theirs).values[0].reference.url, "http://other.org/fhir/Patient/23");
  EXPECT_EQ(Only(theirs).values[0].reference.id, "");
  auto history = Parse("Observation", "subject=Patient/23/_history/2");
  EXPECT_EQ(Only(history).values[0].reference.type, "Patient");
  EXPECT_EQ(Only(history).values[0].reference.id, "23");
  auto canonical =
      Parse("QuestionnaireResponse", "questionnaire=http://example.org/Questionnaire/q1|1.0");
  EXPECT_EQ(Only(canonical).values[0].reference.url, "http://example.org/Questionnaire/q1");

  auto type_modifier = Parse("Observation", "subject:Patient=23");
  EXPECT_EQ(Only(type_modifier).modifier, Modifier::kType);
  EXPECT_EQ(Only(type_modifier).target_type, "Patient");
  EXPECT_EQ(Only(type_modifier).values[0].reference.type, "Patient");
  EXPECT_EQ(Only(type_modifier).values[0].reference.id, "23");

  auto identifier =
      Parse("Observation", "subject:identifier=http://acme.org/fhir/identifier/mrn|123456");
  EXPECT_EQ(Only(identifier).modifier, Modifier::kIdentifier);
  EXPECT_EQ(Only(identifier).values[0].token.system, "http://acme.org/fhir/identifier/mrn");
  EXPECT_EQ(Only(identifier).values[0].token.code, "123456");

  ExpectError(Parse("Observation", "subject:Medication=1"), StatusCode::kInvalid,
              "not a target type", "subject:Medication");
  ExpectError(Parse("Observation", "subject=Medication/1"), StatusCode::kInvalid,
              "not a target type");
  ExpectError(Parse("Observation", "subject:Patient=Group/1"), StatusCode::kInvalid, "differs");
  ExpectError(Parse("Observation", "subject=Patient/"), StatusCode::kInvalid, "reference");
  ExpectError(Parse("Observation", "subject:nope=1"), StatusCode::kInvalid, "':nope'");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#uri
TEST_F(QueryTest, UriModifiers) {
  auto plain = Parse("ValueSet", "url=http://acme.org/fhir/ValueSet/123");
  EXPECT_EQ(Only(plain).values[0].text, "http://acme.org/fhir/ValueSet/123");
  auto below = Parse("ValueSet", "url:below=http://acme.org/fhir/");
  EXPECT_EQ(Only(below).modifier, Modifier::kBelow);
  auto above = Parse("ValueSet", "url:above=http://acme.org/fhir/ValueSet/123/_history/5");
  EXPECT_EQ(Only(above).modifier, Modifier::kAbove);
  ExpectError(Parse("ValueSet", "url:exact=x"), StatusCode::kInvalid, "':exact'");
  auto profile = Parse("Patient", "_profile:below=http://hl7.org/fhir/us/core");
  EXPECT_EQ(Only(profile).kind, Clause::Kind::kParameter);
  EXPECT_EQ(Only(profile).param->type, "uri");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#composite
TEST_F(QueryTest, CompositeComponentsParseByTheirOwnType) {
  auto q = Parse("Observation", "code-value-quantity=http://loinc.org|8480-6$lt60");
  const Clause& c = Only(q);
  ASSERT_EQ(c.values.size(), 1u);
  ASSERT_EQ(c.values[0].components.size(), 2u);
  EXPECT_EQ(c.values[0].components[0].token.system, "http://loinc.org");
  EXPECT_EQ(c.values[0].components[0].token.code, "8480-6");
  EXPECT_EQ(c.values[0].components[1].prefix, Prefix::kLt);
  EXPECT_EQ(c.values[0].components[1].quantity.number, "60");

  auto group = Parse("Group", "characteristic-value=gender$mixed,owner$a\\$b");
  ASSERT_EQ(Only(group).values.size(), 2u);
  EXPECT_EQ(Only(group).values[0].components[1].token.code, "mixed");
  EXPECT_EQ(Only(group).values[1].components[1].token.code, "a$b");

  auto component =
      Parse("Observation", "component-code-value-quantity=http://loinc.org|8480-6$ge100||mm[Hg]");
  EXPECT_EQ(Only(component).values[0].components[1].quantity.code, "mm[Hg]");
  EXPECT_EQ(Only(component).values[0].components[1].prefix, Prefix::kGe);

  ExpectError(Parse("Observation", "code-value-quantity=http://loinc.org|8480-6"),
              StatusCode::kInvalid, "2 parts");
  ExpectError(Parse("Observation", "code-value-quantity=a$b$c"), StatusCode::kInvalid, "2 parts");
  ExpectError(Parse("Observation", "code-value-quantity=a$big"), StatusCode::kInvalid, "'bi'");
}

// FHIR R4: http://hl7.org/fhir/R4/location.html#positional
TEST_F(QueryTest, NearWithUnits) {
  auto q = Parse("Location", "near=-83.694810|42.256500|11.20|km");
  const Clause& c = Only(q);
  EXPECT_EQ(c.kind, Clause::Kind::kNear);
  EXPECT_DOUBLE_EQ(c.values[0].near.latitude, -83.694810);
  EXPECT_DOUBLE_EQ(c.values[0].near.longitude, 42.256500);
  EXPECT_NEAR(c.values[0].near.distance_km, 11.2, 1e-9);
  auto miles = Parse("Location", "near=42.2565|-83.6948|10|[mi_i]");
  EXPECT_NEAR(Only(miles).values[0].near.distance_km, 16.09344, 1e-6);
  auto meters = Parse("Location", "near=42.2565|-83.6948|500|m");
  EXPECT_NEAR(Only(meters).values[0].near.distance_km, 0.5, 1e-9);
  auto default_unit = Parse("Location", "near=42.2565|-83.6948|3");
  EXPECT_NEAR(Only(default_unit).values[0].near.distance_km, 3, 1e-9);
  auto no_distance = Parse("Location", "near=42.2565|-83.6948");
  EXPECT_EQ(Only(no_distance).values[0].near.distance_km, 0);
  ExpectError(Parse("Location", "near=42|-83|10|kg"), StatusCode::kInvalid, "length unit");
  ExpectError(Parse("Location", "near=91|0"), StatusCode::kInvalid, "latitude");
  ExpectError(Parse("Location", "near=0|181"), StatusCode::kInvalid, "longitude");
  ExpectError(Parse("Location", "near=0|0|0|km"), StatusCode::kInvalid, "positive");
  ExpectError(Parse("Location", "near=0"), StatusCode::kInvalid, "latitude|longitude");
  ExpectError(Parse("Location", "near:missing=true"), StatusCode::kInvalid, "no modifier");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#escaping, #combining
TEST_F(QueryTest, EscapesCommasAndRepeats) {
  auto q = ParsePairs("Patient", {{"given", "a\\,b,c"}, {"identifier", "a\\|b|c\\\\"}});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->clauses.size(), 2u);
  ASSERT_EQ(q->clauses[0].values.size(), 2u);
  EXPECT_EQ(q->clauses[0].values[0].text, "a,b");
  EXPECT_EQ(q->clauses[0].values[1].text, "c");
  EXPECT_EQ(q->clauses[1].values[0].token.system, "a|b");
  EXPECT_EQ(q->clauses[1].values[0].token.code, "c\\");
  // "\\," is an escaped backslash followed by a separating comma.
  auto split = ParsePairs("Patient", {{"given", "x\\\\,y"}});
  ASSERT_EQ(Only(split).values.size(), 2u);
  EXPECT_EQ(Only(split).values[0].text, "x\\");
  // Other backslashes stay as written.
  auto literal = ParsePairs("Patient", {{"given", "a\\b"}});
  EXPECT_EQ(Only(literal).values[0].text, "a\\b");

  auto repeated = Parse("Patient", "given=a&given=b,c");
  ASSERT_TRUE(repeated.ok());
  ASSERT_EQ(repeated->clauses.size(), 2u);            // AND
  EXPECT_EQ(repeated->clauses[1].values.size(), 2u);  // OR
  ExpectError(Parse("Patient", "given="), StatusCode::kInvalid, "no value", "given");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#chaining
TEST_F(QueryTest, TypedChain) {
  auto q = Parse("DiagnosticReport", "subject:Patient.name=peter");
  const Clause& c = Only(q);
  EXPECT_EQ(c.kind, Clause::Kind::kChain);
  EXPECT_EQ(c.name, "subject:Patient.name");
  EXPECT_EQ(c.param->code, "subject");
  EXPECT_EQ(c.target_type, "Patient");
  EXPECT_TRUE(c.values.empty());
  ASSERT_EQ(c.chain.size(), 1u);
  EXPECT_EQ(c.chain[0].resource_type, "Patient");
  EXPECT_EQ(c.chain[0].param->code, "name");
  EXPECT_EQ(c.chain[0].values[0].text, "peter");
}

TEST_F(QueryTest, UntypedChainFansOutToTargetsDefiningTheCode) {
  auto q = Parse("DiagnosticReport", "subject.name=peter");
  const Clause& c = Only(q);
  EXPECT_EQ(c.kind, Clause::Kind::kChain);
  EXPECT_EQ(c.target_type, "");
  std::vector<std::string> types;
  for (const auto& link : c.chain) types.push_back(link.resource_type);
  std::sort(types.begin(), types.end());
  // subject targets Group, Device, Patient, Location; Group and Device have no "name".
  EXPECT_EQ(types, (std::vector<std::string>{"Location", "Patient"}));
}

TEST_F(QueryTest, MultiLevelChainAndModifierOnTheLastLink) {
  auto q = Parse("Observation", "subject:Patient.organization.name:exact=Acme");
  const Clause& c = Only(q);
  ASSERT_EQ(c.chain.size(), 1u);
  const Clause& org = c.chain[0];
  EXPECT_EQ(org.kind, Clause::Kind::kChain);
  EXPECT_EQ(org.param->code, "organization");
  ASSERT_EQ(org.chain.size(), 1u);
  EXPECT_EQ(org.chain[0].resource_type, "Organization");
  EXPECT_EQ(org.chain[0].modifier, Modifier::kExact);
  EXPECT_EQ(org.chain[0].values[0].text, "Acme");
}

TEST_F(QueryTest, ChainErrors) {
  ExpectError(Parse("Observation", "code.name=x"), StatusCode::kInvalid, "cannot be chained",
              "code.name");
  ExpectError(Parse("Observation", "subject.nosuch=x"), StatusCode::kInvalid,
              "'nosuch' is not defined for any target type of 'subject'");
  ExpectError(Parse("Observation", "subject:Patient.nosuch=x"), StatusCode::kInvalid,
              "'nosuch' is not defined for Patient");
  ExpectError(Parse("Observation", "subject:Medication.code=x"), StatusCode::kInvalid,
              "not a target type");
  ExpectError(Parse("Observation", "subject:exact.name=x"), StatusCode::kInvalid, "':exact'");
  ExpectError(Parse("Observation", "subject.=x"), StatusCode::kInvalid, "ends in '.'");
  auto lenient = Parse("Observation", "subject.nosuch=x&code=1", /*lenient=*/true);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->clauses.size(), 1u);
  EXPECT_EQ(lenient->ignored, std::vector<std::string>{"subject.nosuch"});
}

TEST_F(QueryTest, NestingIsBounded) {
  // Patient.link references Patient: eight links nest fine, nine are refused.
  std::string eight = "link:Patient";
  for (int i = 1; i < 8; ++i) eight += ".link:Patient";
  EXPECT_TRUE(Parse("Patient", eight + ".name=x").ok());
  ExpectError(Parse("Patient", eight + ".link:Patient.name=x"), StatusCode::kInvalid,
              "deeper than 8");
  std::string has;
  for (int i = 0; i < 9; ++i) has += "_has:Patient:link:";
  ExpectError(Parse("Patient", has + "name=x"), StatusCode::kInvalid, "deeper than 8");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#has
TEST_F(QueryTest, ReverseChain) {
  auto q = Parse("Patient", "_has:Observation:patient:code=1234-5");
  const Clause& c = Only(q);
  EXPECT_EQ(c.kind, Clause::Kind::kHas);
  ASSERT_NE(c.has, nullptr);
  EXPECT_EQ(c.has->type, "Observation");
  EXPECT_EQ(c.has->reference->code, "patient");
  ASSERT_NE(c.has->inner, nullptr);
  EXPECT_EQ(c.has->inner->resource_type, "Observation");
  EXPECT_EQ(c.has->inner->param->code, "code");
  EXPECT_EQ(c.has->inner->values[0].token.code, "1234-5");
}

TEST_F(QueryTest, NestedReverseChain) {
  auto q = Parse("Patient", "_has:Observation:patient:_has:AuditEvent:entity:agent=MyUserId");
  const Clause& c = Only(q);
  ASSERT_NE(c.has, nullptr);
  const Clause& observation = *c.has->inner;
  EXPECT_EQ(observation.kind, Clause::Kind::kHas);
  EXPECT_EQ(observation.resource_type, "Observation");
  EXPECT_EQ(observation.has->type, "AuditEvent");
  EXPECT_EQ(observation.has->reference->code, "entity");
  const Clause& agent = *observation.has->inner;
  EXPECT_EQ(agent.resource_type, "AuditEvent");
  EXPECT_EQ(agent.param->code, "agent");
  EXPECT_EQ(agent.values[0].reference.id, "MyUserId");
  // _has with a chain inside.
  auto chained = Parse("Patient", "_has:Observation:subject:performer:Practitioner.name=x");
  EXPECT_EQ(Only(chained).has->inner->kind, Clause::Kind::kChain);
}

TEST_F(QueryTest, ReverseChainErrors) {
  ExpectError(Parse("Patient", "_has:Observation:code:code=x"), StatusCode::kInvalid,
              "reference parameter");
  ExpectError(Parse("Practitioner", "_has:Observation:subject:code=x"), StatusCode::kInvalid,
              "does not reference Practitioner");
  ExpectError(Parse("Patient", "_has:Observation:patient:nosuch=x"), StatusCode::kInvalid,
              "'nosuch' is not defined for Observation");
  ExpectError(Parse("Patient", "_has:Nothing:patient:code=x"), StatusCode::kInvalid,
              "not a resource type");
  ExpectError(Parse("Patient", "_has:Observation:patient=x"), StatusCode::kInvalid,
              "_has:Type:reference:parameter");
  ExpectError(Parse("Patient", "_has=x"), StatusCode::kInvalid, "_has:Type");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#id, #lastUpdated, #text, #content, #list, #tag
TEST_F(QueryTest, SpecialNames) {
  auto id = Parse("Patient", "_id=a1,b2");
  EXPECT_EQ(Only(id).kind, Clause::Kind::kId);
  EXPECT_EQ(Only(id).values[1].text, "b2");
  auto updated = Parse("Patient", "_lastUpdated=gt2010-10-01");
  EXPECT_EQ(Only(updated).kind, Clause::Kind::kLastUpdated);
  EXPECT_EQ(Only(updated).values[0].prefix, Prefix::kGt);
  EXPECT_EQ(FormatInstant(Only(updated).values[0].date.low), "2010-10-01T00:00:00.000Z");
  auto text = Parse("Condition", "_text=bone");
  EXPECT_EQ(Only(text).kind, Clause::Kind::kText);
  EXPECT_EQ(Only(text).values[0].text, "bone");
  auto content = Parse("Condition", "_content=cancer");
  EXPECT_EQ(Only(content).kind, Clause::Kind::kContent);
  auto list = Parse("Patient", "_list=42");
  EXPECT_EQ(Only(list).kind, Clause::Kind::kList);
  EXPECT_EQ(Only(list).values[0].text, "42");
  ExpectError(Parse("Patient", "_list=$current-allergies"), StatusCode::kNotSupported,
              "functional list");
  for (std::string_view token : {"_tag", "_security"}) {
    auto r = Parse("Patient", std::string(token) + "=http://acme.org/codes|needs-review");
    EXPECT_EQ(Only(r).kind, Clause::Kind::kParameter);
    EXPECT_EQ(Only(r).param->type, "token");
    EXPECT_EQ(Only(r).values[0].token.code, "needs-review");
  }
  auto source = Parse("Patient", "_source=http://example.org/src");
  EXPECT_EQ(Only(source).param->type, "uri");
  ExpectError(Parse("Patient", "_id:exact=1"), StatusCode::kInvalid, "takes no modifier");
  for (std::string_view unsupported : {"_query", "_filter", "_contained", "_containedType"}) {
    const std::string query = std::string(unsupported) + "=x";
    ExpectError(Parse("Patient", query), StatusCode::kNotSupported, "not supported", unsupported);
    auto lenient = Parse("Patient", query, /*lenient=*/true);
    ASSERT_TRUE(lenient.ok());
    EXPECT_EQ(lenient->ignored, std::vector<std::string>{std::string(unsupported)});
  }
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#errors
TEST_F(QueryTest, UnknownParametersAndModifiers) {
  ExpectError(Parse("Patient", "foo=bar"), StatusCode::kInvalid,
              "search parameter 'foo' is not defined for Patient", "foo");
  ExpectError(Parse("Patient", "given:foo=x"), StatusCode::kInvalid,
              "unknown modifier ':foo' on search parameter 'given'", "given:foo");
  ExpectError(Parse("Patient", "given:iterate=x"), StatusCode::kInvalid,
              "only to _include and _revinclude");
  auto lenient = Parse("Patient", "foo=bar&given:foo=x&family=smith", /*lenient=*/true);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->clauses.size(), 1u);
  EXPECT_EQ(lenient->ignored, (std::vector<std::string>{"foo", "given:foo"}));
  // Passthrough names are skipped without a trace.
  auto passthrough = Parse("Patient", "_format=json&_pretty=true&_cursor=abc&family=x");
  ASSERT_TRUE(passthrough.ok());
  EXPECT_EQ(passthrough->clauses.size(), 1u);
  EXPECT_TRUE(passthrough->ignored.empty());
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#count, #total, #summary, #elements, #explain
TEST_F(QueryTest, ResultParameters) {
  auto q = Parse("Patient",
                 "_count=25&_total=accurate&_summary=count&_elements=identifier,active&"
                 "_explain=true&family=x");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->count, 25);
  EXPECT_EQ(q->total, Total::kAccurate);
  EXPECT_EQ(q->summary, Summary::kCount);
  EXPECT_EQ(q->elements, (std::vector<std::string>{"identifier", "active"}));
  EXPECT_TRUE(q->explain);
  EXPECT_EQ(q->clauses.size(), 1u);
  EXPECT_EQ(Parse("Patient", "_count=0")->count, 0);
  EXPECT_EQ(Parse("Patient", "_total=none")->total, Total::kNone);
  EXPECT_EQ(Parse("Patient", "_total=estimate")->total, Total::kEstimate);
  EXPECT_EQ(Parse("Patient", "_summary=true")->summary, Summary::kTrue);
  EXPECT_EQ(Parse("Patient", "_summary=text")->summary, Summary::kText);
  EXPECT_EQ(Parse("Patient", "_summary=data")->summary, Summary::kData);
  EXPECT_EQ(Parse("Patient", "_summary=false")->summary, Summary::kFalse);
  ExpectError(Parse("Patient", "_count=-1"), StatusCode::kInvalid, "non-negative", "_count");
  ExpectError(Parse("Patient", "_count=ten"), StatusCode::kInvalid, "non-negative");
  ExpectError(Parse("Patient", "_count=99999999999999"), StatusCode::kInvalid, "non-negative");
  ExpectError(Parse("Patient", "_count=1&_count=2"), StatusCode::kInvalid, "more than once");
  ExpectError(Parse("Patient", "_total=all"), StatusCode::kInvalid, "_total");
  ExpectError(Parse("Patient", "_summary=yes"), StatusCode::kInvalid, "_summary");
  ExpectError(Parse("Patient", "_explain=1"), StatusCode::kInvalid, "_explain");
  ExpectError(Parse("Patient", "_elements=a,,b"), StatusCode::kInvalid, "_elements");
  ExpectError(Parse("Patient", "_count:exact=1"), StatusCode::kInvalid, "no modifier");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#sort
TEST_F(QueryTest, Sort) {
  auto q = Parse("Observation", "_sort=-date,status,_id,-_lastUpdated");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->sort.size(), 4u);
  EXPECT_TRUE(q->sort[0].descending);
  EXPECT_EQ(q->sort[0].code, "date");
  ASSERT_NE(q->sort[0].param, nullptr);
  EXPECT_EQ(q->sort[0].param->type, "date");
  EXPECT_FALSE(q->sort[1].descending);
  EXPECT_EQ(q->sort[2].code, "_id");
  EXPECT_EQ(q->sort[2].param, nullptr);
  EXPECT_TRUE(q->sort[3].descending);
  EXPECT_EQ(q->sort[3].param, nullptr);
  ExpectError(Parse("Observation", "_sort=nosuch"), StatusCode::kInvalid, "'nosuch'", "_sort");
  ExpectError(Parse("Observation", "_sort=code-value-quantity"), StatusCode::kNotSupported,
              "sorting");
  ExpectError(Parse("Location", "_sort=near"), StatusCode::kInvalid, "needs a near parameter");
  {
    auto near = Parse("Location", "near=42.25|-83.69|10|km&_sort=near");
    ASSERT_TRUE(near.ok()) << near.status().ToString();
    ASSERT_EQ(near->sort.size(), 1u);
    EXPECT_EQ(near->sort[0].code, "near");
  }
  {
    auto id_not = Parse("Patient", "_id:not=a,b&_lastUpdated:missing=false&_id:missing=false");
    ASSERT_TRUE(id_not.ok()) << id_not.status().ToString();
    EXPECT_EQ(id_not->clauses[0].modifier, Modifier::kNot);
    EXPECT_EQ(id_not->clauses[1].modifier, Modifier::kMissing);
    EXPECT_FALSE(id_not->clauses[1].values[0].missing);
  }
  ExpectError(Parse("Observation", "_sort=date,"), StatusCode::kInvalid, "empty key");
  auto lenient = Parse("Observation", "_sort=date,nosuch", /*lenient=*/true);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->ignored, std::vector<std::string>{"_sort"});
  EXPECT_TRUE(lenient->sort.empty());
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#include, #revinclude
TEST_F(QueryTest, Includes) {
  auto q = Parse("MedicationRequest",
                 "_include=MedicationRequest:patient:Patient&"
                 "_include:iterate=Patient:general-practitioner&_revinclude=Provenance:target&"
                 "_include:recurse=*");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_EQ(q->includes.size(), 4u);
  const Include& first = q->includes[0];
  EXPECT_EQ(first.source_type, "MedicationRequest");
  EXPECT_EQ(first.param_code, "patient");
  EXPECT_EQ(first.target_type, "Patient");
  ASSERT_NE(first.param, nullptr);
  EXPECT_EQ(first.param->type, "reference");
  EXPECT_FALSE(first.iterate);
  EXPECT_FALSE(first.reverse);
  EXPECT_TRUE(q->includes[1].iterate);
  EXPECT_EQ(q->includes[1].source_type, "Patient");
  EXPECT_TRUE(q->includes[2].reverse);
  EXPECT_EQ(q->includes[3].param_code, "*");
  EXPECT_TRUE(q->includes[3].iterate);

  auto wildcard = Parse("MedicationRequest", "_include=MedicationRequest:*");
  ASSERT_TRUE(wildcard.ok()) << wildcard.status().ToString();
  EXPECT_EQ(wildcard->includes[0].source_type, "MedicationRequest");
  EXPECT_EQ(wildcard->includes[0].param_code, "*");
  EXPECT_EQ(wildcard->includes[0].param, nullptr);

  ExpectError(Parse("MedicationRequest", "_include=MedicationRequest:code"), StatusCode::kInvalid,
              "not a reference");
  ExpectError(Parse("MedicationRequest", "_include=MedicationRequest:patient:Medication"),
              StatusCode::kInvalid, "not a target type");
  ExpectError(Parse("MedicationRequest", "_include=Patient:organization"), StatusCode::kInvalid,
              "does not return");
  ExpectError(Parse("MedicationRequest", "_include=Nothing:x"), StatusCode::kInvalid,
              "not a resource type");
  ExpectError(Parse("MedicationRequest", "_include=MedicationRequest"), StatusCode::kInvalid,
              "Type:parameter");
  ExpectError(Parse("MedicationRequest", "_include:deep=MedicationRequest:patient"),
              StatusCode::kInvalid, "':deep'");
  ExpectError(Parse("Patient", "_revinclude=Observation:specimen"), StatusCode::kInvalid,
              "does not reference");
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#_type
TEST_F(QueryTest, SystemLevelAndType) {
  auto all = ParseSystem("_lastUpdated=gt2020-01-01&_tag=a|b");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->system_level);
  EXPECT_TRUE(all->types.empty());
  EXPECT_EQ(all->clauses.size(), 2u);
  EXPECT_EQ(all->clauses[0].resource_type, "");
  ExpectError(ParseSystem("name=x"), StatusCode::kInvalid, "every resource type");

  auto typed = ParseSystem("_type=Patient,Observation&_id=1&patient=Patient/1");
  // "patient" is not defined for Patient.
  ExpectError(typed, StatusCode::kInvalid, "'patient' is not defined for Patient");
  auto shared = ParseSystem("name=x&_type=Patient");
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->types, std::vector<std::string>{"Patient"});
  EXPECT_EQ(shared->clauses[0].resource_type, "Patient");
  ExpectError(ParseSystem("_type=Patient,Practitioner&name=x"), StatusCode::kNotSupported,
              "different definitions");
  ExpectError(ParseSystem("_type=Patient,Nothing"), StatusCode::kInvalid, "'Nothing'");
  ExpectError(Parse("Patient", "_type=Patient"), StatusCode::kInvalid, "system-level");
  auto lenient = ParseSystem("_type=Nothing&_id=1", /*lenient=*/true);
  ASSERT_TRUE(lenient.ok());
  EXPECT_EQ(lenient->ignored, std::vector<std::string>{"_type"});
}

// FHIR R4: http://hl7.org/fhir/R4/http.html#ccreate
TEST_F(QueryTest, Conditional) {
  ParseOptions options;
  auto q =
      ParseConditional("Patient", "?identifier=http://acme.org|123&_id=x", *registry_, options);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->clauses.size(), 2u);
  EXPECT_EQ(q->types, std::vector<std::string>{"Patient"});
  auto empty = ParseConditional("Patient", "", *registry_, options);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalid);
  auto result = ParseConditional("Patient", "identifier=1&_count=1", *registry_, options);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("conditional"), std::string::npos);
  auto only_result = ParseConditional("Patient", "_format=json", *registry_, options);
  EXPECT_FALSE(only_result.ok());
  options.lenient = true;  // conditional URLs are always strict
  auto unknown = ParseConditional("Patient", "foo=1&identifier=1", *registry_, options);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'foo'"), std::string::npos);
  EXPECT_FALSE(ParseConditional("Patient", "identifier=%zz", *registry_, options).ok());
}

TEST_F(QueryTest, QueryToJsonShowsTheTree) {
  auto q = Parse("Patient",
                 "_has:Observation:patient:code=http://loinc.org|1234-5&"
                 "general-practitioner:Practitioner.name=smith&birthdate=ge1970&"
                 "_include=Patient:organization&_sort=-birthdate&_count=5");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const std::string text = QueryToJson(*q);
  json::Document doc;
  ASSERT_TRUE(json::Parse(text, json::Limits{}, &doc).ok()) << text;
  ASSERT_TRUE(doc.HasMember("allOf"));
  const auto& clauses = doc["allOf"];
  ASSERT_EQ(clauses.Size(), 3u);
  EXPECT_STREQ(clauses[0]["kind"].GetString(), "has");
  EXPECT_STREQ(clauses[0]["has"]["type"].GetString(), "Observation");
  EXPECT_STREQ(clauses[0]["has"]["inner"]["anyOf"][0]["token"]["system"].GetString(),
               "http://loinc.org");
  EXPECT_STREQ(clauses[1]["kind"].GetString(), "chain");
  EXPECT_STREQ(clauses[1]["chain"][0]["param"]["code"].GetString(), "name");
  EXPECT_STREQ(clauses[2]["anyOf"][0]["prefix"].GetString(), "ge");
  EXPECT_STREQ(clauses[2]["anyOf"][0]["range"]["low"].GetString(), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(doc["count"].GetInt(), 5);
  EXPECT_STREQ(doc["includes"][0]["param"].GetString(), "organization");
  EXPECT_TRUE(doc["sort"][0]["descending"].GetBool());
}

TEST_F(QueryTest, QueryToJsonShowsNearAndComposites) {
  auto near = Parse("Location", "near=42.25|-83.69|2|km");
  ASSERT_TRUE(near.ok());
  json::Document doc;
  ASSERT_TRUE(json::Parse(QueryToJson(*near), json::Limits{}, &doc).ok());
  EXPECT_STREQ(doc["allOf"][0]["kind"].GetString(), "near");
  EXPECT_DOUBLE_EQ(json::NumberAsDouble(doc["allOf"][0]["anyOf"][0]["near"]["distanceKm"]), 2.0);
  auto composite = Parse("Observation", "code-value-quantity=http://loinc.org|8480-6$lt60||mm[Hg]");
  ASSERT_TRUE(composite.ok());
  ASSERT_TRUE(json::Parse(QueryToJson(*composite), json::Limits{}, &doc).ok());
  const auto& parts = doc["allOf"][0]["anyOf"][0]["components"];
  ASSERT_EQ(parts.Size(), 2u);
  EXPECT_STREQ(parts[0]["token"]["code"].GetString(), "8480-6");
  EXPECT_STREQ(parts[1]["prefix"].GetString(), "lt");
  EXPECT_STREQ(parts[1]["quantity"]["code"].GetString(), "mm[Hg]");
}

TEST_F(QueryTest, CloneIsDeep) {
  auto q = Parse("Patient", "_has:Observation:patient:subject:Patient.name=x");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Clause copy = q->clauses[0].Clone();
  ASSERT_NE(copy.has, nullptr);
  EXPECT_NE(copy.has.get(), q->clauses[0].has.get());
  EXPECT_NE(copy.has->inner.get(), q->clauses[0].has->inner.get());
  EXPECT_EQ(copy.has->reference, q->clauses[0].has->reference);
  ASSERT_EQ(copy.has->inner->chain.size(), 1u);
  q->clauses[0].has->inner->chain[0].values[0].text = "changed";
  EXPECT_EQ(copy.has->inner->chain[0].values[0].text, "x");
  Query original;
  original.clauses.push_back(std::move(copy));
  EXPECT_EQ(QueryToJson(original).find("changed"), std::string::npos);
}

}  // namespace
}  // namespace hestia::search
