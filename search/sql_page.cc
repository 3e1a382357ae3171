// Keyset paging: the ORDER BY of a search, the opaque cursor that carries the last row's
// sort values and pk, and the condition "strictly after the cursor" in that order.
// Lacking values sort last in both directions; pk ascending breaks ties, so the order is
// total and a page sequence neither skips nor repeats a resource while others are written
// (ADR 0008). The one exception: a resource whose own sort value changes between two page
// reads moves in the order, and may then be seen twice or not at all.
// FHIR R4: http://hl7.org/fhir/R4/http.html#paging, http://hl7.org/fhir/R4/search.html#sort
// Thread-safety: stateless functions.
#include <cctype>
#include <cstdint>

#include "sql_rewrite.h"

namespace hestia::search::internal {
namespace {

constexpr std::string_view kCursorVersion = "c1";
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64Url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

std::optional<std::string> FromBase64Url(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    if (c >= '0' && c <= '9') v = c - '0' + 52;
    if (c == '-') v = 62;
    if (c == '_') v = 63;
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string Hex(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int k = 15; k >= 0; --k) {
    out[static_cast<std::size_t>(k)] = kDigits[v & 15];
    v >>= 4;
  }
  return out;
}

void PutField(std::string* out, std::string_view field) {
  *out += std::to_string(field.size());
  *out += ':';
  *out += field;
}

// Reads one "len:bytes" field, or "N" (null) when `nullable`.
bool GetField(std::string_view* in, std::optional<std::string>* field, bool nullable) {
  if (nullable && !in->empty() && in->front() == 'N') {
    in->remove_prefix(1);
    field->reset();
    return true;
  }
  std::size_t len = 0;
  std::size_t p = 0;
  while (p < in->size() && p < 9 && std::isdigit(static_cast<unsigned char>((*in)[p]))) {
    len = len * 10 + static_cast<std::size_t>((*in)[p] - '0');
    ++p;
  }
  if (p == 0 || p >= in->size() || (*in)[p] != ':' || in->size() - p - 1 < len) return false;
  *field = std::string(in->substr(p + 1, len));
  in->remove_prefix(p + 1 + len);
  return true;
}

Status BadCursor() {
  return InvalidError("_cursor is not a valid page cursor of this search", "_cursor");
}

std::string Column(std::string_view prefix, std::size_t k) {
  return std::string(prefix) + "s" + std::to_string(k);
}

}  // namespace

std::string EncodeCursor(const Cursor& cursor) {
  std::string payload;
  PutField(&payload, kCursorVersion);
  PutField(&payload, cursor.signature);
  PutField(&payload, std::to_string(cursor.pk));
  PutField(&payload, std::to_string(cursor.values.size()));
  for (const std::optional<std::string>& v : cursor.values) {
    if (v) {
      PutField(&payload, *v);
    } else {
      payload += 'N';
    }
  }
  payload += Hex(Fnv1a(payload));
  return Base64Url(payload);
}

Result<Cursor> DecodeCursor(std::string_view text, std::string_view signature) {
  if (text.empty() || text.size() > 8192) return BadCursor();
  std::optional<std::string> decoded = FromBase64Url(text);
  if (!decoded || decoded->size() < 16) return BadCursor();
  std::string_view payload(*decoded);
  const std::string_view check = payload.substr(payload.size() - 16);
  payload.remove_suffix(16);
  if (Hex(Fnv1a(payload)) != check) return BadCursor();
  std::optional<std::string> version, sig, pk, count;
  if (!GetField(&payload, &version, false) || version != kCursorVersion ||
      !GetField(&payload, &sig, false) || !GetField(&payload, &pk, false) ||
      !GetField(&payload, &count, false)) {
    return BadCursor();
  }
  if (*sig != signature) {
    return InvalidError("_cursor belongs to a search with another _sort", "_cursor");
  }
  Cursor cursor;
  cursor.signature = *sig;
  try {
    cursor.pk = std::stoll(*pk);
    const long n = std::stol(*count);
    if (n < 0 || n > 64) return BadCursor();
    for (long k = 0; k < n; ++k) {
      std::optional<std::string> v;
      if (!GetField(&payload, &v, true)) return BadCursor();
      cursor.values.push_back(std::move(v));
    }
  } catch (const std::exception&) {
    return BadCursor();
  }
  if (!payload.empty()) return BadCursor();
  return cursor;
}

std::string SortSignature(const Query& query) {
  std::string out;
  for (const SortKey& key : query.sort) {
    if (!out.empty()) out += ',';
    if (key.descending) out += '-';
    out += key.code;
  }
  return out;
}

std::string KeysetCondition(const std::vector<SortColumn>& columns, const Cursor& cursor,
                            std::string_view prefix, std::string_view pk_column, Rewriter& rw) {
  // Built from the last key outwards: after(k) = the rows after the cursor whose keys before k
  // equal the cursor's.
  std::string after =
      std::string(pk_column) + " > " + rw.Bind(std::to_string(cursor.pk)) + "::bigint";
  for (std::size_t k = columns.size(); k-- > 0;) {
    const std::string col = Column(prefix, k);
    const std::optional<std::string>& v =
        k < cursor.values.size() ? cursor.values[k] : std::optional<std::string>();
    if (!v) {
      after = "(" + col + " IS NULL AND " + after + ")";
      continue;
    }
    const std::string value = rw.Bind(*v) + "::" + std::string(SortCast(columns[k].type));
    const char* beyond = columns[k].descending ? " < " : " > ";
    after = "(" + col + beyond + value + " OR (" + col + " = " + value + " AND " + after + ")" +
            (columns[k].nullable ? " OR " + col + " IS NULL)" : ")");
  }
  return after;
}

std::string OrderByList(const std::vector<SortColumn>& columns, std::string_view prefix,
                        std::string_view pk_column) {
  std::string out;
  for (std::size_t k = 0; k < columns.size(); ++k) {
    out += Column(prefix, k) + (columns[k].descending ? " DESC" : " ASC") +
           (columns[k].nullable ? " NULLS LAST, " : ", ");
  }
  return out + std::string(pk_column) + " ASC";
}

}  // namespace hestia::search::internal
