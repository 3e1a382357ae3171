// The index part of the write statements. See index_sql.h.
#include "index_sql.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <utility>

#include "index_writer.h"

namespace hestia::storage {
namespace {

enum Table : unsigned {
  kToken = 1u << 0,
  kString = 1u << 1,
  kDate = 1u << 2,
  kNumber = 1u << 3,
  kQuantity = 1u << 4,
  kUri = 1u << 5,
  kReference = 1u << 6,
  kGeo = 1u << 7,
  kText = 1u << 8,
};

// Array literals, bound as one parameter each (never SQL text).
class ArrayBuilder {
 public:
  ArrayBuilder() : text_("{") {}
  void Text(std::string_view s) {
    Separator();
    text_ += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void Int(int64_t v) {
    Separator();
    text_ += std::to_string(v);
  }
  // As text: "" (bound as NULL through NULLIF) when the value is absent or not finite.
  void Double(double v, bool present) {
    if (!present || !std::isfinite(v)) return Text("");
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    Text(buf);
  }
  std::string Take() { return std::move(text_) + "}"; }

 private:
  void Separator() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_;
};

// "unnest($p::t1, $p+1::t2, …)", advancing *p past the arrays.
std::string Unnest(int* p, std::initializer_list<const char*> types) {
  std::string out = "unnest(";
  for (const char* type : types) {
    if (out.size() > 7) out += ", ";
    out += "$" + std::to_string((*p)++) + "::" + type;
  }
  return out + ")";
}

// The CTEs ("name AS (…), …", no leading WITH, no trailing comma) that write the rows of
// `mask` for the pk of CTE `r`, parameters from $first. With `replace_pk` (a SQL expression)
// every old index row of that resource is deleted first; the DELETEs cannot see the rows the
// INSERTs add, since the sub-statements of one WITH share a snapshot.
std::string IndexCtes(int first, unsigned mask, const std::string& replace_pk) {
  std::vector<std::string> ctes;
  if (!replace_pk.empty()) {
    int n = 0;
    for (const char* table : {"idx_token", "idx_string", "idx_date", "idx_number", "idx_quantity",
                              "idx_uri", "idx_reference", "idx_geo"}) {
      ctes.push_back("d" + std::to_string(n++) + " AS (DELETE FROM " + table +
                     " WHERE res_pk = " + replace_pk + ")");
    }
    // The text row is upserted when there is text, so it is deleted only when there is none.
    if ((mask & kText) == 0) {
      ctes.push_back("dt AS (DELETE FROM idx_text WHERE res_pk = " + replace_pk + ")");
    }
  }
  int p = first;
  if (mask & kToken) {
    ctes.push_back(
        "it AS (INSERT INTO idx_token (param_hash, res_pk, grp, system, code) "
        "SELECT x.h, r.pk, x.g, x.s, x.c FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "text[]", "text[]"}) + " AS x(h, g, s, c))");
  }
  if (mask & kString) {
    ctes.push_back(
        "is_ AS (INSERT INTO idx_string (param_hash, res_pk, grp, norm, exact) "
        "SELECT x.h, r.pk, x.g, x.n, x.e FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "text[]", "text[]"}) + " AS x(h, g, n, e))");
  }
  if (mask & kDate) {
    ctes.push_back(
        "id AS (INSERT INTO idx_date (param_hash, res_pk, grp, low, high) "
        "SELECT x.h, r.pk, x.g, x.l, x.u FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "bigint[]", "bigint[]"}) + " AS x(h, g, l, u))");
  }
  if (mask & kNumber) {
    ctes.push_back(
        "in_ AS (INSERT INTO idx_number (param_hash, res_pk, grp, low, high) "
        "SELECT x.h, r.pk, x.g, NULLIF(x.l, '')::numeric, NULLIF(x.u, '')::numeric FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "text[]", "text[]"}) + " AS x(h, g, l, u))");
  }
  if (mask & kQuantity) {
    ctes.push_back(
        "iq AS (INSERT INTO idx_quantity (param_hash, res_pk, grp, system, code, low, high, "
        "canon_unit, canon_low, canon_high) "
        "SELECT x.h, r.pk, x.g, x.s, x.c, NULLIF(x.l, '')::numeric, NULLIF(x.u, '')::numeric, "
        "x.cu, NULLIF(x.cl, '')::double precision, NULLIF(x.ch, '')::double precision FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "text[]", "text[]", "text[]", "text[]", "text[]",
                    "text[]", "text[]"}) +
        " AS x(h, g, s, c, l, u, cu, cl, ch))");
  }
  if (mask & kUri) {
    ctes.push_back(
        "iu AS (INSERT INTO idx_uri (param_hash, res_pk, grp, uri) "
        "SELECT x.h, r.pk, x.g, x.u FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "text[]"}) + " AS x(h, g, u))");
  }
  if (mask & kReference) {
    ctes.push_back(
        "ir AS (INSERT INTO idx_reference (param_hash, res_pk, grp, target_type, target_id, "
        "url) SELECT x.h, r.pk, x.g, x.t, x.i, x.u FROM r, " +
        Unnest(&p, {"bigint[]", "integer[]", "text[]", "text[]", "text[]"}) +
        " AS x(h, g, t, i, u))");
  }
  if (mask & kGeo) {
    ctes.push_back(
        "ig AS (INSERT INTO idx_geo (param_hash, res_pk, latitude, longitude) "
        "SELECT x.h, r.pk, x.la, x.lo FROM r, " +
        Unnest(&p, {"bigint[]", "double precision[]", "double precision[]"}) + " AS x(h, la, lo))");
  }
  if (mask & kText) {
    const std::string narrative = "$" + std::to_string(p++) + "::text";
    const std::string content = "$" + std::to_string(p++) + "::text";
    ctes.push_back(
        "itx AS (INSERT INTO idx_text (res_pk, narrative, content) "
        "SELECT r.pk, to_tsvector('simple', " +
        narrative + "), to_tsvector('simple', " + content +
        ") FROM r ON CONFLICT (res_pk) DO UPDATE SET narrative = EXCLUDED.narrative, "
        "content = EXCLUDED.content)");
  }
  std::string sql;
  for (const auto& cte : ctes) sql += ", " + cte;
  return sql;  // starts with ", " (or is empty): it follows the CTEs of the caller
}

std::string Build(WriteKind kind, unsigned mask) {
  switch (kind) {
    case WriteKind::kInsert:
      return "WITH r AS (INSERT INTO resource (res_type, res_id, version, deleted, "
             "last_updated) VALUES ($1, $2, $3, $4, $5) RETURNING pk), "
             "v AS (INSERT INTO resource_version (res_pk, res_type, res_id, version, method, "
             "last_updated, deleted, body) SELECT pk, $1, $2, $3, $6, $5, $4, $7 FROM r)" +
             IndexCtes(8, mask, "") + " SELECT pk FROM r";
    case WriteKind::kUpdate:
      return "WITH r AS (UPDATE resource SET version = $3, deleted = $4, last_updated = $5 "
             "WHERE pk = $8 RETURNING pk), "
             "v AS (INSERT INTO resource_version (res_pk, res_type, res_id, version, method, "
             "last_updated, deleted, body) SELECT pk, $1, $2, $3, $6, $5, $4, $7 FROM r)" +
             IndexCtes(9, mask, "$8::bigint") + " SELECT pk FROM r";
    case WriteKind::kReplace:
      return "WITH r AS (SELECT $1::bigint AS pk)" + IndexCtes(2, mask, "$1::bigint") + " SELECT 1";
  }
  return "";
}

}  // namespace

