// JSON reader with limits, and the writer that knows raw numbers. See json.h.
#include "hestia/base/json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace hestia::json {
namespace {

// Linear pre-scan of the raw text: nesting depth and number token shape, before RapidJSON
// parses anything. It tracks only whether we are inside a string, so it is O(n) and cannot
// recurse.
Status PreScan(std::string_view text, const Limits& limits) {
  int depth = 0;
  bool in_string = false;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        ++i;
        break;
      case '{':
      case '[':
        if (++depth > limits.max_depth) {
          return StructureError("JSON nesting deeper than " + std::to_string(limits.max_depth) +
                                " levels at byte " + std::to_string(i));
        }
        ++i;
        break;
      case '}':
      case ']':
        --depth;
        ++i;
        break;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          const std::size_t start = i;
          std::size_t exponent_digits = 0;
          bool in_exponent = false;
          while (i < n) {
            const char d = text[i];
            if (d == 'e' || d == 'E') {
              in_exponent = true;
            } else if (d >= '0' && d <= '9') {
              if (in_exponent) ++exponent_digits;
            } else if (d != '-' && d != '+' && d != '.') {
              break;
            }
            ++i;
          }
          if (i - start > limits.max_number_length) {
            return ValueError("JSON number longer than " +
                              std::to_string(limits.max_number_length) + " characters at byte " +
                              std::to_string(start));
          }
          if (exponent_digits > limits.max_exponent_digits) {
            return ValueError("JSON number exponent too large at byte " + std::to_string(start));
          }
        } else {
          ++i;
        }
    }
  }
  return Status::Ok();
}

// Control characters are forbidden in FHIR strings; a lone surrogate written as a \u escape
// ("\uDDDD") decodes to bytes ED A0..BF xx, which are not UTF-8 and would not round-trip.
bool HasForbiddenCharacter(const char* s, rapidjson::SizeType len) {
  for (rapidjson::SizeType i = 0; i < len; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return true;
    if (c == 0xED && i + 1 < len && (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0) {
      return true;
    }
  }
  return false;
}

std::string FormatDouble(double d) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.Double(d);
  return {buf.GetString(), buf.GetSize()};
}

// SAX handler that builds the Document, choosing the number representation and enforcing the
// FHIR rules the DOM cannot express.
class Builder {
 public:
  explicit Builder(Document& doc) : doc_(doc) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool copy) {
    const std::string_view text(s, len);
    const bool integral = text.find_first_of(".eE") == std::string_view::npos;
    if (integral) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(s, s + len, i);
      if (ec == std::errc() && p == s + len && std::to_string(i) == text) return doc_.Int64(i);
      uint64_t u = 0;
      auto [pu, ecu] = std::from_chars(s, s + len, u);
      if (ecu == std::errc() && pu == s + len && std::to_string(u) == text) return doc_.Uint64(u);
    } else {
      const std::string copy_text(text);
      char* end = nullptr;
      const double d = std::strtod(copy_text.c_str(), &end);
      if (end == copy_text.c_str() + copy_text.size() && std::isfinite(d) &&
          FormatDouble(d) == text) {
        return doc_.Double(d);
      }
    }
    std::string marked;
    marked.reserve(len + 1);
    marked.push_back(kRawNumberMark);
    marked.append(s, len);
    (void)copy;
    return doc_.String(marked.data(), static_cast<rapidjson::SizeType>(marked.size()), true);
  }
  bool String(const char* s, rapidjson::SizeType len, bool copy) {
    if (HasForbiddenCharacter(s, len)) {
      error_ = "JSON string contains a control character or a lone surrogate";
      return false;
    }
    return doc_.String(s, len, copy);
  }
  bool StartObject() {
    keys_.emplace_back();
    return doc_.StartObject();
  }
  bool Key(const char* s, rapidjson::SizeType len, bool copy) {
    if (HasForbiddenCharacter(s, len)) {
      error_ = "JSON property name contains a control character or a lone surrogate";
      return false;
    }
    if (!keys_.back().emplace(s, len).second) {
      error_ = "duplicate JSON property \"" + std::string(s, len) + "\"";
      return false;
    }
    return doc_.Key(s, len, copy);
  }
  bool EndObject(rapidjson::SizeType count) {
    keys_.pop_back();
    return doc_.EndObject(count);
  }
  bool StartArray() { return doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType count) { return doc_.EndArray(count); }

  const std::string& error() const { return error_; }

 private:
  Document& doc_;
  std::vector<std::unordered_set<std::string>> keys_;
  std::string error_;
};

