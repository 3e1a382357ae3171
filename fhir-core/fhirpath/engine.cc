// The FHIRPath engine: the expression cache and the evaluation entry points. See engine.h.
// Thread-safety: the cache is guarded by cache_mu_; everything else is immutable or
// per-evaluation.
#include "hestia/fhirpath/engine.h"

#include "ast.h"
#include "evaluator.h"
#include "parser.h"

namespace hestia::fhirpath {

Expression::Expression(std::string text, std::unique_ptr<AstNode> root)
    : text_(std::move(text)), root_(std::move(root)) {}
Expression::~Expression() = default;

Result<std::shared_ptr<const Engine>> Engine::Create(
    const std::shared_ptr<const resources::TypeRegistry>& registry) {
  HESTIA_ASSIGN_OR_RETURN(auto model, Model::Build(registry));
  return std::shared_ptr<const Engine>(new Engine(std::move(model)));
}

Result<std::shared_ptr<const Expression>> Engine::Parse(std::string_view text) {
  HESTIA_ASSIGN_OR_RETURN(auto ast, fhirpath::Parse(text));
  return std::make_shared<const Expression>(std::string(text), std::move(ast));
}

Result<std::shared_ptr<const Expression>> Engine::Compile(std::string_view text) const {
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(text);
    if (it != cache_.end()) return it->second;
  }
  HESTIA_ASSIGN_OR_RETURN(auto expr, Parse(text));
  std::lock_guard<std::mutex> lock(cache_mu_);
  // A bounded cache: when it is full (expressions built from user input), start over.
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  auto [it, inserted] = cache_.emplace(std::string(text), expr);
  return it->second;
}

Item Engine::ResourceItem(const json::Value& resource) const {
  return Item::Node(&resource, nullptr, model_->ResourceTypeOf(resource));
}

Result<Collection> Engine::Evaluate(const Expression& expr, const json::Value& resource,
                                    const Environment* env, const EvalOptions& options) const {
  return Evaluate(expr, Collection{ResourceItem(resource)}, &resource, env, options);
}

Result<Collection> Engine::Evaluate(const Expression& expr, const Collection& context,
                                    const json::Value* resource, const Environment* env,
                                    const EvalOptions& options) const {
  Evaluator ev(*model_, options, env, resource, context);
  Collection out;
  Status s = ev.Eval(expr.root(), context, &out);
  if (!s.ok()) return Status(s.code(), s.message(), expr.text());
  return out;
}

Result<Collection> Engine::Evaluate(std::string_view text, const json::Value& resource,
                                    const Environment* env, const EvalOptions& options) const {
  HESTIA_ASSIGN_OR_RETURN(auto expr, Compile(text));
  return Evaluate(*expr, resource, env, options);
}

}  // namespace hestia::fhirpath
