// Tests for the FHIR XML reader (xml_reader.h): the XML → JSON mapping driven by the type
// registry, and the libxml2 safety rules (no DOCTYPE, no entity expansion, limits).
// FHIR R4: http://hl7.org/fhir/R4/xml.html
#include "hestia/resources/xml_reader.h"

#include <string>

#include <gtest/gtest.h>

#include "hestia/base/json.h"
#include "hestia/resources/type_registry.h"

namespace hestia::resources {
namespace {

class XmlReaderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = TypeRegistry::LoadFromPackage(HESTIA_DEFAULT_DEFINITIONS_DIR);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    registry_ = std::move(loaded).value();
  }
  // Parses `xml` and returns the compact JSON, or "error: <code>: message".
  static std::string ToJson(const std::string& xml, const XmlLimits& limits = {}) {
    json::Document doc;
    Status s = ParseXmlResource(xml, *registry_, &doc, limits);
    if (!s.ok()) return "error: " + s.ToString();
    return json::Write(doc);
  }
  static Status Parse(const std::string& xml, const XmlLimits& limits = {}) {
    json::Document doc;
    return ParseXmlResource(xml, *registry_, &doc, limits);
  }
  static std::shared_ptr<const TypeRegistry> registry_;
};
std::shared_ptr<const TypeRegistry> XmlReaderTest::registry_;

TEST_F(XmlReaderTest, PrimitivesGetTheirJsonTypes) {
  EXPECT_EQ(ToJson(R"(<Patient xmlns="http://hl7.org/fhir"><id value="p1"/>)"
                   R"(<active value="true"/><birthDate value="1970-01-01"/>)"
                   R"(<multipleBirthInteger value="2"/></Patient>)"),
            R"({"resourceType":"Patient","id":"p1","active":true,"birthDate":"1970-01-01",)"
            R"("multipleBirthInteger":2})");
  // Decimals keep their exact text (a raw number when a double would lose it).
  json::Document doc;
  ASSERT_TRUE(ParseXmlResource(R"(<Observation xmlns="http://hl7.org/fhir"><status value="final"/>)"
                               R"(<code><text value="x"/></code><valueQuantity>)"
                               R"(<value value="1.50"/></valueQuantity></Observation>)",
                               *registry_, &doc)
                  .ok());
  EXPECT_EQ(json::NumberText(doc["valueQuantity"]["value"]), "1.50");
  EXPECT_EQ(json::Write(doc["valueQuantity"]), R"({"value":1.50})");
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><active value="yes"/></Patient>)").code(),
            StatusCode::kValue);
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><multipleBirthInteger value="1.5"/>)"
                  R"(</Patient>)")
                .code(),
            StatusCode::kValue);
}

TEST_F(XmlReaderTest, ArraysFollowCardinality) {
  EXPECT_EQ(ToJson(R"(<Patient xmlns="http://hl7.org/fhir"><name><family value="A"/>)"
                   R"(<given value="B"/><given value="C"/></name></Patient>)"),
            R"({"resourceType":"Patient","name":[{"family":"A","given":["B","C"]}]})");
}

TEST_F(XmlReaderTest, IdAndExtensionsOfPrimitivesGoToUnderscoreSiblings) {
  EXPECT_EQ(ToJson(R"(<Patient xmlns="http://hl7.org/fhir"><birthDate id="b" value="1970">)"
                   R"(<extension url="urn:x"><valueString value="v"/></extension></birthDate>)"
                   R"(<name><given value="A"/><given><extension url="urn:y"><valueBoolean )"
                   R"(value="true"/></extension></given></name></Patient>)"),
            R"({"resourceType":"Patient","birthDate":"1970","_birthDate":{"id":"b","extension":)"
            R"([{"url":"urn:x","valueString":"v"}]},"name":[{"given":["A",null],"_given":[null,)"
            R"({"extension":[{"url":"urn:y","valueBoolean":true}]}]}]})");
}

TEST_F(XmlReaderTest, ContainedResourcesAndXhtml) {
  EXPECT_EQ(ToJson(R"(<Patient xmlns="http://hl7.org/fhir"><text><status value="generated"/>)"
                   R"(<div xmlns="http://www.w3.org/1999/xhtml"><p>Hi &amp; <b>bye</b></p></div>)"
                   R"(</text><contained><Organization><id value="o"/><name value="Org"/>)"
                   R"(</Organization></contained><managingOrganization><reference value="#o"/>)"
                   R"(</managingOrganization></Patient>)"),
            R"({"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\")"
            R"(http://www.w3.org/1999/xhtml\"><p>Hi &amp; <b>bye</b></p></div>"},"contained":)"
            R"([{"resourceType":"Organization","id":"o","name":"Org"}],"managingOrganization":)"
            R"({"reference":"#o"}})");
}