template <typename Writer>
void WriteValue(const Value& v, Writer& w) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      w.Null();
      break;
    case rapidjson::kFalseType:
      w.Bool(false);
      break;
    case rapidjson::kTrueType:
      w.Bool(true);
      break;
    case rapidjson::kNumberType:
      if (v.IsInt64()) {
        w.Int64(v.GetInt64());
      } else if (v.IsUint64()) {
        w.Uint64(v.GetUint64());
      } else {
        w.Double(v.GetDouble());
      }
      break;
    case rapidjson::kStringType:
      if (v.GetStringLength() > 0 && v.GetString()[0] == kRawNumberMark) {
        w.RawValue(v.GetString() + 1, v.GetStringLength() - 1, rapidjson::kNumberType);
      } else {
        w.String(v.GetString(), v.GetStringLength());
      }
      break;
    case rapidjson::kObjectType:
      w.StartObject();
      for (const auto& m : v.GetObject()) {
        w.Key(m.name.GetString(), m.name.GetStringLength());
        WriteValue(m.value, w);
      }
      w.EndObject();
      break;
    case rapidjson::kArrayType:
      w.StartArray();
      for (const auto& e : v.GetArray()) WriteValue(e, w);
      w.EndArray();
      break;
  }
}

bool IsRaw(const Value& v) {
  return v.IsString() && v.GetStringLength() > 0 && v.GetString()[0] == kRawNumberMark;
}

}  // namespace

Status Parse(std::string_view text, const Limits& limits, Document* doc) {
  if (text.size() > limits.max_bytes) {
    return {StatusCode::kTooLarge, "JSON body of " + std::to_string(text.size()) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(limits.max_bytes)};
  }
  HESTIA_RETURN_IF_ERROR(PreScan(text, limits));
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  Builder builder(*doc);
  bool parsed = false;
  auto generate = [&](Document&) {
    parsed = !reader.Parse<kFlags>(is, builder).IsError();
    return parsed;
  };
  doc->SetNull();
  doc->Populate(generate);
  if (!parsed) {
    if (!builder.error().empty()) {
      return StructureError(builder.error() + " at byte " +
                            std::to_string(reader.GetErrorOffset()));
    }
    if (reader.GetParseErrorCode() == rapidjson::kParseErrorNumberTooBig) {
      return ValueError("JSON number out of range at byte " +
                        std::to_string(reader.GetErrorOffset()));
    }
    return StructureError(std::string("malformed JSON: ") +
                          rapidjson::GetParseError_En(reader.GetParseErrorCode()) + " at byte " +
                          std::to_string(reader.GetErrorOffset()));
  }
  return Status::Ok();
}

std::string Quote(std::string_view s) {
  // Always a string: the raw-number mark is not honoured here, so no text can turn into
  // unquoted JSON.
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buf.GetString(), buf.GetSize()};
}

std::string Write(const Value& value, bool pretty) {
  rapidjson::StringBuffer buf;
  if (pretty) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    WriteValue(value, w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    WriteValue(value, w);
  }
  return {buf.GetString(), buf.GetSize()};
}

bool IsNumber(const Value& v) { return v.IsNumber() || IsRaw(v); }
bool IsText(const Value& v) { return v.IsString() && !IsRaw(v); }

std::string NumberText(const Value& v) {
  if (IsRaw(v)) return {v.GetString() + 1, v.GetStringLength() - 1};
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  if (v.IsNumber()) return FormatDouble(v.GetDouble());
  return {};
}

double NumberAsDouble(const Value& v) {
  if (IsRaw(v)) {
    const std::string text(v.GetString() + 1, v.GetStringLength() - 1);
    return std::strtod(text.c_str(), nullptr);
  }
  if (v.IsNumber()) return v.GetDouble();
  return 0;
}

Value MakeRawNumber(std::string_view text, Allocator& alloc) {
  std::string marked(1, kRawNumberMark);
  marked.append(text);
  return Value(marked.data(), static_cast<rapidjson::SizeType>(marked.size()), alloc);
}

const Value* Member(const Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(
      rapidjson::StringRef(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view StringMember(const Value& object, std::string_view name) {
  const Value* v = Member(object, name);
  if (v == nullptr || !IsText(*v)) return {};
  return AsStringView(*v);
}

}  // namespace hestia::json
