// The FHIRPath abstract syntax tree (private to hestia_fhirpath).
//
// Owns: the node shapes the parser produces and the evaluator walks. Function names are
// resolved to FunctionId at parse time so evaluation dispatches on an enum.
// Thread-safety: an AST is immutable after parsing and shared by all evaluations.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hestia/fhirpath/value.h"

namespace hestia::fhirpath {

enum class NodeKind : uint8_t {
  kLiteral,   // literal (one item)
  kEmpty,     // {}
  kMember,    // identifier: child navigation (or type name at the start of a path)
  kFunction,  // name(args…) applied to the focus
  kInvoke,    // children[0] . children[1]
  kIndex,     // children[0] [ children[1] ]
  kUnary,     // op (+/-) children[0]
  kBinary,    // children[0] op children[1]
  kTypeOp,    // children[0] is/as type
  kThis,      // $this
  kIndexVar,  // $index
  kTotal,     // $total
  kVariable,  // %name
};

enum class BinOp : uint8_t {
  kMul,
  kDiv,
  kIntDiv,
  kMod,
  kAdd,
  kSub,
  kConcat,
  kUnion,
  kLt,
  kGt,
  kLe,
  kGe,
  kEq,
  kNe,
  kEquiv,
  kNotEquiv,
  kIn,
  kContains,
  kAnd,
  kOr,
  kXor,
  kImplies,
  kIs,
  kAs,
  kNeg,
  kPos,
};

// Every function the engine knows. Keep FunctionTable() in functions.cc in step.
enum class FunctionId : uint8_t {
  kEmpty,
  kExists,
  kAll,
  kAllTrue,
  kAnyTrue,
  kAllFalse,
  kAnyFalse,
  kSubsetOf,
  kSupersetOf,
  kCount,
  kDistinct,
  kIsDistinct,
  kWhere,
  kSelect,
  kRepeat,
  kOfType,
  kSingle,
  kFirst,
  kLast,
  kTail,
  kSkip,
  kTake,
  kIntersect,
  kExclude,
  kUnion,
  kCombine,
  kIif,
  kToBoolean,
  kConvertsToBoolean,
  kToInteger,
  kConvertsToInteger,
  kToDate,
  kConvertsToDate,
  kToDateTime,
  kConvertsToDateTime,
  kToDecimal,
  kConvertsToDecimal,
  kToQuantity,
  kConvertsToQuantity,
  kToString,
  kConvertsToString,
  kToTime,
  kConvertsToTime,
  kIndexOf,
  kSubstring,
  kStartsWith,
  kEndsWith,
  kContains,
  kUpper,
  kLower,
  kReplace,
  kMatches,
  kReplaceMatches,
  kLength,
  kToChars,
  kTrim,
  kSplit,
  kJoin,
  kEncode,
  kDecode,
  kEscape,
  kUnescape,
  kAbs,
  kCeiling,
  kExp,
  kFloor,
  kLn,
  kLog,
  kPower,
  kRound,
  kSqrt,
  kTruncate,
  kChildren,
  kDescendants,
  kTrace,
  kNow,
  kToday,
  kTimeOfDay,
  kAggregate,
  kIs,
  kAs,
  kType,
  kNot,
  kExtension,
  kHasValue,
  kGetValue,
  kResolve,
  kMemberOf,
  kHtmlChecks,
  kConformsTo,
  kLowBoundary,
  kHighBoundary,
  kPrecision,
  kComparable,
  kSort,
  kElementDefinition,
  kSlice,
  kCheckModifiers,
  kSubsumes,
  kSubsumedBy,
  kMatchesFull,
  kLastIndexOf,
};

struct TypeSpec {
  std::string ns;    // "System", "FHIR" or "" (unqualified)
  std::string name;  // "Integer", "Patient"
};

struct AstNode {
  NodeKind kind = NodeKind::kLiteral;
  int pos = 0;  // byte offset in the expression text, for error messages
  BinOp op = BinOp::kAdd;
  FunctionId fn = FunctionId::kEmpty;
  std::string name;  // member, function or variable name
  Item literal;
  TypeSpec type;                                   // kTypeOp, and is/as/ofType function arguments
  std::vector<std::unique_ptr<AstNode>> children;  // operands or arguments
};

}  // namespace hestia::fhirpath
