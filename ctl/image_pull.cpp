#include "ctl/image_pull.h"

#include "ctl/layer_progress.h"
#include "ctl/services.h"

namespace keel::ctl {

PulledImage pull_image(Client& client, const std::string& ref, const std::string& platform,
                       bool quiet, std::ostream& out, bool terminal) {
  rpc::ClientContext context;
  keel::v1::PullRequest request;
  request.set_ref(ref);
  request.set_platform(platform);
  auto reader = api::Images::NewStub(client.channel())->Pull(&context, request);
  LayerProgressDisplay display(terminal);
  keel::v1::PullProgress line;
  PulledImage pulled;
  if (!quiet)
    out << "Pulling from " << ref << "\n" << std::flush;
  while (reader->Read(&line)) {
    if (line.has_image()) {
      pulled.image = line.image();
      pulled.digest = line.digest();
      continue;
    }
    pulled.downloaded = pulled.downloaded || line.status() == "Download complete";
    if (!quiet)
      out << display.update(line.id(), line.status(), line.current(), line.total()) << std::flush;
  }
  client.check(reader->Finish());
  pulled.name = pulled.image.repo_tags().empty() ? ref : pulled.image.repo_tags(0);
  return pulled;
}

void print_pull_status(const PulledImage& pulled, std::ostream& out) {
  out << "Digest: " << pulled.digest << "\n"
      << "Status: "
      << (pulled.downloaded ? "Downloaded newer image for " : "Image is up to date for ")
      << pulled.name << "\n";
}

}  // namespace keel::ctl
