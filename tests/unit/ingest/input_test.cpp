// input.hpp and quarantine.hpp on their own: one open per input, and what the quarantine refuses.
#include "ingest/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <gtest/gtest.h>

#include "ingest/quarantine.hpp"
#include "ingest/sources.hpp"
#include "support/temp_dir.hpp"

using namespace dmarcsight;
using namespace dmarcsight::ingest;

namespace {
void write(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }
std::string slurp(byte_source& s) {
    std::string out;
    char buf[7];
    for (;;) {
        auto got = s.read(buf, sizeof buf);
        EXPECT_TRUE(got.ok());
        if (!got.ok() || *got == 0) return out;
        out.append(buf, *got);
    }
}
}  // namespace

// A mail client moving new/ → cur/, or someone swapping the file, between parse and keep: the
// bytes hashed and kept are the ones that were opened.
TEST(input, one_open_survives_rename_and_swap) {
    test_support::temp_dir dir;
    const std::string a = dir / "new-1", b = dir / "cur-1";
    write(a, "original bytes");
    auto in = input::open_file(a);
    ASSERT_TRUE(in.ok());
    ASSERT_EQ(::rename(a.c_str(), b.c_str()), 0);
    write(a, "a different file under the old name");
    auto head = in->head(8);
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(*head, "original");
    auto s = in->stream();
    EXPECT_EQ(slurp(*s), "original bytes");
    auto sha = in->sha256_hex();
    ASSERT_TRUE(sha.ok());
    EXPECT_EQ(*sha, sha256::of("original bytes"));
    quarantine q(dir / "q");
    auto kept = q.keep(*in, *sha);
    ASSERT_TRUE(kept.ok()) << kept.err().message;
    std::ifstream f(dir / ("q/" + *kept), std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(f)), {});
    EXPECT_EQ(got, "original bytes");
    // Two streams read independently (parse, then hash, then copy).
    auto s1 = in->stream();
    auto s2 = in->stream();
    char c1[3], c2[5];
    ASSERT_TRUE(s1->read(c1, 3).ok());
    ASSERT_TRUE(s2->read(c2, 5).ok());
    EXPECT_EQ(std::string(c2, 5), "origi");
}

TEST(input, non_regular_files_are_refused_unread) {
    test_support::temp_dir dir;
    const std::string fifo = dir / "p";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto f = input::open_file(fifo);  // must not block: no writer
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.err().message.find("FIFO"), std::string::npos) << f.err().message;
    auto z = input::open_file("/dev/zero");
    ASSERT_FALSE(z.ok());
    EXPECT_NE(z.err().message.find("character device"), std::string::npos) << z.err().message;
    auto d = input::open_file(dir.path());
    ASSERT_FALSE(d.ok());
    auto missing = input::open_file(dir / "nope");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.err().message.find("No such file"), std::string::npos);
}

TEST(input, memory_inputs) {
    const std::string bytes = "From: a@b.example\n\nx";
    input in = input::from_memory(bytes, "box#3");
    EXPECT_EQ(in.label(), "box#3");
    EXPECT_FALSE(in.is_file());
    EXPECT_EQ(in.size(), bytes.size());
    std::string all;
    ASSERT_TRUE(in.read_all(all, 100).ok());
    EXPECT_EQ(all, bytes);
    EXPECT_FALSE(in.read_all(all, 3).ok());
    EXPECT_EQ(*in.sha256_hex(), sha256::of(bytes));
}