TEST_F(XmlReaderTest, XhtmlKeepsNamespacesDeclaredAbove) {
  json::Document doc;
  ASSERT_TRUE(ParseXmlResource(R"(<Patient xmlns="http://hl7.org/fhir" )"
                               R"(xmlns:h="http://www.w3.org/1999/xhtml"><text><status )"
                               R"(value="generated"/><h:div><h:p>x</h:p></h:div></text></Patient>)",
                               *registry_, &doc)
                  .ok());
  const std::string div(json::StringMember(doc["text"], "div"));
  EXPECT_NE(div.find(R"(xmlns:h="http://www.w3.org/1999/xhtml")"), std::string::npos) << div;
}

TEST_F(XmlReaderTest, BundleAndParametersHoldResources) {
  EXPECT_EQ(ToJson(R"(<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="r"/>)"
                   R"(<resource><Patient><active value="false"/></Patient></resource>)"
                   R"(</parameter><parameter><name value="p"/><part><name value="q"/>)"
                   R"(<valueInteger value="-3"/></part></parameter></Parameters>)"),
            R"({"resourceType":"Parameters","parameter":[{"name":"r","resource":{"resourceType":)"
            R"("Patient","active":false}},{"name":"p","part":[{"name":"q","valueInteger":-3}]}]})");
  EXPECT_EQ(ToJson(R"(<Bundle xmlns="http://hl7.org/fhir"><type value="collection"/><entry>)"
                   R"(<fullUrl value="urn:uuid:1"/><resource><Basic><code><text value="t"/>)"
                   R"(</code></Basic></resource></entry></Bundle>)"),
            R"({"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:1",)"
            R"("resource":{"resourceType":"Basic","code":{"text":"t"}}}]})");
}

TEST_F(XmlReaderTest, CommentsAndWhitespaceAreIgnoredUnknownElementsAreNot) {
  EXPECT_EQ(ToJson("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->\n"
                   "<Patient xmlns=\"http://hl7.org/fhir\">\n  <!-- c -->\n"
                   "  <active value=\"true\"/>\n</Patient>\n"),
            R"({"resourceType":"Patient","active":true})");
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><nickname value="x"/></Patient>)").code(),
            StatusCode::kInvalid);
  EXPECT_EQ(Parse(R"(<Patient><active value="true"/></Patient>)").code(), StatusCode::kStructure);
  EXPECT_EQ(Parse(R"(<Nothing xmlns="http://hl7.org/fhir"/>)").code(), StatusCode::kStructure);
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir">text</Patient>)").code(),
            StatusCode::kInvalid);
  // A single-valued element twice (or two types of one choice) would be a duplicate JSON key.
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><active value="true"/>)"
                  R"(<active value="false"/></Patient>)")
                .code(),
            StatusCode::kInvalid);
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><deceasedBoolean value="true"/>)"
                  R"(<deceasedDateTime value="2020"/></Patient>)")
                .code(),
            StatusCode::kInvalid);
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><active valu="true"/></Patient>)").code(),
            StatusCode::kInvalid);
}

TEST_F(XmlReaderTest, MalformedXmlIsAStructureError) {
  for (const char* bad :
       {"", "<", "<Patient xmlns=\"http://hl7.org/fhir\">",
        "<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\"></Patient>",
        "<Patient xmlns=\"http://hl7.org/fhir\"/><Patient/>", "not xml",
        "<Patient xmlns=\"http://hl7.org/fhir\">&undefined;</Patient>"}) {
    EXPECT_EQ(Parse(bad).code(), StatusCode::kStructure) << bad;
  }
}

TEST_F(XmlReaderTest, DoctypeAndExternalEntitiesAreRefused) {
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE Patient [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
      "<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&xxe;\"/></Patient>";
  const Status s = Parse(xxe);
  EXPECT_EQ(s.code(), StatusCode::kStructure);
  EXPECT_NE(s.message().find("DOCTYPE"), std::string::npos) << s.message();
  EXPECT_EQ(ToJson(xxe).find("root:"), std::string::npos);
  EXPECT_EQ(Parse("<!DOCTYPE Patient SYSTEM \"http://127.0.0.1:1/x.dtd\">"
                  "<Patient xmlns=\"http://hl7.org/fhir\"/>")
                .code(),
            StatusCode::kStructure);
}

TEST_F(XmlReaderTest, BillionLaughsIsRefused) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
  for (int i = 1; i < 10; ++i) {
    xml += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k)
      xml += "&lol" + (i == 1 ? std::string() : std::to_string(i - 1)) + ";";
    xml += "\">\n";
  }
  xml += "]>\n<Patient xmlns=\"http://hl7.org/fhir\"><id value=\"&lol9;\"/></Patient>";
  EXPECT_EQ(Parse(xml).code(), StatusCode::kStructure);
}

TEST_F(XmlReaderTest, LimitsOnSizeAndDepth) {
  XmlLimits small;
  small.max_bytes = 40;
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><active value="true"/></Patient>)", small)
                .code(),
            StatusCode::kTooLarge);
  XmlLimits shallow;
  shallow.max_depth = 2;
  EXPECT_EQ(Parse(R"(<Patient xmlns="http://hl7.org/fhir"><name><period><start value="2020"/>)"
                  R"(</period></name></Patient>)",
                  shallow)
                .code(),
            StatusCode::kStructure);
  std::string deep = "<Questionnaire xmlns=\"http://hl7.org/fhir\"><status value=\"draft\"/>";
  for (int i = 0; i < 300; ++i) deep += "<item><linkId value=\"x\"/><type value=\"group\"/>";
  for (int i = 0; i < 300; ++i) deep += "</item>";
  deep += "</Questionnaire>";
  EXPECT_EQ(Parse(deep).code(), StatusCode::kStructure);
}

}  // namespace
}  // namespace hestia::resources
