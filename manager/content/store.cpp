// Blob layout on disk, stale ingest cleanup, lookups and removal.
#include "manager/content/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "manager/store/transaction.h"

namespace keel::manager::content {
namespace {

constexpr std::array<std::string_view, 1> kSchema = {
    "CREATE TABLE content_labels ("
    " digest TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " PRIMARY KEY (digest, key))",
};

Result<std::string> random_name() {
  std::array<unsigned char, 16> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size()))
    return Error::sys("getrandom");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

// A partial download nobody resumed within a day is not coming back.
constexpr std::int64_t kResumableIngestLifetimeNs = 24LL * 3600 * 1'000'000'000;

Error not_found(const Digest& digest) {
  return Error::of(Errc::kNotFound, "content " + digest.str() + " not found");
}

}  // namespace

Store::Store(std::string dir, store::Database& db, UniqueFd lock)
    : dir_(std::move(dir)), db_(db), lock_(std::move(lock)) {}

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, store::Database& db) {
  KEEL_TRY(fs::mkdir_all(dir + "/blobs/sha256", 0700));
  KEEL_TRY(fs::mkdir_all(dir + "/ingest", 0700));
  auto lock = fs::open(dir + "/lock", O_RDWR | O_CREAT, 0600);
  if (!lock)
    return std::move(lock).error().context("open content store");
  if (::flock(lock->get(), LOCK_EX | LOCK_NB) != 0)
    return Error::sys("lock content store \"" + dir + "\" (is another keeld using this root?)");
  std::unique_ptr<Store> store(new Store(dir, db, std::move(lock).value()));
  auto blobs = fs::open(dir + "/blobs/sha256", O_RDONLY | O_DIRECTORY);
  if (!blobs)
    return std::move(blobs).error();
  store->blobs_dir_ = std::move(blobs).value();
  KEEL_TRY(store->remove_stale_ingests());
  if (auto r = db.migrate("content", kSchema); !r)
    return std::move(r).error().context("open content store");
  return store;
}

Result<void> Store::remove_stale_ingests() {
  // The lock above says no other process is writing, so everything here is a previous run's.
  // One-shot ingests (random names) can never be finished; a download's (named by its digest)
  // is what the next pull of that blob resumes from, unless nobody came back for a day.
  const std::string ingest = dir_ + "/ingest";
  DIR* d = ::opendir(ingest.c_str());
  if (d == nullptr)
    return Error::sys("open \"" + ingest + "\"");
  int removed = 0;
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..")
      continue;
    if (Digest::from_hex(name)) {
      struct stat st {};
      if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
          now_ns - mtime_ns(st) < kResumableIngestLifetimeNs)
        continue;
    }
    if (::unlinkat(::dirfd(d), e->d_name, 0) == 0)
      ++removed;
    else
      spdlog::warn("remove stale ingest {}/{}: {}", ingest, name, ::strerrordesc_np(errno));
  }
  ::closedir(d);
  if (removed > 0)
    spdlog::info("content store: removed {} unfinished ingest file(s) left by a previous run",
                 removed);
  return {};
}

std::string Store::blob_path(const Digest& digest) const {
  return dir_ + "/blobs/sha256/" + digest.hex();
}

Result<Writer> Store::writer() {
  auto name = random_name();
  if (!name)
    return std::move(name).error();
  std::string path = dir_ + "/ingest/" + *name;
  auto fd = fs::open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (!fd)
    return std::move(fd).error().context("start blob write");
  return Writer(*this, std::move(fd).value(), std::move(path));
}

Result<Writer> Store::resume_writer(const Digest& digest) {
  std::string path = dir_ + "/ingest/" + digest.hex();
  auto fd = fs::open(path, O_RDWR | O_CREAT, 0644);
  if (!fd)
    return std::move(fd).error().context("resume blob write");
  // Two writers appending to one file would interleave: the second is refused.
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0)
    return Error::of(Errc::kAlreadyExists, "blob " + digest.str() + " is being written already");
  Writer w(*this, std::move(fd).value(), std::move(path));
  if (auto r = w.resume(); !r) {
    w.abort();
    return std::move(r).error();
  }
  return w;
}

Result<Info> Store::write_blob(std::string_view data, const std::optional<Digest>& expected,
                               const Labels& labels) {
  auto w = writer();
  if (!w)
    return std::move(w).error();
  KEEL_TRY(w->write(data));
  return w->commit(expected, expected ? std::optional<std::uint64_t>(data.size()) : std::nullopt,
                   labels);
}

