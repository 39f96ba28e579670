#include "sources/testing/source_testing.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "fetch/replay_transport.h"
#include "sources/common/http_util.h"

#ifndef MU_DEFAULT_SOURCE_DIR
#define MU_DEFAULT_SOURCE_DIR "."
#endif

namespace mu::source_testing {

std::filesystem::path source_dir() {
  const char* env = std::getenv("MU_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return std::filesystem::path(env);
  return std::filesystem::path(MU_DEFAULT_SOURCE_DIR);
}

std::filesystem::path fixtures_dir(std::string_view site) {
  return source_dir() / "src" / "sources" / std::string(site) / "fixtures";
}

std::optional<std::filesystem::path> real_capture(std::string_view relative) {
  std::filesystem::path p =
      source_dir() / ".." / "shared" / "fixtures" / "real" / std::string(relative);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(p, ec)) return std::nullopt;
  return p;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return {};
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Result<HttpResponse> CannedTransport::fetch(const HttpRequest& request) {
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
  }
  HttpResponse response;
  response.status = status_;
  response.body = body_;
  response.effective_url = request.url;
  if (!content_type_.empty()) response.headers.emplace_back("Content-Type", content_type_);
  return response;
}

std::vector<HttpRequest> CannedTransport::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

Result<std::vector<Item>> collect_canned(const Source& source, int status, std::string body,
                                         std::string content_type) {
  CannedTransport transport(status, std::move(body), std::move(content_type));
  FakeClock clock;
  SourceContext ctx{transport, clock};
  return source.collect(ctx);
}

Result<std::vector<Item>> collect_fixture(const Source& source) {
  auto replay = ReplayTransport::load({fixtures_dir(source.meta().site)});
  if (!replay.ok()) return replay.status();
  FakeClock clock;
  SourceContext ctx{**replay, clock};
  return source.collect(ctx);
}

SourceRegistry make_registry(RegisterFn register_fn) {
  SourceRegistry registry;
  Status st = register_fn(registry);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return registry;
}

void expect_sane_items(const std::vector<Item>& items, std::size_t min_items) {
  EXPECT_GE(items.size(), min_items);
  std::set<std::string> keys;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    SCOPED_TRACE("item " + std::to_string(i) + " key=" + it.key + " title=" + it.title);
    EXPECT_FALSE(it.title.empty());
    EXPECT_FALSE(it.key.empty());
    EXPECT_TRUE(keys.insert(it.key).second) << "duplicate key " << it.key;
    EXPECT_TRUE(is_http_url(it.url)) << it.url;
    if (!it.mobile_url.empty()) {
      EXPECT_TRUE(is_http_url(it.mobile_url)) << it.mobile_url;
    }
    if (!it.image.empty()) {
      EXPECT_TRUE(is_http_url(it.image)) << it.image;
    }
  }
}

}  // namespace mu::source_testing
