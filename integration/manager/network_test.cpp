// Container networks end to end through keelctl and a private keeld on its own bridge and /24:
// the default bridge network, none and host, published ports answering on 127.0.0.1, the
// refusal of a port already allocated, names and aliases on user networks, network connect and
// disconnect, stats' interface counters. Every test ends with the network leak check: no namespace,
// veth, iptables rule, host-local lease, dnsmasq or dnsname file of the test's containers and
// networks is left.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "integration/fixtures/iptables.h"
#include "integration/manager/grpc_client.h"
#include "integration/manager/keeld_containers.h"
#include "keel/v1/tasks.grpc.pb.h"

namespace keel::it::containers_it {
namespace {

using ContainerNetwork = KeeldContainers;

// A TCP port nothing on 127.0.0.1 listens on now.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// One HTTP/1.0 GET to 127.0.0.1:port; the whole response, empty when nothing answered.
std::string http_get(int port, const std::string& path) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{.tv_sec = 2, .tv_usec = 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    return "";
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size()))
    return "";
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd.get(), buffer, sizeof buffer)) > 0;)
    response.append(buffer, static_cast<std::size_t>(n));
  return response;
}

// A busybox httpd serving /www/index.html with `body`.
std::vector<std::string> httpd(const std::string& body) {
  return {"busybox", "sh", "-c",
          "mkdir -p /www && echo " + body + " > /www/index.html && exec httpd -f -p 80 -h /www"};
}

std::vector<std::string> with(std::vector<std::string> flags,
                              const std::vector<std::string>& rest) {
  flags.insert(flags.end(), rest.begin(), rest.end());
  return flags;
}

// Bytes from docker's size text ("21.5kB", "648B"), decimal units as human_size prints them.
double bytes_of(const std::string& text) {
  std::size_t end = 0;
  const double value = std::stod(text, &end);
  const std::string unit = text.substr(end);
  static const std::map<std::string, double> kUnits = {{"B", 1}, {"kB", 1e3}, {"MB", 1e6}};
  const auto found = kUnits.find(unit);
  return found == kUnits.end() ? -1 : value * found->second;
}

std::string host_output(const std::vector<std::string>& argv) {
  return fixtures::run_command(argv).out;
}

// Pids of the dnsmasq processes whose configuration lies under `dir` (the dnsname plugin's,
// started for one keeld's user networks).
std::vector<pid_t> dnsmasq_under(const stdfs::path& dir) {
  std::vector<pid_t> pids;
  for (const auto& dnsmasq : fixtures::live_processes_named("dnsmasq")) {
    if (std::any_of(dnsmasq.args.begin(), dnsmasq.args.end(),
                    [&](const std::string& arg) { return contains(arg, dir.string()); }))
      pids.push_back(dnsmasq.pid);
  }
  return pids;
}

class NetworkLeaks : public ContainerNetwork {
 protected:
  void TearDown() override {
    if (::geteuid() == 0 && keeld_.running()) {
      const auto bridges = user_network_bridges();
      remove_everything_and_expect_nothing_left();
      // A test that failed before its own network rm leaves nothing either.
      (void)keeld_.ctl({"network", "prune", "-f"});
      expect_no_network_leftovers();
      // A network's own rules go with it.
      for (const auto& bridge : bridges)
        EXPECT_THAT(fixtures::iptables_rules_tagged("keel-net:" + bridge), ::testing::IsEmpty())
            << "rules of removed network on " << bridge;
    }
    for (const pid_t pid : dnsmasq_under(keeld_.state()))
      ::kill(pid, SIGKILL);
    ContainerNetwork::TearDown();
  }

  // The bridges of keeld's user networks now.
  std::vector<std::string> user_network_bridges() {
    std::vector<std::string> bridges;
    for (const auto& name : lines_of(keeld_.ctl_ok({"network", "ls", "--format", "{{.Name}}"})))
      if (name != "bridge") {
        const auto inspected = nlohmann::json::parse(keeld_.ctl_ok({"network", "inspect", name}));
        bridges.push_back(inspected.at(0)["Options"].value("com.docker.network.bridge.name", ""));
      }
    return bridges;
  }

  // The PORTS column of `ps` for the container named `name`.
  std::string ps_ports(const std::string& name) {
    for (const auto& line : lines_of(keeld_.ctl_ok({"ps", "--format", "{{.Names}}|{{.Ports}}"})))
      if (line.starts_with(name + "|"))
        return line.substr(name.size() + 1);
    return {};
  }

  // The first three octets of the test's /24, "10.213.7.".
  std::string subnet_prefix() const {
    const std::string& subnet = keeld_.bridge_subnet();
    return subnet.substr(0, subnet.rfind('.') + 1);
  }

  void expect_no_network_leftovers() {
    EXPECT_THAT(names_in(keeld_.state() / "netns"), ::testing::IsEmpty());
    // A stopped container's veth pair goes with its namespace, which the kernel takes down in
    // the background: gone within moments, not necessarily by the time rm returns.
    const stdfs::path ports = stdfs::path("/sys/class/net") / keeld_.bridge() / "brif";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!names_in(ports).empty() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_THAT(names_in(ports), ::testing::IsEmpty()) << "veths left on " << keeld_.bridge();
    // Of the default network only its own rules stay (keeld keeps them with its bridge); no
    // container's.
    const std::string kept = "--comment \"keel-net:" + keeld_.bridge() + "\"";
    for (const auto& line : fixtures::iptables_rules()) {
      if (!contains(line, kept)) {
        EXPECT_THAT(line, Not(HasSubstr(subnet_prefix()))) << "iptables rule left";
      }
    }
    // host-local keeps one file per leased address, named by it.
    for (const auto& name : names_in(keeld_.root() / "networks" / "ipam" / "bridge"))
      EXPECT_FALSE(name.starts_with(subnet_prefix())) << "lease left: " << name;
    // dnsname's dnsmasq per user network, its conf, hosts and pid files.
    EXPECT_THAT(dnsmasq_under(keeld_.state()), ::testing::IsEmpty()) << "dnsmasq left";
    EXPECT_THAT(names_in(keeld_.state() / "dnsname" / "containers" / "cni" / "dnsname"),
                ::testing::IsEmpty())
        << "dnsname files left";
  }

