// Per-type parsing of search values. See query_values.h.
// FHIR R4: http://hl7.org/fhir/R4/search.html#ptypes
#include "query_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "hestia/base/time.h"
#include "hestia/fhirpath/ucum.h"

namespace hestia::search::internal {
namespace {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

Status BadValue(std::string_view name, std::string_view text, std::string_view why) {
  return InvalidError("search parameter " + Quote(name) + " has an invalid value " + Quote(text) +
                          ": " + std::string(why),
                      std::string(name));
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#prefix
std::optional<Prefix> PrefixFromText(std::string_view p) {
  static constexpr std::pair<std::string_view, Prefix> kPrefixes[] = {
      {"eq", Prefix::kEq}, {"ne", Prefix::kNe}, {"gt", Prefix::kGt},
      {"lt", Prefix::kLt}, {"ge", Prefix::kGe}, {"le", Prefix::kLe},
      {"sa", Prefix::kSa}, {"eb", Prefix::kEb}, {"ap", Prefix::kAp}};
  for (const auto& [text, prefix] : kPrefixes) {
    if (text == p) return prefix;
  }
  return std::nullopt;
}

// Strips the prefix of a number, date or quantity value. Two leading letters are always a
// prefix (no number or date starts with a letter), so unknown ones are reported, not read as
// part of the value.
Status TakePrefix(std::string_view* text, Prefix* prefix, std::string_view name,
                  const ValueContext& context) {
  *prefix = Prefix::kEq;
  if (text->size() < 2 || !std::isalpha(static_cast<unsigned char>((*text)[0])) ||
      !std::isalpha(static_cast<unsigned char>((*text)[1]))) {
    return Status::Ok();
  }
  const std::string_view candidate = text->substr(0, 2);
  std::optional<Prefix> p = PrefixFromText(candidate);
  if (!p) {
    if (context.ignorable != nullptr) *context.ignorable = true;
    return InvalidError("search parameter " + Quote(name) + " uses the unknown prefix " +
                            Quote(candidate) + " (allowed: eq ne gt lt ge le sa eb ap)",
                        std::string(name));
  }
  *prefix = *p;
  text->remove_prefix(2);
  return Status::Ok();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// [+-]digits[.digits][(e|E)[+-]digits]
bool IsDecimal(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::string_view mantissa = s;
  std::string_view exponent;
  bool has_exponent = false;
  if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
    mantissa = s.substr(0, e);
    exponent = s.substr(e + 1);
    has_exponent = true;
  }
  if (has_exponent) {
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
    if (!AllDigits(exponent)) return false;
  }
  const auto dot = mantissa.find('.');
  if (dot == std::string_view::npos) return AllDigits(mantissa);
  return AllDigits(mantissa.substr(0, dot)) && AllDigits(mantissa.substr(dot + 1));
}

std::optional<double> ToDouble(std::string_view s) {
  if (!IsDecimal(s)) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

bool IsResourceTypeName(std::string_view s) {
  return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; });
}

// FHIR id: [A-Za-z0-9\-\.]{1,64}
bool IsFhirId(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
}

bool IsAbsoluteUrl(std::string_view s) {
  if (s.rfind("urn:", 0) == 0) return true;
  const auto colon = s.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
  });
}

