// gzip / zlib / zip decoding and the unwrap walk, on fixtures built here with zlib.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/limits.hpp"
#include "mime/container.hpp"
#include "unit/mime/test_util.hpp"

using namespace dmarcsight;
using namespace dmarcsight::mime;
using namespace mime_test;

namespace {

const std::string report_xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feedback><report_metadata><org_name>x</org_name>"
    "</report_metadata><record><row><source_ip>192.0.2.10</source_ip><count>3</count></row></record></feedback>\n";

// A memory source that owns its bytes (tests pass temporaries).
class owning_source final : public byte_source {
public:
    explicit owning_source(std::string s) : data_(std::move(s)), src_(data_) {}
    result<std::size_t> read(char* buf, std::size_t n) override { return src_.read(buf, n); }

private:
    std::string data_;
    memory_source src_;
};
std::unique_ptr<byte_source> mem(std::string s) { return std::make_unique<owning_source>(std::move(s)); }

std::string big_text(std::size_t n) {
    std::string s;
    s.reserve(n);
    for (std::size_t i = 0; s.size() < n; ++i) s += "<record>" + std::to_string(i * 7919 % 100003) + "</record>\n";
    s.resize(n);
    return s;
}

struct leaf_seen {
    std::string chain;
    std::string bytes;
    std::vector<std::string> warnings;
};

// unwrap, reading every leaf fully; a leaf's read error is returned.
result<std::vector<leaf_seen>> unwrap_all(const std::string& input, std::string label = "in",
                                          std::uint64_t cap = limits::max_decompressed_report) {
    std::vector<leaf_seen> seen;
    auto r = unwrap_capped(mem(input), std::move(label),
                           [&](unwrapped& u) -> result<void> {
                               auto bytes = read_all(*u.stream);
                               if (!bytes) return unexpected{bytes.err()};
                               seen.push_back({u.chain, *bytes, u.stream->warnings()});
                               return {};
                           },
                           0, cap);
    if (!r) return unexpected{r.err()};
    return seen;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// gzip with FEXTRA, FNAME, FCOMMENT and FHCRC set (RFC 1952 §2.3.1), via zlib's deflateSetHeader.
std::string gzip_with_all_header_fields(const std::string& in) {
    z_stream zs{};
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    gz_header h{};
    std::string extra = "AB\x04\x00xyzw";
    std::string name = "report.xml";
    std::string comment = "a comment";
    h.extra = reinterpret_cast<Bytef*>(extra.data());
    h.extra_len = static_cast<uInt>(extra.size());
    h.name = reinterpret_cast<Bytef*>(name.data());
    h.comment = reinterpret_cast<Bytef*>(comment.data());
    h.hcrc = 1;
    deflateSetHeader(&zs, &h);
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 256, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace

TEST(sniff, by_magic_not_by_name) {
    EXPECT_EQ(sniff_container(gzip("x")), container_kind::gzip);
    EXPECT_EQ(sniff_container(zlib_wrap("x")), container_kind::zlib);
    EXPECT_EQ(sniff_container(make_zip({{"a.xml", "x"}})), container_kind::zip);
    EXPECT_EQ(sniff_container(std::string("PK\x05\x06", 4)), container_kind::zip);  // empty archive
    EXPECT_EQ(sniff_container("<?xml version"), container_kind::plain);
    EXPECT_EQ(sniff_container("{\"organization-name\""), container_kind::plain);
    EXPECT_EQ(sniff_container(""), container_kind::plain);
    EXPECT_EQ(sniff_container("\x1f"), container_kind::plain);
    // RFC 1950 header check: all three compression levels' headers, and a failing FCHECK.
    EXPECT_EQ(sniff_container("\x78\x01"), container_kind::zlib);
    EXPECT_EQ(sniff_container("\x78\x9c"), container_kind::zlib);
    EXPECT_EQ(sniff_container("\x78\xda"), container_kind::zlib);
    EXPECT_EQ(sniff_container("\x78\x9d"), container_kind::plain);
    // FDICT set (0x78 0xbb passes FCHECK): a preset dictionary is never used by reporters.
    EXPECT_EQ(sniff_container("\x78\xbb"), container_kind::plain);
    EXPECT_EQ(sniff_container("xml"), container_kind::plain);
}

TEST(gzip, round_trip_any_read_size) {
    const std::string text = big_text(300000);
    const std::string gz = gzip(text);
    for (std::size_t chunk : {1u, 7u, 4096u, 1u << 20}) {
        auto src = open_gzip(mem(gz), limits::max_decompressed_report);
        auto out = read_all(*src, chunk);
        ASSERT_TRUE(out) << out.err().message;
        EXPECT_EQ(*out, text) << "chunk " << chunk;
        EXPECT_TRUE(src->warnings().empty());
    }
}

TEST(gzip, all_optional_header_fields) {
    auto src = open_gzip(mem(gzip_with_all_header_fields(report_xml)), 1 << 20);
    auto out = read_all(*src);
    ASSERT_TRUE(out) << out.err().message;
    EXPECT_EQ(*out, report_xml);
}

TEST(gzip, concatenated_members_are_one_stream) {
    // RFC 1952 §2.2: a gzip file is a series of members; gunzip outputs them concatenated.
    const std::string gz = gzip("<feedback>") + gzip("") + gzip("</feedback>");
    for (std::size_t chunk : {1u, 3u, 4096u}) {
        auto src = open_gzip(mem(gz), 1 << 20);
        auto out = read_all(*src, chunk);
        ASSERT_TRUE(out) << out.err().message;
        EXPECT_EQ(*out, "<feedback></feedback>");
        EXPECT_TRUE(src->warnings().empty());
    }
}

TEST(gzip, trailing_crlf_is_a_warning) {
    // Mimecast appends CR LF after the member (corpus parsedmarc/aggregate/mimecast-weird-gzip.eml).
    auto src = open_gzip(mem(gzip(report_xml) + "\r\n"), 1 << 20);
    auto out = read_all(*src);
    ASSERT_TRUE(out) << out.err().message;
    EXPECT_EQ(*out, report_xml);
    ASSERT_EQ(src->warnings().size(), 1u);
    EXPECT_EQ(src->warnings()[0], "2 trailing bytes after the end of the gzip data ignored");
}

TEST(gzip, trailing_garbage_is_a_warning) {
    auto src = open_gzip(mem(gzip(report_xml) + std::string(64, 'G')), 1 << 20);
    auto out = read_all(*src);
    ASSERT_TRUE(out) << out.err().message;
    EXPECT_EQ(*out, report_xml);
    ASSERT_EQ(src->warnings().size(), 1u);
    EXPECT_TRUE(contains(src->warnings()[0], "64 trailing bytes"));
    // One stray byte after the member, too.
    auto one = open_gzip(mem(gzip(report_xml) + "\x1f"), 1 << 20);
    ASSERT_TRUE(read_all(*one));
    EXPECT_EQ(one->warnings().size(), 1u);
}

TEST(gzip, truncated_is_an_error) {
    const std::string gz = gzip(big_text(20000));
    for (std::size_t cut : {std::size_t{3}, std::size_t{12}, gz.size() / 2, gz.size() - 4, gz.size() - 1}) {
        auto src = open_gzip(mem(gz.substr(0, cut)), 1 << 20);
        auto out = read_all(*src);
        ASSERT_FALSE(out) << "cut at " << cut;
        EXPECT_TRUE(contains(out.err().message, "truncated gzip")) << out.err().message;
    }
    auto empty = open_gzip(mem(""), 1 << 20);
    EXPECT_FALSE(read_all(*empty));
}

TEST(gzip, bad_crc_and_bad_isize_are_errors) {
    std::string gz = gzip(report_xml);
    std::string bad_crc = gz;
    bad_crc[bad_crc.size() - 8] ^= 0x01;  // RFC 1952 §2.3.1: CRC32 then ISIZE, little-endian
    auto a = read_all(*open_gzip(mem(bad_crc), 1 << 20));
    ASSERT_FALSE(a);
    EXPECT_TRUE(contains(a.err().message, "incorrect data check")) << a.err().message;
    std::string bad_size = gz;
    bad_size[bad_size.size() - 4] ^= 0x01;
    auto b = read_all(*open_gzip(mem(bad_size), 1 << 20));
    ASSERT_FALSE(b);
    EXPECT_TRUE(contains(b.err().message, "incorrect length check")) << b.err().message;
    // A second member that is broken is an error too (it starts with the gzip magic).
    auto c = read_all(*open_gzip(mem(gz + bad_crc), 1 << 20));
    EXPECT_FALSE(c);
}

TEST(gzip, output_cap) {
    const std::string text = big_text(10000);
    auto over = read_all(*open_gzip(mem(gzip(text)), 9999));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.err().message, "decompressed size exceeds 9999 bytes");
    auto exact = read_all(*open_gzip(mem(gzip(text)), 10000));
    ASSERT_TRUE(exact);
    EXPECT_EQ(exact->size(), 10000u);
    // The cap counts all members together.
    auto members = read_all(*open_gzip(mem(gzip(text) + gzip(text)), 15000));
    EXPECT_FALSE(members);
    // After an error, further reads keep failing.
    auto src = open_gzip(mem(gzip(text)), 100);
    char buf[4096];
    EXPECT_FALSE(src->read(buf, sizeof buf));
    EXPECT_FALSE(src->read(buf, sizeof buf));
}

TEST(gzip, empty_payload_is_fine_here) {
    auto out = read_all(*open_gzip(mem(gzip("")), 1 << 20));
    ASSERT_TRUE(out);
    EXPECT_TRUE(out->empty());
}

TEST(gzip, upstream_error_surfaces) {
    class failing final : public byte_source {
    public:
        result<std::size_t> read(char*, std::size_t) override { return fail("disk on fire"); }
    };
    auto out = read_all(*open_gzip(std::make_unique<failing>(), 1 << 20));
    ASSERT_FALSE(out);
    EXPECT_EQ(out.err().message, "disk on fire");
}

TEST(zlib, round_trip_checksum_cap_trailing) {
    const std::string text = big_text(100000);
    const std::string z = zlib_wrap(text);
    auto ok = read_all(*open_zlib(mem(z), 1 << 20), 5);
    ASSERT_TRUE(ok) << ok.err().message;
    EXPECT_EQ(*ok, text);

    std::string bad = z;
    bad[bad.size() - 1] ^= 0x40;  // RFC 1950 §2.2: ADLER32 last, big-endian
    auto b = read_all(*open_zlib(mem(bad), 1 << 20));
    ASSERT_FALSE(b);
    EXPECT_TRUE(contains(b.err().message, "incorrect data check")) << b.err().message;

    auto capped = read_all(*open_zlib(mem(z), 50000));
    ASSERT_FALSE(capped);
    EXPECT_EQ(capped.err().message, "decompressed size exceeds 50000 bytes");

    auto trunc = read_all(*open_zlib(mem(z.substr(0, z.size() - 3)), 1 << 20));
    ASSERT_FALSE(trunc);
    EXPECT_TRUE(contains(trunc.err().message, "truncated zlib"));

    auto src = open_zlib(mem(z + "\r\n"), 1 << 20);
    ASSERT_TRUE(read_all(*src));
    EXPECT_EQ(src->warnings().size(), 1u);
}

TEST(zip, stored_and_deflate_members) {
    const std::string text = big_text(50000);
    const std::string z = make_zip({{"stored.xml", report_xml, false}, {"deflated.xml", text, true}});
    auto list = list_zip(z);
    ASSERT_TRUE(list) << list.err().message;
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].name, "stored.xml");
    EXPECT_EQ((*list)[0].method, 0);
    EXPECT_EQ((*list)[0].uncompressed_size, report_xml.size());
    EXPECT_EQ((*list)[1].name, "deflated.xml");
    EXPECT_EQ((*list)[1].method, 8);
    EXPECT_EQ((*list)[1].uncompressed_size, text.size());
    EXPECT_LT((*list)[1].compressed_size, text.size());
    auto a = open_zip_member(z, (*list)[0], 1 << 20);
    ASSERT_TRUE(a);
    EXPECT_EQ(*read_all(**a, 3), report_xml);
    auto b = open_zip_member(z, (*list)[1], 1 << 20);
    ASSERT_TRUE(b);
    EXPECT_EQ(*read_all(**b, 1000), text);
}

