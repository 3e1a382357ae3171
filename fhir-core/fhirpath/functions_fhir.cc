// The FHIR additions to FHIRPath: extension(), hasValue(), getValue(), resolve(),
// memberOf(), htmlChecks(), conformsTo(), and the terminology/profile functions that need
// services this engine does not own (they return empty).
// FHIR R4: http://hl7.org/fhir/R4/fhirpath.html#functions
// Thread-safety: stateless functions over one Evaluator.
#include <algorithm>
#include <string>

#include "functions.h"
#include "hestia/fhirpath/model.h"
#include "navigation.h"

namespace hestia::fhirpath {
namespace {

using F = FunctionId;

constexpr std::string_view kSdPrefix = "http://hl7.org/fhir/StructureDefinition/";

const json::Value* FindContained(const json::Value& resource, std::string_view id) {
  const json::Value* contained = json::Member(resource, "contained");
  if (contained == nullptr || !contained->IsArray()) return nullptr;
  for (const auto& r : contained->GetArray()) {
    if (json::StringMember(r, "id") == id) return &r;
  }
  return nullptr;
}

// "Patient/123", "http://x/fhir/Patient/123/_history/2" → ("Patient", "123").
bool SplitReference(std::string_view ref, std::string_view* type, std::string_view* id) {
  if (const auto h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const auto slash = ref.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  *id = ref.substr(slash + 1);
  std::string_view head = ref.substr(0, slash);
  const auto prev = head.rfind('/');
  *type = prev == std::string_view::npos ? head : head.substr(prev + 1);
  return !type->empty() && !id->empty();
}

const json::Value* FindInBundle(const json::Value& bundle, std::string_view ref) {
  if (json::StringMember(bundle, "resourceType") != "Bundle") return nullptr;
  const json::Value* entries = json::Member(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) return nullptr;
  std::string_view type;
  std::string_view id;
  const bool typed = SplitReference(ref, &type, &id);
  for (const auto& e : entries->GetArray()) {
    const json::Value* res = json::Member(e, "resource");
    if (res == nullptr) continue;
    if (json::StringMember(e, "fullUrl") == ref) return res;
    if (typed && json::StringMember(*res, "resourceType") == type &&
        json::StringMember(*res, "id") == id) {
      return res;
    }
  }
  return nullptr;
}

void Resolve(Evaluator& ev, const Item& item, Collection* out) {
  std::string_view ref;
  if (item.kind == ItemKind::kString) {
    ref = item.str;
  } else if (item.kind == ItemKind::kNode && item.json != nullptr && item.json->IsObject()) {
    ref = json::StringMember(*item.json, "reference");
  } else if (!NodeText(item, &ref)) {
    return;
  }
  if (ref.empty()) return;
  const json::Value* target = nullptr;
  if (ref[0] == '#') {
    if (ev.resource() != nullptr) target = FindContained(*ev.resource(), ref.substr(1));
  } else if (ev.resource() != nullptr) {
    target = FindInBundle(*ev.resource(), ref);
  }
  if (target == nullptr && ev.env() != nullptr && ev.env()->resolve)
    target = ev.env()->resolve(ref);
  if (target != nullptr) {
    out->push_back(Item::Node(target, nullptr, ev.model().ResourceTypeOf(*target)));
    return;
  }
  // Unresolvable but typed ("Patient/123"): an empty stand-in of that type, so that search
  // expressions such as subject.where(resolve() is Patient) work without fetching.
  std::string_view type;
  std::string_view id;
  if (SplitReference(ref, &type, &id)) {
    const TypeNode* t = ev.model().Find(type);
    if (t != nullptr && t->is_resource()) out->push_back(Item::Node(nullptr, nullptr, t));
  }
}

bool SafeXhtml(std::string_view div) {
  std::string lower(div);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view bad : {"<script", "javascript:", "<iframe", "<object", "<embed", "<form",
                               " onclick", " onload", " onerror", " onmouseover"}) {
    if (lower.find(bad) != std::string::npos) return false;
  }
  return true;
}

}  // namespace

Status CallFhirFunction(Evaluator& ev, const AstNode& node, const Collection& input,
                        Collection* out) {
  switch (node.fn) {
    case F::kExtension: {
      Collection arg;
      HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &arg));
      std::optional<std::string> url;
      HESTIA_RETURN_IF_ERROR(ev.SingleString(arg, &url, "extension"));
      if (!url) return Status::Ok();
      for (const Item& item : input) {
        Collection extensions;
        AppendChild(ev.model(), item, "extension", &extensions);
        for (Item& e : extensions) {
          if (e.json != nullptr && json::StringMember(*e.json, "url") == *url) {
            out->push_back(std::move(e));
          }
        }
      }
      return Status::Ok();
    }
    case F::kHasValue: {
      Item v;
      out->push_back(Item::Bool(input.size() == 1 &&
                                (input[0].kind != ItemKind::kNode ||
                                 (IsPrimitiveNode(input[0]) && ev.ToSystem(input[0], &v)))));
      return Status::Ok();
    }
    case F::kGetValue: {
      Item v;
      if (input.size() == 1 && IsPrimitiveNode(input[0]) && ev.ToSystem(input[0], &v)) {
        out->push_back(std::move(v));
      }
      return Status::Ok();
    }
    case F::kResolve:
      for (const Item& item : input) Resolve(ev, item, out);
      return Status::Ok();
    case F::kMemberOf: {
      Collection arg;
      HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &arg));
      std::optional<std::string> vs;
      HESTIA_RETURN_IF_ERROR(ev.SingleString(arg, &vs, "memberOf"));
      if (!vs || input.size() != 1 || ev.env() == nullptr || !ev.env()->member_of) {
        return Status::Ok();
      }
      if (auto member = ev.env()->member_of(input[0], *vs)) out->push_back(Item::Bool(*member));
      return Status::Ok();
    }
    case F::kHtmlChecks: {
      bool ok = true;
      for (const Item& item : input) {
        std::string_view text;
        if (NodeText(item, &text) || (item.kind == ItemKind::kString && (text = item.str, true))) {
          ok = ok && SafeXhtml(text);
        }
      }
      out->push_back(Item::Bool(ok));
      return Status::Ok();
    }
    case F::kConformsTo: {
      Collection arg;
      HESTIA_RETURN_IF_ERROR(ev.EvalArg(*node.children[0], &arg));
      std::optional<std::string> url;
      HESTIA_RETURN_IF_ERROR(ev.SingleString(arg, &url, "conformsTo"));
      if (!url) return Status::Ok();
      if (url->rfind(kSdPrefix, 0) != 0) {
        return ev.Error(node, "conformsTo(): unknown profile '" + *url + "'");
      }
      const std::string name = url->substr(kSdPrefix.size());
      const TypeNode* profile = ev.model().Find(name);
      for (const Item& item : input) {
        if (profile == nullptr) {
          return ev.Error(node, "conformsTo(): profile '" + *url + "' is not a base definition");
        }
        out->push_back(Item::Bool(item.kind == ItemKind::kNode && item.type != nullptr &&
                                  item.type->IsA(profile->name())));
      }
      return Status::Ok();
    }
    default:
      // elementDefinition(), slice(), checkModifiers(), subsumes(), subsumedBy() need
      // profiles and terminology this engine does not hold yet: a clear error, never a
      // silent empty result.
      return ev.Error(node,
                      "this FHIRPath function is not supported yet: it needs profiles "
                      "or terminology that the server does not hold");
  }
}

}  // namespace hestia::fhirpath