  // `keelctl run --rm --network NET busybox sh -c SCRIPT`.
  RunResult run_on(const std::string& network, const std::string& script) {
    return keeld_.ctl({"run", "--rm", "--network", network, "busybox", "sh", "-c", script});
  }
};

TEST_F(NetworkLeaks, PublishedPortServesOnLocalhostAndRefusesItTwice) {
  const int port = free_port();
  const std::string publish = "127.0.0.1:" + std::to_string(port) + ":80";
  run_detached(with({"--name", "web", "-p", publish}, httpd("hello-from-keel")));
  std::string response;
  EXPECT_TRUE(wait_until(
      [&] {
        response = http_get(port, "/index.html");
        return contains(response, "hello-from-keel");
      },
      seconds(15)))
      << "response: " << response << "\nkeeld log:\n"
      << keeld_.log();
  EXPECT_EQ(keeld_.ctl_ok({"port", "web"}), "80/tcp -> 127.0.0.1:" + std::to_string(port) + "\n");
  EXPECT_EQ(keeld_.ctl_ok({"port", "web", "80"}), "127.0.0.1:" + std::to_string(port) + "\n");
  EXPECT_THAT(ps_ports("web"), HasSubstr("127.0.0.1:" + std::to_string(port) + "->80/tcp"));

  const RunResult second =
      keeld_.ctl({"run", "-d", "--name", "web2", "-p", publish, "busybox", "sleep", "60"});
  EXPECT_NE(second.exit_code, 0) << second;
  EXPECT_THAT(second.err, HasSubstr("port is already allocated"));
  // Refused before anything was set up: no second container.
  EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::SizeIs(1));

  keeld_.ctl_ok({"rm", "-f", "web"});
  EXPECT_EQ(http_get(port, "/index.html"), "");
}

TEST_F(NetworkLeaks, NoneHasOnlyLoopback) {
  const RunResult result =
      keeld_.ctl({"run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.out, "lo\n");
}

TEST_F(NetworkLeaks, HostSeesTheHostsInterfaces) {
  const RunResult result =
      keeld_.ctl({"run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net"});
  EXPECT_EQ(result.exit_code, 0) << result;
  std::set<std::string> host = names_in("/sys/class/net");
  std::vector<std::string> seen = lines_of(result.out);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), host);
}

TEST_F(NetworkLeaks, DefaultBridgeGivesAnAddressInTheSubnetAndReachesTheGateway) {
  const std::string gateway = subnet_prefix() + "1";
  const RunResult result =
      keeld_.ctl({"run", "--rm", "--name", "probe", "busybox", "sh", "-c",
                  "ls /sys/class/net; ip -4 -o addr show eth0; "
                  "ping -c 1 -W 3 " +
                      gateway +
                      " >/dev/null && echo gateway-ok; "
                      "ping -c 1 -W 3 127.0.0.1 >/dev/null && echo loopback-ok; "
                      "cat /etc/hostname; grep -c 'probe$' /etc/hosts"});
  EXPECT_EQ(result.exit_code, 0) << result << "\nkeeld log:\n" << keeld_.log();
  EXPECT_THAT(result.out, HasSubstr("eth0\nlo\n"));
  EXPECT_THAT(result.out, HasSubstr("inet " + subnet_prefix()));
  EXPECT_THAT(result.out, HasSubstr("gateway-ok\n"));
  EXPECT_THAT(result.out, HasSubstr("loopback-ok\n"));
  // /etc/hosts names the container's address with its hostname and name.
  EXPECT_THAT(result.out, ::testing::EndsWith("\n1\n"));
}

TEST_F(NetworkLeaks, TwoContainersOnTheDefaultBridgeReachEachOtherByAddress) {
  run_detached(with({"--name", "server"}, httpd("peer-reply")));
  const std::string ip = inspect("server", "{{.NetworkSettings.IPAddress}}");
  ASSERT_TRUE(ip.starts_with(subnet_prefix())) << ip;
  EXPECT_EQ(inspect("server", "{{.NetworkSettings.Gateway}}"), subnet_prefix() + "1");
  // nc rather than wget: wget in Debian's static busybox crashes setting up its resolver.
  const RunResult fetch = keeld_.ctl(
      {"run", "--rm", "busybox", "sh", "-c",
       "for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | nc " +
           ip + " 80 | tail -n 1 | grep . && exit 0; sleep 0.5; done; exit 1"});
  EXPECT_EQ(fetch.exit_code, 0) << fetch;
  EXPECT_EQ(fetch.out, "peer-reply\n");
}

TEST_F(NetworkLeaks, UnknownNetworkIsRefused) {
  const RunResult result = keeld_.ctl({"run", "--rm", "--network", "nosuchnet", "busybox", "true"});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_THAT(result.err, HasSubstr("network nosuchnet not found"));
  EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::IsEmpty());
}