TEST(zip, data_descriptor_and_empty_name) {
    // Sizes and CRC only after the data (bit 3); the central directory has them.
    const std::string z = make_zip({{"", report_xml, true, true}});
    auto leaves = unwrap_all(z, "r.zip");
    ASSERT_TRUE(leaves) << leaves.err().message;
    ASSERT_EQ(leaves->size(), 1u);
    EXPECT_EQ((*leaves)[0].chain, "r.zip>zip:");
    EXPECT_EQ((*leaves)[0].bytes, report_xml);
    EXPECT_TRUE(list_zip(z)->at(0).flags & 0x8);
}

TEST(zip, three_members_three_leaves_in_order) {
    const std::string z = make_zip({{"a.xml", "<a/>"}, {"b.xml", "<b/>", false}, {"c.json", "{}"}});
    auto leaves = unwrap_all(z, "");
    ASSERT_TRUE(leaves) << leaves.err().message;
    ASSERT_EQ(leaves->size(), 3u);
    EXPECT_EQ((*leaves)[0].chain, "zip:a.xml");
    EXPECT_EQ((*leaves)[0].bytes, "<a/>");
    EXPECT_EQ((*leaves)[1].chain, "zip:b.xml");
    EXPECT_EQ((*leaves)[1].bytes, "<b/>");
    EXPECT_EQ((*leaves)[2].chain, "zip:c.json");
    EXPECT_EQ((*leaves)[2].bytes, "{}");
}

