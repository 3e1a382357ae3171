// The index part of the write statements. See index_sql.h.
#include "index_sql.h"

#include <array>
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
    std::size_t run = 0;  // start of the characters not yet copied
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '"' || s[i] == '\\') {
        text_.append(s.data() + run, i - run);
        text_ += '\\';
        run = i;
      }
    }
    text_.append(s.data() + run, s.size() - run);
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
  void Null() {
    Separator();
    text_ += "NULL";
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

// The tsvector of a text of space-separated lexemes (IndexRows::narrative/content, built by
// search::TextLexemes): taken as they are, without PostgreSQL's text-search parser, so that
// the words indexed are exactly the words a query looks for (sql_special.cc).
std::string Lexemes(const std::string& text) {
  return "array_to_tsvector(string_to_array(" + text + ", ' '))";
}

// How the index CTEs find the pk of their rows.
struct PkSource {
  // One resource: the pk of CTE `r`, joined to every row. Batch: a leading bigint[] array of
  // pks, one per row, unnested with the row's other columns.
  bool batch = false;
  // Old rows to delete first (SQL, "" for none): single "= <pk expression>", batch
  // "= ANY($n::bigint[])". The DELETEs cannot see the rows the INSERTs add, since the
  // sub-statements of one WITH share a snapshot.
  std::string replace;
  // Batch only: the SQL of a bigint[] of the replaced pks whose new version has no text row
  // ("" when there are none); single: whether the resource has a text row (from the mask).
  std::string textless;
};

// The CTEs (", name AS (…)" each) that write the rows of `mask`, parameters from $first.
std::string IndexCtes(int first, unsigned mask, const PkSource& pk) {
  std::vector<std::string> ctes;
  if (!pk.replace.empty()) {
    int n = 0;
    for (const char* table : {"idx_token", "idx_string", "idx_date", "idx_number", "idx_quantity",
                              "idx_uri", "idx_reference", "idx_geo"}) {
      ctes.push_back("d" + std::to_string(n++) + " AS (DELETE FROM " + table + " WHERE res_pk " +
                     pk.replace + ")");
    }
    // The text row is upserted when there is text, so it is deleted only when there is none.
    if (pk.batch && !pk.textless.empty()) {
      ctes.push_back("dt AS (DELETE FROM idx_text WHERE res_pk = ANY(" + pk.textless + "))");
    } else if (!pk.batch && (mask & kText) == 0) {
      ctes.push_back("dt AS (DELETE FROM idx_text WHERE res_pk " + pk.replace + ")");
    }
  }
  int p = first;
  // "SELECT <columns> FROM r, unnest(…) AS x(…)" or, for a batch, "… FROM unnest($pk, …)".
  auto rows = [&](const std::string& columns, std::initializer_list<const char*> types,
                  const std::string& names) {
    std::string from;
    if (pk.batch) {
      std::vector<const char*> all = {"bigint[]"};
      all.insert(all.end(), types.begin(), types.end());
      std::string out = "unnest(";
      for (const char* type : all) {
        if (out.size() > 7) out += ", ";
        out += "$" + std::to_string(p++) + "::" + type;
      }
      from = out + ") AS x(pk, " + names + ")";
    } else {
      from = "r, " + Unnest(&p, types) + " AS x(" + names + ")";
    }
    const std::string pk_column = pk.batch ? "x.pk" : "r.pk";
    std::string select = columns;
    for (std::size_t at = select.find("@pk"); at != std::string::npos; at = select.find("@pk")) {
      select.replace(at, 3, pk_column);
    }
    return "SELECT " + select + " FROM " + from;
  };
  if (mask & kToken) {
    ctes.push_back("it AS (INSERT INTO idx_token (param_hash, res_pk, grp, system, code) " +
                   rows("x.h, @pk, x.g, x.s, x.c", {"bigint[]", "integer[]", "text[]", "text[]"},
                        "h, g, s, c") +
                   ")");
  }
  if (mask & kString) {
    ctes.push_back("is_ AS (INSERT INTO idx_string (param_hash, res_pk, grp, norm, exact) " +
                   rows("x.h, @pk, x.g, x.n, x.e", {"bigint[]", "integer[]", "text[]", "text[]"},
                        "h, g, n, e") +
                   ")");
  }
  if (mask & kDate) {
    ctes.push_back("id AS (INSERT INTO idx_date (param_hash, res_pk, grp, low, high) " +
                   rows("x.h, @pk, x.g, x.l, x.u",
                        {"bigint[]", "integer[]", "bigint[]", "bigint[]"}, "h, g, l, u") +
                   ")");
  }
  if (mask & kNumber) {
    ctes.push_back("in_ AS (INSERT INTO idx_number (param_hash, res_pk, grp, low, high) " +
                   rows("x.h, @pk, x.g, NULLIF(x.l, '')::numeric, NULLIF(x.u, '')::numeric",
                        {"bigint[]", "integer[]", "text[]", "text[]"}, "h, g, l, u") +
                   ")");
  }
  if (mask & kQuantity) {
    ctes.push_back(
        "iq AS (INSERT INTO idx_quantity (param_hash, res_pk, grp, system, code, low, high, "
        "canon_unit, canon_low, canon_high) " +
        rows("x.h, @pk, x.g, x.s, x.c, NULLIF(x.l, '')::numeric, NULLIF(x.u, '')::numeric, "
             "x.cu, NULLIF(x.cl, '')::double precision, NULLIF(x.ch, '')::double precision",
             {"bigint[]", "integer[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]",
              "text[]"},
             "h, g, s, c, l, u, cu, cl, ch") +
        ")");
  }
  if (mask & kUri) {
    ctes.push_back("iu AS (INSERT INTO idx_uri (param_hash, res_pk, grp, uri) " +
                   rows("x.h, @pk, x.g, x.u", {"bigint[]", "integer[]", "text[]"}, "h, g, u") +
                   ")");
  }
  if (mask & kReference) {
    ctes.push_back(
        "ir AS (INSERT INTO idx_reference (param_hash, res_pk, grp, target_type, target_id, "
        "url) " +
        rows("x.h, @pk, x.g, x.t, x.i, x.u",
             {"bigint[]", "integer[]", "text[]", "text[]", "text[]"}, "h, g, t, i, u") +
        ")");
  }
  if (mask & kGeo) {
    ctes.push_back("ig AS (INSERT INTO idx_geo (param_hash, res_pk, latitude, longitude) " +
                   rows("x.h, @pk, x.la, x.lo",
                        {"bigint[]", "double precision[]", "double precision[]"}, "h, la, lo") +
                   ")");
  }
  if (mask & kText) {
    ctes.push_back(
        "itx AS (INSERT INTO idx_text (res_pk, narrative, content) " +
        (pk.batch
             ? rows("@pk, " + Lexemes("x.n") + ", " + Lexemes("x.c"), {"text[]", "text[]"}, "n, c")
             : "SELECT r.pk, " + Lexemes("$" + std::to_string(p) + "::text") + ", " +
                   Lexemes("$" + std::to_string(p + 1) + "::text") + " FROM r") +
        // An updated resource's text row is replaced in place (the DELETE above cannot
        // remove it for this INSERT: one snapshot); new resources have none.
        (pk.replace.empty() ? std::string(")")
                            : std::string(" ON CONFLICT (res_pk) DO UPDATE SET narrative = "
                                          "EXCLUDED.narrative, content = EXCLUDED.content)")));
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
             IndexCtes(8, mask, PkSource{}) + " SELECT pk FROM r";
    case WriteKind::kUpdate:
      return "WITH r AS (UPDATE resource SET version = $3, deleted = $4, last_updated = $5 "
             "WHERE pk = $8 RETURNING pk), "
             "v AS (INSERT INTO resource_version (res_pk, res_type, res_id, version, method, "
             "last_updated, deleted, body) SELECT pk, $1, $2, $3, $6, $5, $4, $7 FROM r)" +
             IndexCtes(9, mask, PkSource{false, "= $8::bigint", ""}) + " SELECT pk FROM r";
    case WriteKind::kReplace:
      return "WITH r AS (SELECT $1::bigint AS pk)" +
             IndexCtes(2, mask, PkSource{false, "= $1::bigint", ""}) + " SELECT 1";
  }
  return "";
}

// Batch statements add these to the table mask.
constexpr unsigned kBatchInserts = 1u << 9;    // new resources among the versions
constexpr unsigned kBatchUpdates = 1u << 10;   // existing resources among the versions
constexpr unsigned kBatchTextless = 1u << 11;  // existing resources whose version has no text

std::string BuildBatch(unsigned mask) {
  std::vector<std::string> ctes;
  int p = 1;
  auto params = [&](std::initializer_list<const char*> types) {
    std::string out;
    for (const char* type : types) {
      if (!out.empty()) out += ", ";
      out += "$" + std::to_string(p++) + "::" + type;
    }
    return out;
  };
  if (mask & kBatchInserts) {
    ctes.push_back(
        "ri AS (INSERT INTO resource (pk, res_type, res_id, version, deleted, last_updated) "
        "SELECT * FROM unnest(" +
        params({"bigint[]", "text[]", "text[]", "integer[]", "boolean[]", "bigint[]"}) + "))");
  }
  std::string updated;
  if (mask & kBatchUpdates) {
    updated = "$" + std::to_string(p) + "::bigint[]";
    ctes.push_back(
        "ru AS (UPDATE resource SET version = x.v, deleted = x.d, last_updated = x.l FROM "
        "unnest(" +
        params({"bigint[]", "integer[]", "boolean[]", "bigint[]"}) +
        ") AS x(pk, v, d, l) WHERE resource.pk = x.pk)");
  }
  ctes.push_back(
      "v AS (INSERT INTO resource_version (res_pk, res_type, res_id, version, method, "
      "last_updated, deleted, body) SELECT * FROM unnest(" +
      params({"bigint[]", "text[]", "text[]", "integer[]", "text[]", "bigint[]", "boolean[]",
              "text[]"}) +
      "))");
  std::string textless;
  if (mask & kBatchTextless) textless = params({"bigint[]"});
  std::string sql = "WITH ";
  for (std::size_t i = 0; i < ctes.size(); ++i) sql += (i > 0 ? ", " : "") + ctes[i];
  const PkSource pk{true, updated.empty() ? "" : "= ANY(" + updated + ")", textless};
  return sql + IndexCtes(p, mask & ~(kBatchInserts | kBatchUpdates | kBatchTextless), pk) +
         " SELECT 1";
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

namespace {

// The columns of IndexCtes' unnests, accumulated over one resource (no pk column) or over the
// resources of a batch (a pk per row first).
class IndexArrays {
 public:
  IndexArrays(unsigned mask, bool with_pk) : mask_(mask), with_pk_(with_pk) {}

  void Add(const search::IndexRows& rows, int64_t pk) {
    if (mask_ & kToken) {
      for (const auto& r : rows.tokens) {
        Pk(token_, pk);
        token_[1].Int(r.param_hash);
        token_[2].Int(r.grp);
        token_[3].Text(r.system);
        token_[4].Text(r.code);
      }
    }
    if (mask_ & kString) {
      for (const auto& r : rows.strings) {
        Pk(string_, pk);
        string_[1].Int(r.param_hash);
        string_[2].Int(r.grp);
        string_[3].Text(r.norm);
        string_[4].Text(r.exact);
      }
    }
    if (mask_ & kDate) {
      for (const auto& r : rows.dates) {
        Pk(date_, pk);
        date_[1].Int(r.param_hash);
        date_[2].Int(r.grp);
        date_[3].Int(r.low);
        date_[4].Int(r.high);
      }
    }
    if (mask_ & kNumber) {
      for (const auto& r : rows.numbers) {
        Pk(number_, pk);
        number_[1].Int(r.param_hash);
        number_[2].Int(r.grp);
        number_[3].Text(r.low);
        number_[4].Text(r.high);
      }
    }
    if (mask_ & kQuantity) {
      for (const auto& r : rows.quantities) {
        Pk(quantity_, pk);
        quantity_[1].Int(r.param_hash);
        quantity_[2].Int(r.grp);
        quantity_[3].Text(r.system);
        quantity_[4].Text(r.code);
        quantity_[5].Text(r.low);
        quantity_[6].Text(r.high);
        quantity_[7].Text(r.canon_unit);
        const bool canon = !r.canon_unit.empty();
        quantity_[8].Double(r.canon_low, canon && !r.low.empty());
        quantity_[9].Double(r.canon_high, canon && !r.high.empty());
      }
    }
    if (mask_ & kUri) {
      for (const auto& r : rows.uris) {
        Pk(uri_, pk);
        uri_[1].Int(r.param_hash);
        uri_[2].Int(r.grp);
        uri_[3].Text(r.uri);
      }
    }
    if (mask_ & kReference) {
      for (const auto& r : rows.references) {
        Pk(reference_, pk);
        reference_[1].Int(r.param_hash);
        reference_[2].Int(r.grp);
        reference_[3].Text(r.target_type);
        reference_[4].Text(r.target_id);
        reference_[5].Text(r.url);
      }
    }
    if (mask_ & kGeo) {
      for (const auto& r : rows.geo) {
        if (!std::isfinite(r.latitude) || !std::isfinite(r.longitude)) continue;
        Pk(geo_, pk);
        geo_[1].Int(r.param_hash);
        geo_[2].Double(r.latitude, true);
        geo_[3].Double(r.longitude, true);
      }
    }
    if ((mask_ & kText) != 0 && (!rows.narrative.empty() || !rows.content.empty())) {
      if (with_pk_) {
        Pk(text_, pk);
        text_[1].Text(rows.narrative);
        text_[2].Text(rows.content);
      } else {
        narrative_ = rows.narrative;
        content_ = rows.content;
      }
    }
  }

  // The bound parameters, in IndexCtes' order.
  std::vector<std::string> Take() {
    std::vector<std::string> out;
    const std::size_t skip = with_pk_ ? 0 : 1;
    auto take = [&](unsigned bit, auto& columns) {
      if ((mask_ & bit) == 0) return;
      for (std::size_t i = skip; i < columns.size(); ++i) out.push_back(columns[i].Take());
    };
    take(kToken, token_);
    take(kString, string_);
    take(kDate, date_);
    take(kNumber, number_);
    take(kQuantity, quantity_);
    take(kUri, uri_);
    take(kReference, reference_);
    take(kGeo, geo_);
    if (mask_ & kText) {
      if (with_pk_) {
        for (auto& column : text_) out.push_back(column.Take());
      } else {
        out.push_back(std::move(narrative_));
        out.push_back(std::move(content_));
      }
    }
    return out;
  }

 private:
  template <std::size_t N>
  void Pk(std::array<ArrayBuilder, N>& columns, int64_t pk) {
    if (with_pk_) columns[0].Int(pk);
  }

  unsigned mask_;
  bool with_pk_;
  // Column 0 is the pk (batches only).
  std::array<ArrayBuilder, 5> token_, string_, date_, number_;
  std::array<ArrayBuilder, 10> quantity_;
  std::array<ArrayBuilder, 4> uri_, geo_;
  std::array<ArrayBuilder, 6> reference_;
  std::array<ArrayBuilder, 3> text_;
  std::string narrative_, content_;
};

}  // namespace

std::vector<std::string> IndexParams(const search::IndexRows& rows, unsigned mask) {
  IndexArrays arrays(mask, false);
  arrays.Add(rows, 0);
  return arrays.Take();
}

BatchWrite BuildBatchWrite(const std::vector<BatchVersion>& versions) {
  unsigned mask = 0;
  ArrayBuilder textless;  // updated resources whose new version has no text row
  for (const BatchVersion& b : versions) {
    const NewVersion& v = *b.version;
    const unsigned tables = IndexMask(v.index, v.deleted);
    mask |= tables;
    if (!v.existing_pk.has_value()) {
      mask |= kBatchInserts;
    } else {
      mask |= kBatchUpdates;
      if ((tables & kText) == 0) {
        mask |= kBatchTextless;
        textless.Int(b.pk);
      }
    }
  }
  BatchWrite out;
  {
    static std::mutex mu;
    static std::map<unsigned, IndexedStatement> statements;
    const std::lock_guard<std::mutex> lock(mu);
    auto [it, inserted] = statements.try_emplace(mask);
    if (inserted) {
      it->second.name = "batch_write_" + std::to_string(mask);
      it->second.sql = BuildBatch(mask);
    }
    out.statement = &it->second;  // std::map nodes are stable
  }
  if (mask & kBatchInserts) {
    ArrayBuilder pk, type, id, version, deleted, updated;
    for (const BatchVersion& b : versions) {
      const NewVersion& v = *b.version;
      if (v.existing_pk.has_value()) continue;
      pk.Int(b.pk);
      type.Text(v.type);
      id.Text(v.id);
      version.Int(v.version);
      deleted.Text(v.deleted ? "t" : "f");
      updated.Int(v.last_updated);
    }
    for (ArrayBuilder* a : {&pk, &type, &id, &version, &deleted, &updated}) {
      out.params.push_back(a->Take());
    }
  }
  if (mask & kBatchUpdates) {
    ArrayBuilder pk, version, deleted, updated;
    for (const BatchVersion& b : versions) {
      const NewVersion& v = *b.version;
      if (!v.existing_pk.has_value()) continue;
      pk.Int(b.pk);
      version.Int(v.version);
      deleted.Text(v.deleted ? "t" : "f");
      updated.Int(v.last_updated);
    }
    for (ArrayBuilder* a : {&pk, &version, &deleted, &updated}) out.params.push_back(a->Take());
  }
  {
    ArrayBuilder pk, type, id, version, method, updated, deleted, body;
    for (const BatchVersion& b : versions) {
      const NewVersion& v = *b.version;
      pk.Int(b.pk);
      type.Text(v.type);
      id.Text(v.id);
      version.Int(v.version);
      method.Text(v.method);
      updated.Int(v.last_updated);
      deleted.Text(v.deleted ? "t" : "f");
      // A NULL body marks a deletion (tombstone version).
      if (v.deleted) {
        body.Null();
      } else {
        body.Text(v.body);
      }
    }
    for (ArrayBuilder* a : {&pk, &type, &id, &version, &method, &updated, &deleted, &body}) {
      out.params.push_back(a->Take());
    }
  }
  if (mask & kBatchTextless) out.params.push_back(textless.Take());
  IndexArrays arrays(mask & ~(kBatchInserts | kBatchUpdates | kBatchTextless), true);
  for (const BatchVersion& b : versions) {
    if (!b.version->deleted) arrays.Add(b.version->index, b.pk);
  }
  for (std::string& param : arrays.Take()) out.params.push_back(std::move(param));
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
