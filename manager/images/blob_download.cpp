// download_rest: the resume loop around RegistryClient::fetch_blob.
#include "manager/images/blob_download.h"

#include <cerrno>

#include <spdlog/spdlog.h>

namespace keel::manager::images {
namespace {

// Each resume must have made progress; this bounds a connection that keeps breaking.
constexpr int kMaxResumes = 8;

}  // namespace

Result<void> download_rest(registry::RegistryClient& client, std::string_view repository,
                           const Descriptor& blob, content::Writer& writer,
                           const BytesWrittenFn& written) {
  const auto size = static_cast<std::uint64_t>(blob.size);
  for (int resumes = 0;; ++resumes) {
    const std::uint64_t from = writer.size();
    if (from >= size)
      return {};  // all there (or more, which the commit refuses)
    // A registry that ignores Range sends the blob from 0: the bytes already held are skipped.
    std::uint64_t skip = 0;
    auto fetched = client.fetch_blob(
        repository, blob.digest, from,
        [&](std::string_view chunk) -> Result<void> {
          if (skip > 0) {
            const auto n = std::min<std::uint64_t>(skip, chunk.size());
            chunk.remove_prefix(n);
            skip -= n;
          }
          if (chunk.empty())
            return {};
          if (writer.size() + chunk.size() > size)
            return Error::of(Errc::kInvalidArgument, "blob " + blob.digest.str() +
                                                         ": the registry sent more than its " +
                                                         std::to_string(size) + " bytes");
          KEEL_TRY(writer.write(chunk));
          return written ? written(writer.size()) : Result<void>();
        },
        [&]() -> Result<void> {
          skip = from;
          return {};
        });
    Error error;
    if (fetched) {
      if (writer.size() >= size)
        return {};
      // The body ended early without a transport error (a proxy closing cleanly): resumable.
      error = Error::with_errno(Errc::kUnavailable,
                                "blob " + blob.digest.str() + ": the registry sent " +
                                    std::to_string(writer.size()) + " of " + std::to_string(size) +
                                    " bytes",
                                ECONNRESET);
    } else {
      error = std::move(fetched).error();
    }
    if (!registry::is_transient(error) || writer.size() == from || resumes == kMaxResumes)
      return error;
    spdlog::info("blob {}: {}; resuming at byte {}", blob.digest.str(), error.message(),
                 writer.size());
  }
}

}  // namespace keel::manager::images