TEST(quarantine, private_folder_and_no_follow) {
    test_support::temp_dir dir;
    const std::string qdir = dir / "q";
    ASSERT_EQ(::mkdir(qdir.c_str(), 0755), 0);
    const std::string bytes = "rejected bytes";
    input in = input::from_memory(bytes, "x");
    const std::string sha = sha256::of(bytes);
    quarantine q(qdir);
    auto k = q.keep(in, sha);
    ASSERT_TRUE(k.ok()) << k.err().message;
    struct stat st;
    ASSERT_EQ(::stat(qdir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u) << "made private";
    ASSERT_EQ(::stat((qdir + "/" + sha).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    // Keeping the same bytes again is a no-op.
    EXPECT_TRUE(q.keep(in, sha).ok());
    // A symlink planted under a final name is never written through.
    const std::string other = sha256::of("other");
    ASSERT_EQ(::symlink((dir / "target").c_str(), (qdir + "/" + other).c_str()), 0);
    input in2 = input::from_memory("other", "y");
    EXPECT_FALSE(q.keep(in2, other).ok());
    EXPECT_FALSE(std::filesystem::exists(dir / "target"));
    // A quarantine folder that is a symlink is refused.
    ASSERT_EQ(::symlink(qdir.c_str(), (dir / "qlink").c_str()), 0);
    quarantine ql(dir / "qlink");
    EXPECT_FALSE(ql.keep(in, sha).ok());
    // A folder that cannot be made: an error, nothing claimed.
    write(dir / "file", "x");
    quarantine bad(dir / "file/q");
    auto b = bad.keep(in, sha);
    ASSERT_FALSE(b.ok());
}

// The guard knows the database, its journal files and the quarantine however a path names them:
// through "." and "..", a symlinked folder or file, a hard link, a relative path; and it knows
// nothing else of the same folders (it remembers the last folder it resolved: a second file of a
// folder, and then a file of another, are still told apart).
TEST(input_guard, knows_our_files_under_any_name) {
    test_support::temp_dir dir;
    const std::string d = dir.path();
    ASSERT_EQ(::mkdir((d + "/data").c_str(), 0700), 0);
    ASSERT_EQ(::mkdir((d + "/other").c_str(), 0700), 0);
    const std::string db = d + "/data/store.db";
    write(db, "x");
    write(db + "-wal", "x");
    write(d + "/data/report.xml", "x");
    write(d + "/other/report.xml", "x");
    ASSERT_EQ(::symlink((d + "/data").c_str(), (d + "/linked").c_str()), 0);
    ASSERT_EQ(::symlink(db.c_str(), (d + "/other/alias.xml").c_str()), 0);
    ASSERT_EQ(::link(db.c_str(), (d + "/other/hard.xml").c_str()), 0);
    ASSERT_EQ(::mkdir((d + "/data/q").c_str(), 0700), 0);
    write(d + "/data/q/kept.xml", "x");
    const input_guard guard(db, d + "/data/q");

    EXPECT_EQ(guard.ours(db).value_or(""), "the database itself");
    EXPECT_FALSE(guard.ours(d + "/data/report.xml"));  // the same folder, remembered
    EXPECT_EQ(guard.ours(d + "/data/store.db-wal").value_or(""), "the database's write-ahead log");
    EXPECT_EQ(guard.ours(d + "/other/../data/./store.db").value_or(""), "the database itself");
    EXPECT_FALSE(guard.ours(d + "/other/report.xml"));  // another folder
    EXPECT_EQ(guard.ours(d + "/linked/store.db").value_or(""), "the database itself");
    EXPECT_EQ(guard.ours(d + "/other/alias.xml").value_or(""), "the database itself");
    EXPECT_EQ(guard.ours(d + "/other/hard.xml").value_or(""), "the database itself");
    EXPECT_EQ(guard.ours(d + "/linked/q/kept.xml").value_or(""), "inside the quarantine folder");
    EXPECT_EQ(guard.ours(d + "/data/q").value_or(""), "the quarantine folder");
    EXPECT_EQ(guard.ours(d + "/data/store.db-journal").value_or(""), "the database's rollback journal");  // not there yet
    EXPECT_FALSE(guard.ours(d + "/data/report.xml"));
    // A relative name, from the folder itself.
    char cwd[4096];
    ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
    ASSERT_EQ(::chdir((d + "/data").c_str()), 0);
    EXPECT_EQ(guard.ours("store.db").value_or(""), "the database itself");
    EXPECT_EQ(guard.ours("q/kept.xml").value_or(""), "inside the quarantine folder");
    EXPECT_FALSE(guard.ours("report.xml"));
    ASSERT_EQ(::chdir(cwd), 0);
}
