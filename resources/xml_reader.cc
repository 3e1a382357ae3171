// FHIR XML → FHIR JSON (see xml_reader.h for the contract and the libxml2 safety rules).
// FHIR R4: http://hl7.org/fhir/R4/xml.html
// Thread-safety: stateless; each call owns its libxml2 parser context and document.
#include "hestia/resources/xml_reader.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>

namespace hestia::resources {
namespace {

constexpr const char* kFhirNs = "http://hl7.org/fhir";
constexpr const char* kXhtmlNs = "http://www.w3.org/1999/xhtml";

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtFree {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};

// SAX hook: a DOCTYPE stops the parser before its internal subset (and any entity declaration)
// is read. `_private` of the context carries the flag.
void RefuseDoctype(void* ctx, const xmlChar* /*name*/, const xmlChar* /*external_id*/,
                   const xmlChar* /*system_id*/) {
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  *static_cast<bool*>(ctxt->_private) = true;
  xmlStopParser(ctxt);
}

void RefuseEntityDecl(void* ctx, const xmlChar* /*name*/, int /*type*/,
                      const xmlChar* /*public_id*/, const xmlChar* /*system_id*/,
                      xmlChar* /*content*/) {
  auto* ctxt = static_cast<xmlParserCtxt*>(ctx);
  *static_cast<bool*>(ctxt->_private) = true;
  xmlStopParser(ctxt);
}

std::string_view Name(const xmlNode* n) { return reinterpret_cast<const char*>(n->name); }

bool InNamespace(const xmlNode* n, const char* ns) {
  return n->ns != nullptr && n->ns->href != nullptr &&
         std::strcmp(reinterpret_cast<const char*>(n->ns->href), ns) == 0;
}

// The value of attribute `name` without a namespace; nullopt when absent.
std::optional<std::string> Attr(const xmlNode* n, const char* name) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->ns != nullptr || std::strcmp(reinterpret_cast<const char*>(a->name), name) != 0) {
      continue;
    }
    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
    std::string out = v == nullptr ? "" : reinterpret_cast<const char*>(v);
    xmlFree(v);
    return out;
  }
  return std::nullopt;
}

class Converter {
 public:
  Converter(const TypeRegistry& registry, json::Allocator& alloc, int max_depth)
      : registry_(registry), alloc_(alloc), max_depth_(max_depth) {}

  // `node` is a resource element (<Patient xmlns="http://hl7.org/fhir">).
  Status Resource(const xmlNode* node, int depth, json::Value* out) {
    if (depth > max_depth_) return StructureError("XML nested too deeply");
    if (!InNamespace(node, kFhirNs)) {
      return StructureError("<" + std::string(Name(node)) +
                            "> is not in the FHIR namespace http://hl7.org/fhir");
    }
    const std::string type(Name(node));
    if (!registry_.IsResourceType(type)) {
      return StructureError("<" + type + "> is not an R4 resource type");
    }
    HESTIA_RETURN_IF_ERROR(CheckAttributes(node, {}, type));
    out->SetObject();
    out->AddMember("resourceType", json::MakeString(type, alloc_), alloc_);
    return Children(node, type, type, depth, out);
  }

