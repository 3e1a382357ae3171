// Navigation over JSON-backed FHIR nodes (private to hestia_fhirpath).
//
// Owns: how a FHIRPath path step maps to FHIR JSON — arrays flatten, choice types are found
// by their typed key (value → valueQuantity), primitives pair with their "_name" sibling
// (id and extensions), Resource-typed elements take their type from "resourceType" — and
// the conversion of primitive nodes to System values.
// Thread-safety: stateless functions.
#pragma once

#include <string_view>

#include "hestia/fhirpath/model.h"
#include "hestia/fhirpath/value.h"

namespace hestia::fhirpath {

enum class ChildLookup : uint8_t {
  kFound,         // the element is defined (it may still be absent: no items)
  kUnknown,       // the type has no such element
  kChoiceSuffix,  // "valueQuantity": a typed choice name, not valid FHIRPath
};

// Appends the items of child `name` of `item` to *out. Untyped nodes (type == nullptr)
// navigate by JSON key alone.
ChildLookup AppendChild(const Model& model, const Item& item, std::string_view name,
                        Collection* out);

// Appends every child item of `item` (children()).
void AppendAllChildren(const Model& model, const Item& item, Collection* out);

// Node → System value (primitives; Quantity-typed nodes → System Quantity). Non-nodes are
// copied. Returns false when there is no value (a primitive with only extensions, or a
// complex node that is not a Quantity).
bool ToSystem(const Item& in, Item* out);

// True for a node whose JSON is a string (FHIR string, code, uri, date…), with its text.
bool NodeText(const Item& item, std::string_view* text);

// True when `item` is a FHIR primitive node (typed or untyped JSON scalar).
bool IsPrimitiveNode(const Item& item);

}  // namespace hestia::fhirpath
