// FHIRPath parser (private to hestia_fhirpath).
//
// Owns: the grammar of FHIRPath N1 — operator precedence, invocations, indexers, literals
// (including quantities with UCUM or calendar units), type specifiers — producing an AST.
// Nesting is limited so hostile input cannot exhaust the stack.
// Thread-safety: stateless function.
#pragma once

#include <memory>
#include <string_view>

#include "ast.h"
#include "hestia/base/status.h"

namespace hestia::fhirpath {

inline constexpr int kMaxParseDepth = 300;
inline constexpr std::size_t kMaxExpressionLength = 64 * 1024;

// Parses `text`. Fails with kInvalid naming the byte position for a syntax error, an unknown
// function, a wrong argument count or nesting deeper than kMaxParseDepth.
Result<std::unique_ptr<AstNode>> Parse(std::string_view text);

}  // namespace hestia::fhirpath
