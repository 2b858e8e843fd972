#include "manager/server/image_filter.h"

#include <fnmatch.h>

#include <set>

namespace keel::manager::server {
namespace {

// docker matches reference patterns against the familiar "name" and "name:tag" forms, and
// "name@sha256:..." for the repo digests.
bool reference_matches(const images::Image& image, const std::string& pattern) {
  const auto matches = [&](const std::string& s) {
    return ::fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
  };
  for (const auto& tag : image.repo_tags) {
    auto ref = images::parse_reference(tag);
    if (ref && (matches(ref->familiar_name()) || matches(ref->familiar())))
      return true;
  }
  for (const auto& digest : image.repo_digests) {
    auto ref = images::parse_reference(digest);
    if (ref && ref->digest && matches(ref->familiar_name() + "@" + ref->digest->str()))
      return true;
  }
  return false;
}

bool label_matches(const images::Image& image, const std::string& wanted) {
  const auto eq = wanted.find('=');
  const auto& labels = image.config.config.labels;
  const auto it = labels.find(wanted.substr(0, eq));
  if (it == labels.end())
    return false;
  return eq == std::string::npos || it->second == wanted.substr(eq + 1);
}

}  // namespace

Result<ImagePredicate> image_filter(
    const std::vector<std::pair<std::string, std::string>>& filters,
    const std::function<Result<images::Image>(const std::string&)>& lookup) {
  std::vector<ImagePredicate> all_of;
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& [key, value] : filters)
    by_key[key].push_back(value);
  // Named, not a structured binding: lambdas below capture `values` (C++20 allows capturing a
  // binding, clang 14, which clang-tidy runs on, does not).
  for (const auto& entry : by_key) {
    const std::string& key = entry.first;
    const std::vector<std::string>& values = entry.second;
    if (key == "reference") {
      all_of.push_back([values](const images::Image& image) {
        for (const auto& pattern : values)
          if (reference_matches(image, pattern))
            return true;
        return false;
      });
    } else if (key == "dangling") {
      const std::string& value = values.back();
      if (value != "true" && value != "false" && value != "1" && value != "0")
        return Error::of(Errc::kInvalidArgument,
                         "invalid filter 'dangling=" + value + "': use true or false");
      const bool dangling = value == "true" || value == "1";
      all_of.push_back(
          [dangling](const images::Image& image) { return image.repo_tags.empty() == dangling; });
    } else if (key == "label") {
      all_of.push_back([values](const images::Image& image) {
        for (const auto& wanted : values)
          if (label_matches(image, wanted))
            return true;
        return false;
      });
    } else if (key == "before" || key == "since") {
      auto anchor = lookup(values.back());
      if (!anchor)
        return std::move(anchor).error().context("filter " + key);
      const std::int64_t created = anchor->created_ns;
      const std::string anchor_id = anchor->id.str();
      const bool before = key == "before";
      all_of.push_back([=](const images::Image& image) {
        if (image.id.str() == anchor_id)
          return false;
        return before ? image.created_ns < created : image.created_ns > created;
      });
    } else {
      return Error::of(Errc::kInvalidArgument,
                       "invalid filter '" + key +
                           "': known filters are reference, dangling, label, before, since");
    }
  }
  return ImagePredicate([all_of = std::move(all_of)](const images::Image& image) {
    for (const auto& predicate : all_of)
      if (!predicate(image))
        return false;
    return true;
  });
}

}  // namespace keel::manager::server
