// FHIRPath conversion functions (toX / convertsToX) and the clock (now, today, timeOfDay).
// FHIRPath N1: http://hl7.org/fhirpath/N1/#conversion , #utility-functions
// Thread-safety: stateless functions over one Evaluator.
#include <algorithm>
#include <cctype>

#include "functions.h"
#include "hestia/fhirpath/ucum.h"
#include "temporal.h"

namespace hestia::fhirpath {
namespace {

using F = FunctionId;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool IsIntegerText(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

bool IsPlainDecimalText(std::string_view s) {
  return s.find_first_of("eE") == std::string_view::npos;
}

// "1.5 'mg'", "4 days", "1" → Quantity.
std::optional<Item> ParseQuantityText(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  Decimal d;
  if (!ParseDecimal(s.substr(0, i), &d) || !IsPlainDecimalText(s.substr(0, i))) return std::nullopt;
  while (i < s.size() && s[i] == ' ') ++i;
  std::string_view unit = s.substr(i);
  if (unit.empty()) return Item::Quantity(d, "1");
  if (unit.size() >= 2 && unit.front() == '\'' && unit.back() == '\'') {
    return Item::Quantity(d, std::string(unit.substr(1, unit.size() - 2)));
  }
  if (ucum::IsCalendarWord(unit)) return Item::Quantity(d, std::string(unit));
  return std::nullopt;
}

std::string QuantityToString(const Item& q) {
  const std::string value = FormatDecimal(q.decimal);
  if (ucum::IsCalendarWord(q.unit)) return value + " " + q.unit;
  return value + " '" + q.unit + "'";
}

// The conversion of one System value; nullopt when it does not convert.
std::optional<Item> Convert(F fn, const Item& v) {
  switch (fn) {
    case F::kToBoolean:
    case F::kConvertsToBoolean:
      switch (v.kind) {
        case ItemKind::kBoolean:
          return v;
        case ItemKind::kInteger:
          if (v.integer == 0 || v.integer == 1) return Item::Bool(v.integer == 1);
          return std::nullopt;
        case ItemKind::kDecimal:
          if (v.decimal.value == 0 || v.decimal.value == 1) return Item::Bool(v.decimal.value == 1);
          return std::nullopt;
        case ItemKind::kString: {
          const std::string s = Lower(v.str);
          if (s == "true" || s == "t" || s == "yes" || s == "y" || s == "1" || s == "1.0") {
            return Item::Bool(true);
          }
          if (s == "false" || s == "f" || s == "no" || s == "n" || s == "0" || s == "0.0") {
            return Item::Bool(false);
          }
          return std::nullopt;
        }
        default:
          return std::nullopt;
      }
    case F::kToInteger:
    case F::kConvertsToInteger:
      if (v.kind == ItemKind::kInteger) return v;
      if (v.kind == ItemKind::kBoolean) return Item::Int(v.boolean ? 1 : 0);
      if (v.kind == ItemKind::kString && IsIntegerText(v.str) && v.str.size() < 19) {
        return Item::Int(std::stoll(v.str));
      }
      return std::nullopt;
    case F::kToDecimal:
    case F::kConvertsToDecimal: {
      if (v.kind == ItemKind::kDecimal) return v;
      if (v.kind == ItemKind::kInteger) return Item::Dec({static_cast<double>(v.integer), 0});
      if (v.kind == ItemKind::kBoolean) return Item::Dec({v.boolean ? 1.0 : 0.0, 1});
      Decimal d;
      if (v.kind == ItemKind::kString && IsPlainDecimalText(v.str) && ParseDecimal(v.str, &d)) {
        return Item::Dec(d);
      }
      return std::nullopt;
    }
    case F::kToString:
    case F::kConvertsToString:
      switch (v.kind) {
        case ItemKind::kString:
          return v;
        case ItemKind::kBoolean:
          return Item::Str(v.boolean ? "true" : "false");
        case ItemKind::kInteger:
          return Item::Str(std::to_string(v.integer));
        case ItemKind::kDecimal:
          return Item::Str(FormatDecimal(v.decimal));
        case ItemKind::kQuantity:
          return Item::Str(QuantityToString(v));
        case ItemKind::kDate:
        case ItemKind::kDateTime:
        case ItemKind::kTime:
          return Item::Str(FormatTemporal(v.kind, v.dt));
        default:
          return std::nullopt;
      }
    case F::kToDate:
    case F::kConvertsToDate: {
      if (v.kind == ItemKind::kDate) return v;
      DateTime dt = v.dt;
      bool is_date = true;
      if (v.kind == ItemKind::kString && !ParseDateTimeText(v.str, &dt, &is_date))
        return std::nullopt;
      if (v.kind != ItemKind::kString && v.kind != ItemKind::kDateTime) return std::nullopt;
      if (dt.precision > DtPrecision::kDay) dt.precision = DtPrecision::kDay;
      dt.hour = dt.minute = dt.second = dt.millis = 0;
      dt.has_tz = false;
      return Item::Temporal(ItemKind::kDate, dt);
    }
    case F::kToDateTime:
    case F::kConvertsToDateTime: {
      if (v.kind == ItemKind::kDateTime || v.kind == ItemKind::kDate) {
        return Item::Temporal(ItemKind::kDateTime, v.dt);
      }
      DateTime dt;
      bool is_date = false;
      if (v.kind == ItemKind::kString && ParseDateTimeText(v.str, &dt, &is_date)) {
        return Item::Temporal(ItemKind::kDateTime, dt);
      }
      return std::nullopt;
    }
    case F::kToTime:
    case F::kConvertsToTime: {
      if (v.kind == ItemKind::kTime) return v;
      DateTime dt;
      if (v.kind == ItemKind::kString && ParseTimeText(v.str, &dt)) {
        return Item::Temporal(ItemKind::kTime, dt);
      }
      return std::nullopt;
    }
    case F::kToQuantity:
    case F::kConvertsToQuantity:
      switch (v.kind) {
        case ItemKind::kQuantity:
          return v;
        case ItemKind::kInteger:
          return Item::Quantity({static_cast<double>(v.integer), 0}, "1");
        case ItemKind::kDecimal:
          return Item::Quantity(v.decimal, "1");
        case ItemKind::kBoolean:
          return Item::Quantity({v.boolean ? 1.0 : 0.0, 1}, "1");
        case ItemKind::kString:
          return ParseQuantityText(v.str);
        default:
          return std::nullopt;
      }
    default:
      return std::nullopt;
  }
}

bool IsConvertsTo(F fn) {
  switch (fn) {
    case F::kConvertsToBoolean:
    case F::kConvertsToInteger:
    case F::kConvertsToDate:
    case F::kConvertsToDateTime:
    case F::kConvertsToDecimal:
    case F::kConvertsToQuantity:
    case F::kConvertsToString:
    case F::kConvertsToTime:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status CallConvertFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                           Collection* out) {
  switch (node.fn) {
    case F::kNow:
      out->push_back(Item::Temporal(ItemKind::kDateTime, DateTimeFromMicros(ev.now())));
      return Status::Ok();
    case F::kToday: {
      DateTime dt = DateTimeFromMicros(ev.now());
      dt.precision = DtPrecision::kDay;
      dt.hour = dt.minute = dt.second = dt.millis = 0;
      dt.has_tz = false;
      out->push_back(Item::Temporal(ItemKind::kDate, dt));
      return Status::Ok();
    }
    case F::kTimeOfDay: {
      DateTime dt = DateTimeFromMicros(ev.now());
      dt.has_tz = false;
      out->push_back(Item::Temporal(ItemKind::kTime, dt));
      return Status::Ok();
    }
    default:
      break;
  }
  std::optional<Item> v;
  HESTIA_RETURN_IF_ERROR(ev.Single(input, &v, node.name.c_str()));
  if (!v) return Status::Ok();
  std::optional<Item> converted = v->kind == ItemKind::kNode ? std::nullopt : Convert(node.fn, *v);
  if (converted && (node.fn == F::kToQuantity || node.fn == F::kConvertsToQuantity) &&
      !node.children.empty()) {
    Collection unit_arg;
    HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &unit_arg));
    std::optional<std::string> unit;
    HESTIA_RETURN_IF_ERROR(ev.SingleString(unit_arg, &unit, node.name.c_str()));
    if (unit && *unit != converted->unit) {
      auto value = ucum::Convert(converted->decimal.value, converted->unit, *unit);
      converted =
          value ? std::optional<Item>(Item::Quantity(MakeDecimal(*value, 8), *unit)) : std::nullopt;
    }
  }
  if (IsConvertsTo(node.fn)) {
    out->push_back(Item::Bool(converted.has_value()));
  } else if (converted) {
    out->push_back(std::move(*converted));
  }
  return Status::Ok();
}

}  // namespace hestia::fhirpath
