// Entry points of the FHIRPath function groups (private to hestia_fhirpath).
//
// Owns: the signature shared by functions_*.cc — each group implements the FunctionIds that
// GroupOf() assigns to it — plus the type-specifier helpers used by is/as/ofType and the
// binary operators.
// Thread-safety: stateless functions; evaluation state lives in the Evaluator.
#pragma once

#include "ast.h"
#include "evaluator.h"

namespace hestia::fhirpath {

// `node` is the kFunction node, `input` the focus collection.
Status CallCollectionFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                              Collection* out);
Status CallConvertFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                           Collection* out);
Status CallStringFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                          Collection* out);
Status CallMathFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                        Collection* out);
Status CallFhirFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                        Collection* out);

// Binary and unary operators (operators.cc).
Status EvalBinary(Evaluator& ev, const AstNode& node, const Collection& focus, Collection* out);
Status EvalUnary(Evaluator& ev, const AstNode& node, const Collection& focus, Collection* out);

// Type tests. `exact` (as/ofType on primitives) ignores FHIR primitive inheritance
// (code is-a string, but code.as(string) is empty). Fails for an unknown type name.
Status ItemIsType(const Evaluator& ev, const Item& item, const TypeSpec& type, bool exact,
                  bool* result);
// A TypeInfo item for type().
Item TypeInfoOf(const Item& item);

}  // namespace hestia::fhirpath
