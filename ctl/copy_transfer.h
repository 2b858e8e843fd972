// docker cp's two transfers over Containers.CopyFrom / CopyTo, whose tar streams libarchive
// packs and unpacks with docker's rules for where things land (copy_archive.h).
#pragma once

#include <optional>
#include <string>

#include "ctl/client.h"

struct archive;

namespace keel::ctl {

// Unpacks the container's src under dest on the host ("-": the tar itself to stdout).
void copy_from_container(Client& client, const std::string& container, const std::string& src,
                         const std::string& dest, bool quiet);

// Packs the host's src ("-": a tar on stdin, as it is) into the container at dest. follow is
// -L; keep_owner is -a (else entries are owned by root).
void copy_to_container(Client& client, const std::string& src, const std::string& container,
                       const std::string& dest, bool follow, bool keep_owner, bool quiet);

// What the container has at path: nullopt when nothing, else whether it is a directory.
[[nodiscard]] std::optional<bool> probe_container_path(Client& client, const std::string& container,
                                                       const std::string& path);

// Throws CommandError "what: <libarchive's error>".
[[noreturn]] void archive_failure(struct archive* a, const std::string& what);

}  // namespace keel::ctl
