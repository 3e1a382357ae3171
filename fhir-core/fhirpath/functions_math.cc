// FHIRPath math functions, and the precision functions lowBoundary / highBoundary /
// precision / comparable.
// FHIRPath N1: http://hl7.org/fhirpath/N1/#math ; boundaries: FHIRPath 2.0 (continuous build)
// Thread-safety: stateless functions over one Evaluator.
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include "functions.h"
#include "hestia/fhirpath/ucum.h"
#include "temporal.h"

namespace hestia::fhirpath {
namespace {

using F = FunctionId;

constexpr int kMaxBoundaryPrecision = 28;
constexpr int kMaxExactScale = 16;

// The boundary of a decimal of scale `scale` (the interval ± half a unit of its last digit),
// expressed with `digits` digits after the point. Negative values mirror positive ones.
std::optional<Decimal> DecimalBoundary(const Decimal& x, int digits, bool high) {
  const bool negative = std::signbit(x.value);
  const int s = std::min(x.scale, kMaxExactScale);
  if (!(std::fabs(x.value) * std::pow(10.0, s + 1) < 9e17)) return std::nullopt;
  // Magnitude in units of 10^-(s+1): 1.587 → 15870.
  const auto mag = static_cast<int64_t>(std::llround(std::fabs(x.value) * std::pow(10.0, s + 1)));
  const bool round_up = high != negative;  // moving away from zero
  const int64_t edge = round_up ? mag + 5 : mag - 5;
  std::string text;
  if (digits >= s + 1) {
    text = std::to_string(edge) + std::string(static_cast<std::size_t>(digits - s - 1), '0');
  } else {
    const auto divisor = static_cast<int64_t>(std::llround(std::pow(10.0, s + 1 - digits)));
    const int64_t q = round_up ? (edge + divisor / 2) / divisor : edge / divisor;
    text = std::to_string(q);
  }
  if (digits > 0) {
    if (text.size() <= static_cast<std::size_t>(digits)) {
      text.insert(0, static_cast<std::size_t>(digits) + 1 - text.size(), '0');
    }
    text.insert(text.size() - static_cast<std::size_t>(digits), ".");
  }
  Decimal d;
  ParseDecimal(text, &d);
  if (negative) d.value = -d.value;
  d.scale = digits;
  return d;
}

Status Boundary(Evaluator& ev, const AstNode& node, const Item& v, Collection* out) {
  std::optional<int64_t> digits;
  if (!node.children.empty()) {
    Collection c;
    HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &c));
    HESTIA_RETURN_IF_ERROR(ev.SingleInteger(c, &digits, node.name.c_str()));
  }
  const bool high = node.fn == F::kHighBoundary;
  switch (v.kind) {
    case ItemKind::kInteger:
    case ItemKind::kDecimal:
    case ItemKind::kQuantity: {
      const int64_t p = digits.value_or(8);
      if (p < 0 || p > kMaxBoundaryPrecision) return Status::Ok();
      const Decimal d =
          v.kind == ItemKind::kInteger ? Decimal{static_cast<double>(v.integer), 0} : v.decimal;
      const auto b = DecimalBoundary(d, static_cast<int>(p), high);
      if (!b) return Status::Ok();
      out->push_back(v.kind == ItemKind::kQuantity ? Item::Quantity(*b, v.unit) : Item::Dec(*b));
      return Status::Ok();
    }
    case ItemKind::kDate:
    case ItemKind::kDateTime:
    case ItemKind::kTime: {
      const int64_t p = digits.value_or(v.kind == ItemKind::kDate   ? 8
                                        : v.kind == ItemKind::kTime ? 9
                                                                    : 17);
      if (p < 0 || p > 17) return Status::Ok();
      DateTime r;
      if (TemporalBoundary(v.kind, v.dt, static_cast<int>(p), high, &r))
        out->push_back(Item::Temporal(v.kind, r));
      return Status::Ok();
    }
    default:
      return ev.Error(node, node.name + "() is not defined for " + TypeNameOf(v));
  }
}

}  // namespace