TEST(zip, more_than_16_members_refused) {
    std::vector<zip_entry> entries;
    for (int i = 0; i < 17; ++i) entries.push_back({std::string("m").append(std::to_string(i)).append(".xml"), "<x/>"});
    auto r = list_zip(make_zip(entries));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().message, "zip: archive has 17 members (more than 16 are refused)");
    entries.pop_back();
    EXPECT_TRUE(list_zip(make_zip(entries)));
    // The end record's count is what is checked: a lying 10,000 is refused without walking.
    auto lying = list_zip(make_zip({{"a.xml", "<a/>"}}, 10000));
    ASSERT_FALSE(lying);
    EXPECT_TRUE(contains(lying.err().message, "10000 members"));
}

TEST(zip, declared_size_bomb_refused_up_front) {
    zip_entry e{"bomb.xml", report_xml};
    e.lie_about_size = true;
    e.declared_size = 0xF0000000u;  // 3.75 GiB declared
    const std::string z = make_zip({e});
    auto list = list_zip(z);
    ASSERT_TRUE(list);
    auto m = open_zip_member(z, (*list)[0], limits::max_decompressed_report);
    ASSERT_FALSE(m);
    EXPECT_TRUE(contains(m.err().message, "decompressed size exceeds 805306368 bytes")) << m.err().message;
    auto u = unwrap_all(z);
    EXPECT_FALSE(u);
}

