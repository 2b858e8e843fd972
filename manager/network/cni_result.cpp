#include "manager/network/cni_result.h"

namespace keel::manager::network {
namespace {

// The plugins' own output can span lines; keeld's errors are one line.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  constexpr std::size_t kMax = 600;
  if (out.size() > kMax)
    out = out.substr(0, kMax) + "...";
  return out;
}

std::vector<std::string> strings_of(const nlohmann::json& json, const char* key) {
  std::vector<std::string> out;
  if (auto it = json.find(key); it != json.end() && it->is_array())
    for (const auto& item : *it)
      if (item.is_string())
        out.push_back(item.get<std::string>());
  return out;
}

Errc errc_of_code(int code) {
  switch (code) {
    case 1:  // incompatible CNI version
    case 2:  // unsupported field in network configuration
    case 4:  // invalid necessary environment variables
    case 6:  // failed to decode content
    case 7:  // invalid network config
      return Errc::kInvalidArgument;
    case 3:  // container unknown or does not exist
      return Errc::kNotFound;
    case 11:  // try again later
      return Errc::kUnavailable;
    default:
      return Errc::kInternal;
  }
}

}  // namespace

const CniIp* CniResult::container_ip(std::string_view sandbox) const {
  for (const auto& ip : ips) {
    if (!ip.interface || *ip.interface < 0 ||
        static_cast<std::size_t>(*ip.interface) >= interfaces.size())
      continue;
    if (interfaces[static_cast<std::size_t>(*ip.interface)].sandbox == sandbox)
      return &ip;
  }
  return ips.empty() ? nullptr : &ips.front();
}

std::string CniResult::mac_of(const CniIp& ip) const {
  if (!ip.interface || *ip.interface < 0 ||
      static_cast<std::size_t>(*ip.interface) >= interfaces.size())
    return "";
  return interfaces[static_cast<std::size_t>(*ip.interface)].mac;
}

Result<CniResult> cni_result_from_json(const nlohmann::json& json) {
  if (!json.is_object())
    return Error::of(Errc::kInternal, "CNI result: not a JSON object");
  try {
    CniResult result;
    result.cni_version = json.value("cniVersion", "");
    if (auto it = json.find("interfaces"); it != json.end() && it->is_array())
      for (const auto& i : *it)
        result.interfaces.push_back(CniInterface{.name = i.value("name", ""),
                                                 .mac = i.value("mac", ""),
                                                 .sandbox = i.value("sandbox", "")});
    if (auto it = json.find("ips"); it != json.end() && it->is_array())
      for (const auto& i : *it) {
        CniIp ip{.address = i.at("address").get<std::string>(),
                 .gateway = i.value("gateway", ""),
                 .interface = std::nullopt};
        if (auto index = i.find("interface"); index != i.end() && index->is_number_integer())
          ip.interface = index->get<int>();
        result.ips.push_back(std::move(ip));
      }
    if (auto it = json.find("routes"); it != json.end() && it->is_array())
      for (const auto& r : *it)
        result.routes.push_back(
            CniRoute{.dst = r.at("dst").get<std::string>(), .gw = r.value("gw", "")});
    if (auto it = json.find("dns"); it != json.end() && it->is_object()) {
      result.dns.nameservers = strings_of(*it, "nameservers");
      result.dns.domain = it->value("domain", "");
      result.dns.search = strings_of(*it, "search");
      result.dns.options = strings_of(*it, "options");
    }
    result.raw = json;
    return result;
  } catch (const nlohmann::json::exception& e) {
    return Error::of(Errc::kInternal, std::string("CNI result: ") + e.what());
  }
}

Result<CniResult> parse_cni_result(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded())
    return Error::of(Errc::kInternal, "CNI result is not JSON: " + one_line(text));
  return cni_result_from_json(json);
}

Error cni_plugin_error(std::string_view plugin, std::string_view command, std::string_view out,
                       std::string_view err, int exit_code) {
  std::string line = "CNI plugin \"" + std::string(plugin) + "\" " + std::string(command) + ": ";
  Errc kind = Errc::kInternal;
  auto json = nlohmann::json::parse(out, nullptr, false);
  std::vector<std::string> tail;
  if (json.is_object() && json.contains("msg")) {
    const int code = json.value("code", 0);
    kind = errc_of_code(code);
    line += json.value("msg", "");
    if (code != 0)
      tail.push_back("code " + std::to_string(code));
    if (const std::string details = json.value("details", ""); !details.empty())
      tail.push_back(one_line(details));
  } else if (!one_line(out).empty()) {
    line += one_line(out);
  } else {
    line += "no error message";
  }
  if (const std::string stderr_line = one_line(err); !stderr_line.empty())
    tail.push_back("stderr: " + stderr_line);
  tail.push_back(exit_code > 128 ? "killed by signal " + std::to_string(exit_code - 128)
                                 : "exit status " + std::to_string(exit_code));
  line += " (";
  for (std::size_t i = 0; i < tail.size(); ++i)
    line += (i == 0 ? "" : "; ") + tail[i];
  line += ")";
  return Error::of(kind, line);
}

}  // namespace keel::manager::network
