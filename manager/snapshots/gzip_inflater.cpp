// GzipInflater over isal_inflate with its gzip header and CRC checks on.
#include "manager/snapshots/gzip_inflater.h"

#include <isa-l/igzip_lib.h>

namespace keel::manager::snapshots {

GzipInflater::GzipInflater() : state_(std::make_unique<inflate_state>()) {
  isal_inflate_init(state_.get());
  state_->crc_flag = ISAL_GZIP;  // parse the gzip header, check the CRC32 and size trailer
}

GzipInflater::~GzipInflater() = default;

void GzipInflater::feed(std::span<const std::byte> input) {
  if (member_done_ && !input.empty()) {
    // Another member follows the one that ended.
    isal_inflate_reset(state_.get());
    state_->crc_flag = ISAL_GZIP;
    member_done_ = false;
  }
  state_->next_in = reinterpret_cast<std::uint8_t*>(const_cast<std::byte*>(input.data()));
  state_->avail_in = static_cast<std::uint32_t>(input.size());
}

bool GzipInflater::needs_input() const {
  return state_->avail_in == 0;
}

bool GzipInflater::finished() const {
  return member_done_ && state_->avail_in == 0;
}

Result<std::size_t> GzipInflater::inflate(std::span<std::byte> out) {
  if (member_done_) {
    if (state_->avail_in == 0)
      return std::size_t{0};
    // Bytes after a finished member: the next member's header.
    const std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(state_->next_in),
                                          state_->avail_in);
    feed(rest);
  }
  state_->next_out = reinterpret_cast<std::uint8_t*>(out.data());
  state_->avail_out = static_cast<std::uint32_t>(out.size());
  const int rc = isal_inflate(state_.get());
  if (rc != ISAL_DECOMP_OK)
    return Error::of(Errc::kInvalidArgument,
                     "decompress: gzip: " +
                         std::string(rc == ISAL_INCORRECT_CHECKSUM ? "checksum mismatch"
                                                                   : "invalid compressed data") +
                         " (igzip error " + std::to_string(rc) + ")");
  if (state_->block_state == ISAL_BLOCK_FINISH)
    member_done_ = true;
  return out.size() - state_->avail_out;
}

}  // namespace keel::manager::snapshots
