// The FHIRPath tree-walking evaluator (private to hestia_fhirpath).
//
// Owns: one evaluation — the focus, $this/$index/$total frames, %variables, limits — and the
// helpers every function group uses (singleton and boolean conversions, lambda evaluation).
// Operators live in operators.cc, navigation in navigation.cc, functions in functions_*.cc.
// Thread-safety: an Evaluator is confined to one thread for one evaluation.
#pragma once

#include <optional>
#include <string>

#include "ast.h"
#include "hestia/fhirpath/engine.h"
#include "hestia/fhirpath/model.h"
#include "hestia/fhirpath/value.h"

namespace hestia::fhirpath {

class Evaluator {
 public:
  Evaluator(const Model& model, const EvalOptions& options, const Environment* env,
            const json::Value* resource, Collection context);

  // Evaluates `node` with `focus` as its input collection; appends nothing on error.
  Status Eval(const AstNode& node, const Collection& focus, Collection* out);
  // Evaluates a function argument once, against the enclosing $this.
  Status EvalArg(const AstNode& arg, Collection* out);
  // Evaluates a lambda argument for one item ($this = item, $index = index).
  Status EvalLambda(const AstNode& arg, const Item& item, int64_t index, Collection* out);
  // As EvalLambda with $total set (aggregate()).
  Status EvalAggregate(const AstNode& arg, const Item& item, int64_t index, const Collection& total,
                       Collection* out);

  const Model& model() const { return model_; }
  const EvalOptions& options() const { return options_; }
  const Environment* env() const { return env_; }
  const json::Value* resource() const { return resource_; }
  const Collection& context() const { return context_; }
  Micros now();
  // $index of the innermost lambda (0 outside one).
  int64_t current_index() const { return frame_.index; }

  Status CheckSize(std::size_t n) const;
  // Spends `units` of the work budget (EvalOptions::max_steps); kTooLarge when exhausted.
  Status Charge(uint64_t units);

  // Node → System value for primitives and Quantity-typed nodes; other items unchanged.
  // Returns false when a primitive node has no value (extension only).
  bool ToSystem(const Item& in, Item* out) const;

  // Singleton evaluation of a collection as Boolean (FHIRPath §"Singleton evaluation"):
  // nullopt for empty; error for more than one item.
  Status AsBoolean(const Collection& c, std::optional<bool>* out, const char* what) const;
  // The single item converted to a System value; nullopt when empty; error when >1.
  Status Single(const Collection& c, std::optional<Item>* out, const char* what) const;
  // The single String (FHIR string-like nodes convert); nullopt when empty.
  Status SingleString(const Collection& c, std::optional<std::string>* out, const char* what) const;
  Status SingleInteger(const Collection& c, std::optional<int64_t>* out, const char* what) const;

  Status Error(const AstNode& at, const std::string& message) const;

 private:
  struct Frame {
    const Item* this_item = nullptr;
    int64_t index = 0;
    const Collection* total = nullptr;
  };
  class FrameScope;

  Status EvalNode(const AstNode& node, const Collection& focus, Collection* out);
  Status CheckStrictInvocation(const AstNode& node) const;
  Status EvalMember(const AstNode& node, const Collection& focus, Collection* out);
  Status EvalVariable(const AstNode& node, Collection* out);
  Status EvalFunction(const AstNode& node, const Collection& focus, Collection* out);
  Status EvalTypeOp(const AstNode& node, const Collection& focus, Collection* out);

  const Model& model_;
  const EvalOptions& options_;
  const Environment* env_;
  const json::Value* resource_;
  Collection context_;
  Frame frame_;
  bool in_lambda_ = false;
  int depth_ = 0;
  uint64_t steps_ = 0;
  Micros now_ = 0;
};

}  // namespace hestia::fhirpath
