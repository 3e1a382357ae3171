// The table of FHIRPath function names (private to hestia_fhirpath).
//
// Owns: name → FunctionId, argument counts, and which arguments are evaluated per item
// (lambdas such as where(criteria)) rather than once against the enclosing $this.
// Thread-safety: immutable static data.
#pragma once

#include <string_view>

#include "ast.h"

namespace hestia::fhirpath {

// Which file implements a function (functions_<group>.cc).
enum class FnGroup : uint8_t { kCollection, kConvert, kString, kMath, kFhir };

struct FunctionSpec {
  std::string_view name;
  FunctionId id;
  int min_args;
  int max_args;
  bool lambda;    // arguments are expressions evaluated per input item
  bool type_arg;  // the single argument is a type specifier (is, as, ofType)
};

// nullptr when `name` is not a FHIRPath function.
const FunctionSpec* FindFunction(std::string_view name);
FnGroup GroupOf(FunctionId id);

}  // namespace hestia::fhirpath