Result<Info> Store::install(const std::string& temp_path, const Digest& digest,
                            const Labels& labels) {
  const std::string target = blob_path(digest);
  if (fs::exists(target)) {
    // Same digest, same bytes: keep the blob already there (a reader may have it open).
    ::unlink(temp_path.c_str());
  } else {
    if (::rename(temp_path.c_str(), target.c_str()) != 0) {
      Error e = Error::sys("rename \"" + temp_path + "\" to \"" + target + "\"");
      ::unlink(temp_path.c_str());
      return e;
    }
    // The rename is durable before anyone commits metadata that names this blob.
    if (::fsync(blobs_dir_.get()) != 0)
      return Error::sys("fsync \"" + dir_ + "/blobs/sha256\"");
  }
  if (!labels.empty())
    KEEL_TRY(set_labels(digest, labels));
  return info(digest);
}

bool Store::exists(const Digest& digest) const {
  return fs::exists(blob_path(digest));
}

Result<Labels> Store::labels_of(const Digest& digest) {
  auto lock = db_.lock();
  auto stmt = db_.prepare("SELECT key, value FROM content_labels WHERE digest = ?1");
  if (!stmt)
    return std::move(stmt).error();
  stmt->bind(1, digest.str());
  Labels labels;
  for (;;) {
    auto row = stmt->step();
    if (!row)
      return std::move(row).error();
    if (!*row)
      break;
    labels.emplace(stmt->column_text(0), stmt->column_text(1));
  }
  return labels;
}

Result<Info> Store::info(const Digest& digest) {
  struct stat st {};
  if (::stat(blob_path(digest).c_str(), &st) != 0) {
    if (errno == ENOENT)
      return not_found(digest);
    return Error::sys("stat \"" + blob_path(digest) + "\"");
  }
  auto labels = labels_of(digest);
  if (!labels)
    return std::move(labels).error();
  return Info{digest, static_cast<std::uint64_t>(st.st_size), mtime_ns(st), std::move(*labels)};
}

Result<UniqueFd> Store::open_blob(const Digest& digest) const {
  const int fd = ::open(blob_path(digest).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return not_found(digest);
    return Error::sys("open \"" + blob_path(digest) + "\"");
  }
  return UniqueFd(fd);
}

Result<std::string> Store::read_blob(const Digest& digest, std::uint64_t max_size) const {
  auto fd = open_blob(digest);
  if (!fd)
    return std::move(fd).error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0)
    return Error::sys("stat \"" + blob_path(digest) + "\"");
  if (static_cast<std::uint64_t>(st.st_size) > max_size)
    return Error::of(Errc::kInvalidArgument,
                     "content " + digest.str() + " is " + std::to_string(st.st_size) +
                         " bytes, more than the " + std::to_string(max_size) + " read into memory");
  return fs::read_fd(fd->get());
}

Result<void> Store::verify(const Digest& digest) const {
  auto fd = open_blob(digest);
  if (!fd)
    return std::move(fd).error();
  Digester digester;
  std::array<char, 1 << 16> buf{};
  for (;;) {
    const ssize_t n = ::read(fd->get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read \"" + blob_path(digest) + "\"");
    if (n == 0)
      break;
    digester.update(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  const Digest actual = digester.finish();
  if (actual != digest)
    return Error::of(Errc::kInternal, "content " + digest.str() +
                                          " is corrupt on disk: its bytes hash to " + actual.str());
  return {};
}

Result<std::vector<Info>> Store::list() {
  const std::string blobs = dir_ + "/blobs/sha256";
  std::vector<Digest> digests;
  DIR* d = ::opendir(blobs.c_str());
  if (d == nullptr)
    return Error::sys("open \"" + blobs + "\"");
  while (const dirent* e = ::readdir(d)) {
    // Anything not named by a digest is not a blob (an admin's stray file): skip it.
    if (auto digest = Digest::from_hex(e->d_name))
      digests.push_back(std::move(*digest));
  }
  ::closedir(d);
  std::sort(digests.begin(), digests.end());
  std::vector<Info> out;
  out.reserve(digests.size());
  for (const Digest& digest : digests) {
    auto i = info(digest);
    if (!i && i.error().kind() == Errc::kNotFound)
      continue;  // removed since readdir
    if (!i)
      return std::move(i).error();
    out.push_back(std::move(*i));
  }
  return out;
}

Result<void> Store::remove(const Digest& digest) {
  if (::unlink(blob_path(digest).c_str()) != 0) {
    if (errno == ENOENT)
      return not_found(digest);
    return Error::sys("remove \"" + blob_path(digest) + "\"");
  }
  // A crash before this leaves labels for a missing blob: invisible, and replaced if the blob
  // is written again.
  return db_.run("DELETE FROM content_labels WHERE digest = ?1", digest.str());
}

Result<void> Store::set_labels(const Digest& digest, const Labels& labels) {
  auto txn = store::Transaction::begin(db_);
  if (!txn)
    return std::move(txn).error();
  KEEL_TRY(db_.run("DELETE FROM content_labels WHERE digest = ?1", digest.str()));
  for (const auto& [key, value] : labels)
    KEEL_TRY(db_.run("INSERT INTO content_labels(digest, key, value) VALUES(?1, ?2, ?3)",
                     digest.str(), key, value));
  return txn->commit();
}

}  // namespace keel::manager::content
