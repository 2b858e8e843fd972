// One image pulled through keeld with docker's progress lines, shared by `pull` (on stdout) and
// `run`/`create --pull` (on stderr, as docker keeps a container's output clean).
#pragma once

#include <ostream>
#include <string>

#include "ctl/client.h"
#include "keel/v1/images.pb.h"

namespace keel::ctl {

struct PulledImage {
  keel::v1::Image image;
  std::string digest;       // what the reference resolved to at the registry (docker's Digest:)
  std::string name;         // the image's first repo tag, else the reference asked for
  bool downloaded = false;  // false: every layer was there already
};

// Streams Images.Pull for ref, drawing progress on out (redrawn in place when terminal is true)
// unless quiet. Throws CommandError when keeld refuses.
PulledImage pull_image(Client& client, const std::string& ref, const std::string& platform,
                       bool quiet, std::ostream& out, bool terminal);

// docker's closing lines of one pull: "Digest: ...", "Status: ...".
void print_pull_status(const PulledImage& pulled, std::ostream& out);

}  // namespace keel::ctl