 private:
  // Converts the FHIR child elements of `node` (whose registry context is `context`) into
  // members of the object *out.
  Status Children(const xmlNode* node, const std::string& context, const std::string& where,
                  int depth, json::Value* out) {
    for (const xmlNode* c = node->children; c != nullptr; c = c->next) {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
        if (!IsBlank(c)) return InvalidError(where + ": text content is not allowed here");
        continue;
      }
      if (c->type != XML_ELEMENT_NODE) continue;  // comments, processing instructions
      HESTIA_RETURN_IF_ERROR(Element(c, context, where, depth + 1, out));
    }
    return Status::Ok();
  }

  static bool IsBlank(const xmlNode* text) {
    for (const xmlChar* p = text->content; p != nullptr && *p != 0; ++p) {
      if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') return false;
    }
    return true;
  }

  Status Element(const xmlNode* c, const std::string& context, const std::string& where, int depth,
                 json::Value* out) {
    if (depth > max_depth_) return StructureError("XML nested too deeply");
    const std::string name(Name(c));
    const std::string path = where + "." + name;
    std::string choice_type;
    const ElementInfo* info = registry_.ChildElement(context, name, &choice_type);
    if (info == nullptr) info = ChoiceElement(context, name, &choice_type);
    if (info == nullptr) return InvalidError(path + ": unknown element");
    const bool xhtml =
        !choice_type.empty() ? false : (info->types.size() == 1 && info->types[0] == "xhtml");
    if (xhtml ? !InNamespace(c, kXhtmlNs) : !InNamespace(c, kFhirNs)) {
      return StructureError(path + ": element in the wrong namespace");
    }
    std::string type = choice_type;
    if (type.empty() && info->types.size() == 1) type = info->types[0];
    // Resource.id, Element.id and Extension.url are typed with FHIRPath system types.
    constexpr std::string_view kSystem = "http://hl7.org/fhirpath/System.";
    if (type.size() > kSystem.size() && type.compare(0, kSystem.size(), kSystem) == 0) {
      type = type.substr(kSystem.size());
      type[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(type[0])));
    }
    if (type.empty() && info->content_reference.empty()) {
      return InvalidError(path + ": element has no single type");
    }

    json::Value value;
    json::Value ext;  // the "_name" object of a primitive
    if (xhtml) {
      HESTIA_RETURN_IF_ERROR(Xhtml(c, path, &value));
    } else if (type == "Resource") {
      const xmlNode* inner = nullptr;
      for (const xmlNode* k = c->children; k != nullptr; k = k->next) {
        if (k->type == XML_ELEMENT_NODE) {
          if (inner != nullptr) return InvalidError(path + ": more than one resource");
          inner = k;
        } else if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) && !IsBlank(k)) {
          return InvalidError(path + ": text content is not allowed here");
        }
      }
      if (inner == nullptr) return InvalidError(path + ": no resource inside");
      HESTIA_RETURN_IF_ERROR(Resource(inner, depth + 1, &value));
    } else if (IsPrimitive(type)) {
      HESTIA_RETURN_IF_ERROR(CheckAttributes(c, {"value", "id"}, path));
      HESTIA_RETURN_IF_ERROR(Primitive(c, type, path, depth, &value, &ext));
    } else {
      HESTIA_RETURN_IF_ERROR(CheckAttributes(c, {"id", "url"}, path));
      value.SetObject();
      if (auto id = Attr(c, "id")) value.AddMember("id", json::MakeString(*id, alloc_), alloc_);
      if (auto url = Attr(c, "url")) {
        value.AddMember("url", json::MakeString(*url, alloc_), alloc_);
      }
      // Inline elements (BackboneElement, Element, content references) navigate by path; a
      // data type (or a choice) by its type name.
      const bool inline_type = type.empty() || type == "BackboneElement" || type == "Element";
      const std::string child_context =
          inline_type
              ? (info->content_reference.empty() ? info->path : info->content_reference.substr(1))
              : type;
      HESTIA_RETURN_IF_ERROR(Children(c, child_context, path, depth, &value));
      if (value.ObjectEmpty()) return InvalidError(path + ": element has no content");
    }
    const bool array = info->is_array && choice_type.empty();
    if (!array && AlreadySet(*out, *info, name)) {
      return InvalidError(path + ": the element repeats but is not a list");
    }
    Add(out, name, array, std::move(value), std::move(ext));
    return Status::Ok();
  }

  // True when a single-valued element (any type of a choice) is already in *out.
  static bool AlreadySet(const json::Value& out, const ElementInfo& info, const std::string& name) {
    auto has = [&](const std::string& key) {
      return out.HasMember(key.c_str()) || out.HasMember(("_" + key).c_str());
    };
    if (!info.is_choice) return has(name);
    for (const std::string& t : info.types) {
      if (t.empty()) continue;
      std::string key = info.name + t;
      key[info.name.size()] =
          static_cast<char>(std::toupper(static_cast<unsigned char>(key[info.name.size()])));
      if (has(key)) return true;
    }
    return false;
  }

  // Rejects attributes other than `allowed` (namespace declarations are not attributes).
  static Status CheckAttributes(const xmlNode* n, std::initializer_list<std::string_view> allowed,
                                const std::string& path) {
    for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      const std::string_view name(reinterpret_cast<const char*>(a->name));
      bool ok = a->ns == nullptr;
      if (ok) {
        ok = false;
        for (std::string_view x : allowed) ok = ok || x == name;
      }
      if (!ok) return InvalidError(path + ": unexpected attribute '" + std::string(name) + "'");
    }
    return Status::Ok();
  }

  // Places value (and the primitive's "_name" object when not null) under `name`.
  void Add(json::Value* out, const std::string& name, bool array, json::Value value,
           json::Value ext) {
    const std::string ext_name = "_" + name;
    if (!array) {
      if (!value.IsNull()) out->AddMember(json::MakeString(name, alloc_), value, alloc_);
      if (!ext.IsNull()) out->AddMember(json::MakeString(ext_name, alloc_), ext, alloc_);
      return;
    }
    auto it = out->FindMember(name.c_str());
    auto ext_it = out->FindMember(ext_name.c_str());
    // Current length of the array (either list may be absent so far).
    rapidjson::SizeType len = 0;
    if (it != out->MemberEnd()) len = it->value.Size();
    if (ext_it != out->MemberEnd()) len = std::max(len, ext_it->value.Size());
    if (!value.IsNull() || it != out->MemberEnd()) {
      if (it == out->MemberEnd()) {
        json::Value arr(rapidjson::kArrayType);
        for (rapidjson::SizeType i = 0; i < len; ++i) arr.PushBack(json::Value(), alloc_);
        out->AddMember(json::MakeString(name, alloc_), arr, alloc_);
        it = out->FindMember(name.c_str());
        ext_it = out->FindMember(ext_name.c_str());
      }
      it->value.PushBack(value, alloc_);
    }
    if (!ext.IsNull() || ext_it != out->MemberEnd()) {
      if (ext_it == out->MemberEnd()) {
        json::Value arr(rapidjson::kArrayType);
        for (rapidjson::SizeType i = 0; i < len; ++i) arr.PushBack(json::Value(), alloc_);
        out->AddMember(json::MakeString(ext_name, alloc_), arr, alloc_);
        ext_it = out->FindMember(ext_name.c_str());
        it = out->FindMember(name.c_str());
      }
      ext_it->value.PushBack(ext, alloc_);
    }
    // Keep both lists the same length: a primitive with only extensions is null in `name`.
    if (it != out->MemberEnd() && ext_it != out->MemberEnd()) {
      while (it->value.Size() < ext_it->value.Size()) it->value.PushBack(json::Value(), alloc_);
      while (ext_it->value.Size() < it->value.Size()) {
        ext_it->value.PushBack(json::Value(), alloc_);
      }
    }
  }

  // Choice elements whose name has capitals of its own ("multipleBirthInteger" →
  // "multipleBirth[x]"), which TypeRegistry::ChildElement does not try past the first capital.
  const ElementInfo* ChoiceElement(const std::string& context, const std::string& name,
                                   std::string* choice_type) const {
    for (std::size_t i = 1; i < name.size(); ++i) {
      if (std::isupper(static_cast<unsigned char>(name[i])) == 0) continue;
      const ElementInfo* choice = registry_.ChildElement(context, name.substr(0, i) + "[x]");
      if (choice == nullptr || !choice->is_choice) continue;
      const std::string_view suffix = std::string_view(name).substr(i);
      for (const std::string& t : choice->types) {
        if (!t.empty() && t.size() == suffix.size() && t.substr(1) == suffix.substr(1) &&
            std::toupper(static_cast<unsigned char>(t[0])) == suffix[0]) {
          *choice_type = t;
          return choice;
        }
      }
    }
    return nullptr;
  }

  bool IsPrimitive(const std::string& type) const {
    const TypeInfo* t = registry_.FindType(type);
    return t != nullptr && t->kind == "primitive-type";
  }

  Status Primitive(const xmlNode* c, const std::string& type, const std::string& path, int depth,
                   json::Value* value, json::Value* ext) {
    if (auto text = Attr(c, "value")) {
      HESTIA_RETURN_IF_ERROR(PrimitiveValue(*text, type, path, value));
    }
    json::Value e(rapidjson::kObjectType);
    if (auto id = Attr(c, "id")) e.AddMember("id", json::MakeString(*id, alloc_), alloc_);
    // A primitive's children may only be extensions (the Element of the primitive type).
    HESTIA_RETURN_IF_ERROR(Children(c, type, path, depth, &e));
    for (auto m = e.MemberBegin(); m != e.MemberEnd(); ++m) {
      const std::string_view key = json::AsStringView(m->name);
      if (key != "id" && key != "extension") {
        return InvalidError(path + ": a primitive may only carry id and extension");
      }
    }
    if (!e.ObjectEmpty()) *ext = std::move(e);
    if (value->IsNull() && ext->IsNull()) {
      return InvalidError(path + ": a primitive needs a value or an extension");
    }
    return Status::Ok();
  }

  Status PrimitiveValue(const std::string& text, const std::string& type, const std::string& path,
                        json::Value* value) {
    if (type == "boolean") {
      if (text != "true" && text != "false") {
        return ValueError(path + ": '" + text + "' is not a boolean");
      }
      value->SetBool(text == "true");
      return Status::Ok();
    }
    if (type == "integer" || type == "positiveInt" || type == "unsignedInt" || type == "decimal") {
      // FHIR's lexical forms are JSON number forms; the JSON reader applies the exact
      // (raw-number) rule so XML and JSON input agree.
      const bool bad_edges = text.empty() || text.front() == ' ' || text.back() == ' ' ||
                             text.front() == '\n' || text.back() == '\n' || text.front() == '\t' ||
                             text.back() == '\t';
      json::Document num;
      if (bad_edges || text.size() > 64 || !json::Parse(text, json::Limits{}, &num).ok() ||
          !json::IsNumber(num)) {
        return ValueError(path + ": '" + text + "' is not a valid " + type);
      }
      if (type != "decimal" &&
          (text.find_first_of(".eE") != std::string::npos || !(num.IsInt64() || num.IsUint64()))) {
        return ValueError(path + ": '" + text + "' is not a valid " + type);
      }
      value->CopyFrom(num, alloc_);
      return Status::Ok();
    }
    *value = json::MakeString(text, alloc_);
    return Status::Ok();
  }

  Status Xhtml(const xmlNode* c, const std::string& path, json::Value* value) {
    std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), &xmlBufferFree);
    if (buf == nullptr) return InternalError("out of memory");
    // A copy carries the namespaces declared on ancestors (libxml2 reconciles them onto the
    // copied root), so the text is well-formed XHTML on its own.
    std::unique_ptr<xmlNode, decltype(&xmlFreeNode)> copy(
        xmlDocCopyNode(const_cast<xmlNode*>(c), c->doc, 1), &xmlFreeNode);
    if (copy == nullptr) return InternalError("out of memory");
    if (xmlNodeDump(buf.get(), c->doc, copy.get(), 0, 0) < 0) {
      return InvalidError(path + ": cannot serialize the xhtml");
    }
    *value = json::MakeString(
        std::string_view(reinterpret_cast<const char*>(xmlBufferContent(buf.get())),
                         static_cast<std::size_t>(xmlBufferLength(buf.get()))),
        alloc_);
    return Status::Ok();
  }

  const TypeRegistry& registry_;
  json::Allocator& alloc_;
  int max_depth_;
};

}  // namespace

