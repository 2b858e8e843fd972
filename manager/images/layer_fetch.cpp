// fetch_blob: claim or wait, download with a follower thread unpacking behind, verify, commit.
#include "manager/images/layer_fetch.h"

#include <thread>

#include <spdlog/spdlog.h>

#include "manager/images/blob_download.h"
#include "manager/images/ingest_follower.h"
#include "manager/registry/registry_client.h"

namespace keel::manager::images {
namespace {

// Progress is for people: a line per 512 KiB at most, and waiters look twice a second.
constexpr std::uint64_t kProgressStep = 512U << 10;
constexpr std::chrono::milliseconds kWaiterInterval{500};

Result<std::unique_ptr<StagedLayer>> stage_from_store(PullContext& pull, const Descriptor& blob) {
  auto fd = pull.content.open_blob(blob.digest);
  if (!fd)
    return std::move(fd).error();
  auto staged = pull.layers.stage(fd_reader(fd->get()));
  if (!staged)
    return std::move(staged).error().context("unpack layer " + blob.digest.str());
  if ((*staged)->unpacked().blob_digest != blob.digest)
    return Error::of(Errc::kInternal, "layer " + blob.digest.str() +
                                          " changed in the content store: read " +
                                          (*staged)->unpacked().blob_digest.str());
  return staged;
}

// The blob's resumable ingest; one longer than the blob is no prefix of it and starts over.
Result<content::Writer> open_ingest(content::Store& content, const Descriptor& blob) {
  auto writer = content.resume_writer(blob.digest);
  if (!writer || writer->size() <= static_cast<std::uint64_t>(blob.size))
    return writer;
  writer->abort();
  return content.resume_writer(blob.digest);
}

// The owner's download: ingest, hash, and (with unpack) a thread unpacking behind the bytes.
Result<std::unique_ptr<StagedLayer>> download(PullContext& pull, const Descriptor& blob,
                                              bool unpack, InflightBlobs::Download& shared) {
  const std::string id = blob.digest.short_id();
  const auto total = static_cast<std::uint64_t>(blob.size);
  auto writer = open_ingest(pull.content, blob);
  if (!writer)
    return std::move(writer).error();
  if (writer->resumed_from() > 0)
    spdlog::info("blob {}: resuming the download at byte {} of {}", blob.digest.str(),
                 writer->resumed_from(), total);
  shared.current = writer->size();

  std::unique_ptr<IngestFollower> follower;
  Result<std::unique_ptr<StagedLayer>> staged = std::unique_ptr<StagedLayer>();
  std::thread unpacker;
  if (unpack) {
    auto opened = IngestFollower::open(writer->ingest_path(), writer->size());
    if (!opened)
      return std::move(opened).error();
    follower = std::move(*opened);
    unpacker = std::thread([&] { staged = pull.layers.stage(follower->reader()); });
  }
  // Whatever happens below, the unpacker is told and joined before its follower goes away.
  struct JoinUnpacker {
    std::thread& thread;
    IngestFollower* follower;
    ~JoinUnpacker() {
      if (thread.joinable()) {
        follower->failed(Error::of(Errc::kUnavailable, "download stopped"));
        thread.join();
      }
    }
  } join{unpacker, follower.get()};

  (void)pull.reporter.report({id, "Downloading", writer->size(), total});
  std::uint64_t last_reported = writer->size();
  auto fetched = Result<void>();
  if (writer->size() < total) {
    registry::RegistryClient client = pull.client.sibling();
    fetched = download_rest(client, pull.repository, blob, *writer,
                            [&](std::uint64_t size) -> Result<void> {
                              if (follower)
                                follower->grew(size);
                              shared.current = size;
                              if (size - last_reported >= kProgressStep) {
                                last_reported = size;
                                if (!pull.reporter.report({id, "Downloading", size, total}))
                                  return pull_cancelled();
                              }
                              if (pull.reporter.stopped())
                                return pull_cancelled();
                              return {};
                            });
  }
  if (!fetched) {
    // The ingest is kept (the writer is resumable): the next pull goes on from here.
    return std::move(fetched).error().context("blob " + blob.digest.str());
  }
  if (follower) {
    follower->finished();
    unpacker.join();
  }
  (void)pull.reporter.report({id, "Verifying Checksum", writer->size(), total});
  // The digest first: bytes that are not the blob explain any unpack error they caused.
  auto committed = writer->commit(blob.digest, total);
  if (!committed)
    return std::move(committed).error().context("blob " + blob.digest.str());
  (void)pull.reporter.report({id, "Download complete", total, total});
  if (!staged)
    return std::move(staged).error().context("unpack layer " + blob.digest.str());
  if (unpack && (*staged)->unpacked().blob_digest != blob.digest)
    return Error::of(Errc::kInternal, "layer " + blob.digest.str() + ": unpacked bytes hash to " +
                                          (*staged)->unpacked().blob_digest.str());
  return staged;
}

}  // namespace

bool PullReporter::report(const PullProgress& line) {
  if (stopped_)
    return false;
  const std::lock_guard lock(mu_);
  if (fn_ && !fn_(line))
    stopped_ = true;
  return !stopped_;
}

Result<std::unique_ptr<StagedLayer>> fetch_blob(PullContext& pull, const Descriptor& blob,
                                                bool unpack) {
  const std::string id = blob.digest.short_id();
  const auto total = static_cast<std::uint64_t>(blob.size);
  for (;;) {
    if (pull.content.exists(blob.digest)) {
      if (!unpack)
        return std::unique_ptr<StagedLayer>();
      return stage_from_store(pull, blob);
    }
    auto claim = pull.inflight.claim(blob.digest);
    if (!claim.owner) {
      // Another pull is downloading this blob: its result is ours.
      auto waited = claim.download->wait(
          [&](std::uint64_t current) {
            return pull.reporter.report({id, "Downloading", current, total});
          },
          kWaiterInterval);
      if (!waited && is_cancelled(waited.error()) && !pull.reporter.stopped())
        continue;  // its client went away, not ours: download it ourselves
      if (!waited)
        return std::move(waited).error();
      (void)pull.reporter.report({id, "Download complete", total, total});
      continue;  // now in the store
    }
    // Committed by another pull between the check above and the claim: nothing to download.
    if (pull.content.exists(blob.digest)) {
      pull.inflight.finish(blob.digest, claim.download, {});
      continue;
    }
    auto result = download(pull, blob, unpack, *claim.download);
    // Waiters need the blob, not this pull's unpack: a committed blob is a success for them.
    pull.inflight.finish(
        blob.digest, claim.download,
        result || pull.content.exists(blob.digest) ? Result<void>() : Result<void>(result.error()));
    return result;
  }
}

}  // namespace keel::manager::images
