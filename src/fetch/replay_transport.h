// ReplayTransport: answers requests from recorded fixtures instead of the network. Used by
// tests, `mu fetch --replay DIR` and `make demo`. Loads every `replay.tsv` found under the
// given directories. Each non-comment line of a replay.tsv is
//   METHOD <TAB> URL <TAB> FILE [<TAB> STATUS [<TAB> CONTENT-TYPE]]
// FILE is relative to the replay.tsv's folder; a URL ending in `*` matches any URL with
// that prefix (longest prefix wins; exact matches win over prefixes). Immutable after
// construction; safe for concurrent use.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fetch/transport.h"

namespace mu {

class ReplayTransport final : public Transport {
 public:
  // Reads the replay maps under `roots` (files are read lazily on fetch). kConfig on a
  // malformed line (the message names file and line), kNotFound when a root is missing.
  static Result<std::unique_ptr<ReplayTransport>> load(
      const std::vector<std::filesystem::path>& roots);

  // Unmatched URLs answer kNotFound naming the URL; a matched but unreadable file too.
  Result<HttpResponse> fetch(const HttpRequest& request) override;

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string method;
    std::string url;  // without the trailing '*' for prefixes
    bool prefix = false;
    std::filesystem::path file;
    int status = 200;
    std::string content_type;
  };
  ReplayTransport() = default;
  static Status parse_map(const std::filesystem::path& map_file, std::vector<Entry>& out);

  std::vector<Entry> entries_;
};

}  // namespace mu