Result<SearchValue> ParseToken(std::string_view text, std::string_view name) {
  const auto parts = SplitUnescaped(text, '|');
  SearchValue v;
  if (parts.size() == 1) {
    v.token.code = Unescape(parts[0]);
  } else if (parts.size() == 2) {
    v.token.has_system = true;
    v.token.system = Unescape(parts[0]);
    v.token.code = Unescape(parts[1]);
    if (v.token.system.empty() && v.token.code.empty()) {
      return BadValue(name, text, "a token needs a system, a code or both");
    }
  } else {
    return BadValue(name, text, "a token is [system|]code; escape '|' inside a code as '\\|'");
  }
  return v;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#token (:of-type): type-system|type-code|value.
Result<SearchValue> ParseOfType(std::string_view text, std::string_view name) {
  const auto parts = SplitUnescaped(text, '|');
  if (parts.size() != 3) {
    return BadValue(name, text, ":of-type takes [type-system]|[type-code]|[identifier value]");
  }
  SearchValue v;
  v.token.has_system = true;
  v.token.system = Unescape(parts[0]);
  v.token.code = Unescape(parts[1]);
  v.text = Unescape(parts[2]);
  if (v.token.system.empty() || v.token.code.empty() || v.text.empty()) {
    return BadValue(name, text, ":of-type needs all three parts: system|code|value");
  }
  return v;
}

Result<SearchValue> ParseNumber(std::string_view text, std::string_view name,
                                const ValueContext& context) {
  SearchValue v;
  std::string_view rest = text;
  HESTIA_RETURN_IF_ERROR(TakePrefix(&rest, &v.prefix, name, context));
  if (!IsDecimal(rest)) return BadValue(name, text, "not a number");
  v.number = std::string(rest);
  return v;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#quantity
Result<SearchValue> ParseQuantity(std::string_view text, std::string_view name,
                                  const ValueContext& context) {
  SearchValue v;
  std::string_view rest = text;
  HESTIA_RETURN_IF_ERROR(TakePrefix(&rest, &v.prefix, name, context));
  const auto parts = SplitUnescaped(rest, '|');
  if (parts.size() != 1 && parts.size() != 3) {
    return BadValue(name, text, "a quantity is [prefix]number, number|system|code or number||code");
  }
  if (!IsDecimal(parts[0])) return BadValue(name, text, "the quantity's number is not a decimal");
  v.quantity.number = std::string(parts[0]);
  if (parts.size() == 3) {
    v.quantity.system = Unescape(parts[1]);
    v.quantity.has_system = !v.quantity.system.empty();
    v.quantity.code = Unescape(parts[2]);
    if (v.quantity.has_system && v.quantity.code.empty()) {
      return BadValue(name, text, "a quantity with a system needs a code");
    }
  }
  return v;
}

// Type/id, Type/id/_history/n; fills type and id or fails.
Status ParseRelative(std::string_view s, ReferenceValue* out, std::string_view name,
                     std::string_view text) {
  std::vector<std::string_view> segments;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '/') {
      segments.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  if (segments.size() == 1) {
    if (!IsFhirId(segments[0])) return BadValue(name, text, "not a resource id or reference");
    out->id = std::string(segments[0]);
    return Status::Ok();
  }
  const bool history = segments.size() == 4 && segments[2] == "_history" && IsFhirId(segments[3]);
  if ((segments.size() != 2 && !history) || !IsResourceTypeName(segments[0]) ||
      !IsFhirId(segments[1])) {
    return BadValue(name, text, "a reference is [Type/]id, Type/id/_history/n or an absolute URL");
  }
  out->type = std::string(segments[0]);
  out->id = std::string(segments[1]);
  return Status::Ok();
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#reference
Result<SearchValue> ParseReference(const SearchParameterDef& def, Modifier modifier,
                                   std::string_view target_type, std::string_view text,
                                   std::string_view name, const ValueContext& context) {
  if (modifier == Modifier::kIdentifier) return ParseToken(text, name);
  SearchValue v;
  ReferenceValue& r = v.reference;
  // A canonical reference may carry "|version"; the version is not matched.
  const auto parts = SplitUnescaped(text, '|');
  const std::string s = Unescape(parts[0]);
  if (s.empty()) return BadValue(name, text, "empty reference");
  if (IsAbsoluteUrl(s)) {
    std::string_view base = context.options->base_url;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    const std::string_view view = s;
    if (parts.size() == 1 && !base.empty() && view.size() > base.size() + 1 &&
        view.substr(0, base.size()) == base && view[base.size()] == '/') {
      HESTIA_RETURN_IF_ERROR(ParseRelative(view.substr(base.size() + 1), &r, name, text));
      if (r.type.empty()) {
        return BadValue(name, text, "a reference on this server's base needs Type/id");
      }
    } else {
      r.url = s;
    }
  } else {
    if (parts.size() != 1) return BadValue(name, text, "only canonical URLs take '|version'");
    HESTIA_RETURN_IF_ERROR(ParseRelative(s, &r, name, text));
  }
  if (modifier == Modifier::kType) {
    if (!r.url.empty()) return BadValue(name, text, "with a :[type] modifier the value is an id");
    if (r.type.empty()) {
      r.type = std::string(target_type);
    } else if (r.type != target_type) {
      return BadValue(name, text, "the reference's type differs from the modifier's");
    }
  }
  if (!r.type.empty() && !def.target.empty() &&
      std::find(def.target.begin(), def.target.end(), r.type) == def.target.end()) {
    return BadValue(name, text,
                    r.type + " is not a target type of search parameter " + Quote(def.code));
  }
  return v;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#composite
Result<SearchValue> ParseComposite(const SearchParameterDef& def, std::string_view text,
                                   std::string_view name, const ValueContext& context) {
  const auto parts = SplitUnescaped(text, '$');
  if (parts.size() != def.components.size()) {
    return BadValue(name, text,
                    "a value of this composite has " + std::to_string(def.components.size()) +
                        " parts separated by '$'");
  }
  SearchValue v;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const SearchParameterDef* component = context.registry->FindByUrl(def.components[i].definition);
    if (component == nullptr || component->type == "composite" || component->type == "special") {
      if (context.ignorable != nullptr) *context.ignorable = true;
      return NotSupportedError("search parameter " + Quote(name) + ": component " +
                               def.components[i].definition + " is not supported");
    }
    HESTIA_ASSIGN_OR_RETURN(SearchValue part,
                            ParseValue(*component, Modifier::kNone, "", parts[i], name, context));
    v.components.push_back(std::move(part));
  }
  return v;
}

}  // namespace

std::vector<std::string_view> SplitUnescaped(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    } else if (s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string Unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == ',' || s[i + 1] == '$' || s[i + 1] == '|' || s[i + 1] == '\\')) {
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

Result<SearchValue> ParseMissingValue(std::string_view text, std::string_view name) {
  SearchValue v;
  if (text == "true") {
    v.missing = true;
  } else if (text != "false") {
    return BadValue(name, text, ":missing takes true or false");
  }
  return v;
}

// FHIR R4: http://hl7.org/fhir/R4/search.html#date
Result<SearchValue> ParseDateValue(std::string_view text, std::string_view name,
                                   const ValueContext& context) {
  SearchValue v;
  std::string_view rest = text;
  HESTIA_RETURN_IF_ERROR(TakePrefix(&rest, &v.prefix, name, context));
  // An unencoded '+' of a zone offset arrives as a space (form decoding); read it back.
  std::string date(rest);
  if (date.find('T') != std::string::npos) std::replace(date.begin(), date.end(), ' ', '+');
  auto range = ParseFhirDateTime(date);
  if (!range.ok()) return BadValue(name, text, range.status().message());
  v.date = *range;
  return v;
}

// FHIR R4: http://hl7.org/fhir/R4/location.html#positional
Result<SearchValue> ParseNearValue(std::string_view text, std::string_view name) {
  const auto parts = SplitUnescaped(text, '|');
  if (parts.size() < 2 || parts.size() > 4) {
    return BadValue(name, text, "near is latitude|longitude[|distance[|unit]]");
  }
  SearchValue v;
  std::optional<double> lat = ToDouble(parts[0]);
  std::optional<double> lon = ToDouble(parts[1]);
  if (!lat || *lat < -90 || *lat > 90) return BadValue(name, text, "latitude not in [-90, 90]");
  if (!lon || *lon < -180 || *lon > 180) {
    return BadValue(name, text, "longitude not in [-180, 180]");
  }
  v.near.latitude = *lat;
  v.near.longitude = *lon;
  if (parts.size() >= 3 && !parts[2].empty()) {
    std::optional<double> distance = ToDouble(parts[2]);
    if (!distance || *distance <= 0) return BadValue(name, text, "distance must be positive");
    const std::string unit = parts.size() == 4 ? Unescape(parts[3]) : std::string("km");
    std::optional<double> km = fhirpath::ucum::Convert(*distance, unit.empty() ? "km" : unit, "km");
    if (!km) return BadValue(name, text, Quote(unit) + " is not a UCUM length unit");
    v.near.distance_km = *km;
  } else if (parts.size() == 4 && !parts[3].empty()) {
    return BadValue(name, text, "a unit without a distance");
  }
  return v;
}

bool IsIdentifierToken(const SearchParameterDef& def, std::string_view resource_type) {
  if (def.code == "identifier") return true;
  std::string expression = def.ExpressionFor(resource_type);
  if (expression.empty()) expression = def.expression;
  constexpr std::string_view kElement = ".identifier";
  std::string_view e = expression;
  for (std::size_t at = e.find(kElement); at != std::string_view::npos;
       at = e.find(kElement, at + 1)) {
    const std::size_t end = at + kElement.size();
    if (end == e.size() || e[end] == ' ' || e[end] == '.' || e[end] == ')' || e[end] == '|') {
      return true;
    }
  }
  return false;
}

Result<SearchValue> ParseValue(const SearchParameterDef& def, Modifier modifier,
                               std::string_view target_type, std::string_view text,
                               std::string_view name, const ValueContext& context) {
  if (modifier == Modifier::kMissing) return ParseMissingValue(text, name);
  if (text.empty()) return BadValue(name, text, "empty value");
  const std::string& type = def.type;
  if (type == "string" || type == "uri") {
    SearchValue v;
    v.text = Unescape(text);
    return v;
  }
  if (type == "token") {
    if (modifier == Modifier::kText) {
      SearchValue v;
      v.text = Unescape(text);
      return v;
    }
    if (modifier == Modifier::kOfType) return ParseOfType(text, name);
    return ParseToken(text, name);
  }
  if (type == "number") return ParseNumber(text, name, context);
  if (type == "date") return ParseDateValue(text, name, context);
  if (type == "quantity") return ParseQuantity(text, name, context);
  if (type == "reference") return ParseReference(def, modifier, target_type, text, name, context);
  if (type == "composite") return ParseComposite(def, text, name, context);
  if (context.ignorable != nullptr) *context.ignorable = true;
  return NotSupportedError("search parameter " + Quote(name) + " of type " + type +
                           " is not supported");
}

}  // namespace hestia::search::internal