TEST(zip, inflating_past_declared_size_or_bad_crc_is_an_error) {
    zip_entry small{"x.xml", big_text(10000)};
    small.lie_about_size = true;
    small.declared_size = 100;
    const std::string z = make_zip({small});
    auto m = open_zip_member(z, list_zip(z)->at(0), 1 << 20);
    ASSERT_TRUE(m);
    auto out = read_all(**m);
    ASSERT_FALSE(out);
    EXPECT_TRUE(contains(out.err().message, "declared size")) << out.err().message;

    // One data byte changed in a stored member: CRC-32 mismatch at the end.
    std::string stored = make_zip({{"s.xml", report_xml, false}});
    stored[30 + 5 + 10] ^= 0x01;
    auto s = open_zip_member(stored, list_zip(stored)->at(0), 1 << 20);
    ASSERT_TRUE(s);
    auto sout = read_all(**s);
    ASSERT_FALSE(sout);
    EXPECT_EQ(sout.err().message, "zip member CRC-32 mismatch");

    // A deflated member whose CRC field is wrong.
    std::string deflated = make_zip({{"d.xml", report_xml}});
    auto list = list_zip(deflated);
    zip_member wrong = list->at(0);
    wrong.crc32 ^= 1;
    auto d = open_zip_member(deflated, wrong, 1 << 20);
    ASSERT_TRUE(d);
    auto dout = read_all(**d);
    ASSERT_FALSE(dout);
    EXPECT_EQ(dout.err().message, "zip member CRC-32 mismatch");
}