TEST_F(NetworkLeaks, CreateListInspectAndRemoveAUserNetwork) {
  const std::string subnet = "10.199.77.0/24";
  const std::string id = trimmed(
      keeld_.ctl_ok({"network", "create", "--subnet", subnet, "--label", "team=a", "it-net"}));
  ASSERT_EQ(id.size(), 64U) << id;
  const auto names = lines_of(keeld_.ctl_ok({"network", "ls", "--format", "{{.Name}}"}));
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("bridge", "it-net"));
  const auto inspected = nlohmann::json::parse(keeld_.ctl_ok({"network", "inspect", "it-net"}));
  ASSERT_EQ(inspected.size(), 1U);
  EXPECT_EQ(inspected[0]["Id"], id);
  EXPECT_EQ(inspected[0]["IPAM"]["Config"][0]["Subnet"], subnet);
  EXPECT_EQ(inspected[0]["IPAM"]["Config"][0]["Gateway"], "10.199.77.1");
  EXPECT_EQ(inspected[0]["Labels"]["team"], "a");
  const std::string bridge = "br-" + id.substr(0, 12);

  // A container on it gets an address there; while it exists the network cannot go.
  const RunResult on_net = keeld_.ctl({"run", "--name", "member", "--network", "it-net", "busybox",
                                       "sh", "-c", "ip -4 -o addr show eth0"});
  EXPECT_EQ(on_net.exit_code, 0) << on_net << "\nkeeld log:\n" << keeld_.log();
  EXPECT_THAT(on_net.out, HasSubstr("inet 10.199.77."));
  EXPECT_TRUE(stdfs::exists("/sys/class/net/" + bridge));
  const RunResult refused = keeld_.ctl({"network", "rm", "it-net"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("has active endpoints"));

  keeld_.ctl_ok({"rm", "member"});
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "it-net"}), "it-net\n");
  EXPECT_FALSE(stdfs::exists("/sys/class/net/" + bridge)) << "bridge left: " << bridge;
  EXPECT_FALSE(stdfs::exists(keeld_.root() / "networks" / "ipam" / "it-net"));
  const RunResult gone = keeld_.ctl({"network", "inspect", "it-net"});
  EXPECT_NE(gone.exit_code, 0);
  EXPECT_THAT(gone.err, HasSubstr("No such network: it-net"));
}

TEST_F(NetworkLeaks, BadAndOverlappingSubnetsAreRefused) {
  const RunResult bad = keeld_.ctl({"network", "create", "--subnet", "10.1.2.0/33", "bad"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("invalid CIDR address: 10.1.2.0/33"));
  keeld_.ctl_ok({"network", "create", "--subnet", "10.198.0.0/16", "first"});
  const RunResult overlap =
      keeld_.ctl({"network", "create", "--subnet", "10.198.5.0/24", "second"});
  EXPECT_NE(overlap.exit_code, 0);
  EXPECT_THAT(overlap.err, HasSubstr("Pool overlaps with other one on this address space"));
  const RunResult taken = keeld_.ctl({"network", "create", "first"});
  EXPECT_THAT(taken.err, HasSubstr("network with name first already exists"));
  const RunResult default_rm = keeld_.ctl({"network", "rm", "bridge"});
  EXPECT_THAT(default_rm.err, HasSubstr("bridge is a pre-defined network and cannot be removed"));
  EXPECT_EQ(keeld_.ctl_ok({"network", "prune", "-f"}), "Deleted Networks:\nfirst\n");
  EXPECT_EQ(lines_of(keeld_.ctl_ok({"network", "ls", "-q"})).size(), 1U);
}

TEST_F(NetworkLeaks, KeeldKilledUnderAPublishedPortKeepsServingAndRmRemovesTheRules) {
  const int port = free_port();
  run_detached(with({"--name", "web", "-p", "127.0.0.1:" + std::to_string(port) + ":80"},
                    httpd("still-up")));
  EXPECT_TRUE(
      wait_until([&] { return contains(http_get(port, "/index.html"), "still-up"); }, seconds(15)));
  keeld_.kill();
  ASSERT_NO_FATAL_FAILURE(keeld_.start());
  EXPECT_TRUE(contains(http_get(port, "/index.html"), "still-up"));
  // The port is still held: recovery took the attachment back from the record.
  const RunResult again = keeld_.ctl(
      {"run", "-d", "-p", "127.0.0.1:" + std::to_string(port) + ":80", "busybox", "true"});
  EXPECT_THAT(again.err, HasSubstr("port is already allocated"));
  keeld_.ctl_ok({"rm", "-f", "web"});
  EXPECT_EQ(http_get(port, "/index.html"), "");
  for (const auto& line : lines_of(host_output({"/usr/sbin/iptables-save"})))
    EXPECT_THAT(line, Not(HasSubstr("--dport " + std::to_string(port)))) << "portmap rule left";
}

TEST_F(NetworkLeaks, AnAddressLeasedToNoContainerIsGivenBackWhenKeeldStarts) {
  run_detached({"--name", "holder", "busybox", "sleep", "60"});
  const std::string held = inspect("holder", "{{.NetworkSettings.IPAddress}}");
  ASSERT_TRUE(held.starts_with(subnet_prefix())) << held;
  // A lease as a crash between the address's lease and the container's record leaves it.
  const stdfs::path leases = keeld_.root() / "networks" / "ipam" / "bridge";
  const stdfs::path orphan = leases / (subnet_prefix() + "200");
  {
    std::ofstream out(orphan);
    out << std::string(64, 'e') << "\r\neth0";
  }
  keeld_.kill();
  ASSERT_NO_FATAL_FAILURE(keeld_.start());
  EXPECT_FALSE(stdfs::exists(orphan));
  EXPECT_TRUE(stdfs::exists(leases / held)) << "the running container's lease went too";
  EXPECT_EQ(inspect("holder", "{{.NetworkSettings.IPAddress}}"), held);
}

TEST_F(NetworkLeaks, ContainerModeSharesTheOtherContainersAddress) {
  run_detached({"--name", "holder", "busybox", "sleep", "60"});
  const std::string ip = inspect("holder", "{{.NetworkSettings.IPAddress}}");
  ASSERT_TRUE(ip.starts_with(subnet_prefix())) << ip;
  const RunResult joined = keeld_.ctl({"run", "--rm", "--network", "container:holder", "busybox",
                                       "sh", "-c", "ip -4 -o addr show eth0"});
  EXPECT_EQ(joined.exit_code, 0) << joined;
  EXPECT_THAT(joined.out, HasSubstr("inet " + ip + "/"));
}

TEST_F(NetworkLeaks, PublishAllPutsTheImagesExposedPortsOnFreeHostPorts) {
  keeld_.ctl_ok({"import", "-c", "EXPOSE 80", (work_ / "busybox.tar").string(), "web:latest"});
  run_detached({"--name", "web", "-P", "web", "sh", "-c",
                "mkdir /www && echo exposed > /www/index.html && exec httpd -f -p 80 -h /www"});
  const std::string host = trimmed(keeld_.ctl_ok({"port", "web", "80/tcp"}));
  ASSERT_TRUE(host.starts_with("0.0.0.0:")) << host;
  const int port = std::stoi(host.substr(host.find(':') + 1));
  EXPECT_GT(port, 0);
  EXPECT_TRUE(
      wait_until([&] { return contains(http_get(port, "/index.html"), "exposed"); }, seconds(15)));
}

TEST_F(NetworkLeaks, AnInternalNetworkHasNoRouteOut) {
  keeld_.ctl_ok({"network", "create", "--internal", "--subnet", "10.199.78.0/24", "inside"});
  const RunResult routes =
      keeld_.ctl({"run", "--rm", "--network", "inside", "busybox", "ip", "-4", "route"});
  EXPECT_EQ(routes.exit_code, 0) << routes;
  EXPECT_THAT(routes.out, HasSubstr("10.199.78.0/24 dev eth0"));
  EXPECT_THAT(routes.out, Not(HasSubstr("default")));
  const RunResult bridged = keeld_.ctl({"run", "--rm", "busybox", "ip", "-4", "route"});
  EXPECT_THAT(bridged.out, HasSubstr("default via " + subnet_prefix() + "1"));
  keeld_.ctl_ok({"network", "rm", "inside"});
}

// Shell that fetches /index.html from `host` for up to 5 s (the server may still be starting)
// and prints the body's last line. Names go through busybox's own DNS client (nslookup, which
// asks the resolv.conf's server) and the request through nc: Debian's static busybox wget and
// nc crash in glibc's static resolver before they send anything.
std::string fetch_loop(const std::string& host) {
  const bool is_address = host.find_first_not_of("0123456789.") == std::string::npos;
  const std::string resolve =
      is_address ? "ip=" + host + "; "
                 : "ip=$(nslookup " + host +
                       " 2>/dev/null | awk '/^Name:/{n=1} n && /^Address/{print $2; exit}'); ";
  return "for i in 1 2 3 4 5 6 7 8 9 10; do " + resolve +
         "[ -n \"$ip\" ] && printf 'GET /index.html HTTP/1.0\\r\\nHost: " + host +
         "\\r\\n\\r\\n' | nc $ip 80 | tail -n 1 | grep . && exit 0; sleep 0.5; done; exit 1";
}

TEST_F(NetworkLeaks, ContainersOnAUserNetworkReachEachOtherByNameAndAlias) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.79.0/24", "names"});
  run_detached(with({"--name", "server", "--network", "names", "--network-alias", "files",
                     "--network-alias", "static.example"},
                    httpd("by-name")));
  EXPECT_EQ(inspect("server", "{{json .NetworkSettings.Networks.names.Aliases}}"),
            R"(["files","static.example"])");

  const RunResult by_name = run_on("names", "cat /etc/resolv.conf; " + fetch_loop("server"));
  EXPECT_EQ(by_name.exit_code, 0) << by_name << "\nkeeld log:\n" << keeld_.log();
  EXPECT_THAT(by_name.out, HasSubstr("nameserver 10.199.79.1\n"));
  EXPECT_THAT(by_name.out, HasSubstr("by-name\n"));
  for (const std::string alias : {"files", "static.example"}) {
    const RunResult by_alias = run_on("names", fetch_loop(alias));
    EXPECT_EQ(by_alias.exit_code, 0) << alias << ": " << by_alias;
    EXPECT_EQ(by_alias.out, "by-name\n") << alias;
  }

  // Once removed its names are gone from the network's DNS.
  keeld_.ctl_ok({"rm", "-f", "server"});
  const RunResult gone = run_on("names", "timeout 10 nslookup server || echo unresolved");
  EXPECT_THAT(gone.out, HasSubstr("unresolved")) << gone;
  EXPECT_THAT(run_on("names", "timeout 10 nslookup files || echo unresolved").out,
              HasSubstr("unresolved"));

  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "names"}), "names\n");
  EXPECT_THAT(dnsmasq_under(keeld_.state()), ::testing::IsEmpty());
}

