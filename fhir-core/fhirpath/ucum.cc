// UCUM unit parsing and conversion. See ucum.h.
// The atom table below transcribes definitions from the UCUM specification
// (https://ucum.org/ucum, ucum-essence.xml): each atom is a value times a UCUM expression
// over earlier atoms, resolved by the same parser, so derived units are not hand-multiplied.
// Thread-safety: stateless functions over immutable tables.
#include "hestia/fhirpath/ucum.h"

#include <cmath>
#include <cstdlib>

namespace hestia::fhirpath::ucum {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Prefix {
  std::string_view code;
  double factor;
};
constexpr Prefix kPrefixes[] = {
    {"Y", 1e24}, {"Z", 1e21},  {"E", 1e18},  {"P", 1e15},  {"T", 1e12},  {"G", 1e9},  {"M", 1e6},
    {"k", 1e3},  {"h", 1e2},   {"da", 1e1},  {"d", 1e-1},  {"c", 1e-2},  {"m", 1e-3}, {"u", 1e-6},
    {"n", 1e-9}, {"p", 1e-12}, {"f", 1e-15}, {"a", 1e-18}, {"z", 1e-21}, {"y", 1e-24}};

struct Atom {
  std::string_view code;
  double value;
  std::string_view definition;  // UCUM expression; "" for base units
  int base_index;               // index into Dimensions for base units, else -1
  bool metric;                  // may take a prefix
};

// Base units, then derived atoms in dependency order.
constexpr Atom kAtoms[] = {
    {"m", 1, "", 0, true},
    {"g", 1, "", 1, true},
    {"s", 1, "", 2, true},
    {"rad", 1, "", 3, true},
    {"K", 1, "", 4, true},
    {"C", 1, "", 5, true},
    {"cd", 1, "", 6, true},
    {"10*", 10, "1", -1, false},
    {"10^", 10, "1", -1, false},
    {"[pi]", kPi, "1", -1, false},
    {"%", 1e-2, "1", -1, false},
    {"[ppth]", 1e-3, "1", -1, false},
    {"[ppm]", 1e-6, "1", -1, false},
    {"[ppb]", 1e-9, "1", -1, false},
    {"mol", 6.0221367e23, "1", -1, true},
    {"sr", 1, "rad2", -1, true},
    {"Hz", 1, "s-1", -1, true},
    {"N", 1, "kg.m/s2", -1, true},
    {"Pa", 1, "N/m2", -1, true},
    {"J", 1, "N.m", -1, true},
    {"W", 1, "J/s", -1, true},
    {"A", 1, "C/s", -1, true},
    {"V", 1, "J/C", -1, true},
    {"F", 1, "C/V", -1, true},
    {"Ohm", 1, "V/A", -1, true},
    {"S", 1, "Ohm-1", -1, true},
    {"Wb", 1, "V.s", -1, true},
    {"T", 1, "Wb/m2", -1, true},
    {"H", 1, "Wb/A", -1, true},
    {"lm", 1, "cd.sr", -1, true},
    {"lx", 1, "lm/m2", -1, true},
    {"Bq", 1, "s-1", -1, true},
    {"Gy", 1, "J/kg", -1, true},
    {"Sv", 1, "J/kg", -1, true},
    {"deg", 2 * kPi / 360, "rad", -1, false},
    {"gon", 0.9, "deg", -1, false},
    {"'", 1.0 / 60, "deg", -1, false},
    {"''", 1.0 / 60, "'", -1, false},
    {"l", 1, "dm3", -1, true},
    {"L", 1, "l", -1, true},
    {"ar", 100, "m2", -1, true},
    {"min", 60, "s", -1, false},
    {"h", 60, "min", -1, false},
    {"d", 24, "h", -1, false},
    {"a_t", 365.24219, "d", -1, false},
    {"a_j", 365.25, "d", -1, false},
    {"a_g", 365.2425, "d", -1, false},
    {"a", 1, "a_j", -1, false},
    {"wk", 7, "d", -1, false},
    {"mo_s", 29.53059, "d", -1, false},
    {"mo_j", 1, "a_j/12", -1, false},
    {"mo_g", 1, "a_g/12", -1, false},
    {"mo", 1, "mo_j", -1, false},
    {"t", 1e3, "kg", -1, true},
    {"bar", 1e5, "Pa", -1, true},
    {"u", 1.6605402e-24, "g", -1, true},
    {"eV", 1.60217733e-19, "J", -1, true},
    {"atm", 101325, "Pa", -1, false},
    {"kat", 1, "mol/s", -1, true},
    {"U", 1, "umol/min", -1, true},
    {"cal", 4.184, "J", -1, true},
    {"[Cal]", 1, "kcal", -1, false},
    {"g%", 1, "g/dl", -1, true},
    {"m[H2O]", 9.80665, "kPa", -1, true},
    {"m[Hg]", 133.3220, "kPa", -1, true},
    {"[g]", 9.80665, "m/s2", -1, false},
    {"[in_i]", 2.54, "cm", -1, false},
    {"[ft_i]", 12, "[in_i]", -1, false},
    {"[yd_i]", 3, "[ft_i]", -1, false},
    {"[mi_i]", 5280, "[ft_i]", -1, false},
    {"[nmi_i]", 1852, "m", -1, false},
    {"[lb_av]", 453.59237, "g", -1, false},
    {"[oz_av]", 1.0 / 16, "[lb_av]", -1, false},
    {"[dr_av]", 1.0 / 16, "[oz_av]", -1, false},
    {"[gr]", 64.79891, "mg", -1, false},
    {"[stone_av]", 14, "[lb_av]", -1, false},
    {"[lbf_av]", 1, "[lb_av].[g]", -1, false},
    {"[psi]", 1, "[lbf_av]/[in_i]2", -1, false},
    {"[gal_us]", 231, "[in_i]3", -1, false},
    {"[qt_us]", 1.0 / 4, "[gal_us]", -1, false},
    {"[pt_us]", 1.0 / 2, "[qt_us]", -1, false},
    {"[cup_us]", 1.0 / 2, "[pt_us]", -1, false},
    {"[foz_us]", 1.0 / 16, "[pt_us]", -1, false},
    {"[tbs_us]", 1.0 / 2, "[foz_us]", -1, false},
    {"[tsp_us]", 1.0 / 3, "[tbs_us]", -1, false},
    {"[gal_br]", 4.54609, "l", -1, false},
    {"[pt_br]", 1.0 / 8, "[gal_br]", -1, false},
};

constexpr int kMaxDefinitionDepth = 16;

std::optional<Canonical> ParseTerm(std::string_view s, int depth);

const Atom* FindAtom(std::string_view code) {
  for (const Atom& a : kAtoms) {
    if (a.code == code) return &a;
  }
  return nullptr;
}

std::optional<Canonical> AtomCanonical(const Atom& atom, int depth) {
  Canonical c;
  if (atom.base_index >= 0) {
    c.dims[static_cast<std::size_t>(atom.base_index)] = 1;
    return c;
  }
  auto def = ParseTerm(atom.definition, depth + 1);
  if (!def) return std::nullopt;
  def->factor *= atom.value;
  return def;
}

Canonical Power(Canonical c, int exponent) {
  c.factor = std::pow(c.factor, exponent);
  for (auto& d : c.dims) d = static_cast<int8_t>(d * exponent);
  return c;
}

// A simple unit with an optional exponent: "mg", "m2", "s-1", "10*3", "[in_i]3", "Cel".
std::optional<Canonical> ParseSimple(std::string_view s, int depth) {
  if (s.empty()) return std::nullopt;
  bool all_digits = true;
  for (char c : s) all_digits = all_digits && c >= '0' && c <= '9';
  if (all_digits) {
    if (s.size() > 15) return std::nullopt;
    Canonical c;
    c.factor = std::strtod(std::string(s).c_str(), nullptr);
    return c;
  }
  if (s == "Cel" || s == "[degF]") {
    Canonical c;
    c.dims[4] = 1;
    c.special = true;
    c.factor = s == "Cel" ? 1.0 : 5.0 / 9.0;
    c.offset = s == "Cel" ? 273.15 : 459.67 * 5.0 / 9.0;
    return c;
  }
  std::string_view symbol = s;
  int exponent = 1;
  if (s.substr(0, 3) == "10*" || s.substr(0, 3) == "10^") {
    symbol = s.substr(0, 3);
    const std::string rest(s.substr(3));
    if (rest.empty()) return std::nullopt;
    char* end = nullptr;
    exponent = static_cast<int>(std::strtol(rest.c_str(), &end, 10));
    if (*end != '\0' || std::abs(exponent) > 30) return std::nullopt;
  } else {
    std::size_t i = s.size();
    while (i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9') --i;
    if (i > 0 && i < s.size() && (s[i - 1] == '-' || s[i - 1] == '+')) --i;
    if (i > 0 && i < s.size()) {
      const std::string digits(s.substr(i));
      exponent = static_cast<int>(std::strtol(digits.c_str(), nullptr, 10));
      if (std::abs(exponent) > 30) return std::nullopt;
      symbol = s.substr(0, i);
    }
  }
  std::optional<Canonical> base;
  if (const Atom* atom = FindAtom(symbol)) {
    base = AtomCanonical(*atom, depth);
  } else {
    for (const Prefix& p : kPrefixes) {
      if (symbol.size() <= p.code.size() || symbol.substr(0, p.code.size()) != p.code) continue;
      const Atom* atom = FindAtom(symbol.substr(p.code.size()));
      if (atom == nullptr || !atom->metric) continue;
      base = AtomCanonical(*atom, depth);
      if (base) base->factor *= p.factor;
      break;
    }
  }
  if (!base) return std::nullopt;
  return Power(*base, exponent);
}

void Multiply(Canonical* into, const Canonical& c, int sign) {
  into->factor = sign > 0 ? into->factor * c.factor : into->factor / c.factor;
  for (std::size_t i = 0; i < into->dims.size(); ++i) {
    into->dims[i] = static_cast<int8_t>(into->dims[i] + sign * c.dims[i]);
  }
}

// term := ['/'] component (('.' | '/') component)*; component := simple | '(' term ')' |
// {annotation}; a simple unit may carry an {annotation} suffix.
std::optional<Canonical> ParseTerm(std::string_view s, int depth) {
  if (depth > kMaxDefinitionDepth || s.empty()) return std::nullopt;
  Canonical result;
  std::size_t i = 0;
  int sign = 1;
  int count = 0;
  bool special = false;
  if (s[0] == '/') {
    sign = -1;
    i = 1;
  }
  while (i <= s.size()) {
    std::optional<Canonical> part;
    if (i < s.size() && s[i] == '(') {
      int level = 0;
      std::size_t j = i;
      for (; j < s.size(); ++j) {
        if (s[j] == '(') ++level;
        if (s[j] == ')' && --level == 0) break;
      }
      if (j >= s.size()) return std::nullopt;
      part = ParseTerm(s.substr(i + 1, j - i - 1), depth + 1);
      i = j + 1;
    } else {
      std::size_t j = i;
      int brackets = 0;
      while (j < s.size() && (brackets > 0 || (s[j] != '.' && s[j] != '/'))) {
        if (s[j] == '[' || s[j] == '{') ++brackets;
        if (s[j] == ']' || s[j] == '}') --brackets;
        ++j;
      }
      std::string_view text = s.substr(i, j - i);
      // Strip a trailing {annotation}; an annotation alone means '1'.
      const auto brace = text.find('{');
      if (brace != std::string_view::npos) {
        if (text.back() != '}') return std::nullopt;
        text = text.substr(0, brace);
      }
      part = text.empty() && brace != std::string_view::npos ? std::optional<Canonical>(Canonical{})
                                                             : ParseSimple(text, depth);
      i = j;
    }
    if (!part) return std::nullopt;
    special = special || part->special;
    ++count;
    if (part->special) result.offset = part->offset;
    Multiply(&result, *part, sign);
    if (i >= s.size()) break;
    sign = s[i] == '/' ? -1 : 1;
    ++i;
    if (i >= s.size()) return std::nullopt;
  }
  if (special && (count != 1 || sign < 0)) return std::nullopt;
  result.special = special;
  return result;
}

}  // namespace

std::optional<Canonical> Parse(std::string_view unit) {
  if (unit.size() > 200) return std::nullopt;
  if (unit == "1") return Canonical{};
  return ParseTerm(unit, 0);
}

std::optional<double> Convert(double value, std::string_view from, std::string_view to) {
  if (from == to) return value;
  auto a = Parse(from);
  auto b = Parse(to);
  if (!a || !b || a->dims != b->dims) return std::nullopt;
  const double base = value * a->factor + a->offset;
  return (base - b->offset) / b->factor;
}

std::string_view CalendarToUcum(std::string_view w) {
  if (!w.empty() && w.back() == 's') w.remove_suffix(1);
  if (w == "year") return "a";
  if (w == "month") return "mo";
  if (w == "week") return "wk";
  if (w == "day") return "d";
  if (w == "hour") return "h";
  if (w == "minute") return "min";
  if (w == "second") return "s";
  if (w == "millisecond") return "ms";
  return {};
}

bool IsCalendarWord(std::string_view word) { return !CalendarToUcum(word).empty(); }

bool IsCalendarYearOrMonth(std::string_view w) {
  return w == "year" || w == "years" || w == "month" || w == "months";
}

}  // namespace hestia::fhirpath::ucum