TEST(zip, inflate_cap_while_streaming) {
    // Declared size under the cap but the cap smaller than the real output: the cap wins.
    const std::string text = big_text(100000);
    const std::string z = make_zip({{"x.xml", text}});
    zip_member m = list_zip(z)->at(0);
    m.uncompressed_size = 10;  // as if the header lied low
    auto src = open_zip_member(z, m, 1000);
    ASSERT_TRUE(src);
    auto out = read_all(**src);
    ASSERT_FALSE(out);
}

TEST(zip, overlapping_members_hit_the_total_budget) {
    // David Fifield's "better zip bomb": many central directory entries share one local file.
    // Each leaf stays under its cap, but all leaves of one input together may not exceed
    // limits::unwrap_total_factor times it.
    const std::string payload(100000, 'A');
    std::string z = make_zip({{"a.xml", payload}});
    const std::size_t eocd = z.size() - 22;
    const std::uint32_t cd_size = static_cast<std::uint32_t>(z[eocd + 12] & 0xFF) |
                                  (static_cast<std::uint32_t>(z[eocd + 13] & 0xFF) << 8);
    const std::size_t cd_offset = eocd - cd_size;
    const std::string entry = z.substr(cd_offset, cd_size);
    std::string bomb = z.substr(0, cd_offset);
    for (int i = 0; i < 16; ++i) bomb += entry;
    put32(bomb, 0x06054b50);
    put16(bomb, 0);
    put16(bomb, 0);
    put16(bomb, 16);
    put16(bomb, 16);
    put32(bomb, cd_size * 16);
    put32(bomb, static_cast<std::uint32_t>(cd_offset));
    put16(bomb, 0);
    ASSERT_EQ(list_zip(bomb)->size(), 16u);
    int leaves = 0;
    auto r = unwrap_capped(mem(bomb), "", [&](unwrapped& u) -> result<void> {
        ++leaves;
        auto bytes = read_all(*u.stream);
        if (!bytes) return unexpected{bytes.err()};
        return {};
    }, 0, 150000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().message, "decompressed size of all layers exceeds 300000 bytes");
    EXPECT_EQ(leaves, 3);
}

TEST(zip, path_traversal_name_is_data) {
    const auto cwd = std::filesystem::current_path();
    const std::string z = make_zip({{"../../etc/passwd.xml", report_xml}, {"/abs/evil.xml", "<x/>"}});
    auto leaves = unwrap_all(z, "t.zip");
    ASSERT_TRUE(leaves) << leaves.err().message;
    ASSERT_EQ(leaves->size(), 2u);
    EXPECT_EQ((*leaves)[0].chain, "t.zip>zip:../../etc/passwd.xml");
    EXPECT_EQ((*leaves)[0].bytes, report_xml);
    EXPECT_FALSE(std::filesystem::exists(cwd / "passwd.xml"));
    EXPECT_FALSE(std::filesystem::exists(cwd.parent_path().parent_path() / "etc" / "passwd.xml"));
}

TEST(zip, unsupported_method_encrypted_and_garbage) {
    std::string z = make_zip({{"a.xml", report_xml}});
    auto list = list_zip(z);
    zip_member m = list->at(0);
    m.method = 12;  // bzip2
    auto r = open_zip_member(z, m, 1 << 20);
    ASSERT_FALSE(r);
    EXPECT_TRUE(contains(r.err().message, "compression method 12"));
    m = list->at(0);
    m.flags |= 1;
    EXPECT_FALSE(open_zip_member(z, m, 1 << 20));

    EXPECT_FALSE(list_zip(std::string("PK\x03\x04garbage", 11)));
    EXPECT_FALSE(list_zip(""));
    auto u = unwrap_all(std::string("PK\x03\x04", 4) + std::string(100, 'x'));
    EXPECT_FALSE(u);
    // Truncated archive: the end record is gone.
    EXPECT_FALSE(list_zip(z.substr(0, z.size() - 10)));
    // Central directory pointing past the end.
    std::string bad = z;
    bad[bad.size() - 6] = '\x7f';
    EXPECT_FALSE(list_zip(bad));
}

TEST(zip, prepended_bytes_are_tolerated) {
    const std::string z = std::string(100, '#') + make_zip({{"a.xml", report_xml}});
    auto list = list_zip(z);
    ASSERT_TRUE(list) << list.err().message;
    auto m = open_zip_member(z, list->at(0), 1 << 20);
    ASSERT_TRUE(m);
    EXPECT_EQ(*read_all(**m), report_xml);
}

