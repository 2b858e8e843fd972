// keelctl: docker's command line for keeld. Errors print one line on stderr; exit codes follow
// docker's (1 for a failed request, 125 for bad usage of run/create, the container's code for
// run and wait).
#include <signal.h>

#include <cstdlib>
#include <iostream>

#include "ctl/client.h"
#include "ctl/commands.h"

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  std::string address(keel::ctl::kDefaultAddress);
  if (const char* env_address = std::getenv("KEEL_ADDRESS"); env_address != nullptr)
    if (const std::string_view from_env(env_address); !from_env.empty())
      address = from_env;
  keel::ctl::Client client(address);

  CLI::App app{"keelctl: the command line of keeld, the Keel manager daemon", "keelctl"};
  app.set_version_flag("-v,--version", "keelctl version " KEEL_VERSION);
  app.add_option("-H,--address", address, "keeld's socket (also KEEL_ADDRESS)")
      ->capture_default_str();
  app.require_subcommand(1);
  // The address is read by the callbacks, which run after parsing; rebuild the client then.
  app.parse_complete_callback([&] { client = keel::ctl::Client(address); });
  keel::ctl::add_system_commands(app, client);
  keel::ctl::add_image_commands(app, client);
  keel::ctl::add_event_commands(app, client);
  keel::ctl::add_container_commands(app, client);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0)
      return app.exit(error);
    std::cerr << "keelctl: " << error.what() << "\nSee 'keelctl --help'.\n";
    return 125;
  } catch (const keel::ctl::CommandError& error) {
    if (*error.what())
      std::cerr << error.what() << "\n";
    return error.exit_code();
  }
  return 0;
}
