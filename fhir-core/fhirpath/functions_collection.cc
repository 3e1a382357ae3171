// FHIRPath collection functions: existence, filtering and projection, subsetting, combining,
// aggregate, iif, trace, not, sort, tree navigation and type functions.
// FHIRPath N1: http://hl7.org/fhirpath/N1/#functions (§5.1–5.4, 5.7–5.9, 7, 8)
// Thread-safety: stateless functions over one Evaluator.
#include <algorithm>
#include <deque>
#include <set>

#include "compare.h"
#include "functions.h"
#include "navigation.h"

namespace hestia::fhirpath {
namespace {

using F = FunctionId;

Status Arg(Evaluator& ev, const AstNode& node, std::size_t i, Collection* out) {
  return ev.EvalArg(*node.children[i], out);
}

Status BooleanItems(const Evaluator& ev, const AstNode& node, const Collection& input,
                    std::vector<bool>* values) {
  for (const Item& item : input) {
    Item v;
    if (!ev.ToSystem(item, &v) || v.kind != ItemKind::kBoolean) {
      return ev.Error(node, node.name + "() needs Boolean items, got " + TypeNameOf(item));
    }
    values->push_back(v.boolean);
  }
  return Status::Ok();
}

// Criteria result for where/exists/all: true, false or empty (nullopt).
Status Criterion(Evaluator& ev, const AstNode& arg, const Item& item, int64_t index,
                 std::optional<bool>* out) {
  Collection r;
  HESTIA_RETURN_IF_ERROR(ev.EvalLambda(arg, item, index, &r));
  return ev.AsBoolean(r, out, "criteria");
}

Status Where(Evaluator& ev, const AstNode& node, const Collection& input, Collection* out) {
  for (std::size_t i = 0; i < input.size(); ++i) {
    std::optional<bool> keep;
    HESTIA_RETURN_IF_ERROR(
        Criterion(ev, *node.children[0], input[i], static_cast<int64_t>(i), &keep));
    if (keep == true) out->push_back(input[i]);
  }
  return Status::Ok();
}

// Identity for repeat(): the same JSON node, or an equal System value.
bool Seen(const Collection& seen, const Item& item) {
  for (const Item& s : seen) {
    if (item.kind == ItemKind::kNode && s.kind == ItemKind::kNode) {
      if (s.json == item.json && s.ext == item.ext) return true;
    } else if (item.kind != ItemKind::kNode && s.kind != ItemKind::kNode) {
      auto eq = ItemsEqual(s, item);
      if (eq && *eq) return true;
    }
  }
  return false;
}

Status Repeat(Evaluator& ev, const AstNode& node, const Collection& input, Collection* out) {
  std::deque<Item> queue(input.begin(), input.end());
  while (!queue.empty()) {
    Item item = std::move(queue.front());
    queue.pop_front();
    Collection next;
    HESTIA_RETURN_IF_ERROR(ev.EvalLambda(*node.children[0], item, 0, &next));
    for (Item& n : next) {
      HESTIA_RETURN_IF_ERROR(ev.Charge(out->size() + 1));
      if (Seen(*out, n)) continue;
      out->push_back(n);
      queue.push_back(std::move(n));
      HESTIA_RETURN_IF_ERROR(ev.CheckSize(out->size()));
    }
  }
  return Status::Ok();
}

Status Descendants(Evaluator& ev, const Collection& input, Collection* out) {
  std::size_t start = out->size();
  for (const Item& item : input) AppendAllChildren(ev.model(), item, out);
  while (start < out->size()) {
    const std::size_t end = out->size();
    for (std::size_t i = start; i < end; ++i) {
      const Item item = (*out)[i];
      AppendAllChildren(ev.model(), item, out);
    }
    start = end;
    HESTIA_RETURN_IF_ERROR(ev.CheckSize(out->size()));
  }
  return Status::Ok();
}

Status Sort(Evaluator& ev, const AstNode& node, const Collection& input, Collection* out) {
  struct Keyed {
    Item item;
    std::vector<Collection> keys;
  };
  std::vector<Keyed> rows;
  std::vector<bool> descending;
  for (const auto& arg : node.children) {
    descending.push_back(arg->kind == NodeKind::kUnary && arg->op == BinOp::kNeg);
  }
  for (std::size_t i = 0; i < input.size(); ++i) {
    Keyed row{input[i], {}};
    if (node.children.empty()) row.keys.push_back({input[i]});
    for (std::size_t k = 0; k < node.children.size(); ++k) {
      const AstNode& key = descending[k] ? *node.children[k]->children[0] : *node.children[k];
      Collection value;
      HESTIA_RETURN_IF_ERROR(ev.EvalLambda(key, input[i], static_cast<int64_t>(i), &value));
      row.keys.push_back(std::move(value));
    }
    rows.push_back(std::move(row));
  }
  Status error;
  std::stable_sort(rows.begin(), rows.end(), [&](const Keyed& a, const Keyed& b) {
    for (std::size_t k = 0; k < a.keys.size(); ++k) {
      const bool desc = k < descending.size() && descending[k];
      if (a.keys[k].empty() || b.keys[k].empty()) {
        if (a.keys[k].empty() == b.keys[k].empty()) continue;
        return desc ? a.keys[k].empty() : b.keys[k].empty();  // empty sorts last
      }
      std::optional<int> c;
      Status s = CompareItems(a.keys[k][0], b.keys[k][0], &c);
      if (!s.ok()) {
        if (error.ok()) error = s;
        return false;
      }
      if (c && *c != 0) return desc ? *c > 0 : *c < 0;
    }
    return false;
  });
  if (!error.ok()) return ev.Error(node, error.message());
  for (auto& row : rows) out->push_back(std::move(row.item));
  return Status::Ok();
}

Status TypeFunction(Evaluator& ev, const AstNode& node, const Collection& input, Collection* out) {
  if (node.fn == F::kOfType) {
    for (const Item& item : input) {
      bool match = false;
      HESTIA_RETURN_IF_ERROR(ItemIsType(ev, item, node.type, true, &match));
      if (match) out->push_back(item);
    }
    return Status::Ok();
  }
  if (input.empty()) return Status::Ok();
  const bool is = node.fn == F::kIs;
  if (input.size() > 1 && (is || !ev.options().lenient_as)) {
    return ev.Error(node,
                    node.name + "() needs a single item, got " + std::to_string(input.size()));
  }
  for (const Item& item : input) {
    bool match = false;
    Status s = ItemIsType(ev, item, node.type, !is, &match);
    if (!s.ok()) return ev.Error(node, s.message());
    if (is) {
      out->push_back(Item::Bool(match));
    } else if (match) {
      out->push_back(item);
    }
  }
  return Status::Ok();
}

}  // namespace

Status CallCollectionFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                              Collection* out) {
  switch (node.fn) {
    case F::kEmpty:
      out->push_back(Item::Bool(input.empty()));
      return Status::Ok();
    case F::kExists: {
      if (node.children.empty()) {
        out->push_back(Item::Bool(!input.empty()));
        return Status::Ok();
      }
      Collection matched;
      HESTIA_RETURN_IF_ERROR(Where(ev, node, input, &matched));
      out->push_back(Item::Bool(!matched.empty()));
      return Status::Ok();
    }
    case F::kAll: {
      bool all = true;
      for (std::size_t i = 0; i < input.size() && all; ++i) {
        std::optional<bool> r;
        HESTIA_RETURN_IF_ERROR(
            Criterion(ev, *node.children[0], input[i], static_cast<int64_t>(i), &r));
        all = r == true;
      }
      out->push_back(Item::Bool(all));
      return Status::Ok();
    }
    case F::kAllTrue:
    case F::kAnyTrue:
    case F::kAllFalse:
    case F::kAnyFalse: {
      std::vector<bool> values;
      HESTIA_RETURN_IF_ERROR(BooleanItems(ev, node, input, &values));
      const bool want = node.fn == F::kAllTrue || node.fn == F::kAnyTrue;
      const bool all = node.fn == F::kAllTrue || node.fn == F::kAllFalse;
      const auto n = std::count(values.begin(), values.end(), want);
      out->push_back(Item::Bool(all ? n == static_cast<long>(values.size()) : n > 0));
      return Status::Ok();
    }
    case F::kSubsetOf:
    case F::kSupersetOf: {
      Collection other;
      HESTIA_RETURN_IF_ERROR(Arg(ev, node, 0, &other));
      const Collection& sub = node.fn == F::kSubsetOf ? input : other;
      const Collection& super = node.fn == F::kSubsetOf ? other : input;
      bool result = true;
      HESTIA_RETURN_IF_ERROR(ev.Charge(uint64_t{sub.size()} * super.size()));
      for (const Item& item : sub) result = result && ContainsItem(super, item);
      out->push_back(Item::Bool(result));
      return Status::Ok();
    }
    case F::kCount:
      out->push_back(Item::Int(static_cast<int64_t>(input.size())));
      return Status::Ok();
    case F::kDistinct:
      HESTIA_RETURN_IF_ERROR(ev.Charge(uint64_t{input.size()} * input.size()));
      for (const Item& item : input) {
        if (!ContainsItem(*out, item)) out->push_back(item);
      }
      return Status::Ok();
    case F::kIsDistinct: {
      HESTIA_RETURN_IF_ERROR(ev.Charge(uint64_t{input.size()} * input.size()));
      Collection distinct;
      for (const Item& item : input) {
        if (!ContainsItem(distinct, item)) distinct.push_back(item);
      }
      out->push_back(Item::Bool(distinct.size() == input.size()));
      return Status::Ok();
    }
    case F::kWhere:
      return Where(ev, node, input, out);
    case F::kSelect:
      for (std::size_t i = 0; i < input.size(); ++i) {
        HESTIA_RETURN_IF_ERROR(
            ev.EvalLambda(*node.children[0], input[i], static_cast<int64_t>(i), out));
        HESTIA_RETURN_IF_ERROR(ev.CheckSize(out->size()));
      }
      return Status::Ok();
    case F::kRepeat:
      return Repeat(ev, node, input, out);
    case F::kOfType:
    case F::kIs:
    case F::kAs:
      return TypeFunction(ev, node, input, out);
    case F::kSingle:
      if (input.size() > 1)
        return ev.Error(node, "single() on " + std::to_string(input.size()) + " items");
      out->insert(out->end(), input.begin(), input.end());
      return Status::Ok();
    case F::kFirst:
      if (!input.empty()) out->push_back(input.front());
      return Status::Ok();
    case F::kLast:
      if (!input.empty()) out->push_back(input.back());
      return Status::Ok();
    case F::kTail:
      if (input.size() > 1) out->insert(out->end(), input.begin() + 1, input.end());
      return Status::Ok();
    case F::kSkip:
    case F::kTake: {
      Collection arg;
      HESTIA_RETURN_IF_ERROR(Arg(ev, node, 0, &arg));
      std::optional<int64_t> n;
      HESTIA_RETURN_IF_ERROR(ev.SingleInteger(arg, &n, node.name.c_str()));
      if (!n) return Status::Ok();
      const auto count =
          static_cast<std::size_t>(std::clamp<int64_t>(*n, 0, static_cast<int64_t>(input.size())));
      if (node.fn == F::kSkip) {
        out->insert(out->end(), input.begin() + static_cast<long>(count), input.end());
      } else {
        out->insert(out->end(), input.begin(), input.begin() + static_cast<long>(count));
      }
      return Status::Ok();
    }
    case F::kIntersect:
    case F::kExclude:
    case F::kUnion:
    case F::kCombine: {
      Collection other;
      HESTIA_RETURN_IF_ERROR(Arg(ev, node, 0, &other));
      const uint64_t n = input.size() + other.size();
      HESTIA_RETURN_IF_ERROR(ev.Charge(n * n));
      if (node.fn == F::kCombine) {
        out->insert(out->end(), input.begin(), input.end());
        out->insert(out->end(), other.begin(), other.end());
      } else if (node.fn == F::kUnion) {
        for (const Collection* c : {&input, static_cast<const Collection*>(&other)}) {
          for (const Item& item : *c) {
            if (!ContainsItem(*out, item)) out->push_back(item);
          }
        }
      } else {
        const bool keep_common = node.fn == F::kIntersect;
        for (const Item& item : input) {
          if (ContainsItem(other, item) != keep_common) continue;
          if (keep_common && ContainsItem(*out, item)) continue;
          out->push_back(item);
        }
      }
      return Status::Ok();
    }
    case F::kIif: {
      if (input.size() > 1) return ev.Error(node, "iif() on more than one item");
      auto eval = [&](std::size_t i, Collection* r) {
        return input.size() == 1 ? ev.EvalLambda(*node.children[i], input[0], ev.current_index(), r)
                                 : ev.EvalArg(*node.children[i], r);
      };
      Collection crit;
      HESTIA_RETURN_IF_ERROR(eval(0, &crit));
      std::optional<bool> c;
      if (crit.size() == 1) {
        Item v;
        if (!ev.ToSystem(crit[0], &v) || v.kind != ItemKind::kBoolean) {
          return ev.Error(node, "iif() criterion must be Boolean");
        }
        c = v.boolean;
      } else {
        HESTIA_RETURN_IF_ERROR(ev.AsBoolean(crit, &c, "iif"));
      }
      if (c == true) return eval(1, out);
      if (node.children.size() > 2) return eval(2, out);
      return Status::Ok();
    }
    case F::kTrace: {
      Collection label;
      HESTIA_RETURN_IF_ERROR(Arg(ev, node, 0, &label));
      if (ev.env() != nullptr && ev.env()->trace) {
        std::string name = label.empty() ? "" : label[0].str;
        if (node.children.size() > 1) {
          Collection projected;
          for (std::size_t i = 0; i < input.size(); ++i) {
            HESTIA_RETURN_IF_ERROR(
                ev.EvalLambda(*node.children[1], input[i], static_cast<int64_t>(i), &projected));
          }
          ev.env()->trace(name, projected);
        } else {
          ev.env()->trace(name, input);
        }
      }
      out->insert(out->end(), input.begin(), input.end());
      return Status::Ok();
    }
    case F::kAggregate: {
      Collection total;
      if (node.children.size() > 1) HESTIA_RETURN_IF_ERROR(Arg(ev, node, 1, &total));
      for (std::size_t i = 0; i < input.size(); ++i) {
        Collection next;
        HESTIA_RETURN_IF_ERROR(
            ev.EvalAggregate(*node.children[0], input[i], static_cast<int64_t>(i), total, &next));
        total = std::move(next);
      }
      out->insert(out->end(), total.begin(), total.end());
      return Status::Ok();
    }
    case F::kNot: {
      std::optional<bool> b;
      HESTIA_RETURN_IF_ERROR(ev.AsBoolean(input, &b, "not()"));
      if (b) out->push_back(Item::Bool(!*b));
      return Status::Ok();
    }
    case F::kChildren:
      for (const Item& item : input) AppendAllChildren(ev.model(), item, out);
      return Status::Ok();
    case F::kDescendants:
      return Descendants(ev, input, out);
    case F::kSort:
      return Sort(ev, node, input, out);
    case F::kType:
      for (const Item& item : input) out->push_back(TypeInfoOf(item));
      return Status::Ok();
    default:
      return ev.Error(node, node.name + "() is not implemented");
  }
}

}  // namespace hestia::fhirpath