TEST(zip, directories_skipped_empty_archive_refused) {
    const std::string z = make_zip({{"dir/", "", false}, {"dir/a.xml", "<a/>"}});
    auto leaves = unwrap_all(z, "");
    ASSERT_TRUE(leaves) << leaves.err().message;
    ASSERT_EQ(leaves->size(), 1u);
    EXPECT_EQ((*leaves)[0].chain, "zip:dir/a.xml");
    auto empty = unwrap_all(make_zip({}), "e.zip");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.err().message, "e.zip: zip archive has no members");
}

TEST(zip, zip64_end_record_and_extra_field) {
    // One stored member whose central entry escapes sizes and offset to a zip64 extra field, and
    // a zip64 end record + locator (APPNOTE 4.3.14, 4.3.15, 4.5.3).
    const std::string data = report_xml;
    const std::uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    std::string z;
    put32(z, 0x04034b50);
    put16(z, 45);
    put16(z, 0);
    put16(z, 0);
    put16(z, 0);
    put16(z, 0x21);
    put32(z, crc);
    put32(z, static_cast<std::uint32_t>(data.size()));
    put32(z, static_cast<std::uint32_t>(data.size()));
    put16(z, 5);
    put16(z, 0);
    z += "a.xml";
    z += data;
    const std::uint64_t cd_offset = z.size();
    std::string extra;
    put16(extra, 1);
    put16(extra, 24);
    auto put64 = [](std::string& s, std::uint64_t v) {
        put32(s, static_cast<std::uint32_t>(v));
        put32(s, static_cast<std::uint32_t>(v >> 32));
    };
    put64(extra, data.size());
    put64(extra, data.size());
    put64(extra, 0);
    std::string cd;
    put32(cd, 0x02014b50);
    put16(cd, 45);
    put16(cd, 45);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0x21);
    put32(cd, crc);
    put32(cd, 0xFFFFFFFF);
    put32(cd, 0xFFFFFFFF);
    put16(cd, 5);
    put16(cd, static_cast<std::uint16_t>(extra.size()));
    put16(cd, 0);
    put16(cd, 0);
    put16(cd, 0);
    put32(cd, 0);
    put32(cd, 0xFFFFFFFF);
    cd += "a.xml";
    cd += extra;
    z += cd;
    const std::uint64_t z64_offset = z.size();
    put32(z, 0x06064b50);
    put64(z, 44);
    put16(z, 45);
    put16(z, 45);
    put32(z, 0);
    put32(z, 0);
    put64(z, 1);
    put64(z, 1);
    put64(z, cd.size());
    put64(z, cd_offset);
    put32(z, 0x07064b50);
    put32(z, 0);
    put64(z, z64_offset);
    put32(z, 1);
    put32(z, 0x06054b50);
    put16(z, 0);
    put16(z, 0);
    put16(z, 0xFFFF);
    put16(z, 0xFFFF);
    put32(z, 0xFFFFFFFF);
    put32(z, 0xFFFFFFFF);
    put16(z, 0);
    auto leaves = unwrap_all(z, "");
    ASSERT_TRUE(leaves) << leaves.err().message;
    ASSERT_EQ(leaves->size(), 1u);
    EXPECT_EQ((*leaves)[0].chain, "zip:a.xml");
    EXPECT_EQ((*leaves)[0].bytes, report_xml);
}

