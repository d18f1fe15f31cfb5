// geo_db over libloc (IPFire's location database format). Only libloc.h declares its functions
// extern "C"; the other headers are wrapped here. Every object libloc hands out is released with
// its _unref.
#include <cstdio>

#include <libloc/libloc.h>
extern "C" {
#include <libloc/as.h>
#include <libloc/database.h>
#include <libloc/network.h>
}

#include "core/time.hpp"
#include "enrich/geo_db.hpp"

namespace dmarcsight::enrich {

namespace {

class libloc_db final : public geo_db {
public:
    libloc_db(loc_ctx* ctx, loc_database* db, FILE* f, std::string path) : ctx_(ctx), db_(db), file_(f), path_(std::move(path)) {}
    ~libloc_db() override {
        if (db_) loc_database_unref(db_);
        if (ctx_) loc_unref(ctx_);
        if (file_) std::fclose(file_);
    }
    libloc_db(const libloc_db&) = delete;
    libloc_db& operator=(const libloc_db&) = delete;

    std::optional<geo_info> lookup(const ip_address& ip) override {
        // libloc keeps every network as IPv6; IPv4 is looked up as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
        in6_addr a{};
        if (ip.is_v4()) {
            a.s6_addr[10] = 0xff;
            a.s6_addr[11] = 0xff;
            for (int i = 0; i < 4; ++i) a.s6_addr[12 + i] = ip.bytes[i];
        } else {
            for (int i = 0; i < 16; ++i) a.s6_addr[i] = ip.bytes[i];
        }
        loc_network* net = nullptr;
        if (loc_database_lookup(db_, &a, &net) != 0 || net == nullptr) {
            if (net) loc_network_unref(net);
            return std::nullopt;
        }
        geo_info g;
        if (const char* cc = loc_network_get_country_code(net)) g.country = clean_country(cc);
        const std::uint32_t asn = loc_network_get_asn(net);
        loc_network_unref(net);
        if (asn != 0) {
            g.asn = asn;
            loc_as* as = nullptr;
            if (loc_database_get_as(db_, &as, asn) == 0 && as != nullptr) {
                if (const char* name = loc_as_get_name(as)) g.as_name = clean_as_name(name);
            }
            if (as) loc_as_unref(as);
        }
        return g;
    }

    std::string description() const override {
        std::string d = "libloc " + path_;
        std::string about;
        if (const char* v = loc_database_get_vendor(db_)) about = clean_as_name(v);
        if (const std::int64_t t = built_at(); t > 0) about += (about.empty() ? "" : ", ") + std::string("built ") + utc::format_date(t);
        if (!about.empty()) d += " (" + about + ")";
        return d;
    }
    std::int64_t built_at() const override { return static_cast<std::int64_t>(loc_database_created_at(db_)); }

private:
    loc_ctx* ctx_;
    loc_database* db_;
    FILE* file_;  // kept open for the database's life (libloc may read from it lazily)
    std::string path_;
};

}  // namespace

result<std::unique_ptr<geo_db>> open_libloc(const std::string& path) {
    loc_ctx* ctx = nullptr;
    if (loc_new(&ctx) != 0 || ctx == nullptr) return fail("libloc: cannot create a context");
    // Quiet: libloc logs to stderr by default at its own priority.
    loc_set_log_priority(ctx, 0);
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) {
        loc_unref(ctx);
        return fail("location database " + path + ": cannot be opened");
    }
    loc_database* db = nullptr;
    const int rc = loc_database_new(ctx, &db, f);
    if (rc != 0 || db == nullptr) {
        std::fclose(f);
        loc_unref(ctx);
        return fail("location database " + path + ": not a libloc database");
    }
    return std::unique_ptr<geo_db>(new libloc_db(ctx, db, f, path));
}

}  // namespace dmarcsight::enrich