TEST_F(NetworkLeaks, TheDefaultBridgeResolvesNoNamesButAddressesWork) {
  run_detached(with({"--name", "plain"}, httpd("by-address")));
  const std::string ip = inspect("plain", "{{.NetworkSettings.IPAddress}}");
  ASSERT_TRUE(ip.starts_with(subnet_prefix())) << ip;
  const RunResult by_ip = keeld_.ctl({"run", "--rm", "busybox", "sh", "-c", fetch_loop(ip)});
  EXPECT_EQ(by_ip.exit_code, 0) << by_ip;
  EXPECT_EQ(by_ip.out, "by-address\n");
  const RunResult by_name = keeld_.ctl(
      {"run", "--rm", "busybox", "sh", "-c", "timeout 10 nslookup plain || echo unresolved"});
  EXPECT_THAT(by_name.out, HasSubstr("unresolved")) << by_name;
  // An alias means nothing there: refused, as docker refuses it.
  const RunResult alias = keeld_.ctl({"run", "--rm", "--network-alias", "x", "busybox", "true"});
  EXPECT_NE(alias.exit_code, 0);
  EXPECT_THAT(alias.err, HasSubstr("only for containers in user defined networks"));
}

TEST_F(NetworkLeaks, ConnectAddsAnInterfaceThatRestartKeepsAndDisconnectRemoves) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.80.0/24", "extra"});
  run_detached({"--name", "box", "busybox", "sleep", "300"});
  const auto interfaces = [&] { return keeld_.ctl_ok({"exec", "box", "ls", "/sys/class/net"}); };
  EXPECT_EQ(interfaces(), "eth0\nlo\n");

  keeld_.ctl_ok({"network", "connect", "--alias", "boxy", "extra", "box"});
  EXPECT_EQ(interfaces(), "eth0\neth1\nlo\n");
  EXPECT_THAT(keeld_.ctl_ok({"exec", "box", "ip", "-4", "-o", "addr", "show", "eth1"}),
              HasSubstr("inet 10.199.80."));
  // The route out stays the first network's.
  EXPECT_THAT(keeld_.ctl_ok({"exec", "box", "ip", "-4", "route"}),
              HasSubstr("default via " + subnet_prefix() + "1 dev eth0"));
  const auto networks = inspect_json("box")["NetworkSettings"]["Networks"];
  ASSERT_TRUE(networks.contains("extra")) << networks.dump();
  EXPECT_TRUE(networks["extra"]["IPAddress"].get<std::string>().starts_with("10.199.80."));
  EXPECT_EQ(networks["extra"]["Aliases"], nlohmann::json::parse(R"(["boxy"])"));
  // The others on the network find it by its name and alias.
  const RunResult found = run_on("extra", "nslookup boxy && nslookup box");
  EXPECT_EQ(found.exit_code, 0) << found;

  const RunResult twice = keeld_.ctl({"network", "connect", "extra", "box"});
  EXPECT_NE(twice.exit_code, 0);
  EXPECT_THAT(twice.err, HasSubstr("already exists in network extra"));
  const RunResult in_use = keeld_.ctl({"network", "rm", "extra"});
  EXPECT_THAT(in_use.err, HasSubstr("has active endpoints"));

  keeld_.ctl_ok({"restart", "-t", "0", "box"});
  EXPECT_EQ(interfaces(), "eth0\neth1\nlo\n");
  EXPECT_THAT(keeld_.ctl_ok({"exec", "box", "ip", "-4", "-o", "addr", "show", "eth1"}),
              HasSubstr("inet 10.199.80."));

  keeld_.ctl_ok({"network", "disconnect", "extra", "box"});
  EXPECT_EQ(interfaces(), "eth0\nlo\n");
  EXPECT_FALSE(inspect_json("box")["NetworkSettings"]["Networks"].contains("extra"));
  const RunResult not_on = keeld_.ctl({"network", "disconnect", "extra", "box"});
  EXPECT_NE(not_on.exit_code, 0);
  EXPECT_THAT(not_on.err, HasSubstr("is not connected to network extra"));

  keeld_.ctl_ok({"rm", "-f", "box"});
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "extra"}), "extra\n");
}

