// The FHIRPath tree-walking evaluator. See evaluator.h.
// Thread-safety: one Evaluator per evaluation, on one thread.
#include "evaluator.h"

#include "function_table.h"
#include "functions.h"
#include "navigation.h"

namespace hestia::fhirpath {

// Installs a $this/$index/$total frame for the duration of a lambda evaluation.
class Evaluator::FrameScope {
 public:
  FrameScope(Evaluator* ev, const Item* item, int64_t index, const Collection* total)
      : ev_(ev), saved_(ev->frame_), saved_in_lambda_(ev->in_lambda_) {
    ev->frame_.this_item = item;
    ev->frame_.index = index;
    if (total != nullptr) ev->frame_.total = total;
    ev->in_lambda_ = true;
  }
  ~FrameScope() {
    ev_->frame_ = saved_;
    ev_->in_lambda_ = saved_in_lambda_;
  }
  FrameScope(const FrameScope&) = delete;
  FrameScope& operator=(const FrameScope&) = delete;

 private:
  Evaluator* ev_;
  Frame saved_;
  bool saved_in_lambda_;
};

Evaluator::Evaluator(const Model& model, const EvalOptions& options, const Environment* env,
                     const json::Value* resource, Collection context)
    : model_(model),
      options_(options),
      env_(env),
      resource_(resource),
      context_(std::move(context)) {}

Micros Evaluator::now() {
  if (now_ == 0) now_ = options_.now != 0 ? options_.now : NowMicros();
  return now_;
}

Status Evaluator::Error(const AstNode& at, const std::string& message) const {
  return InvalidError("FHIRPath evaluation error at position " + std::to_string(at.pos) + ": " +
                      message);
}

Status Evaluator::Charge(uint64_t units) {
  steps_ += units;
  if (steps_ > options_.max_steps) {
    return {StatusCode::kTooLarge, "FHIRPath evaluation exceeds its work budget of " +
                                       std::to_string(options_.max_steps) + " steps"};
  }
  return Status::Ok();
}

Status Evaluator::CheckSize(std::size_t n) const {
  if (n > options_.max_items) {
    return {StatusCode::kTooLarge,
            "FHIRPath result exceeds " + std::to_string(options_.max_items) + " items"};
  }
  return Status::Ok();
}

bool Evaluator::ToSystem(const Item& in, Item* out) const { return fhirpath::ToSystem(in, out); }

Status Evaluator::AsBoolean(const Collection& c, std::optional<bool>* out, const char* what) const {
  *out = std::nullopt;
  if (c.empty()) return Status::Ok();
  if (c.size() > 1) {
    return InvalidError(std::string(what) + ": expected a single boolean, got " +
                        std::to_string(c.size()) + " items");
  }
  Item v;
  if (ToSystem(c[0], &v) && v.kind == ItemKind::kBoolean) {
    *out = v.boolean;
  } else {
    *out = true;  // a single non-boolean item counts as true
  }
  return Status::Ok();
}

Status Evaluator::Single(const Collection& c, std::optional<Item>* out, const char* what) const {
  *out = std::nullopt;
  if (c.empty()) return Status::Ok();
  if (c.size() > 1) {
    return InvalidError(std::string(what) + ": expected a single item, got " +
                        std::to_string(c.size()));
  }
  Item v;
  if (!ToSystem(c[0], &v)) {
    if (c[0].kind == ItemKind::kNode && c[0].json != nullptr) *out = c[0];
    return Status::Ok();
  }
  *out = std::move(v);
  return Status::Ok();
}

Status Evaluator::SingleString(const Collection& c, std::optional<std::string>* out,
                               const char* what) const {
  std::optional<Item> item;
  HESTIA_RETURN_IF_ERROR(Single(c, &item, what));
  *out = std::nullopt;
  if (!item) return Status::Ok();
  if (item->kind != ItemKind::kString) {
    return InvalidError(std::string(what) + ": expected a String, got " + TypeNameOf(*item));
  }
  *out = std::move(item->str);
  return Status::Ok();
}

Status Evaluator::SingleInteger(const Collection& c, std::optional<int64_t>* out,
                                const char* what) const {
  std::optional<Item> item;
  HESTIA_RETURN_IF_ERROR(Single(c, &item, what));
  *out = std::nullopt;
  if (!item) return Status::Ok();
  if (item->kind != ItemKind::kInteger) {
    return InvalidError(std::string(what) + ": expected an Integer, got " + TypeNameOf(*item));
  }
  *out = item->integer;
  return Status::Ok();
}

Status Evaluator::Eval(const AstNode& node, const Collection& focus, Collection* out) {
  HESTIA_RETURN_IF_ERROR(Charge(1));
  if (++depth_ > options_.max_depth) {
    --depth_;
    return {StatusCode::kTooLarge, "FHIRPath evaluation nested deeper than " +
                                       std::to_string(options_.max_depth) + " levels"};
  }
  // Operators and functions may inspect what they have produced (union, distinct): give
  // them an empty collection when the caller is accumulating (select, repeat).
  Status s;
  if (out->empty()) {
    s = EvalNode(node, focus, out);
  } else {
    Collection fresh;
    s = EvalNode(node, focus, &fresh);
    if (s.ok())
      out->insert(out->end(), std::make_move_iterator(fresh.begin()),
                  std::make_move_iterator(fresh.end()));
  }
  --depth_;
  if (s.ok()) s = CheckSize(out->size());
  return s;
}

Status Evaluator::EvalArg(const AstNode& arg, Collection* out) {
  if (frame_.this_item != nullptr) {
    Collection self{*frame_.this_item};
    return Eval(arg, self, out);
  }
  return Eval(arg, context_, out);
}

Status Evaluator::EvalLambda(const AstNode& arg, const Item& item, int64_t index, Collection* out) {
  FrameScope scope(this, &item, index, nullptr);
  Collection self{item};
  return Eval(arg, self, out);
}

Status Evaluator::EvalAggregate(const AstNode& arg, const Item& item, int64_t index,
                                const Collection& total, Collection* out) {
  FrameScope scope(this, &item, index, &total);
  Collection self{item};
  return Eval(arg, self, out);
}

Status Evaluator::EvalNode(const AstNode& node, const Collection& focus, Collection* out) {
  switch (node.kind) {
    case NodeKind::kLiteral:
      out->push_back(node.literal);
      return Status::Ok();
    case NodeKind::kEmpty:
      return Status::Ok();
    case NodeKind::kMember:
      return EvalMember(node, focus, out);
    case NodeKind::kFunction:
      return EvalFunction(node, focus, out);
    case NodeKind::kInvoke: {
      if (options_.strict) HESTIA_RETURN_IF_ERROR(CheckStrictInvocation(node));
      Collection left;
      HESTIA_RETURN_IF_ERROR(Eval(*node.children[0], focus, &left));
      return Eval(*node.children[1], left, out);
    }
    case NodeKind::kIndex: {
      Collection left;
      HESTIA_RETURN_IF_ERROR(Eval(*node.children[0], focus, &left));
      Collection index;
      HESTIA_RETURN_IF_ERROR(EvalArg(*node.children[1], &index));
      std::optional<int64_t> i;
      HESTIA_RETURN_IF_ERROR(SingleInteger(index, &i, "indexer"));
      if (i && *i >= 0 && static_cast<uint64_t>(*i) < left.size()) {
        out->push_back(std::move(left[static_cast<std::size_t>(*i)]));
      }
      return Status::Ok();
    }
    case NodeKind::kUnary:
      return EvalUnary(*this, node, focus, out);
    case NodeKind::kBinary:
      return EvalBinary(*this, node, focus, out);
    case NodeKind::kTypeOp:
      return EvalTypeOp(node, focus, out);
    case NodeKind::kThis:
      if (frame_.this_item != nullptr) {
        out->push_back(*frame_.this_item);
      } else {
        out->insert(out->end(), focus.begin(), focus.end());
      }
      return Status::Ok();
    case NodeKind::kIndexVar:
      if (in_lambda_) out->push_back(Item::Int(frame_.index));
      return Status::Ok();
    case NodeKind::kTotal:
      if (frame_.total != nullptr)
        out->insert(out->end(), frame_.total->begin(), frame_.total->end());
      return Status::Ok();
    case NodeKind::kVariable:
      return EvalVariable(node, out);
  }
  return InternalError("unknown FHIRPath node");
}

// Strict mode (FHIRPath "semantic" errors) catches two static mistakes: ordered functions
// on children()/descendants(), whose order is undefined, and an element that the type named
// by `as`/ofType() does not have.
Status Evaluator::CheckStrictInvocation(const AstNode& node) const {
  const AstNode& lhs = *node.children[0];
  const AstNode& rhs = *node.children[1];
  const AstNode* source = lhs.kind == NodeKind::kInvoke ? lhs.children[1].get() : &lhs;
  if (rhs.kind == NodeKind::kFunction && source->kind == NodeKind::kFunction &&
      (source->fn == FunctionId::kChildren || source->fn == FunctionId::kDescendants)) {
    switch (rhs.fn) {
      case FunctionId::kSkip:
      case FunctionId::kTake:
      case FunctionId::kFirst:
      case FunctionId::kLast:
      case FunctionId::kTail:
        return Error(
            rhs, rhs.name + "() depends on order, which " + source->name + "() does not define");
      default:
        break;
    }
  }
  const TypeSpec* cast = nullptr;
  if (lhs.kind == NodeKind::kTypeOp && lhs.op == BinOp::kAs) cast = &lhs.type;
  if (source->kind == NodeKind::kFunction &&
      (source->fn == FunctionId::kAs || source->fn == FunctionId::kOfType)) {
    cast = &source->type;
  }
  if (cast != nullptr && rhs.kind == NodeKind::kMember && cast->ns != "System") {
    const TypeNode* type = model_.Find(cast->name);
    if (type != nullptr && !type->is_primitive() && type->FindChild(rhs.name) == nullptr) {
      return Error(rhs, "'" + rhs.name + "' is not an element of " + cast->name);
    }
  }
  return Status::Ok();
}

Status Evaluator::EvalMember(const AstNode& node, const Collection& focus, Collection* out) {
  const std::string& name = node.name;
  const bool type_like = !name.empty() && name[0] >= 'A' && name[0] <= 'Z';
  for (const Item& item : focus) {
    if (item.kind == ItemKind::kTypeInfo) {
      if (name == "name") out->push_back(Item::Str(item.unit));
      if (name == "namespace") out->push_back(Item::Str(item.str));
      continue;
    }
    if (item.kind != ItemKind::kNode) continue;
    if (type_like && item.type != nullptr && item.type->is_resource() && item.type->IsA(name)) {
      out->push_back(item);
      continue;
    }
    switch (AppendChild(model_, item, name, out)) {
      case ChildLookup::kFound:
        break;
      case ChildLookup::kChoiceSuffix:
        return Error(node, "'" + name + "' names one type of a choice element; use " +
                               "the element name with ofType() or as");
      case ChildLookup::kUnknown:
        if (options_.strict) {
          return Error(node, "'" + name + "' is not an element of " +
                                 (item.type != nullptr ? item.type->name() : "this item"));
        }
        break;
    }
  }
  return Status::Ok();
}

Status Evaluator::EvalVariable(const AstNode& node, Collection* out) {
  const std::string& name = node.name;
  if (env_ != nullptr) {
    auto it = env_->variables.find(name);
    if (it != env_->variables.end()) {
      out->insert(out->end(), it->second.begin(), it->second.end());
      return Status::Ok();
    }
  }
  if (name == "resource" || name == "rootResource") {
    if (resource_ != nullptr)
      out->push_back(Item::Node(resource_, nullptr, model_.ResourceTypeOf(*resource_)));
    return Status::Ok();
  }
  if (name == "context") {
    out->insert(out->end(), context_.begin(), context_.end());
    return Status::Ok();
  }
  if (name == "ucum") return out->push_back(Item::Str("http://unitsofmeasure.org")), Status::Ok();
  if (name == "sct") return out->push_back(Item::Str("http://snomed.info/sct")), Status::Ok();
  if (name == "loinc") return out->push_back(Item::Str("http://loinc.org")), Status::Ok();
  if (name.rfind("vs-", 0) == 0) {
    out->push_back(Item::Str("http://hl7.org/fhir/ValueSet/" + name.substr(3)));
    return Status::Ok();
  }
  if (name.rfind("ext-", 0) == 0) {
    out->push_back(Item::Str("http://hl7.org/fhir/StructureDefinition/" + name.substr(4)));
    return Status::Ok();
  }
  return Error(node, "unknown variable %" + name);
}

Status Evaluator::EvalTypeOp(const AstNode& node, const Collection& focus, Collection* out) {
  Collection operand;
  HESTIA_RETURN_IF_ERROR(Eval(*node.children[0], focus, &operand));
  if (operand.empty()) return Status::Ok();
  const bool is = node.op == BinOp::kIs;
  if (operand.size() > 1 && (is || !options_.lenient_as)) {
    return Error(node, std::string(is ? "is" : "as") + " needs a single item, got " +
                           std::to_string(operand.size()));
  }
  for (const Item& item : operand) {
    bool match = false;
    HESTIA_RETURN_IF_ERROR(ItemIsType(*this, item, node.type, !is, &match));
    if (is) {
      out->push_back(Item::Bool(match));
    } else if (match) {
      out->push_back(item);
    }
  }
  return Status::Ok();
}

Status Evaluator::EvalFunction(const AstNode& node, const Collection& focus, Collection* out) {
  switch (GroupOf(node.fn)) {
    case FnGroup::kCollection:
      return CallCollectionFunction(*this, node, focus, out);
    case FnGroup::kConvert:
      return CallConvertFunction(*this, node, focus, out);
    case FnGroup::kString:
      return CallStringFunction(*this, node, focus, out);
    case FnGroup::kMath:
      return CallMathFunction(*this, node, focus, out);
    case FnGroup::kFhir:
      return CallFhirFunction(*this, node, focus, out);
  }
  return InternalError("unknown function group");
}

}  // namespace hestia::fhirpath