TEST(unwrap, plain_gzip_zlib_and_nested_chains) {
    auto plain = unwrap_all(report_xml, "r.xml");
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->size(), 1u);
    EXPECT_EQ((*plain)[0].chain, "r.xml");
    EXPECT_EQ((*plain)[0].bytes, report_xml);

    auto gz2 = unwrap_all(gzip(gzip(report_xml)), "r.xml.gz");
    ASSERT_TRUE(gz2) << gz2.err().message;
    EXPECT_EQ((*gz2)[0].chain, "r.xml.gz>gzip>gzip");
    EXPECT_EQ((*gz2)[0].bytes, report_xml);

    auto zl = unwrap_all(zlib_wrap(report_xml), "");
    ASSERT_TRUE(zl);
    EXPECT_EQ((*zl)[0].chain, "zlib");

    // A zip member that is itself gzip, next to a plain one.
    const std::string z = make_zip({{"a.xml.gz", gzip(report_xml), false}, {"b.xml", "<b/>"}});
    auto zz = unwrap_all(z, "mail");
    ASSERT_TRUE(zz) << zz.err().message;
    ASSERT_EQ(zz->size(), 2u);
    EXPECT_EQ((*zz)[0].chain, "mail>zip:a.xml.gz>gzip");
    EXPECT_EQ((*zz)[0].bytes, report_xml);
    EXPECT_EQ((*zz)[1].chain, "mail>zip:b.xml");

    // gzip around a zip.
    auto gzz = unwrap_all(gzip(make_zip({{"c.xml", report_xml}})), "");
    ASSERT_TRUE(gzz) << gzz.err().message;
    EXPECT_EQ((*gzz)[0].chain, "gzip>zip:c.xml");
}

TEST(unwrap, depth_cap) {
    std::string s = report_xml;
    for (int i = 0; i < limits::max_container_depth; ++i) s = gzip(s);
    auto ok = unwrap_all(s, "");
    ASSERT_TRUE(ok) << ok.err().message;
    EXPECT_EQ((*ok)[0].bytes, report_xml);
    auto deep = unwrap_all(gzip(s), "");
    ASSERT_FALSE(deep);
    EXPECT_EQ(deep.err().message, "gzip>gzip>gzip>gzip: containers nested deeper than 4");
    std::string zips = report_xml;
    for (int i = 0; i < 6; ++i) zips = make_zip({{std::string("l").append(std::to_string(i)), zips}});
    auto zdeep = unwrap_all(zips, "");
    ASSERT_FALSE(zdeep);
    EXPECT_TRUE(contains(zdeep.err().message, "containers nested deeper than 4"));
}

TEST(unwrap, leaf_warnings_and_errors) {
    auto w = unwrap_all(gzip(report_xml) + "\r\n", "");
    ASSERT_TRUE(w);
    ASSERT_EQ((*w)[0].warnings.size(), 1u);
    EXPECT_TRUE(contains((*w)[0].warnings[0], "trailing bytes"));

    // A leaf read error surfaces in on_leaf (here: returned by it, so unwrap returns it).
    auto bomb = unwrap_all(gzip(std::string(100000, ' ')), "", 1000);
    ASSERT_FALSE(bomb);
    EXPECT_EQ(bomb.err().message, "decompressed size exceeds 1000 bytes");
}

TEST(unwrap, on_leaf_error_stops_the_walk) {
    const std::string z = make_zip({{"a", "1"}, {"b", "2"}, {"c", "3"}});
    int calls = 0;
    auto r = unwrap(mem(z), "", [&](unwrapped& u) -> result<void> {
        ++calls;
        (void)read_all(*u.stream);
        if (calls == 2) return fail("parser says no");
        return {};
    });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.err().message, "parser says no");
    EXPECT_EQ(calls, 2);
    EXPECT_FALSE(unwrap(nullptr, "", [](unwrapped&) -> result<void> { return {}; }));
}

TEST(unwrap, zip_archive_size_cap) {
    // A stream that claims to be a zip and never ends stops at limits::max_zip_archive.
    class endless_zip final : public byte_source {
    public:
        result<std::size_t> read(char* buf, std::size_t n) override {
            std::memset(buf, 'P', n);
            if (first_ && n >= 4) {
                std::memcpy(buf, "PK\x03\x04", 4);
                first_ = false;
            }
            return n;
        }

    private:
        bool first_ = true;
    };
    auto r = unwrap(std::make_unique<endless_zip>(), "", [](unwrapped&) -> result<void> { return {}; });
    ASSERT_FALSE(r);
    EXPECT_TRUE(contains(r.err().message, "zip archive larger than"));
}

TEST(peek_source, peek_does_not_consume) {
    peek_source p(mem("hello world"));
    auto h = p.peek(5);
    ASSERT_TRUE(h);
    EXPECT_EQ(*h, "hello");
    auto h2 = p.peek(50);
    ASSERT_TRUE(h2);
    EXPECT_EQ(*h2, "hello world");
    EXPECT_EQ(*read_all(p, 2), "hello world");
}
