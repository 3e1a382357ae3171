// Equality, equivalence and ordering of FHIRPath items (private to hestia_fhirpath).
//
// Owns: FHIRPath N1 §"Equality" (= with empty results for unknown comparisons, ~ with
// case/whitespace-insensitive strings and precision-reduced decimals), ordering for < > <= >=
// and sort(), and Quantity comparison through UCUM conversion.
// Thread-safety: stateless functions.
#pragma once

#include <optional>

#include "hestia/base/status.h"
#include "hestia/fhirpath/value.h"

namespace hestia::fhirpath {

// a = b for single items; nullopt when the answer is unknown (different date precisions,
// incomparable quantity units).
std::optional<bool> ItemsEqual(const Item& a, const Item& b);
bool ItemsEquivalent(const Item& a, const Item& b);
// Ordering: *out is <0, 0, >0, or nullopt when indeterminate. Fails (kInvalid) when the two
// items are of types that cannot be ordered against each other.
Status CompareItems(const Item& a, const Item& b, std::optional<int>* out);

// Collection = and ~ (order-sensitive and order-insensitive respectively).
std::optional<bool> CollectionsEqual(const Collection& a, const Collection& b);
bool CollectionsEquivalent(const Collection& a, const Collection& b);
// True when some item of `c` is = to `x` (distinct, union, in, contains).
bool ContainsItem(const Collection& c, const Item& x);

}  // namespace hestia::fhirpath
