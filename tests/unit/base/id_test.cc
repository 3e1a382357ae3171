// Tests for ids and ETags (hestia/base/id.h). FHIR R4: http://hl7.org/fhir/R4/datatypes.html#id
#include "hestia/base/id.h"

#include <gtest/gtest.h>

#include <set>

namespace hestia {
namespace {

TEST(IdTest, ValidIds) {
  EXPECT_TRUE(IsValidId("a"));
  EXPECT_TRUE(IsValidId("example-1.2"));
  EXPECT_TRUE(IsValidId(std::string(64, 'x')));
  EXPECT_FALSE(IsValidId(""));
  EXPECT_FALSE(IsValidId(std::string(65, 'x')));
  EXPECT_FALSE(IsValidId("a b"));
  EXPECT_FALSE(IsValidId("a/b"));
  EXPECT_FALSE(IsValidId("a_b"));
  EXPECT_FALSE(IsValidId("ä"));
}

TEST(IdTest, NewIdsAreValidUuidsAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewId();
    ASSERT_EQ(id.size(), 36u);
    ASSERT_TRUE(IsValidId(id));
    EXPECT_EQ(id[14], '4');  // version 4
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(IdTest, ETags) {
  EXPECT_EQ(ETagFor(3), "W/\"3\"");
  EXPECT_EQ(VersionFromETag("W/\"3\""), 3);
  EXPECT_EQ(VersionFromETag("\"12\""), 12);
  EXPECT_EQ(VersionFromETag("7"), 7);
  EXPECT_EQ(VersionFromETag("W/\"x\""), -1);
  EXPECT_EQ(VersionFromETag("W/\"0\""), -1);
  EXPECT_EQ(VersionFromETag(""), -1);
  EXPECT_EQ(VersionFromETag("W/\"3"), -1);
}

}  // namespace
}  // namespace hestia
