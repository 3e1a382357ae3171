// FHIRPath parser: recursive descent with one function per precedence level. See parser.h.
// Precedence (FHIRPath N1 §"Operator precedence"), loosest first: implies; or xor; and;
// in contains; = ~ != !~; < > <= >=; |; is as; + - &; * / div mod; unary + -; . and [].
// Thread-safety: stateless function.
#include "parser.h"

#include <charconv>

#include "function_table.h"
#include "lexer.h"

namespace hestia::fhirpath {
namespace {

bool IsCalendarUnit(std::string_view s) {
  static constexpr std::string_view kUnits[] = {
      "year", "years", "month",  "months",  "week",   "weeks",   "day",         "days",
      "hour", "hours", "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};
  for (auto u : kUnits) {
    if (u == s) return true;
  }
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<std::unique_ptr<AstNode>> ParseAll() {
    auto node = ParseExpr(0);
    if (!node.ok()) return node;
    if (Peek().kind != TokenKind::kEnd) return Error("unexpected '" + Peek().text + "'");
    return node;
  }

 private:
  using NodeResult = Result<std::unique_ptr<AstNode>>;

  // Adds the length of a left-leaning chain (a.b.c, 1+2+3) to depth_ while it is parsed.
  class SpineGuard {
   public:
    explicit SpineGuard(Parser* p) : p_(p) {}
    ~SpineGuard() { p_->depth_ -= grown_; }
    bool Grow() {
      ++grown_;
      return ++p_->depth_ <= kMaxParseDepth;
    }

   private:
    Parser* p_;
    int grown_ = 0;
  };

  const Token& Peek(std::size_t ahead = 0) const {
    const std::size_t i = std::min(pos_ + ahead, tokens_.size() - 1);
    return tokens_[i];
  }
  const Token& Next() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  bool IsSymbol(std::string_view s, std::size_t ahead = 0) const {
    const Token& t = Peek(ahead);
    return t.kind == TokenKind::kSymbol && t.text == s;
  }
  bool IsKeyword(std::string_view s) const {
    const Token& t = Peek();
    return t.kind == TokenKind::kIdentifier && t.text == s;
  }
  Status Error(const std::string& what) const {
    const Token& t = Peek();
    return InvalidError("FHIRPath syntax error at position " + std::to_string(t.pos) + ": " +
                        (t.kind == TokenKind::kEnd ? what + " (at end of expression)" : what));
  }
  Status Expect(std::string_view symbol) {
    if (!IsSymbol(symbol)) return Error("expected '" + std::string(symbol) + "'");
    Next();
    return Status::Ok();
  }

  static std::unique_ptr<AstNode> MakeBinary(BinOp op, int pos, std::unique_ptr<AstNode> l,
                                             std::unique_ptr<AstNode> r) {
    auto n = std::make_unique<AstNode>();
    n->kind = NodeKind::kBinary;
    n->op = op;
    n->pos = pos;
    n->children.push_back(std::move(l));
    n->children.push_back(std::move(r));
    return n;
  }

  // Binary operator at `level` at the current token, or false.
  bool MatchOperator(int level, BinOp* op) const {
    const Token& t = Peek();
    const bool sym = t.kind == TokenKind::kSymbol;
    const bool word = t.kind == TokenKind::kIdentifier;
    const std::string& s = t.text;
    switch (level) {
      case 0:
        if (word && s == "implies") {
          *op = BinOp::kImplies;
          return true;
        }
        break;
      case 1:
        if (word && s == "or") {
          *op = BinOp::kOr;
          return true;
        }
        if (word && s == "xor") {
          *op = BinOp::kXor;
          return true;
        }
        break;
      case 2:
        if (word && s == "and") {
          *op = BinOp::kAnd;
          return true;
        }
        break;
      case 3:
        if (word && s == "in") {
          *op = BinOp::kIn;
          return true;
        }
        if (word && s == "contains") {
          *op = BinOp::kContains;
          return true;
        }
        break;
      case 4:
        if (sym && s == "=") {
          *op = BinOp::kEq;
          return true;
        }
        if (sym && s == "~") {
          *op = BinOp::kEquiv;
          return true;
        }
        if (sym && s == "!=") {
          *op = BinOp::kNe;
          return true;
        }
        if (sym && s == "!~") {
          *op = BinOp::kNotEquiv;
          return true;
        }
        break;
      case 5:
        if (sym && s == "<") {
          *op = BinOp::kLt;
          return true;
        }
        if (sym && s == ">") {
          *op = BinOp::kGt;
          return true;
        }
        if (sym && s == "<=") {
          *op = BinOp::kLe;
          return true;
        }
        if (sym && s == ">=") {
          *op = BinOp::kGe;
          return true;
        }
        break;
      case 6:
        if (sym && s == "|") {
          *op = BinOp::kUnion;
          return true;
        }
        break;
      case 7:
        if (word && s == "is") {
          *op = BinOp::kIs;
          return true;
        }
        if (word && s == "as") {
          *op = BinOp::kAs;
          return true;
        }
        break;
      case 8:
        if (sym && s == "+") {
          *op = BinOp::kAdd;
          return true;
        }
        if (sym && s == "-") {
          *op = BinOp::kSub;
          return true;
        }
        if (sym && s == "&") {
          *op = BinOp::kConcat;
          return true;
        }
        break;
      case 9:
        if (sym && s == "*") {
          *op = BinOp::kMul;
          return true;
        }
        if (sym && s == "/") {
          *op = BinOp::kDiv;
          return true;
        }
        if (word && s == "div") {
          *op = BinOp::kIntDiv;
          return true;
        }
        if (word && s == "mod") {
          *op = BinOp::kMod;
          return true;
        }
        break;
      default:
        break;
    }
    return false;
  }

  NodeResult ParseExpr(int level) {
    if (++depth_ > kMaxParseDepth) return Error("expression nested too deeply");
    auto result = ParseLevel(level);
    --depth_;
    return result;
  }

  NodeResult ParseLevel(int level) {
    if (level == 10) return ParseUnary();
    HESTIA_ASSIGN_OR_RETURN(auto left, ParseExpr(level + 1));
    BinOp op;
    // Each operator deepens the left spine of the tree: count it against the depth limit.
    SpineGuard guard(this);
    while (MatchOperator(level, &op)) {
      if (!guard.Grow()) return Error("expression nested too deeply");
      const int pos = Next().pos;
      if (op == BinOp::kIs || op == BinOp::kAs) {
        auto n = std::make_unique<AstNode>();
        n->kind = NodeKind::kTypeOp;
        n->op = op;
        n->pos = pos;
        HESTIA_RETURN_IF_ERROR(ParseTypeSpec(&n->type));
        n->children.push_back(std::move(left));
        left = std::move(n);
        continue;
      }
      HESTIA_ASSIGN_OR_RETURN(auto right, ParseExpr(level + 1));
      left = MakeBinary(op, pos, std::move(left), std::move(right));
    }
    return left;
  }

  Status ParseTypeSpec(TypeSpec* spec) {
    const Token& first = Peek();
    if (first.kind != TokenKind::kIdentifier && first.kind != TokenKind::kDelimited) {
      return Error("expected a type name");
    }
    spec->name = Next().text;
    if (IsSymbol(".") &&
        (Peek(1).kind == TokenKind::kIdentifier || Peek(1).kind == TokenKind::kDelimited)) {
      Next();
      spec->ns = spec->name;
      spec->name = Next().text;
    }
    return Status::Ok();
  }

  NodeResult ParseUnary() {
    if (IsSymbol("+") || IsSymbol("-")) {
      const Token& t = Next();
      auto n = std::make_unique<AstNode>();
      n->kind = NodeKind::kUnary;
      n->op = t.text == "-" ? BinOp::kNeg : BinOp::kPos;
      n->pos = t.pos;
      if (++depth_ > kMaxParseDepth) return Error("expression nested too deeply");
      auto operand = ParseUnary();
      --depth_;
      if (!operand.ok()) return operand;
      n->children.push_back(std::move(operand).value());
      return n;
    }
    return ParsePostfix();
  }

  NodeResult ParsePostfix() {
    HESTIA_ASSIGN_OR_RETURN(auto node, ParseTerm());
    SpineGuard guard(this);
    while (true) {
      if ((IsSymbol(".") || IsSymbol("[")) && !guard.Grow()) {
        return Error("expression nested too deeply");
      }
      if (IsSymbol(".")) {
        Next();
        HESTIA_ASSIGN_OR_RETURN(auto rhs, ParseInvocation());
        auto n = std::make_unique<AstNode>();
        n->kind = NodeKind::kInvoke;
        n->pos = rhs->pos;
        n->children.push_back(std::move(node));
        n->children.push_back(std::move(rhs));
        node = std::move(n);
      } else if (IsSymbol("[")) {
        const int pos = Next().pos;
        HESTIA_ASSIGN_OR_RETURN(auto index, ParseExpr(0));
        HESTIA_RETURN_IF_ERROR(Expect("]"));
        auto n = std::make_unique<AstNode>();
        n->kind = NodeKind::kIndex;
        n->pos = pos;
        n->children.push_back(std::move(node));
        n->children.push_back(std::move(index));
        node = std::move(n);
      } else {
        return node;
      }
    }
  }

  // identifier | function call | $this/$index/$total after a '.'.
  NodeResult ParseInvocation() {
    const Token& t = Peek();
    if (t.kind == TokenKind::kDollar) return ParseTerm();
    if (t.kind != TokenKind::kIdentifier && t.kind != TokenKind::kDelimited) {
      return Error("expected an identifier or function after '.'");
    }
    const bool delimited = t.kind == TokenKind::kDelimited;
    const Token& name = Next();
    if (!delimited && IsSymbol("(")) return ParseFunction(name);
    auto n = std::make_unique<AstNode>();
    n->kind = NodeKind::kMember;
    n->name = name.text;
    n->pos = name.pos;
    return n;
  }

  NodeResult ParseFunction(const Token& name) {
    const FunctionSpec* spec = FindFunction(name.text);
    if (spec == nullptr) {
      return InvalidError("FHIRPath error at position " + std::to_string(name.pos) +
                          ": unknown function '" + name.text + "'");
    }
    auto n = std::make_unique<AstNode>();
    n->kind = NodeKind::kFunction;
    n->fn = spec->id;
    n->name = name.text;
    n->pos = name.pos;
    HESTIA_RETURN_IF_ERROR(Expect("("));
    if (!IsSymbol(")")) {
      while (true) {
        if (spec->type_arg && n->children.empty()) {
          HESTIA_RETURN_IF_ERROR(ParseTypeSpec(&n->type));
          n->children.push_back(std::make_unique<AstNode>());  // placeholder for the count
        } else {
          HESTIA_ASSIGN_OR_RETURN(auto arg, ParseExpr(0));
          n->children.push_back(std::move(arg));
        }
        if (!IsSymbol(",")) break;
        Next();
      }
    }
    HESTIA_RETURN_IF_ERROR(Expect(")"));
    const int argc = static_cast<int>(n->children.size());
    if (argc < spec->min_args || argc > spec->max_args) {
      return InvalidError("FHIRPath error at position " + std::to_string(name.pos) + ": " +
                          name.text + "() takes " + std::to_string(spec->min_args) +
                          (spec->max_args != spec->min_args
                               ? " to " + std::to_string(spec->max_args)
                               : std::string()) +
                          " arguments, not " + std::to_string(argc));
    }
    if (spec->type_arg) n->children.clear();
    return n;
  }

  NodeResult ParseTerm() {
    const Token& t = Peek();
    auto n = std::make_unique<AstNode>();
    n->pos = t.pos;
    switch (t.kind) {
      case TokenKind::kEnd:
        return Error("unexpected end of expression");
      case TokenKind::kNumber:
        return ParseNumber();
      case TokenKind::kString:
        n->kind = NodeKind::kLiteral;
        n->literal = Item::Str(Next().text);
        return n;
      case TokenKind::kDateTime: {
        DateTime dt;
        bool is_date = false;
        if (!ParseDateTimeText(t.text, &dt, &is_date)) return Error("invalid date/time literal");
        Next();
        n->kind = NodeKind::kLiteral;
        n->literal = Item::Temporal(is_date ? ItemKind::kDate : ItemKind::kDateTime, dt);
        return n;
      }
      case TokenKind::kTime: {
        DateTime dt;
        if (!ParseTimeText(t.text, &dt)) return Error("invalid time literal");
        Next();
        n->kind = NodeKind::kLiteral;
        n->literal = Item::Temporal(ItemKind::kTime, dt);
        return n;
      }
      case TokenKind::kVariable:
        n->kind = NodeKind::kVariable;
        n->name = Next().text;
        return n;
      case TokenKind::kDollar:
        n->kind = t.text == "this"    ? NodeKind::kThis
                  : t.text == "index" ? NodeKind::kIndexVar
                                      : NodeKind::kTotal;
        Next();
        return n;
      case TokenKind::kDelimited:
        n->kind = NodeKind::kMember;
        n->name = Next().text;
        return n;
      case TokenKind::kIdentifier:
        if (t.text == "true" || t.text == "false") {
          n->kind = NodeKind::kLiteral;
          n->literal = Item::Bool(Next().text == "true");
          return n;
        }
        return ParseInvocation();
      case TokenKind::kSymbol:
        if (t.text == "(") {
          Next();
          HESTIA_ASSIGN_OR_RETURN(auto inner, ParseExpr(0));
          HESTIA_RETURN_IF_ERROR(Expect(")"));
          return inner;
        }
        if (t.text == "{") {
          Next();
          HESTIA_RETURN_IF_ERROR(Expect("}"));
          n->kind = NodeKind::kEmpty;
          return n;
        }
        return Error("unexpected '" + t.text + "'");
    }
    return Error("unexpected token");
  }

  NodeResult ParseNumber() {
    const Token& t = Next();
    auto n = std::make_unique<AstNode>();
    n->kind = NodeKind::kLiteral;
    n->pos = t.pos;
    const bool is_decimal = t.text.find('.') != std::string::npos;
    Decimal d;
    if (!ParseDecimal(t.text, &d)) return Error("invalid number");
    const Token& unit = Peek();
    if (unit.kind == TokenKind::kString ||
        (unit.kind == TokenKind::kIdentifier && IsCalendarUnit(unit.text))) {
      n->literal = Item::Quantity(d, Next().text);
      return n;
    }
    if (is_decimal) {
      n->literal = Item::Dec(d);
      return n;
    }
    int64_t v = 0;
    auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
    if (ec != std::errc() || p != t.text.data() + t.text.size()) {
      n->literal = Item::Dec(d);  // too large for Integer: keep it as a Decimal
      return n;
    }
    n->literal = Item::Int(v);
    return n;
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<std::unique_ptr<AstNode>> Parse(std::string_view text) {
  if (text.size() > kMaxExpressionLength) {
    return InvalidError("FHIRPath expression longer than " + std::to_string(kMaxExpressionLength) +
                        " characters");
  }
  HESTIA_ASSIGN_OR_RETURN(auto tokens, Tokenize(text));
  Parser parser(std::move(tokens));
  return parser.ParseAll();
}

}  // namespace hestia::fhirpath