Status ParseXmlResource(std::string_view text, const TypeRegistry& registry, json::Document* out,
                        const XmlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status(StatusCode::kTooLarge,
                  "the XML body is larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (text.size() > static_cast<std::size_t>(INT32_MAX)) {
    return Status(StatusCode::kTooLarge, "the XML body is too large");
  }
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(xmlNewParserCtxt());
  if (ctxt == nullptr || ctxt->sax == nullptr) return InternalError("out of memory");
  bool doctype = false;
  ctxt->_private = &doctype;
  ctxt->sax->internalSubset = &RefuseDoctype;
  ctxt->sax->entityDecl = &RefuseEntityDecl;
  // Deliberately absent: XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, HUGE (ARCHITECTURE §2).
  constexpr int kOptions = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  std::unique_ptr<xmlDoc, DocFree> doc(xmlCtxtReadMemory(
      ctxt.get(), text.data(), static_cast<int>(text.size()), nullptr, nullptr, kOptions));
  if (doctype) return StructureError("XML with a DOCTYPE is not accepted");
  if (doc == nullptr || ctxt->wellFormed == 0) {
    const xmlError* err = xmlCtxtGetLastError(ctxt.get());
    std::string why = err != nullptr && err->message != nullptr ? err->message : "not well-formed";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    const int line = err != nullptr ? err->line : 0;
    return StructureError("malformed XML (line " + std::to_string(line) + "): " + why);
  }
  if (doc->intSubset != nullptr || doc->extSubset != nullptr) {
    return StructureError("XML with a DOCTYPE is not accepted");
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return StructureError("the XML document has no root element");
  out->SetObject();
  Converter converter(registry, out->GetAllocator(), limits.max_depth);
  return converter.Resource(root, 0, out);
}

}  // namespace hestia::resources