// An echo request of 1000 bytes of data is 1042 on the wire: ICMP 8, IPv4 20, Ethernet 14.
TEST_F(NetworkLeaks, StatsCountTheTrafficOfTheContainersInterface) {
  run_detached({"--name", "pinger", "busybox", "sleep", "300"});
  auto tasks = keel::v1::Tasks::NewStub(channel_to(keeld_));
  const auto sample = [&] {
    keel::v1::StatsRequest request;
    request.set_id("pinger");
    auto context = context_with_deadline();
    auto reader = tasks->Stats(context.get(), request);
    keel::v1::StatsSample out;
    EXPECT_TRUE(reader->Read(&out));
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  };
  const keel::v1::StatsSample before = sample();
  ASSERT_EQ(before.networks().size(), 1U) << before.DebugString();
  ASSERT_TRUE(before.networks().contains("eth0")) << before.DebugString();

  constexpr int kPings = 10;
  constexpr std::uint64_t kWireBytes = 1042;
  const RunResult ping = keeld_.ctl({"exec", "pinger", "ping", "-c", std::to_string(kPings), "-i",
                                     "0.2", "-s", "1000", "-W", "3", subnet_prefix() + "1"});
  ASSERT_EQ(ping.exit_code, 0) << ping;

  const keel::v1::StatsSample after = sample();
  ASSERT_TRUE(after.networks().contains("eth0")) << after.DebugString();
  const auto& was = before.networks().at("eth0");
  const auto& now = after.networks().at("eth0");
  EXPECT_GE(now.rx_bytes() - was.rx_bytes(), kPings * kWireBytes);
  EXPECT_GE(now.tx_bytes() - was.tx_bytes(), kPings * kWireBytes);
  EXPECT_GE(now.rx_packets() - was.rx_packets(), std::uint64_t{kPings});
  EXPECT_GE(now.tx_packets() - was.tx_packets(), std::uint64_t{kPings});
  EXPECT_EQ(after.net_rx(), now.rx_bytes());
  EXPECT_EQ(after.net_tx(), now.tx_bytes());

  // keelctl's NET I/O column: "received / sent", at least the pings' bytes each way.
  const std::string net_io =
      trimmed(keeld_.ctl_ok({"stats", "--no-stream", "--format", "{{.NetIO}}", "pinger"}));
  const auto slash = net_io.find(" / ");
  ASSERT_NE(slash, std::string::npos) << net_io;
  EXPECT_GE(bytes_of(net_io.substr(0, slash)), static_cast<double>(kPings * kWireBytes)) << net_io;
  EXPECT_GE(bytes_of(net_io.substr(slash + 3)), static_cast<double>(kPings * kWireBytes)) << net_io;
}

TEST_F(NetworkLeaks, StatsShowNoInterfacesForNoneAndHost) {
  run_detached({"--name", "isolated", "--network", "none", "busybox", "sleep", "300"});
  run_detached({"--name", "onhost", "--network", "host", "busybox", "sleep", "300"});
  const std::string net_io = keeld_.ctl_ok(
      {"stats", "--no-stream", "--format", "{{.Name}} {{.NetIO}}", "isolated", "onhost"});
  EXPECT_THAT(net_io, HasSubstr("isolated 0B / 0B\n"));
  EXPECT_THAT(net_io, HasSubstr("onhost 0B / 0B\n"));
}

