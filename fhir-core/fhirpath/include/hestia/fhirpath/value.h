// FHIRPath values: the items of a collection.
//
// Owns: the System types of FHIRPath N1 (Boolean, String, Integer, Decimal, Date, DateTime,
// Time, Quantity), type descriptors returned by type(), and FHIR *nodes* — borrowed pointers
// into a resource's JSON DOM together with their FHIR type from the model.
// A node never owns JSON: a Collection that holds nodes is valid only while the document it
// was evaluated over is alive and unmodified.
// Thread-safety: value types; no shared mutable state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hestia/base/json.h"
#include "hestia/base/status.h"

namespace hestia::fhirpath {

class TypeNode;  // model.h

// A decimal keeps its value and its lexical scale (digits after the point): FHIRPath prints
// 1.0 as "1.0" and precision() needs the scale. Arithmetic rounds to the scale the operation
// defines, so 0.1 + 0.2 = 0.3 holds.
struct Decimal {
  double value = 0;
  int scale = 0;
};

// Parses "1.50", "-3", "2e3" into a Decimal; false when `text` is not a decimal.
bool ParseDecimal(std::string_view text, Decimal* out);
// "1.50" (fixed, `scale` digits).
std::string FormatDecimal(const Decimal& d);
// Rounds `value` to `scale` digits after the point.
Decimal MakeDecimal(double value, int scale);

// Precision of a date/time value, coarse to fine.
enum class DtPrecision : uint8_t {
  kYear = 1,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
};

// A Date, DateTime or Time. Fields finer than `precision` are zero. A Time uses only the
// hour..millisecond fields.
struct DateTime {
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int millis = 0;
  DtPrecision precision = DtPrecision::kYear;
  bool has_tz = false;
  bool tz_z = false;   // written as "Z"
  int tz_minutes = 0;  // offset east of UTC
};

enum class ItemKind : uint8_t {
  kNode,  // FHIR element or resource (JSON-backed)
  kBoolean,
  kString,
  kInteger,
  kDecimal,
  kDate,
  kDateTime,
  kTime,
  kQuantity,
  kTypeInfo,  // result of type(): str = namespace, unit = name
};

// One item of a collection. Only the fields of its kind are meaningful.
struct Item {
  ItemKind kind = ItemKind::kNode;
  // kNode: the element's JSON (object, primitive, or nullptr for a primitive that has only
  // an id/extension), the "_name" sibling of a primitive (or nullptr), and its FHIR type
  // (nullptr when the model does not know the element).
  const json::Value* json = nullptr;
  const json::Value* ext = nullptr;
  const TypeNode* type = nullptr;
  bool boolean = false;
  int64_t integer = 0;
  Decimal decimal;
  DateTime dt;
  std::string str;   // kString text; kTypeInfo namespace
  std::string unit;  // kQuantity unit (UCUM code or calendar word); kTypeInfo name

  static Item Bool(bool b) {
    Item i;
    i.kind = ItemKind::kBoolean;
    i.boolean = b;
    return i;
  }
  static Item Int(int64_t v) {
    Item i;
    i.kind = ItemKind::kInteger;
    i.integer = v;
    return i;
  }
  static Item Dec(Decimal d) {
    Item i;
    i.kind = ItemKind::kDecimal;
    i.decimal = d;
    return i;
  }
  static Item Str(std::string s) {
    Item i;
    i.kind = ItemKind::kString;
    i.str = std::move(s);
    return i;
  }
  static Item Quantity(Decimal d, std::string unit) {
    Item i;
    i.kind = ItemKind::kQuantity;
    i.decimal = d;
    i.unit = std::move(unit);
    return i;
  }
  static Item Temporal(ItemKind kind, const DateTime& dt) {
    Item i;
    i.kind = kind;
    i.dt = dt;
    return i;
  }
  static Item Node(const json::Value* json, const json::Value* ext, const TypeNode* type) {
    Item i;
    i.json = json;
    i.ext = ext;
    i.type = type;
    return i;
  }
};

using Collection = std::vector<Item>;

// Parses FHIRPath / FHIR date and time text without the leading '@'. `ParseDateTimeText`
// accepts "2015", "2015-02", "2015-02-04", "2015-02-04T14", "…T14:34:28.123+10:00" and sets
// *is_date when the text has no time part. `ParseTimeText` accepts "14", "14:34:28.123".
bool ParseDateTimeText(std::string_view text, DateTime* out, bool* is_date);
bool ParseTimeText(std::string_view text, DateTime* out);
// Canonical text without '@': "2015-02-04", "2015-02-04T14:34:28.123+10:00", "14:34:28".
std::string FormatTemporal(ItemKind kind, const DateTime& dt);

// Type name of an item for messages and the CLI: "System.Integer", "FHIR.HumanName".
std::string TypeNameOf(const Item& item);

}  // namespace hestia::fhirpath