unsigned IndexMask(const search::IndexRows& rows, bool deleted) {
  if (deleted) return 0;
  unsigned mask = 0;
  if (!rows.tokens.empty()) mask |= kToken;
  if (!rows.strings.empty()) mask |= kString;
  if (!rows.dates.empty()) mask |= kDate;
  if (!rows.numbers.empty()) mask |= kNumber;
  if (!rows.quantities.empty()) mask |= kQuantity;
  if (!rows.uris.empty()) mask |= kUri;
  if (!rows.references.empty()) mask |= kReference;
  if (!rows.geo.empty()) mask |= kGeo;
  if (!rows.narrative.empty() || !rows.content.empty()) mask |= kText;
  return mask;
}

const IndexedStatement& IndexedWrite(WriteKind kind, unsigned mask) {
  static std::mutex mu;
  static std::map<std::pair<WriteKind, unsigned>, IndexedStatement> statements;
  const std::lock_guard<std::mutex> lock(mu);
  auto [it, inserted] = statements.try_emplace({kind, mask});
  if (inserted) {
    static constexpr const char* kNames[] = {"insert_resource_", "update_resource_",
                                             "replace_index_"};
    it->second.name = kNames[static_cast<int>(kind)] + std::to_string(mask);
    it->second.sql = Build(kind, mask);
  }
  return it->second;  // std::map nodes are stable
}

