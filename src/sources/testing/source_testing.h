// Test helpers for source tests (linked only into mu_sources_test): where fixtures and real
// captures live, an in-memory Transport that answers every request with one canned
// response, and GoogleTest checks shared by every board. Not thread-safe unless noted.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/types.h"
#include "fetch/transport.h"
#include "sources/source.h"

namespace mu::source_testing {

// The repository root: $MU_SOURCE_DIR, else the source dir this binary was configured from.
std::filesystem::path source_dir();
// src/sources/<site>/fixtures
std::filesystem::path fixtures_dir(std::string_view site);
// $MU_SOURCE_DIR/../shared/fixtures/real/<relative>, or nullopt when that file is absent.
std::optional<std::filesystem::path> real_capture(std::string_view relative);
// The bytes of a file; fails the current test (and returns "") when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// Answers every request with the same status and body; remembers the requests.
// fetch() is safe for concurrent use.
class CannedTransport final : public Transport {
 public:
  CannedTransport(int status, std::string body, std::string content_type = {})
      : status_(status), body_(std::move(body)), content_type_(std::move(content_type)) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override;
  std::vector<HttpRequest> requests() const;

 private:
  int status_;
  std::string body_;
  std::string content_type_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

// Runs `source` against a CannedTransport answering (status, body).
Result<std::vector<Item>> collect_canned(const Source& source, int status, std::string body,
                                         std::string content_type = {});

// Runs `source` against the replay fixtures under src/sources/<site>/fixtures.
Result<std::vector<Item>> collect_fixture(const Source& source);

// Registers one site's sources into a fresh registry (fails the test on error).
using RegisterFn = Status (*)(SourceRegistry&);
SourceRegistry make_registry(RegisterFn register_fn);

// GoogleTest checks every board's output must pass: at least `min_items` items, non-empty
// titles and keys, unique keys, absolute http(s) URLs (and http(s) or empty mobile_url and
// image).
void expect_sane_items(const std::vector<Item>& items, std::size_t min_items);

}  // namespace mu::source_testing
