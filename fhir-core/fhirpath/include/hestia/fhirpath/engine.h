// The FHIRPath engine: compile once, evaluate many times.
//
// Owns: the public API of hestia_fhirpath. An Engine holds the type model (built from the
// TypeRegistry) and a cache of compiled expressions keyed by their text. Evaluation runs
// over a resource's JSON DOM (hestia/base/json.h) and returns a Collection whose node items
// borrow from that DOM.
// FHIRPath N1: http://hl7.org/fhirpath/N1/ ; FHIR R4: http://hl7.org/fhir/R4/fhirpath.html
// Thread-safety: Engine is thread-safe (the cache takes a mutex; compiled expressions are
// immutable). One evaluation runs on one thread; many may run concurrently.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "hestia/base/json.h"
#include "hestia/base/status.h"
#include "hestia/base/time.h"
#include "hestia/fhirpath/model.h"
#include "hestia/fhirpath/value.h"
#include "hestia/resources/type_registry.h"

namespace hestia::fhirpath {

struct AstNode;

// A parsed expression. Immutable; share freely across threads.
class Expression {
 public:
  explicit Expression(std::string text, std::unique_ptr<AstNode> root);
  ~Expression();
  const std::string& text() const { return text_; }
  const AstNode& root() const { return *root_; }

 private:
  std::string text_;
  std::unique_ptr<AstNode> root_;
};

// Services the host offers to an evaluation. Every member is optional.
struct Environment {
  // Extra %variables (name without '%').
  std::map<std::string, Collection, std::less<>> variables;
  // resolve() for references the engine cannot find in the resource or its Bundle:
  // returns the target resource or nullptr. The returned JSON must outlive the result.
  std::function<const json::Value*(std::string_view reference)> resolve;
  // memberOf(): true/false, or nullopt when the value set is unknown (result is empty).
  std::function<std::optional<bool>(const Item& coded, std::string_view value_set)> member_of;
  // trace(): receives the label and the traced collection.
  std::function<void(std::string_view label, const Collection& items)> trace;
};

struct EvalOptions {
  // Strict mode: navigating to an element the model does not define is an error, as is a
  // type-name path step that does not match the context (FHIRPath "semantic" errors).
  bool strict = false;
  // `as` on more than one item is an error in FHIRPath N1; R4 SearchParameter expressions
  // rely on it filtering (ActivityDefinition.useContext.value as CodeableConcept), so search
  // extraction sets this to treat `x as T` like `x.ofType(T)`.
  bool lenient_as = false;
  int max_depth = 200;                // nested evaluations (functions, operators)
  std::size_t max_items = 1'000'000;  // items in any intermediate collection
  // Work budget: node evaluations plus item comparisons (distinct, union, repeat…). Bounds
  // the CPU time of hostile expressions such as nested select()s or distinct() over large
  // products; ~10^7 steps is well under a second.
  uint64_t max_steps = 10'000'000;
  int32_t regex_time_limit = 50;  // ICU matcher time limit, in ICU steps (~ms)
  Micros now = 0;                 // now()/today(); 0 = the clock at evaluation start
};

class Engine {
 public:
  // Builds the model from `registry`. Fails with kInternal when the registry is unusable.
  static Result<std::shared_ptr<const Engine>> Create(
      const std::shared_ptr<const resources::TypeRegistry>& registry);

  // Parses `text` without the cache and without the model (syntax, function names and
  // argument counts only); fails as Compile() does.
  static Result<std::shared_ptr<const Expression>> Parse(std::string_view text);

  // Compiles `text`, or returns the cached compilation. Fails with kInvalid naming the
  // position for a syntax error, unknown function or wrong argument count.
  Result<std::shared_ptr<const Expression>> Compile(std::string_view text) const;

  // Evaluates `expr` with `resource` as %resource, %rootResource and the context item.
  // Fails with kInvalid for evaluation errors (type mismatch, singleton expected, strict-mode
  // violations) and kTooLarge when a limit is hit. `env` may be null.
  Result<Collection> Evaluate(const Expression& expr, const json::Value& resource,
                              const Environment* env = nullptr,
                              const EvalOptions& options = {}) const;
  // As above with an explicit context collection (e.g. an element inside `resource`).
  Result<Collection> Evaluate(const Expression& expr, const Collection& context,
                              const json::Value* resource, const Environment* env,
                              const EvalOptions& options) const;
  // Compile (cached) + Evaluate.
  Result<Collection> Evaluate(std::string_view text, const json::Value& resource,
                              const Environment* env = nullptr,
                              const EvalOptions& options = {}) const;

  // The context item for a resource: a node typed by its resourceType.
  Item ResourceItem(const json::Value& resource) const;
  const Model& model() const { return *model_; }

 private:
  explicit Engine(std::shared_ptr<const Model> model) : model_(std::move(model)) {}
  std::shared_ptr<const Model> model_;
  static constexpr std::size_t kMaxCacheEntries = 8192;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Expression>, StringHash,
                             std::equal_to<>>
      cache_;
};

// Converts the result to JSON for tools: [{"type":"System.Integer","value":4}, …]; a primitive
// node with an id or extensions also carries "_value" (as in FHIR JSON). Node
// values are copied from the resource.
std::string CollectionToJson(const Collection& items, bool pretty);
// A display form of one item ("4", "'1 wk'" as 1 'wk', "2015-02-04", node JSON text).
std::string ItemToString(const Item& item);

}  // namespace hestia::fhirpath
