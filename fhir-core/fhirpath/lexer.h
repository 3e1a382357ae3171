// FHIRPath lexer (private to hestia_fhirpath).
//
// Owns: turning expression text into tokens with byte positions: identifiers (plain and
// `delimited`), strings with escapes, numbers, @date/@time literals, %variables, $this-style
// names and operators. Comments (// and /* */) and whitespace are skipped.
// Thread-safety: a Lexer is used by one parse at a time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::fhirpath {

enum class TokenKind : uint8_t {
  kEnd,
  kIdentifier,  // plain identifier or keyword
  kDelimited,   // `identifier`
  kString,      // 'text' (value unescaped)
  kNumber,      // 12, 1.5
  kDateTime,    // @2015-02-04T… (text without '@')
  kTime,        // @T14:30 (text without "@T")
  kVariable,    // %name (value = name)
  kDollar,      // $this, $index, $total (value = name without '$')
  kSymbol,      // operators and punctuation (value = the symbol)
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  int pos = 0;
};

// Splits `text` into tokens ending with kEnd. Fails with kInvalid and the byte position on
// an unterminated string or comment, an invalid escape or an unknown character.
Result<std::vector<Token>> Tokenize(std::string_view text);

}  // namespace hestia::fhirpath
