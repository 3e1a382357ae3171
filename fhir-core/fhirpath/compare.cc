// Equality, equivalence and ordering of FHIRPath items. See compare.h.
// FHIRPath N1: http://hl7.org/fhirpath/N1/#equality
// Thread-safety: stateless functions.
#include "compare.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "hestia/fhirpath/model.h"
#include "hestia/fhirpath/ucum.h"
#include "navigation.h"
#include "temporal.h"

namespace hestia::fhirpath {
namespace {

bool NearlyEqual(double a, double b) {
  return std::fabs(a - b) <= 1e-12 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

bool IsNumeric(const Item& i) {
  return i.kind == ItemKind::kInteger || i.kind == ItemKind::kDecimal;
}
double NumberOf(const Item& i) {
  return i.kind == ItemKind::kInteger ? static_cast<double>(i.integer) : i.decimal.value;
}
int ScaleOf(const Item& i) { return i.kind == ItemKind::kInteger ? 0 : i.decimal.scale; }
bool IsTemporal(ItemKind k) {
  return k == ItemKind::kDate || k == ItemKind::kDateTime || k == ItemKind::kTime;
}

bool JsonEqual(const json::Value& a, const json::Value& b) {
  if (json::IsNumber(a) || json::IsNumber(b)) {
    return json::IsNumber(a) && json::IsNumber(b) &&
           NearlyEqual(json::NumberAsDouble(a), json::NumberAsDouble(b));
  }
  if (a.GetType() != b.GetType()) return false;
  switch (a.GetType()) {
    case rapidjson::kStringType:
      return json::AsStringView(a) == json::AsStringView(b);
    case rapidjson::kArrayType: {
      if (a.Size() != b.Size()) return false;
      for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
        if (!JsonEqual(a[i], b[i])) return false;
      }
      return true;
    }
    case rapidjson::kObjectType: {
      if (a.MemberCount() != b.MemberCount()) return false;
      for (auto m = a.MemberBegin(); m != a.MemberEnd(); ++m) {
        auto other = b.FindMember(m->name);
        if (other == b.MemberEnd() || !JsonEqual(m->value, other->value)) return false;
      }
      return true;
    }
    default:
      return a == b;
  }
}

bool NodesEqual(const Item& a, const Item& b) {
  if (a.json == b.json && a.ext == b.ext) return true;
  if ((a.json == nullptr) != (b.json == nullptr)) return false;
  if (a.json != nullptr && !JsonEqual(*a.json, *b.json)) return false;
  if ((a.ext == nullptr) != (b.ext == nullptr)) return false;
  return a.ext == nullptr || JsonEqual(*a.ext, *b.ext);
}

// Normalises a calendar keyword ("weeks") to UCUM ("wk"); year/month stay calendar words.
std::string QuantityUnit(const std::string& unit, bool* calendar_year_month) {
  *calendar_year_month = ucum::IsCalendarYearOrMonth(unit);
  if (*calendar_year_month) {
    std::string u = unit;
    if (u.back() == 's') u.pop_back();
    return u;
  }
  const std::string_view mapped = ucum::CalendarToUcum(unit);
  return mapped.empty() ? unit : std::string(mapped);
}

// Converts b's value into a's unit. nullopt when the units are not comparable.
std::optional<double> ValueInUnitOf(const Item& a, const Item& b) {
  bool a_cal = false;
  bool b_cal = false;
  const std::string ua = QuantityUnit(a.unit, &a_cal);
  const std::string ub = QuantityUnit(b.unit, &b_cal);
  if (a_cal || b_cal) {
    if (ua == ub) return b.decimal.value;
    if (a_cal && b_cal) {
      if (ua == "year" && ub == "month") return b.decimal.value / 12;
      if (ua == "month" && ub == "year") return b.decimal.value * 12;
    }
    return std::nullopt;
  }
  return ucum::Convert(b.decimal.value, ub, ua);
}

std::string NormalizeWhitespaceLower(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

double RoundTo(double v, int scale) {
  const double f = std::pow(10.0, scale);
  return std::round(v * f) / f;
}

// An item as a System value, without copying when it already is one.
class SystemView {
 public:
  explicit SystemView(const Item& in) : ptr_(&in) {
    if (in.kind == ItemKind::kNode) {
      ok_ = ToSystem(in, &own_);
      ptr_ = &own_;
    }
  }
  SystemView(const SystemView&) = delete;
  SystemView& operator=(const SystemView&) = delete;
  bool ok() const { return ok_; }
  const Item& operator*() const { return *ptr_; }
  const Item* operator->() const { return ptr_; }
  void Replace(Item v) {
    own_ = std::move(v);
    ptr_ = &own_;
  }

 private:
  const Item* ptr_;
  Item own_;
  bool ok_ = true;
};

// Brings String vs Date/DateTime/Time pairs to the temporal kind so they compare.
void CoerceStringToTemporal(SystemView* a, SystemView* b) {
  if ((*a)->kind == ItemKind::kString && IsTemporal((*b)->kind)) std::swap(a, b);
  if (!(IsTemporal((*a)->kind) && (*b)->kind == ItemKind::kString)) return;
  DateTime dt;
  bool is_date = false;
  if ((*a)->kind == ItemKind::kTime) {
    if (ParseTimeText((*b)->str, &dt)) b->Replace(Item::Temporal(ItemKind::kTime, dt));
  } else if (ParseDateTimeText((*b)->str, &dt, &is_date)) {
    b->Replace(Item::Temporal(is_date ? ItemKind::kDate : ItemKind::kDateTime, dt));
  }
}

}  // namespace

std::optional<bool> ItemsEqual(const Item& a_in, const Item& b_in) {
  // Fast path: two strings (FHIR string-like nodes or System Strings) without conversion.
  std::string_view ta;
  std::string_view tb;
  const bool a_text = a_in.kind == ItemKind::kString ? (ta = a_in.str, true) : NodeText(a_in, &ta);
  const bool b_text = b_in.kind == ItemKind::kString ? (tb = b_in.str, true) : NodeText(b_in, &tb);
  const auto plain = [](const Item& i) {
    return i.kind == ItemKind::kString ||
           (i.type != nullptr && i.type->name() != "date" && i.type->name() != "dateTime" &&
            i.type->name() != "instant" && i.type->name() != "time");
  };
  if (a_text && b_text && plain(a_in) && plain(b_in)) return ta == tb;

  SystemView va(a_in);
  SystemView vb(b_in);
  const bool a_value = va.ok();
  const bool b_value = vb.ok();
  if (a_in.kind == ItemKind::kNode && b_in.kind == ItemKind::kNode && !a_value && !b_value) {
    return NodesEqual(a_in, b_in);
  }
  if (!a_value || !b_value) return false;
  CoerceStringToTemporal(&va, &vb);
  const Item& a = *va;
  const Item& b = *vb;
  if (IsNumeric(a) && IsNumeric(b)) {
    if (a.kind == ItemKind::kInteger && b.kind == ItemKind::kInteger) return a.integer == b.integer;
    return NearlyEqual(NumberOf(a), NumberOf(b));
  }
  if (a.kind != b.kind) {
    if ((a.kind == ItemKind::kDate && b.kind == ItemKind::kDateTime) ||
        (a.kind == ItemKind::kDateTime && b.kind == ItemKind::kDate)) {
      auto c = CompareTemporal(a.kind, a.dt, b.kind, b.dt);
      if (!c) return std::nullopt;
      return *c == 0;
    }
    return false;
  }
  switch (a.kind) {
    case ItemKind::kBoolean:
      return a.boolean == b.boolean;
    case ItemKind::kString:
      return a.str == b.str;
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime: {
      auto c = CompareTemporal(a.kind, a.dt, b.kind, b.dt);
      if (!c) return std::nullopt;
      return *c == 0;
    }
    case ItemKind::kQuantity: {
      auto v = ValueInUnitOf(a, b);
      if (!v) return std::nullopt;
      return NearlyEqual(a.decimal.value, *v);
    }
    case ItemKind::kTypeInfo:
      return a.str == b.str && a.unit == b.unit;
    default:
      return false;
  }
}

bool ItemsEquivalent(const Item& a_in, const Item& b_in) {
  SystemView va(a_in);
  SystemView vb(b_in);
  const bool a_value = va.ok();
  const bool b_value = vb.ok();
  if (a_in.kind == ItemKind::kNode && b_in.kind == ItemKind::kNode && !a_value && !b_value) {
    return NodesEqual(a_in, b_in);
  }
  if (!a_value || !b_value) return false;
  CoerceStringToTemporal(&va, &vb);
  const Item& a = *va;
  const Item& b = *vb;
  if (IsNumeric(a) && IsNumeric(b)) {
    const int scale = std::min(ScaleOf(a), ScaleOf(b));
    return RoundTo(NumberOf(a), scale) == RoundTo(NumberOf(b), scale);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ItemKind::kBoolean:
      return a.boolean == b.boolean;
    case ItemKind::kString:
      return NormalizeWhitespaceLower(a.str) == NormalizeWhitespaceLower(b.str);
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime: {
      auto c = CompareTemporal(a.kind, a.dt, b.kind, b.dt);
      return c.has_value() && *c == 0;
    }
    case ItemKind::kQuantity: {
      bool a_cal = false;
      bool b_cal = false;
      const std::string ua = QuantityUnit(a.unit, &a_cal);
      const std::string ub = QuantityUnit(b.unit, &b_cal);
      std::optional<double> v;
      if ((ua == "year" && ub == "a") || (ua == "month" && ub == "mo")) {
        v = b.decimal.value;
      } else {
        v = ValueInUnitOf(a, b);
      }
      if (!v) return false;
      const int scale = std::min(a.decimal.scale, b.decimal.scale);
      return RoundTo(a.decimal.value, scale) == RoundTo(*v, scale);
    }
    case ItemKind::kTypeInfo:
      return a.str == b.str && a.unit == b.unit;
    default:
      return false;
  }
}

Status CompareItems(const Item& a_in, const Item& b_in, std::optional<int>* out) {
  SystemView va(a_in);
  SystemView vb(b_in);
  *out = std::nullopt;
  if (!va.ok() || !vb.ok()) {
    if (a_in.kind == ItemKind::kNode && a_in.json == nullptr) return Status::Ok();
    if (b_in.kind == ItemKind::kNode && b_in.json == nullptr) return Status::Ok();
    return InvalidError("cannot compare " + TypeNameOf(a_in) + " with " + TypeNameOf(b_in));
  }
  CoerceStringToTemporal(&va, &vb);
  const Item& a = *va;
  const Item& b = *vb;
  if (IsNumeric(a) && IsNumeric(b)) {
    const double x = NumberOf(a);
    const double y = NumberOf(b);
    *out = NearlyEqual(x, y) ? 0 : (x < y ? -1 : 1);
    return Status::Ok();
  }
  const bool date_mix = (a.kind == ItemKind::kDate || a.kind == ItemKind::kDateTime) &&
                        (b.kind == ItemKind::kDate || b.kind == ItemKind::kDateTime);
  if (a.kind != b.kind && !date_mix) {
    return InvalidError("cannot compare " + TypeNameOf(a) + " with " + TypeNameOf(b));
  }
  switch (a.kind) {
    case ItemKind::kString:
      *out = a.str.compare(b.str) < 0 ? -1 : (a.str == b.str ? 0 : 1);
      break;
    case ItemKind::kBoolean:
      *out = static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
      break;
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime:
      *out = CompareTemporal(a.kind, a.dt, b.kind, b.dt);
      break;
    case ItemKind::kQuantity: {
      auto v = ValueInUnitOf(a, b);
      if (!v)
        return InvalidError("cannot compare quantities in '" + a.unit + "' and '" + b.unit + "'");
      *out = NearlyEqual(a.decimal.value, *v) ? 0 : (a.decimal.value < *v ? -1 : 1);
      break;
    }
    default:
      return InvalidError("cannot order values of type " + TypeNameOf(a));
  }
  return Status::Ok();
}

std::optional<bool> CollectionsEqual(const Collection& a, const Collection& b) {
  if (a.empty() || b.empty()) return std::nullopt;
  if (a.size() != b.size()) return false;
  bool unknown = false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto eq = ItemsEqual(a[i], b[i]);
    if (!eq) {
      unknown = true;
    } else if (!*eq) {
      return false;
    }
  }
  if (unknown) return std::nullopt;
  return true;
}

bool CollectionsEquivalent(const Collection& a, const Collection& b) {
  if (a.empty() && b.empty()) return true;
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const Item& x : a) {
    bool found = false;
    for (std::size_t j = 0; j < b.size(); ++j) {
      if (!used[j] && ItemsEquivalent(x, b[j])) {
        used[j] = true;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

bool ContainsItem(const Collection& c, const Item& x) {
  for (const Item& y : c) {
    auto eq = ItemsEqual(x, y);
    if (eq && *eq) return true;
  }
  return false;
}

}  // namespace hestia::fhirpath
