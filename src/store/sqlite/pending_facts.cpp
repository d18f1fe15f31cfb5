#include "store/sqlite/pending_facts.hpp"

#include <new>
#include <unordered_map>

#include "core/time.hpp"

namespace dmarcsight::store::sqlite {

namespace {

struct table : sqlite3_vtab {
    const pending_facts* source = nullptr;
};

struct cursor : sqlite3_vtab_cursor {
    std::size_t at = 0, size = 0;
    const pending_facts* source = nullptr;
    // Row `at`, made ready when its first column is asked for (SQLite copies every column of a
    // row before it asks for the next, so SQLITE_STATIC results stay valid long enough).
    const fact_entry* row = nullptr;
    std::string ip, evidence_buffer;
    std::string_view day, evidence;
    std::vector<std::uint32_t> indexes;
    std::vector<std::uint64_t> reporters;
    std::int32_t last_day = 0;
    std::unordered_map<std::int32_t, std::string> day_texts;  // a batch spans few days

    const fact_entry& ready() {
        if (row) return *row;
        row = (*source->rows)[at];
        ip.clear();
        row->source_ip().append_to(ip);
        if (day.empty() || row->day != last_day) {
            auto d = day_texts.find(row->day);
            if (d == day_texts.end())
                d = day_texts.emplace(row->day, utc::format_date(static_cast<std::int64_t>(row->day) * 86400)).first;
            last_day = row->day;
            day = d->second;
        }
        source->facts->reporters_of(*row, indexes);
        reporters.clear();
        for (const std::uint32_t r : indexes) reporters.push_back((*source->reporter_ids)[r]);
        evidence = encode_evidence(*row, reporters, evidence_buffer);
        return *row;
    }
};

int x_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
    const std::string schema = "CREATE TABLE x(" + pending_fact_columns() + ")";
    if (const int rc = sqlite3_declare_vtab(db, schema.c_str()); rc != SQLITE_OK) return rc;
    auto* t = new (std::nothrow) table();
    if (!t) return SQLITE_NOMEM;
    t->source = static_cast<const pending_facts*>(aux);
    *out = t;
    return SQLITE_OK;
}

int x_disconnect(sqlite3_vtab* t) {
    delete static_cast<table*>(t);
    return SQLITE_OK;
}

int x_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
    info->estimatedCost = 1e6;  // one full scan: no constraint is ever used
    info->estimatedRows = 16384;
    return SQLITE_OK;
}

int x_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
    auto* c = new (std::nothrow) cursor();
    if (!c) return SQLITE_NOMEM;
    *out = c;
    return SQLITE_OK;
}

int x_close(sqlite3_vtab_cursor* c) {
    delete static_cast<cursor*>(c);
    return SQLITE_OK;
}

int x_filter(sqlite3_vtab_cursor* vc, int, const char*, int, sqlite3_value**) {
    auto* c = static_cast<cursor*>(vc);
    c->source = static_cast<const table*>(c->pVtab)->source;
    c->size = c->source->rows ? c->source->rows->size() : 0;
    c->at = 0;
    c->row = nullptr;
    return SQLITE_OK;
}

int x_next(sqlite3_vtab_cursor* vc) {
    auto* c = static_cast<cursor*>(vc);
    ++c->at;
    c->row = nullptr;
    return SQLITE_OK;
}

int x_eof(sqlite3_vtab_cursor* vc) {
    const auto* c = static_cast<const cursor*>(vc);
    return c->at >= c->size ? 1 : 0;
}

void result_text(sqlite3_context* ctx, std::string_view t) {
    sqlite3_result_text64(ctx, t.empty() ? "" : t.data(), t.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int x_column(sqlite3_vtab_cursor* vc, sqlite3_context* ctx, int col) {
    auto* c = static_cast<cursor*>(vc);
    if (c->at >= c->size) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    const fact_entry& row = c->ready();
    static const std::vector<std::size_t>& measures = measure_indexes(true);
    static const int evidence_col = 4 + static_cast<int>(measures.size());
    switch (col) {
        case 0: sqlite3_result_int64(ctx, (*c->source->domain_ids)[row.domain]); break;
        case 1: result_text(ctx, c->day); break;
        case 2: result_text(ctx, c->ip); break;
        case 3: result_text(ctx, row.header_from()); break;  // in the accumulator's arena
        default:
            if (col < evidence_col) sqlite3_result_int64(ctx, row.measure(measures[static_cast<std::size_t>(col - 4)]));
            else if (col == evidence_col) sqlite3_result_blob64(ctx, c->evidence.data(), c->evidence.size(), SQLITE_STATIC);
            else sqlite3_result_null(ctx);
    }
    return SQLITE_OK;
}

int x_rowid(sqlite3_vtab_cursor* vc, sqlite3_int64* out) {
    *out = static_cast<sqlite3_int64>(static_cast<const cursor*>(vc)->at);
    return SQLITE_OK;
}

sqlite3_module make_module() {
    sqlite3_module m{};
    m.iVersion = 0;
    m.xCreate = nullptr;  // eponymous-only: no CREATE VIRTUAL TABLE, nothing in the file
    m.xConnect = x_connect;
    m.xBestIndex = x_best_index;
    m.xDisconnect = x_disconnect;
    m.xDestroy = x_disconnect;
    m.xOpen = x_open;
    m.xClose = x_close;
    m.xFilter = x_filter;
    m.xNext = x_next;
    m.xEof = x_eof;
    m.xColumn = x_column;
    m.xRowid = x_rowid;
    return m;
}

}  // namespace

const std::string& pending_fact_columns() {
    static const std::string out = "domain_id, day, source_ip, header_from, " + column_measure_names() + ", evidence";
    return out;
}

result<void> register_pending_facts(sqlite3* db, const pending_facts* source) {
    static const sqlite3_module module = make_module();
    if (sqlite3_create_module_v2(db, pending_facts_table, &module, const_cast<pending_facts*>(source), nullptr) != SQLITE_OK)
        return fail(std::string("SQLite: cannot register the pending facts table: ") + sqlite3_errmsg(db));
    return {};
}

}  // namespace dmarcsight::store::sqlite
