// The table that lets a call register only the verb it names must list exactly what each hook
// adds: a missing name would make that verb look unknown, a stale one would register nothing.
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ctl/commands/commands.h"

namespace keel::ctl {
namespace {

std::set<std::string> registered_names(CLI::App& app) {
  std::set<std::string> names;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    names.insert(sub->get_name());
  return names;
}

TEST(CommandTable, EachEntryNamesExactlyWhatItsHookAdds) {
  Client client("/nonexistent.sock");
  for (const auto& entry : top_level_verbs()) {
    CLI::App app;
    entry.add(app, client, false);
    std::set<std::string> declared;
    for (const auto name : entry.names)
      if (!name.empty())
        declared.insert(std::string(name));
    EXPECT_EQ(registered_names(app), declared);
  }
}

TEST(CommandTable, EveryTopLevelVerbOfTheFullTableIsInTheLazyTable) {
  Client client("/nonexistent.sock");
  CLI::App all;
  add_all_commands(all, client);
  std::set<std::string> lazy;
  for (const auto& entry : top_level_verbs())
    for (const auto name : entry.names)
      if (!name.empty())
        lazy.insert(std::string(name));
  for (const auto& name : registered_names(all)) {
    if (name == "container" || name == "image" || name == "system")
      continue;  // groups take the full table
    EXPECT_TRUE(lazy.contains(name)) << name;
  }
}

TEST(NamedVerb, SkipsGlobalFlagsAndTheirValues) {
  const char* argv1[] = {"keelctl", "-H", "/x.sock", "ps", "-q"};
  EXPECT_EQ(named_verb(5, argv1), "ps");
  const char* argv2[] = {"keelctl", "--address", "/x.sock", "images"};
  EXPECT_EQ(named_verb(4, argv2), "images");
  const char* argv3[] = {"keelctl", "--address=/x.sock", "run", "busybox"};
  EXPECT_EQ(named_verb(4, argv3), "run");
  const char* argv4[] = {"keelctl", "--help"};
  EXPECT_EQ(named_verb(2, argv4), std::nullopt);
}

TEST(AddCommands, ANamedVerbRegistersOnlyItsHook) {
  Client client("/nonexistent.sock");
  CLI::App app;
  add_commands(app, client, "create");
  EXPECT_EQ(registered_names(app), (std::set<std::string>{"run", "create"}));
  CLI::App group;
  add_commands(group, client, "container");
  EXPECT_TRUE(registered_names(group).contains("container"));
  EXPECT_TRUE(registered_names(group).contains("ps"));
}

}  // namespace
}  // namespace keel::ctl
