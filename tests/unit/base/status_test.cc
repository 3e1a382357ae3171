// Tests for Status, Result and the error macros (hestia/base/status.h).
#include "hestia/base/status.h"

#include <gtest/gtest.h>

namespace hestia {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidError("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  HESTIA_ASSIGN_OR_RETURN(int h, Half(x));
  HESTIA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  HESTIA_RETURN_IF_ERROR(Half(x).status().ok() ? Status::Ok() : Half(x).status());
  return Status::Ok();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = NotFoundError("Patient/1 is not known");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.ToString(), "NotFound: Patient/1 is not known");
}

TEST(StatusTest, ResultCarriesValueOrStatus) {
  Result<int> ok = Half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  Result<int> bad = Half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalid);
}

TEST(StatusTest, ResultFromOkStatusIsAnInternalError) {
  Result<int> r{Status::Ok()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(StatusTest, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(6).status().code(), StatusCode::kInvalid);  // 6 → 3 → odd
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

}  // namespace
}  // namespace hestia
