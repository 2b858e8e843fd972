// Which commands main registers. CLI11 builds every option object up front, and building all
// fifteen commands was half the instructions of `keel create` (1.2 M of 2.4 M, callgrind) and of
// every start, state, kill and delete a shim runs. So only the command named on the command line
// is built; with no command word (help, version), or a word that names none, all of them are,
// and CLI11 answers exactly as before.
#include <array>
#include <string_view>

#include "runtime/cli/globals.h"

namespace keel::cli {
namespace {

struct Command {
  std::string_view name;
  std::string_view alias;
  void (*add)(CLI::App&, Globals&);
};

constexpr std::array kCommands{
    Command{"create", "", add_create},     Command{"start", "", add_start},
    Command{"run", "", add_run},           Command{"state", "", add_state},
    Command{"kill", "", add_kill},         Command{"delete", "", add_delete},
    Command{"list", "ls", add_list},       Command{"spec", "", add_spec},
    Command{"features", "", add_features}, Command{"exec", "", add_exec},
    Command{"pause", "", add_pause},       Command{"resume", "", add_resume},
    Command{"update", "", add_update},     Command{"ps", "", add_ps},
    Command{"events", "", add_events},
};

// The global options that take a value in the next word unless written --name=value.
constexpr std::array<std::string_view, 5> kGlobalsWithValue{"--root", "--log", "--log-format",
                                                            "--rootless", "--criu"};

bool takes_value(std::string_view word) {
  for (const auto name : kGlobalsWithValue) {
    if (word == name)
      return true;
  }
  return false;
}

// The first word that is neither an option nor a global option's value.
std::string_view command_word(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--")
      return {};
    if (!word.starts_with('-'))
      return word;
    if (takes_value(word))
      ++i;
  }
  return {};
}

}  // namespace

void add_commands(CLI::App& app, Globals& g, int argc, const char* const* argv) {
  const std::string_view word = command_word(argc, argv);
  for (const Command& command : kCommands) {
    if (!word.empty() && (word == command.name || word == command.alias)) {
      command.add(app, g);
      return;
    }
  }
  for (const Command& command : kCommands)
    command.add(app, g);
}

}  // namespace keel::cli