TEST_F(NetworkLeaks, DnsFlagsAndAddHostLandInResolvConfAndHosts) {
  const std::string gateway = subnet_prefix() + "1";
  const RunResult result =
      keeld_.ctl({"run",          "--rm",
                  "--dns",        "10.0.0.53",
                  "--dns",        "10.0.0.54",
                  "--dns-search", "corp.example",
                  "--dns-search", "lab.example",
                  "--dns-option", "ndots:2",
                  "--dns-option", "timeout:1",
                  "--add-host",   "db.local:10.1.2.3",
                  "--add-host",   "gw:host-gateway",
                  "busybox",      "sh",
                  "-c",           "cat /etc/resolv.conf; echo ---; cat /etc/hosts"});
  EXPECT_EQ(result.exit_code, 0) << result << "\nkeeld log:\n" << keeld_.log();
  const std::string resolv = result.out.substr(0, result.out.find("---"));
  const std::string hosts = result.out.substr(result.out.find("---") + 4);
  EXPECT_THAT(resolv, HasSubstr("nameserver 10.0.0.53\nnameserver 10.0.0.54\n"));
  EXPECT_THAT(resolv, HasSubstr("search corp.example lab.example\n"));
  EXPECT_THAT(resolv, HasSubstr("options ndots:2 timeout:1\n"));
  // The given servers replace the host's: no other nameserver, search or options line.
  EXPECT_EQ(std::count(resolv.begin(), resolv.end(), '\n'), 4) << resolv;
  EXPECT_THAT(hosts, HasSubstr("10.1.2.3\tdb.local\n"));
  EXPECT_THAT(hosts, HasSubstr(gateway + "\tgw\n"));

  run_detached({"--name", "shown", "--dns", "10.0.0.53", "--dns-search", "corp.example",
                "--dns-option", "ndots:2", "--add-host", "db.local:10.1.2.3", "busybox", "sleep",
                "300"});
  const auto host_config = inspect_json("shown")["HostConfig"];
  EXPECT_EQ(host_config["Dns"], nlohmann::json::parse(R"(["10.0.0.53"])"));
  EXPECT_EQ(host_config["DnsSearch"], nlohmann::json::parse(R"(["corp.example"])"));
  EXPECT_EQ(host_config["DnsOptions"], nlohmann::json::parse(R"(["ndots:2"])"));
  EXPECT_EQ(host_config["ExtraHosts"], nlohmann::json::parse(R"(["db.local:10.1.2.3"])"));
  keeld_.ctl_ok({"rm", "-f", "shown"});
}

// docker keeps its embedded DNS and forwards other names to --dns's servers; here the network's
// dnsmasq stays the first nameserver and --dns's come after it.
TEST_F(NetworkLeaks, DnsOnAUserNetworkComesAfterItsServerSoNamesStillResolve) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.81.0/24", "dnsnet"});
  run_detached(with({"--name", "server", "--network", "dnsnet"}, httpd("still-by-name")));
  const RunResult result =
      keeld_.ctl({"run", "--rm", "--network", "dnsnet", "--dns", "127.0.0.77", "busybox", "sh",
                  "-c", "cat /etc/resolv.conf; " + fetch_loop("server")});
  EXPECT_EQ(result.exit_code, 0) << result << "\nkeeld log:\n" << keeld_.log();
  EXPECT_THAT(result.out, HasSubstr("nameserver 10.199.81.1\nnameserver 127.0.0.77\n"));
  EXPECT_THAT(result.out, HasSubstr("still-by-name\n"));
  keeld_.ctl_ok({"rm", "-f", "server"});
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "dnsnet"}), "dnsnet\n");
}

TEST_F(NetworkLeaks, ADefaultBridgeContainerConnectedToAUserNetworkResolvesItsNames) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.84.0/24", "joined"});
  run_detached(with({"--name", "web", "--network", "joined"}, httpd("joined-web")));
  run_detached({"--name", "client", "busybox", "sleep", "300"});
  const auto file = [&](const std::string& path) {
    return keeld_.ctl_ok({"exec", "client", "cat", path});
  };
  const std::string resolv_before = file("/etc/resolv.conf");
  EXPECT_THAT(resolv_before, Not(HasSubstr("nameserver 10.199.84.1")));

  keeld_.ctl_ok({"network", "connect", "joined", "client"});
  EXPECT_THAT(file("/etc/resolv.conf"), ::testing::StartsWith("nameserver 10.199.84.1\n"));
  const std::string ip =
      inspect_json("client")["NetworkSettings"]["Networks"]["joined"]["IPAddress"];
  ASSERT_TRUE(ip.starts_with("10.199.84.")) << ip;
  EXPECT_THAT(file("/etc/hosts"), HasSubstr(ip + "\t"));
  const RunResult by_name = keeld_.ctl({"exec", "client", "sh", "-c", fetch_loop("web")});
  EXPECT_EQ(by_name.exit_code, 0) << by_name << "\nkeeld log:\n" << keeld_.log();
  EXPECT_EQ(by_name.out, "joined-web\n");

  // Leaving the network gives the files back as they were.
  keeld_.ctl_ok({"network", "disconnect", "joined", "client"});
  EXPECT_EQ(file("/etc/resolv.conf"), resolv_before);
  EXPECT_THAT(file("/etc/hosts"), Not(HasSubstr(ip + "\t")));

  keeld_.ctl_ok({"rm", "-f", "client", "web"});
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "joined"}), "joined\n");
}

