// Tests for the JSON reader's limits and the decimal-preserving writer (hestia/base/json.h),
// including the input shapes of CVE-2024-38517 that RapidJSON 1.1.0 mishandles.
#include "hestia/base/json.h"

#include <gtest/gtest.h>

namespace hestia::json {
namespace {

Status ParseText(std::string_view text, Document* doc, Limits limits = {}) {
  return Parse(text, limits, doc);
}

TEST(JsonTest, ParsesAndWritesRoundTrip) {
  Document doc;
  const std::string text =
      R"({"resourceType":"Patient","active":true,"name":[{"given":["Ada"]}],"n":null,"i":-42})";
  ASSERT_TRUE(ParseText(text, &doc).ok());
  EXPECT_EQ(Write(doc), text);
}

TEST(JsonTest, DecimalsKeepTheirExactText) {
  Document doc;
  const std::string text =
      R"({"a":1.50,"b":0.010,"c":1e-7,"d":123456789012345678901234567890,"e":1.5,"f":100,"g":-0,"h":0.1})";
  ASSERT_TRUE(ParseText(text, &doc).ok());
  EXPECT_EQ(Write(doc), text);
  EXPECT_TRUE(IsNumber(doc["a"]));
  EXPECT_FALSE(IsText(doc["a"]));
  EXPECT_EQ(NumberText(doc["a"]), "1.50");
  EXPECT_DOUBLE_EQ(NumberAsDouble(doc["a"]), 1.5);
  EXPECT_EQ(NumberText(doc["e"]), "1.5");
  EXPECT_TRUE(doc["f"].IsInt64());
  EXPECT_EQ(NumberText(doc["d"]), "123456789012345678901234567890");
}

TEST(JsonTest, QuoteAlwaysMakesAString) {
  EXPECT_EQ(Quote("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(Quote(std::string_view("\x01"
                                   "42")),
            R"("\u000142")");  // never a raw number
  EXPECT_EQ(Quote(""), R"("")");
}

TEST(JsonTest, PrettyOutputIsIndented) {
  Document doc;
  ASSERT_TRUE(ParseText(R"({"a":[1,2.50]})", &doc).ok());
  EXPECT_EQ(Write(doc, true), "{\n  \"a\": [\n    1,\n    2.50\n  ]\n}");
}

TEST(JsonTest, MalformedJsonIsAStructureError) {
  Document doc;
  for (const char* bad :
       {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "nul", "{\"a\":1}x", "\"\xff\xfe\"", "{'a':1}"}) {
    Status s = ParseText(bad, &doc);
    EXPECT_EQ(s.code(), StatusCode::kStructure) << bad << " → " << s.ToString();
  }
}

TEST(JsonTest, DepthLimit) {
  Document doc;
  Limits limits;
  limits.max_depth = 10;
  std::string ok = std::string(10, '[') + std::string(10, ']');
  EXPECT_TRUE(ParseText(ok, &doc, limits).ok());
  std::string deep = std::string(11, '[') + std::string(11, ']');
  EXPECT_EQ(ParseText(deep, &doc, limits).code(), StatusCode::kStructure);
  // Brackets inside strings do not count.
  EXPECT_TRUE(ParseText("[\"" + std::string(50, '[') + "\"]", &doc, limits).ok());
  // Far beyond any stack: must fail cleanly, not crash.
  std::string hostile(1'000'000, '[');
  EXPECT_EQ(ParseText(hostile, &doc).code(), StatusCode::kStructure);
}

TEST(JsonTest, HostileNumbersAreRefused) {
  Document doc;
  // CVE-2024-38517 shapes: exponents that overflow RapidJSON's int arithmetic.
  EXPECT_EQ(ParseText("[1e-2147483649]", &doc).code(), StatusCode::kValue);
  EXPECT_EQ(ParseText("[1e2147483648]", &doc).code(), StatusCode::kValue);
  EXPECT_EQ(ParseText("[0.0000001e-99999]", &doc).code(), StatusCode::kValue);
  EXPECT_EQ(ParseText("[" + std::string(100, '9') + "]", &doc).code(), StatusCode::kValue);
  // Within limits: fine.
  EXPECT_TRUE(ParseText("[1e300, -2.5E-10]", &doc).ok());
  // Out of double range but short: refused as a value error, never infinity.
  EXPECT_EQ(ParseText("[1e999]", &doc).code(), StatusCode::kValue);
}

TEST(JsonTest, SizeLimit) {
  Document doc;
  Limits limits;
  limits.max_bytes = 16;
  EXPECT_EQ(ParseText(R"({"a":"0123456789"})", &doc, limits).code(), StatusCode::kTooLarge);
}

TEST(JsonTest, DuplicatePropertiesAreRefused) {
  Document doc;
  Status s = ParseText(R"({"id":"a","id":"b"})", &doc);
  EXPECT_EQ(s.code(), StatusCode::kStructure);
  EXPECT_NE(s.message().find("duplicate"), std::string::npos);
  // The same name in sibling objects is fine.
  EXPECT_TRUE(ParseText(R"([{"id":"a"},{"id":"b"}])", &doc).ok());
}

TEST(JsonTest, ControlCharactersAreRefusedSoRawNumbersCannotBeForged) {
  Document doc;
  EXPECT_EQ(ParseText(R"({"a":"\u0001123"})", &doc).code(), StatusCode::kStructure);
  EXPECT_EQ(ParseText(R"({"a":"x\u0000y"})", &doc).code(), StatusCode::kStructure);
  EXPECT_TRUE(ParseText(R"({"a":"tab\tnewline\n"})", &doc).ok());
  EXPECT_TRUE(IsText(doc["a"]));
}

TEST(JsonTest, MemberHelpers) {
  Document doc;
  ASSERT_TRUE(ParseText(R"({"s":"x","n":1})", &doc).ok());
  EXPECT_EQ(StringMember(doc, "s"), "x");
  EXPECT_EQ(StringMember(doc, "n"), "");
  EXPECT_EQ(Member(doc, "missing"), nullptr);
  EXPECT_EQ(Member(doc["s"], "x"), nullptr);
}

}  // namespace
}  // namespace hestia::json