Status CallMathFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                        Collection* out) {
  std::optional<Item> in;
  HESTIA_RETURN_IF_ERROR(ev.Single(input, &in, node.name.c_str()));
  if (!in) return Status::Ok();
  Item& v = *in;
  if (node.fn == F::kLowBoundary || node.fn == F::kHighBoundary) return Boundary(ev, node, v, out);
  if (node.fn == F::kPrecision) {
    if (v.kind == ItemKind::kDecimal) {
      out->push_back(Item::Int(v.decimal.scale));
    } else if (v.kind == ItemKind::kDate || v.kind == ItemKind::kDateTime ||
               v.kind == ItemKind::kTime) {
      out->push_back(Item::Int(TemporalPrecisionDigits(v.kind, v.dt)));
    } else if (v.kind == ItemKind::kInteger) {
      out->push_back(Item::Int(0));
    }
    return Status::Ok();
  }
  if (node.fn == F::kComparable) {
    Collection c;
    HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &c));
    std::optional<Item> other;
    HESTIA_RETURN_IF_ERROR(ev.Single(c, &other, "comparable"));
    if (!other || v.kind != ItemKind::kQuantity || other->kind != ItemKind::kQuantity)
      return Status::Ok();
    auto a = ucum::Parse(v.unit);
    auto b = ucum::Parse(other->unit);
    out->push_back(Item::Bool(a && b && a->dims == b->dims));
    return Status::Ok();
  }
  const bool is_int = v.kind == ItemKind::kInteger;
  if (!is_int && v.kind != ItemKind::kDecimal &&
      !(node.fn == F::kAbs && v.kind == ItemKind::kQuantity)) {
    return ev.Error(node, node.name + "() needs a number, got " + TypeNameOf(v));
  }
  const double x = is_int ? static_cast<double>(v.integer) : v.decimal.value;
  auto push_decimal = [&](double r, int scale) {
    if (std::isfinite(r)) out->push_back(Item::Dec(MakeDecimal(r, scale)));
    return Status::Ok();
  };
  switch (node.fn) {
    case F::kAbs:
      if (is_int) {
        if (v.integer == INT64_MIN) return ev.Error(node, "Integer overflow");
        out->push_back(Item::Int(std::llabs(v.integer)));
      } else {
        v.decimal.value = std::fabs(v.decimal.value);
        out->push_back(v);
      }
      return Status::Ok();
    case F::kCeiling:
    case F::kFloor:
    case F::kTruncate: {
      const double r = node.fn == F::kCeiling ? std::ceil(x)
                       : node.fn == F::kFloor ? std::floor(x)
                                              : std::trunc(x);
      if (!(std::fabs(r) < 9.2e18)) return ev.Error(node, "result does not fit an Integer");
      out->push_back(Item::Int(static_cast<int64_t>(r)));
      return Status::Ok();
    }
    case F::kExp:
      return push_decimal(std::exp(x), 8);
    case F::kLn:
      return x <= 0 ? Status::Ok() : push_decimal(std::log(x), 8);
    case F::kSqrt:
      return x < 0 ? Status::Ok() : push_decimal(std::sqrt(x), 8);
    case F::kLog:
    case F::kPower:
    case F::kRound: {
      std::optional<Item> arg;
      if (!node.children.empty()) {
        Collection c;
        HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &c));
        HESTIA_RETURN_IF_ERROR(ev.Single(c, &arg, node.name.c_str()));
        if (!arg) return Status::Ok();
        if (arg->kind != ItemKind::kInteger && arg->kind != ItemKind::kDecimal) {
          return ev.Error(node, node.name + "() needs a number argument");
        }
      }
      const double y = !arg                              ? 0
                       : arg->kind == ItemKind::kInteger ? static_cast<double>(arg->integer)
                                                         : arg->decimal.value;
      if (node.fn == F::kRound) {
        if (y < 0 || y > 30) return ev.Error(node, "round() precision must be 0 to 30");
        const int digits = static_cast<int>(y);
        const double f = std::pow(10.0, digits);
        return push_decimal(std::round(x * f) / f, digits);
      }
      if (node.fn == F::kLog) {
        if (x <= 0 || y <= 0 || y == 1) return Status::Ok();
        return push_decimal(std::log(x) / std::log(y), 8);
      }
      const double r = std::pow(x, y);
      if (!std::isfinite(r)) return Status::Ok();
      if (is_int && arg->kind == ItemKind::kInteger && y >= 0 && std::fabs(r) < 9.2e18) {
        out->push_back(Item::Int(static_cast<int64_t>(r)));
        return Status::Ok();
      }
      return push_decimal(r, 8);
    }
    default:
      return ev.Error(node, node.name + "() is not implemented");
  }
}

}  // namespace hestia::fhirpath