TEST_F(NetworkLeaks, DisconnectingTheNetworkItWasCreatedOnLeavesItRunningWithLoopbackOnly) {
  const int port = free_port();
  const std::string publish = "127.0.0.1:" + std::to_string(port) + ":80";
  run_detached(with({"--name", "lonely", "-p", publish}, httpd("lonely")));
  const auto interfaces = [&] { return keeld_.ctl_ok({"exec", "lonely", "ls", "/sys/class/net"}); };
  EXPECT_TRUE(
      wait_until([&] { return contains(http_get(port, "/index.html"), "lonely"); }, seconds(15)));
  EXPECT_EQ(interfaces(), "eth0\nlo\n");

  keeld_.ctl_ok({"network", "disconnect", "bridge", "lonely"});
  EXPECT_EQ(interfaces(), "lo\n");
  EXPECT_EQ(inspect("lonely", "{{.State.Status}}"), "running");
  EXPECT_EQ(inspect_json("lonely")["NetworkSettings"]["Networks"], nlohmann::json::object());
  EXPECT_EQ(http_get(port, "/index.html"), "");
  // Its host port is free for another container.
  run_detached(with({"--name", "taker", "-p", publish}, httpd("taker")));
  EXPECT_TRUE(
      wait_until([&] { return contains(http_get(port, "/index.html"), "taker"); }, seconds(15)));

  const RunResult again = keeld_.ctl({"network", "disconnect", "bridge", "lonely"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_THAT(again.err, HasSubstr("is not connected to network bridge"));
  const RunResult unknown = keeld_.ctl({"network", "disconnect", "nosuchnet", "lonely"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_EQ(lines_of(unknown.err).size(), 1U) << unknown.err;
  const RunResult no_container = keeld_.ctl({"network", "disconnect", "bridge", "nosuchbox"});
  EXPECT_NE(no_container.exit_code, 0);
  EXPECT_THAT(no_container.err, HasSubstr("nosuchbox"));

  // keeld killed and started again finds it as it was: no interface but lo, off the network.
  keeld_.kill();
  ASSERT_NO_FATAL_FAILURE(keeld_.start());
  EXPECT_EQ(interfaces(), "lo\n");
  EXPECT_EQ(inspect_json("lonely")["NetworkSettings"]["Networks"], nlohmann::json::object());

  // A restart leaves the network out; connect brings it back as one more interface.
  keeld_.ctl_ok({"restart", "-t", "0", "lonely"});
  EXPECT_EQ(interfaces(), "lo\n");
  keeld_.ctl_ok({"network", "connect", "bridge", "lonely"});
  EXPECT_EQ(interfaces(), "eth1\nlo\n");
  EXPECT_THAT(keeld_.ctl_ok({"exec", "lonely", "ip", "-4", "-o", "addr", "show", "eth1"}),
              HasSubstr("inet " + subnet_prefix()));
  keeld_.ctl_ok({"rm", "-f", "lonely", "taker"});
}

TEST_F(NetworkLeaks, ForcedDisconnectOfAStoppedContainerLeavesTheNetworkOutOfItsStart) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.85.0/24", "spare"});
  keeld_.ctl_ok({"create", "--name", "idle", "busybox", "sleep", "300"});
  keeld_.ctl_ok({"network", "connect", "spare", "idle"});
  EXPECT_TRUE(inspect_json("idle")["NetworkSettings"]["Networks"].contains("spare"));
  const RunResult in_use = keeld_.ctl({"network", "rm", "spare"});
  EXPECT_THAT(in_use.err, HasSubstr("has active endpoints"));

  keeld_.ctl_ok({"network", "disconnect", "-f", "spare", "idle"});
  keeld_.ctl_ok({"network", "disconnect", "--force", "bridge", "idle"});
  EXPECT_EQ(inspect_json("idle")["NetworkSettings"]["Networks"], nlohmann::json::object());
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "spare"}), "spare\n");

  keeld_.ctl_ok({"start", "idle"});
  EXPECT_EQ(keeld_.ctl_ok({"exec", "idle", "ls", "/sys/class/net"}), "lo\n");
  keeld_.ctl_ok({"rm", "-f", "idle"});
}

TEST_F(NetworkLeaks, NetworkEventsForCreateConnectDisconnectAndDestroy) {
  const std::string since = unix_now();
  const std::string network_id =
      trimmed(keeld_.ctl_ok({"network", "create", "--subnet", "10.199.86.0/24", "watched"}));
  const std::string container_id = run_detached({"--name", "evbox", "busybox", "sleep", "300"});
  keeld_.ctl_ok({"network", "connect", "watched", "evbox"});
  keeld_.ctl_ok({"network", "disconnect", "watched", "evbox"});
  keeld_.ctl_ok({"network", "rm", "watched"});
  const auto lines =
      lines_of(keeld_.ctl_ok({"events", "--since", since, "--until", "0s", "--filter",
                              "type=network", "--filter", "network=watched"}));
  std::vector<std::string> actions;
  for (const auto& line : lines) {
    std::istringstream fields(line);
    std::string time, type, action, id;
    fields >> time >> type >> action >> id;
    EXPECT_EQ(type, "network") << line;
    EXPECT_EQ(id, network_id) << line;
    EXPECT_THAT(line, HasSubstr("name=watched")) << line;
    EXPECT_THAT(line, HasSubstr("type=bridge")) << line;
    if (action == "connect" || action == "disconnect") {
      EXPECT_THAT(line, HasSubstr("container=" + container_id)) << line;
    }
    actions.push_back(action);
  }
  EXPECT_THAT(actions, ::testing::ElementsAre("create", "connect", "disconnect", "destroy"));
  // The default network's connect at start is there too, with type=network alone.
  EXPECT_THAT(keeld_.ctl_ok({"events", "--since", since, "--until", "0s", "--filter",
                             "type=network", "--filter", "event=connect"}),
              HasSubstr("container=" + container_id + ", name=bridge, type=bridge"));
  keeld_.ctl_ok({"rm", "-f", "evbox"});
}

