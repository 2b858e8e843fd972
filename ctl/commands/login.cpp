// keelctl login: user and password from flags, stdin or a prompt (the password unechoed), checked
// and kept by keeld in docker's config.json format. keelctl itself never writes them anywhere.
#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <iterator>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

struct LoginFlags {
  std::string server;
  std::string username;
  std::string password;
  bool password_stdin = false;
};

// Turns the terminal's echo off for as long as a password is typed, and back on on every path.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0)
      return;
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (active_)
      ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

 private:
  int fd_;
  bool active_ = false;
  struct termios saved_ {};
};

std::string prompt_line(const std::string& prompt, bool echo) {
  std::cout << prompt << std::flush;
  std::string line;
  if (echo) {
    std::getline(std::cin, line);
  } else {
    const EchoOff quiet(STDIN_FILENO);
    std::getline(std::cin, line);
    std::cout << "\n";
  }
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

// docker's trimming of --password-stdin: the trailing newline(s) only, not other spaces.
std::string read_password_stdin() {
  std::string password((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r'))
    password.pop_back();
  return password;
}

void login(Client& client, LoginFlags flags) {
  if (!flags.password.empty() && flags.password_stdin)
    throw CommandError("--password and --password-stdin are mutually exclusive");
  if (flags.password_stdin) {
    if (flags.username.empty())
      throw CommandError("Must provide --username with --password-stdin");
    flags.password = read_password_stdin();
  } else if (!flags.password.empty()) {
    std::cerr << "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n";
  }
  if (flags.username.empty() || flags.password.empty()) {
    if (::isatty(STDIN_FILENO) != 1)
      throw CommandError("Error: Cannot perform an interactive login from a non TTY device");
    if (flags.username.empty())
      flags.username = prompt_line("Username: ", true);
    if (flags.password.empty())
      flags.password = prompt_line("Password: ", false);
  }
  if (flags.username.empty())
    throw CommandError("Error: Non-null Username Required");
  if (flags.password.empty())
    throw CommandError("Error: Password Required");

  keel::v1::LoginRequest request;
  request.set_server(flags.server);
  request.set_username(flags.username);
  request.set_password(flags.password);
  keel::v1::LoginResponse response;
  rpc::ClientContext context;
  client.check(api::Registry::NewStub(client.channel())->Login(&context, request, &response));
  std::cout << response.status() << "\n";
}

}  // namespace

void add_login(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("login", "Log in to a registry");
  auto flags = std::make_shared<LoginFlags>();
  cmd->add_option("SERVER", flags->server, "The registry (default: Docker Hub)");
  cmd->add_option("-u,--username", flags->username, "Username");
  cmd->add_option("-p,--password", flags->password, "Password");
  cmd->add_flag("--password-stdin", flags->password_stdin, "Take the password from stdin");
  cmd->callback([=, &client] { login(client, *flags); });
}

}  // namespace keel::ctl