std::vector<std::string> IndexParams(const search::IndexRows& rows, unsigned mask) {
  std::vector<std::string> out;
  if (mask & kToken) {
    ArrayBuilder h, g, s, c;
    for (const auto& r : rows.tokens) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      s.Text(r.system);
      c.Text(r.code);
    }
    for (ArrayBuilder* a : {&h, &g, &s, &c}) out.push_back(a->Take());
  }
  if (mask & kString) {
    ArrayBuilder h, g, n, e;
    for (const auto& r : rows.strings) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      n.Text(r.norm);
      e.Text(r.exact);
    }
    for (ArrayBuilder* a : {&h, &g, &n, &e}) out.push_back(a->Take());
  }
  if (mask & kDate) {
    ArrayBuilder h, g, l, u;
    for (const auto& r : rows.dates) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      l.Int(r.low);
      u.Int(r.high);
    }
    for (ArrayBuilder* a : {&h, &g, &l, &u}) out.push_back(a->Take());
  }
  if (mask & kNumber) {
    ArrayBuilder h, g, l, u;
    for (const auto& r : rows.numbers) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      l.Text(r.low);
      u.Text(r.high);
    }
    for (ArrayBuilder* a : {&h, &g, &l, &u}) out.push_back(a->Take());
  }
  if (mask & kQuantity) {
    ArrayBuilder h, g, s, c, l, u, cu, cl, ch;
    for (const auto& r : rows.quantities) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      s.Text(r.system);
      c.Text(r.code);
      l.Text(r.low);
      u.Text(r.high);
      cu.Text(r.canon_unit);
      const bool canon = !r.canon_unit.empty();
      cl.Double(r.canon_low, canon && !r.low.empty());
      ch.Double(r.canon_high, canon && !r.high.empty());
    }
    for (ArrayBuilder* a : {&h, &g, &s, &c, &l, &u, &cu, &cl, &ch}) out.push_back(a->Take());
  }
  if (mask & kUri) {
    ArrayBuilder h, g, u;
    for (const auto& r : rows.uris) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      u.Text(r.uri);
    }
    for (ArrayBuilder* a : {&h, &g, &u}) out.push_back(a->Take());
  }
  if (mask & kReference) {
    ArrayBuilder h, g, t, i, u;
    for (const auto& r : rows.references) {
      h.Int(r.param_hash);
      g.Int(r.grp);
      t.Text(r.target_type);
      i.Text(r.target_id);
      u.Text(r.url);
    }
    for (ArrayBuilder* a : {&h, &g, &t, &i, &u}) out.push_back(a->Take());
  }
  if (mask & kGeo) {
    ArrayBuilder h, la, lo;
    for (const auto& r : rows.geo) {
      if (!std::isfinite(r.latitude) || !std::isfinite(r.longitude)) continue;
      h.Int(r.param_hash);
      la.Double(r.latitude, true);
      lo.Double(r.longitude, true);
    }
    for (ArrayBuilder* a : {&h, &la, &lo}) out.push_back(a->Take());
  }
  if (mask & kText) {
    out.push_back(rows.narrative);
    out.push_back(rows.content);
  }
  return out;
}

void EnsurePrepared(pqxx::transaction_base& txn, const IndexedStatement& statement) {
  // Registering the same definition again is a no-op for libpqxx; the server-side PREPARE
  // happens on the first execution on each connection.
  txn.conn().prepare(statement.name, statement.sql);
}

void WriteIndexRows(pqxx::transaction_base& txn, int64_t pk, const search::IndexRows& rows) {
  const unsigned mask = IndexMask(rows, false);
  const IndexedStatement& statement = IndexedWrite(WriteKind::kReplace, mask);
  EnsurePrepared(txn, statement);
  txn.exec_prepared(statement.name, pk,
                    pqxx::prepare::make_dynamic_params(IndexParams(rows, mask)));
}

}  // namespace hestia::storage
