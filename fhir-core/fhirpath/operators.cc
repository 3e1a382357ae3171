// FHIRPath operators: boolean logic, equality, comparison, membership, union, arithmetic.
// FHIRPath N1: http://hl7.org/fhirpath/N1/#operations
// Thread-safety: stateless functions over one Evaluator.
#include <cmath>

#include "compare.h"
#include "functions.h"
#include "hestia/fhirpath/ucum.h"
#include "navigation.h"
#include "temporal.h"

namespace hestia::fhirpath {
namespace {

bool IsNumeric(const Item& i) {
  return i.kind == ItemKind::kInteger || i.kind == ItemKind::kDecimal;
}
Decimal AsDecimal(const Item& i) {
  return i.kind == ItemKind::kInteger ? Decimal{static_cast<double>(i.integer), 0} : i.decimal;
}
bool IsTemporal(ItemKind k) {
  return k == ItemKind::kDate || k == ItemKind::kDateTime || k == ItemKind::kTime;
}

Status BooleanOperator(Evaluator& ev, const AstNode& node, const Collection& focus,
                       Collection* out) {
  Collection lc;
  HESTIA_RETURN_IF_ERROR(ev.Eval(*node.children[0], focus, &lc));
  std::optional<bool> l;
  HESTIA_RETURN_IF_ERROR(ev.AsBoolean(lc, &l, "boolean operator"));
  if (node.op == BinOp::kAnd && l == false) return out->push_back(Item::Bool(false)), Status::Ok();
  if (node.op == BinOp::kOr && l == true) return out->push_back(Item::Bool(true)), Status::Ok();
  if (node.op == BinOp::kImplies && l == false) {
    return out->push_back(Item::Bool(true)), Status::Ok();
  }
  Collection rc;
  HESTIA_RETURN_IF_ERROR(ev.Eval(*node.children[1], focus, &rc));
  std::optional<bool> r;
  HESTIA_RETURN_IF_ERROR(ev.AsBoolean(rc, &r, "boolean operator"));
  std::optional<bool> result;
  switch (node.op) {
    case BinOp::kAnd:
      if (r == false) {
        result = false;
      } else if (l == true && r == true) {
        result = true;
      }
      break;
    case BinOp::kOr:
      if (r == true) {
        result = true;
      } else if (l == false && r == false) {
        result = false;
      }
      break;
    case BinOp::kXor:
      if (l && r) result = *l != *r;
      break;
    default:  // implies, l is true or empty
      if (r == true) {
        result = true;
      } else if (l == true) {
        result = r;
      }
      break;
  }
  if (result) out->push_back(Item::Bool(*result));
  return Status::Ok();
}

Status Arithmetic(const Evaluator& ev, const AstNode& node, const Item& a, const Item& b,
                  Collection* out) {
  const BinOp op = node.op;
  if (IsNumeric(a) && IsNumeric(b)) {
    if (a.kind == ItemKind::kInteger && b.kind == ItemKind::kInteger && op != BinOp::kDiv) {
      int64_t r = 0;
      bool overflow = false;
      switch (op) {
        case BinOp::kAdd:
          overflow = __builtin_add_overflow(a.integer, b.integer, &r);
          break;
        case BinOp::kSub:
          overflow = __builtin_sub_overflow(a.integer, b.integer, &r);
          break;
        case BinOp::kMul:
          overflow = __builtin_mul_overflow(a.integer, b.integer, &r);
          break;
        case BinOp::kIntDiv:
        case BinOp::kMod:
          if (b.integer == 0) return Status::Ok();
          if (a.integer == INT64_MIN && b.integer == -1) return Status::Ok();
          r = op == BinOp::kIntDiv ? a.integer / b.integer : a.integer % b.integer;
          break;
        default:
          return ev.Error(node, "operator not defined for Integer");
      }
      if (overflow) return ev.Error(node, "Integer overflow");
      out->push_back(Item::Int(r));
      return Status::Ok();
    }
    const Decimal x = AsDecimal(a);
    const Decimal y = AsDecimal(b);
    switch (op) {
      case BinOp::kAdd:
        out->push_back(Item::Dec(MakeDecimal(x.value + y.value, std::max(x.scale, y.scale))));
        break;
      case BinOp::kSub:
        out->push_back(Item::Dec(MakeDecimal(x.value - y.value, std::max(x.scale, y.scale))));
        break;
      case BinOp::kMul:
        out->push_back(Item::Dec(MakeDecimal(x.value * y.value, x.scale + y.scale)));
        break;
      case BinOp::kDiv: {
        if (y.value == 0) return Status::Ok();
        Decimal d = MakeDecimal(x.value / y.value, 8);
        // Drop trailing zeros beyond what the operands carried: 4.0 / 2.0 is 2.0.
        while (d.scale > std::max(x.scale, y.scale) &&
               MakeDecimal(d.value, d.scale - 1).value == d.value) {
          --d.scale;
        }
        out->push_back(Item::Dec(d));
        break;
      }
      case BinOp::kIntDiv: {
        if (y.value == 0) return Status::Ok();
        const double q = std::trunc(x.value / y.value);
        if (!(std::fabs(q) < 9.2e18)) return ev.Error(node, "div result does not fit an Integer");
        out->push_back(Item::Int(static_cast<int64_t>(q)));
        break;
      }
      case BinOp::kMod: {
        if (y.value == 0) return Status::Ok();
        out->push_back(
            Item::Dec(MakeDecimal(std::fmod(x.value, y.value), std::max(x.scale, y.scale))));
        break;
      }
      default:
        return ev.Error(node, "operator not defined for Decimal");
    }
    return Status::Ok();
  }
  if (a.kind == ItemKind::kString && b.kind == ItemKind::kString && op == BinOp::kAdd) {
    out->push_back(Item::Str(a.str + b.str));
    return Status::Ok();
  }
  if (IsTemporal(a.kind) && b.kind == ItemKind::kQuantity &&
      (op == BinOp::kAdd || op == BinOp::kSub)) {
    DateTime r;
    if (!AddDuration(a.kind, a.dt, b.decimal, b.unit, op == BinOp::kAdd ? 1 : -1, &r)) {
      return ev.Error(node, "cannot add '" + b.unit + "' to a " + TypeNameOf(a));
    }
    out->push_back(Item::Temporal(a.kind, r));
    return Status::Ok();
  }
  if (a.kind == ItemKind::kQuantity && (b.kind == ItemKind::kQuantity || IsNumeric(b))) {
    const Item q = b.kind == ItemKind::kQuantity ? b : Item::Quantity(AsDecimal(b), "1");
    const Decimal x = a.decimal;
    const Decimal y = q.decimal;
    switch (op) {
      case BinOp::kAdd:
      case BinOp::kSub: {
        if (b.kind != ItemKind::kQuantity) break;
        auto v = a.unit == q.unit ? std::optional<double>(y.value)
                                  : ucum::Convert(y.value, q.unit, a.unit);
        if (!v) return Status::Ok();
        const double r = op == BinOp::kAdd ? x.value + *v : x.value - *v;
        out->push_back(Item::Quantity(MakeDecimal(r, std::max(x.scale, y.scale)), a.unit));
        return Status::Ok();
      }
      case BinOp::kMul:
        out->push_back(Item::Quantity(MakeDecimal(x.value * y.value, x.scale + y.scale),
                                      q.unit == "1" ? a.unit : a.unit + "." + q.unit));
        return Status::Ok();
      case BinOp::kDiv: {
        if (y.value == 0) return Status::Ok();
        std::string unit =
            a.unit == q.unit ? "1" : (q.unit == "1" ? a.unit : a.unit + "/" + q.unit);
        out->push_back(Item::Quantity(MakeDecimal(x.value / y.value, 8), unit));
        return Status::Ok();
      }
      default:
        break;
    }
  }
  return ev.Error(node, "operator cannot be applied to " + TypeNameOf(a) + " and " + TypeNameOf(b));
}

}  // namespace

Status EvalUnary(Evaluator& ev, const AstNode& node, const Collection& focus, Collection* out) {
  Collection operand;
  HESTIA_RETURN_IF_ERROR(ev.Eval(*node.children[0], focus, &operand));
  std::optional<Item> v;
  HESTIA_RETURN_IF_ERROR(ev.Single(operand, &v, "unary operator"));
  if (!v) return Status::Ok();
  if (node.op == BinOp::kPos) {
    out->push_back(*v);
    return Status::Ok();
  }
  switch (v->kind) {
    case ItemKind::kInteger:
      if (v->integer == INT64_MIN) return ev.Error(node, "Integer overflow");
      v->integer = -v->integer;
      break;
    case ItemKind::kDecimal:
    case ItemKind::kQuantity:
      v->decimal.value = 0 - v->decimal.value;
      break;
    default:
      return ev.Error(node, "cannot negate " + TypeNameOf(*v));
  }
  out->push_back(*v);
  return Status::Ok();
}

Status EvalBinary(Evaluator& ev, const AstNode& node, const Collection& focus, Collection* out) {
  const BinOp op = node.op;
  if (op == BinOp::kAnd || op == BinOp::kOr || op == BinOp::kXor || op == BinOp::kImplies) {
    return BooleanOperator(ev, node, focus, out);
  }
  Collection l;
  Collection r;
  HESTIA_RETURN_IF_ERROR(ev.Eval(*node.children[0], focus, &l));
  HESTIA_RETURN_IF_ERROR(ev.Eval(*node.children[1], focus, &r));
  switch (op) {
    case BinOp::kUnion: {
      const uint64_t n = l.size() + r.size();
      HESTIA_RETURN_IF_ERROR(ev.Charge(n * n));
      for (Collection* c : {&l, &r}) {
        for (Item& item : *c) {
          if (!ContainsItem(*out, item)) out->push_back(std::move(item));
        }
      }
      return Status::Ok();
    }
    case BinOp::kEq:
    case BinOp::kNe: {
      auto eq = CollectionsEqual(l, r);
      if (eq) out->push_back(Item::Bool(op == BinOp::kEq ? *eq : !*eq));
      return Status::Ok();
    }
    case BinOp::kEquiv:
    case BinOp::kNotEquiv: {
      HESTIA_RETURN_IF_ERROR(ev.Charge(uint64_t{l.size()} * r.size()));
      const bool eq = CollectionsEquivalent(l, r);
      out->push_back(Item::Bool(op == BinOp::kEquiv ? eq : !eq));
      return Status::Ok();
    }
    case BinOp::kIn:
    case BinOp::kContains: {
      const Collection& needle = op == BinOp::kIn ? l : r;
      const Collection& haystack = op == BinOp::kIn ? r : l;
      if (needle.empty()) return Status::Ok();
      if (needle.size() > 1) return ev.Error(node, "membership needs a single item");
      HESTIA_RETURN_IF_ERROR(ev.Charge(haystack.size()));
      out->push_back(Item::Bool(ContainsItem(haystack, needle[0])));
      return Status::Ok();
    }
    case BinOp::kConcat: {
      std::optional<Item> a;
      std::optional<Item> b;
      HESTIA_RETURN_IF_ERROR(ev.Single(l, &a, "&"));
      HESTIA_RETURN_IF_ERROR(ev.Single(r, &b, "&"));
      std::string s;
      for (const auto* x : {&a, &b}) {
        if (!*x) continue;
        if ((*x)->kind != ItemKind::kString) return ev.Error(node, "& needs Strings");
        s += (*x)->str;
      }
      out->push_back(Item::Str(std::move(s)));
      return Status::Ok();
    }
    default:
      break;
  }
  std::optional<Item> a;
  std::optional<Item> b;
  HESTIA_RETURN_IF_ERROR(ev.Single(l, &a, "operator"));
  HESTIA_RETURN_IF_ERROR(ev.Single(r, &b, "operator"));
  if (op == BinOp::kLt || op == BinOp::kGt || op == BinOp::kLe || op == BinOp::kGe) {
    if (!a || !b) return Status::Ok();
    std::optional<int> c;
    Status s = CompareItems(*a, *b, &c);
    if (!s.ok()) return ev.Error(node, s.message());
    if (!c) return Status::Ok();
    bool result = false;
    switch (op) {
      case BinOp::kLt:
        result = *c < 0;
        break;
      case BinOp::kGt:
        result = *c > 0;
        break;
      case BinOp::kLe:
        result = *c <= 0;
        break;
      default:
        result = *c >= 0;
        break;
    }
    out->push_back(Item::Bool(result));
    return Status::Ok();
  }
  if (a && b && a->kind == ItemKind::kDate && IsNumeric(*b)) {
    return ev.Error(node, "cannot add a number to a Date");
  }
  if (!a || !b) return Status::Ok();
  return Arithmetic(ev, node, *a, *b, out);
}

}  // namespace hestia::fhirpath
