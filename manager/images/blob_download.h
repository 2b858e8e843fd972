// One blob from a registry into its resumable content-store ingest: the bytes the ingest lacks,
// asked for with HTTP Range, and asked for again from wherever they got to when the connection
// breaks mid-body (RegistryClient already retries requests that delivered nothing).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/error.h"
#include "manager/content/writer.h"
#include "manager/images/oci.h"
#include "manager/registry/registry_client.h"

namespace keel::manager::images {

// Called after each chunk is written with the ingest's size; an error stops the download.
using BytesWrittenFn = std::function<Result<void>(std::uint64_t size)>;

// Appends blob bytes to `writer` from writer.size() up to blob.size. Does not verify or commit:
// the caller commits with the digest and size, which is where a lying registry is caught.
[[nodiscard]] Result<void> download_rest(registry::RegistryClient& client,
                                         std::string_view repository, const Descriptor& blob,
                                         content::Writer& writer, const BytesWrittenFn& written);

}  // namespace keel::manager::images