TEST_F(NetworkLeaks, IpAndMacAddressOnAUserNetwork) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.82.0/24", "fixed"});
  run_detached({"--name", "pinned", "--network", "fixed", "--ip", "10.199.82.77", "--mac-address",
                "02:42:0A:C7:52:4D", "busybox", "sleep", "300"});
  EXPECT_THAT(keeld_.ctl_ok({"exec", "pinned", "ip", "-4", "-o", "addr", "show", "eth0"}),
              HasSubstr("inet 10.199.82.77/24"));
  EXPECT_EQ(keeld_.ctl_ok({"exec", "pinned", "cat", "/sys/class/net/eth0/address"}),
            "02:42:0a:c7:52:4d\n");
  const auto inspected = inspect_json("pinned");
  const auto& endpoint = inspected["NetworkSettings"]["Networks"]["fixed"];
  EXPECT_EQ(endpoint["IPAMConfig"]["IPv4Address"], "10.199.82.77") << endpoint.dump();
  EXPECT_EQ(endpoint["IPAddress"], "10.199.82.77");
  EXPECT_EQ(endpoint["MacAddress"], "02:42:0a:c7:52:4d");
  EXPECT_EQ(inspected["Config"]["MacAddress"], "02:42:0A:C7:52:4D");

  // The address stays the container's across a restart, and no other container takes it.
  keeld_.ctl_ok({"restart", "-t", "0", "pinned"});
  EXPECT_THAT(keeld_.ctl_ok({"exec", "pinned", "ip", "-4", "-o", "addr", "show", "eth0"}),
              HasSubstr("inet 10.199.82.77/24"));
  const RunResult taken =
      keeld_.ctl({"run", "--rm", "--network", "fixed", "--ip", "10.199.82.77", "busybox", "true"});
  EXPECT_NE(taken.exit_code, 0);

  const RunResult outside =
      keeld_.ctl({"run", "--rm", "--network", "fixed", "--ip", "10.199.83.5", "busybox", "true"});
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_THAT(outside.err, HasSubstr("does not belong to the subnet 10.199.82.0/24"));
  keeld_.ctl_ok({"rm", "-f", "pinned"});
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "fixed"}), "fixed\n");
}

TEST_F(NetworkLeaks, ConnectWithIpGivesThatAddressOnTheUserNetwork) {
  keeld_.ctl_ok({"network", "create", "--subnet", "10.199.87.0/24", "pinnednet"});
  run_detached({"--name", "joiner", "busybox", "sleep", "300"});
  run_detached({"--name", "member", "--network", "pinnednet", "busybox", "sleep", "300"});
  const RunResult on_default =
      keeld_.ctl({"network", "connect", "--ip", subnet_prefix() + "9", "bridge", "member"});
  EXPECT_NE(on_default.exit_code, 0);
  EXPECT_THAT(on_default.err, HasSubstr("user specified IP address is supported on user defined "
                                        "networks only"));
  EXPECT_EQ(keeld_.ctl_ok({"exec", "member", "ls", "/sys/class/net"}), "eth0\nlo\n");
  const RunResult outside =
      keeld_.ctl({"network", "connect", "--ip", "10.199.88.9", "pinnednet", "joiner"});
  EXPECT_NE(outside.exit_code, 0);
  EXPECT_THAT(outside.err, HasSubstr("does not belong to the subnet 10.199.87.0/24"));
  EXPECT_EQ(keeld_.ctl_ok({"exec", "joiner", "ls", "/sys/class/net"}), "eth0\nlo\n");

  keeld_.ctl_ok({"network", "connect", "--ip", "10.199.87.77", "pinnednet", "joiner"});
  const auto address = [&] {
    return keeld_.ctl_ok({"exec", "joiner", "ip", "-4", "-o", "addr", "show", "eth1"});
  };
  EXPECT_THAT(address(), HasSubstr("inet 10.199.87.77/24"));
  EXPECT_EQ(inspect_json("joiner")["NetworkSettings"]["Networks"]["pinnednet"]["IPAddress"],
            "10.199.87.77");
  // Kept across a restart.
  keeld_.ctl_ok({"restart", "-t", "0", "joiner"});
  EXPECT_THAT(address(), HasSubstr("inet 10.199.87.77/24"));
  keeld_.ctl_ok({"rm", "-f", "joiner", "member"});
  EXPECT_EQ(keeld_.ctl_ok({"network", "rm", "pinnednet"}), "pinnednet\n");
}

TEST_F(NetworkLeaks, MacAddressOnTheDefaultBridge) {
  const RunResult result = keeld_.ctl({"run", "--rm", "--mac-address", "02:42:ac:1e:00:99",
                                       "busybox", "cat", "/sys/class/net/eth0/address"});
  EXPECT_EQ(result.exit_code, 0) << result << "\nkeeld log:\n" << keeld_.log();
  EXPECT_EQ(result.out, "02:42:ac:1e:00:99\n");
}

TEST_F(NetworkLeaks, BadNetworkFlagsAreRefusedWithNothingLeft) {
  const auto refused = [&](const std::vector<std::string>& flags, const std::string& message) {
    const RunResult result = keeld_.ctl(with(with({"run", "--rm"}, flags), {"busybox", "true"}));
    EXPECT_NE(result.exit_code, 0) << result;
    // One line saying what is wrong, then docker's pointer to the help.
    const auto lines = lines_of(result.err);
    ASSERT_FALSE(lines.empty());
    EXPECT_THAT(lines[0], HasSubstr(message));
    EXPECT_LE(lines.size(), 2U) << result.err;
  };
  refused({"--ip", "10.1.2.3"},
          "user specified IP address is supported on user defined networks only");
  refused({"--network", "none", "--ip", "10.1.2.3"},
          "user specified IP address is supported on user defined networks only");
  refused({"--dns", "10.0.0"}, "invalid argument \"10.0.0\" for \"--dns\" flag");
  refused({"--add-host", "nocolon"}, "--add-host");
  refused({"--add-host", "db:10.1.2"}, "invalid IP address \"10.1.2\"");
  refused({"--mac-address", "02:42:ac"}, "02:42:ac is not a valid mac address");
  EXPECT_THAT(lines_of(keeld_.ctl_ok({"ps", "-a", "-q"})), ::testing::IsEmpty());
}

}  // namespace
}  // namespace keel::it::containers_it
