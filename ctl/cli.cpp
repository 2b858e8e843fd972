#include "ctl/cli.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "ctl/client.h"
#include "ctl/commands/commands.h"
#include "ctl/format.h"

namespace keel::ctl {
namespace {

// docker's answer to a verb it does not know, for the group (or app) the parse stopped in:
// "keelctl: 'pull' is not a keelctl command." and where help is. nullopt when the parse failed
// for another reason (a bad flag, a missing verb, a verb's own arguments).
std::optional<std::string> unknown_verb(const CLI::App& app) {
  const CLI::App* at = &app;
  std::string path;
  while (!at->get_subcommands().empty()) {
    at = at->get_subcommands().front();
    path += at->get_name() + " ";
  }
  // Only the app and the groups (`image`, `container`, ...) take a verb.
  if (at != &app && at->get_require_subcommand_min() == 0)
    return std::nullopt;
  const std::vector<std::string> rest = at->remaining();
  if (rest.empty() || rest.front().starts_with("-"))
    return std::nullopt;
  return "keelctl: '" + path + rest.front() + "' is not a keelctl command.\nSee 'keelctl " + path +
         "--help'";
}

// `keelctl --version` (or -v) and no verb: CLI11 answers it while parsing the global flags, so
// the verbs need not be built at all (that was two thirds of the call's instructions).
bool asks_only_version(int argc, const char* const* argv) {
  bool version = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "-h" || arg == "--help")
      return false;
    version = version || arg == "-v" || arg == "--version";
  }
  return version;
}

}  // namespace

int run_keelctl(int argc, const char* const* argv, std::ostream& err) {
  std::string address(kDefaultAddress);
  if (const char* env_address = std::getenv("KEEL_ADDRESS"); env_address != nullptr)
    if (const std::string_view from_env(env_address); !from_env.empty())
      address = from_env;
  Client client(address);

  CLI::App app{"keelctl: the command line of keeld, the Keel manager daemon", "keelctl"};
  app.set_version_flag("-v,--version", "keelctl version " KEEL_VERSION);
  app.add_option("-H,--address", address, "keeld's socket (also KEEL_ADDRESS)")
      ->capture_default_str();
  app.require_subcommand(1);
  // The address is read by the callbacks, which run after parsing; rebuild the client then.
  app.parse_complete_callback([&] { client = Client(address); });
  if (const auto verb = named_verb(argc, argv); verb || !asks_only_version(argc, argv))
    add_commands(app, client, verb);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0)
      return app.exit(error, std::cout, err);
    if (const auto message = unknown_verb(app)) {
      err << *message << "\n";
      return 1;
    }
    err << "keelctl: " << error.what() << "\nSee 'keelctl --help'.\n";
    return 125;
  } catch (const CommandError& error) {
    if (*error.what())
      err << error.what() << "\n";
    return error.exit_code();
  } catch (const FormatError& error) {
    // A --format naming a field the verb does not have, where the verb did not say more.
    err << error.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace keel::ctl
