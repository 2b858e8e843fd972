// Snapshotter::apply_layer: unpack a layer blob in a staging directory, check its digests, and
// commit it under its chain ID. Kept apart from snapshotter.cpp: it is where snapshots meet
// unpack.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "manager/snapshots/snapshotter.h"
#include "manager/snapshots/unpack.h"

namespace keel::manager::snapshots {
namespace {

Result<void> check(const char* what, const content::Digest& got,
                   const std::optional<content::Digest>& want) {
  if (want && *want != got)
    return Error::of(Errc::kInvalidArgument,
                     std::string(what) + " is " + got.str() + ", expected " + want->str());
  return {};
}

void remove_tree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec)
    spdlog::warn("remove staged layer \"{}\": {}", path, ec.message());
}

}  // namespace

StagedLayer::~StagedLayer() {
  if (!staging_.empty())
    remove_tree(staging_);
}

Result<std::unique_ptr<StagedLayer>> Snapshotter::stage_layer(const ReadFn& read) {
  auto staging = make_staging();
  if (!staging)
    return std::move(staging).error().context("stage layer");
  ScopeGuard cleanup([&] { remove_tree(*staging); });
  UniqueFd fs(::open((*staging + "/fs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fs.valid())
    return Error::sys("stage layer: open staging dir");
  auto unpacked = unpack_layer_into(fs.get(), read);
  if (!unpacked)
    return std::move(unpacked).error();
  cleanup.release();
  return std::unique_ptr<StagedLayer>(
      new StagedLayer(std::move(*staging), std::move(unpacked->digests)));
}

Result<ApplyResult> Snapshotter::commit_staged(StagedLayer& staged, const ApplyOptions& options) {
  const std::string what = "apply layer on \"" + options.parent + "\"";
  if (staged.staging_.empty())
    return Error::of(Errc::kFailedPrecondition, what + ": staged layer already committed");
  KEEL_TRY(
      check("layer blob digest", staged.digests_.compressed_digest, options.expected_blob_digest));
  KEEL_TRY(check("layer diff_id", staged.digests_.diff_id, options.expected_diff_id));
  content::Digest parent;
  std::optional<std::int64_t> parent_id;
  if (!options.parent.empty()) {
    auto parsed = content::Digest::parse(options.parent);
    if (!parsed)
      return std::move(parsed).error().context(what + ": parent chain ID");
    parent = *parsed;
    auto p = row(options.parent);
    if (!p)
      return std::move(p).error().context(what);
    if (p->info.kind != Kind::kCommitted)
      return Error::of(Errc::kFailedPrecondition, what + ": parent is not committed");
    parent_id = p->info.id;
  }
  ApplyResult out;
  out.digests = staged.digests_;
  // The tree must be on disk before the row that declares it complete.
  {
    UniqueFd fs(::open((staged.staging_ + "/fs").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fs.valid() || ::syncfs(fs.get()) != 0)
      return Error::sys(what + ": sync");
  }
  const std::string name = chain_id(parent, out.digests.diff_id).str();
  auto id = insert_and_place(staged.staging_, name, Kind::kCommitted, parent_id, options.labels);
  if (!id && id.error().kind() == Errc::kAlreadyExists) {
    out.already_existed = true;  // another pull committed it first; ours is discarded
  } else if (!id) {
    return std::move(id).error().context(what);
  } else {
    staged.staging_.clear();  // placed: the tree is the snapshot's now
  }
  auto info = stat(name);
  if (!info)
    return std::move(info).error().context(what);
  out.snapshot = std::move(*info);
  return out;
}

Result<ApplyResult> Snapshotter::apply_layer(const ReadFn& read, const ApplyOptions& options) {
  const std::string what = "apply layer on \"" + options.parent + "\"";
  if (!options.parent.empty()) {
    // Refused before reading anything: a layer on a parent that is not there cannot commit.
    auto p = row(options.parent);
    if (!p)
      return std::move(p).error().context(what);
    if (p->info.kind != Kind::kCommitted)
      return Error::of(Errc::kFailedPrecondition, what + ": parent is not committed");
  }
  // Known diff_id: the chain ID is known before reading, and an existing layer is not re-read.
  if (options.expected_diff_id) {
    content::Digest parent;
    if (!options.parent.empty()) {
      auto parsed = content::Digest::parse(options.parent);
      if (!parsed)
        return std::move(parsed).error().context(what + ": parent chain ID");
      parent = *parsed;
    }
    if (auto existing = stat(chain_id(parent, *options.expected_diff_id).str())) {
      ApplyResult out;
      out.snapshot = std::move(*existing);
      out.already_existed = true;
      return out;
    }
  }
  auto staged = stage_layer(read);
  if (!staged)
    return std::move(staged).error().context(what);
  return commit_staged(**staged, options);
}

}  // namespace keel::manager::snapshots
