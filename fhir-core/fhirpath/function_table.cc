// The table of FHIRPath function names. See function_table.h.
// Thread-safety: immutable static data.
#include "function_table.h"

#include <array>

namespace hestia::fhirpath {
namespace {

using F = FunctionId;

constexpr FunctionSpec kFunctions[] = {
    {"empty", F::kEmpty, 0, 0, false, false},
    {"exists", F::kExists, 0, 1, true, false},
    {"all", F::kAll, 1, 1, true, false},
    {"allTrue", F::kAllTrue, 0, 0, false, false},
    {"anyTrue", F::kAnyTrue, 0, 0, false, false},
    {"allFalse", F::kAllFalse, 0, 0, false, false},
    {"anyFalse", F::kAnyFalse, 0, 0, false, false},
    {"subsetOf", F::kSubsetOf, 1, 1, false, false},
    {"supersetOf", F::kSupersetOf, 1, 1, false, false},
    {"count", F::kCount, 0, 0, false, false},
    {"distinct", F::kDistinct, 0, 0, false, false},
    {"isDistinct", F::kIsDistinct, 0, 0, false, false},
    {"where", F::kWhere, 1, 1, true, false},
    {"select", F::kSelect, 1, 1, true, false},
    {"repeat", F::kRepeat, 1, 1, true, false},
    {"ofType", F::kOfType, 1, 1, false, true},
    {"single", F::kSingle, 0, 0, false, false},
    {"first", F::kFirst, 0, 0, false, false},
    {"last", F::kLast, 0, 0, false, false},
    {"tail", F::kTail, 0, 0, false, false},
    {"skip", F::kSkip, 1, 1, false, false},
    {"take", F::kTake, 1, 1, false, false},
    {"intersect", F::kIntersect, 1, 1, false, false},
    {"exclude", F::kExclude, 1, 1, false, false},
    {"union", F::kUnion, 1, 1, false, false},
    {"combine", F::kCombine, 1, 1, false, false},
    {"iif", F::kIif, 2, 3, true, false},
    {"toBoolean", F::kToBoolean, 0, 0, false, false},
    {"convertsToBoolean", F::kConvertsToBoolean, 0, 0, false, false},
    {"toInteger", F::kToInteger, 0, 0, false, false},
    {"convertsToInteger", F::kConvertsToInteger, 0, 0, false, false},
    {"toDate", F::kToDate, 0, 0, false, false},
    {"convertsToDate", F::kConvertsToDate, 0, 0, false, false},
    {"toDateTime", F::kToDateTime, 0, 0, false, false},
    {"convertsToDateTime", F::kConvertsToDateTime, 0, 0, false, false},
    {"toDecimal", F::kToDecimal, 0, 0, false, false},
    {"convertsToDecimal", F::kConvertsToDecimal, 0, 0, false, false},
    {"toQuantity", F::kToQuantity, 0, 1, false, false},
    {"convertsToQuantity", F::kConvertsToQuantity, 0, 1, false, false},
    {"toString", F::kToString, 0, 0, false, false},
    {"convertsToString", F::kConvertsToString, 0, 0, false, false},
    {"toTime", F::kToTime, 0, 0, false, false},
    {"convertsToTime", F::kConvertsToTime, 0, 0, false, false},
    {"indexOf", F::kIndexOf, 1, 1, false, false},
    {"lastIndexOf", F::kLastIndexOf, 1, 1, false, false},
    {"substring", F::kSubstring, 1, 2, false, false},
    {"startsWith", F::kStartsWith, 1, 1, false, false},
    {"endsWith", F::kEndsWith, 1, 1, false, false},
    {"contains", F::kContains, 1, 1, false, false},
    {"upper", F::kUpper, 0, 0, false, false},
    {"lower", F::kLower, 0, 0, false, false},
    {"replace", F::kReplace, 2, 2, false, false},
    {"matches", F::kMatches, 1, 2, false, false},
    {"matchesFull", F::kMatchesFull, 1, 2, false, false},
    {"replaceMatches", F::kReplaceMatches, 2, 3, false, false},
    {"length", F::kLength, 0, 0, false, false},
    {"toChars", F::kToChars, 0, 0, false, false},
    {"trim", F::kTrim, 0, 0, false, false},
    {"split", F::kSplit, 1, 1, false, false},
    {"join", F::kJoin, 0, 1, false, false},
    {"encode", F::kEncode, 1, 1, false, false},
    {"decode", F::kDecode, 1, 1, false, false},
    {"escape", F::kEscape, 1, 1, false, false},
    {"unescape", F::kUnescape, 1, 1, false, false},
    {"abs", F::kAbs, 0, 0, false, false},
    {"ceiling", F::kCeiling, 0, 0, false, false},
    {"exp", F::kExp, 0, 0, false, false},
    {"floor", F::kFloor, 0, 0, false, false},
    {"ln", F::kLn, 0, 0, false, false},
    {"log", F::kLog, 1, 1, false, false},
    {"power", F::kPower, 1, 1, false, false},
    {"round", F::kRound, 0, 1, false, false},
    {"sqrt", F::kSqrt, 0, 0, false, false},
    {"truncate", F::kTruncate, 0, 0, false, false},
    {"children", F::kChildren, 0, 0, false, false},
    {"descendants", F::kDescendants, 0, 0, false, false},
    {"trace", F::kTrace, 1, 2, true, false},
    {"now", F::kNow, 0, 0, false, false},
    {"today", F::kToday, 0, 0, false, false},
    {"timeOfDay", F::kTimeOfDay, 0, 0, false, false},
    {"aggregate", F::kAggregate, 1, 2, true, false},
    {"is", F::kIs, 1, 1, false, true},
    {"as", F::kAs, 1, 1, false, true},
    {"type", F::kType, 0, 0, false, false},
    {"not", F::kNot, 0, 0, false, false},
    {"extension", F::kExtension, 1, 1, false, false},
    {"hasValue", F::kHasValue, 0, 0, false, false},
    {"getValue", F::kGetValue, 0, 0, false, false},
    {"resolve", F::kResolve, 0, 0, false, false},
    {"memberOf", F::kMemberOf, 1, 1, false, false},
    {"htmlChecks", F::kHtmlChecks, 0, 0, false, false},
    {"htmlChecks2", F::kHtmlChecks, 0, 0, false, false},
    {"conformsTo", F::kConformsTo, 1, 1, false, false},
    {"lowBoundary", F::kLowBoundary, 0, 1, false, false},
    {"highBoundary", F::kHighBoundary, 0, 1, false, false},
    {"precision", F::kPrecision, 0, 0, false, false},
    {"comparable", F::kComparable, 1, 1, false, false},
    {"sort", F::kSort, 0, 8, true, false},
    {"elementDefinition", F::kElementDefinition, 0, 0, false, false},
    {"slice", F::kSlice, 2, 2, false, false},
    {"checkModifiers", F::kCheckModifiers, 1, 8, false, false},
    {"subsumes", F::kSubsumes, 1, 1, false, false},
    {"subsumedBy", F::kSubsumedBy, 1, 1, false, false},
};

FnGroup ComputeGroup(FunctionId id) {
  switch (id) {
    case F::kToBoolean:
    case F::kConvertsToBoolean:
    case F::kToInteger:
    case F::kConvertsToInteger:
    case F::kToDate:
    case F::kConvertsToDate:
    case F::kToDateTime:
    case F::kConvertsToDateTime:
    case F::kToDecimal:
    case F::kConvertsToDecimal:
    case F::kToQuantity:
    case F::kConvertsToQuantity:
    case F::kToString:
    case F::kConvertsToString:
    case F::kToTime:
    case F::kConvertsToTime:
    case F::kNow:
    case F::kToday:
    case F::kTimeOfDay:
      return FnGroup::kConvert;
    case F::kIndexOf:
    case F::kLastIndexOf:
    case F::kSubstring:
    case F::kStartsWith:
    case F::kEndsWith:
    case F::kContains:
    case F::kUpper:
    case F::kLower:
    case F::kReplace:
    case F::kMatches:
    case F::kMatchesFull:
    case F::kReplaceMatches:
    case F::kLength:
    case F::kToChars:
    case F::kTrim:
    case F::kSplit:
    case F::kJoin:
    case F::kEncode:
    case F::kDecode:
    case F::kEscape:
    case F::kUnescape:
      return FnGroup::kString;
    case F::kAbs:
    case F::kCeiling:
    case F::kExp:
    case F::kFloor:
    case F::kLn:
    case F::kLog:
    case F::kPower:
    case F::kRound:
    case F::kSqrt:
    case F::kTruncate:
    case F::kLowBoundary:
    case F::kHighBoundary:
    case F::kPrecision:
    case F::kComparable:
      return FnGroup::kMath;
    case F::kExtension:
    case F::kHasValue:
    case F::kGetValue:
    case F::kResolve:
    case F::kMemberOf:
    case F::kHtmlChecks:
    case F::kConformsTo:
    case F::kElementDefinition:
    case F::kSlice:
    case F::kCheckModifiers:
    case F::kSubsumes:
    case F::kSubsumedBy:
      return FnGroup::kFhir;
    default:
      return FnGroup::kCollection;
  }
}

}  // namespace

FnGroup GroupOf(FunctionId id) { return ComputeGroup(id); }

const FunctionSpec* FindFunction(std::string_view name) {
  for (const FunctionSpec& f : kFunctions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace hestia::fhirpath
