#include "collector/local/local_collector.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

// A transport that answers every request with a fixed response, advancing the fake
// clock by `cost` to simulate a slow site.
class ScriptedTransport final : public Transport {
 public:
  ScriptedTransport(FakeClock& clock, std::chrono::milliseconds cost)
      : clock_(clock), cost_(cost) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    last_timeout = request.timeout;
    ++calls;
    clock_.advance(cost_);
    HttpResponse r;
    r.status = status;
    r.body = body;
    return r;
  }
  int status = 200;
  std::string body = "payload";
  std::chrono::milliseconds last_timeout{0};
  int calls = 0;

 private:
  FakeClock& clock_;
  std::chrono::milliseconds cost_;
};

// A source that makes `requests` sequential requests and emits the given items.
class FakeSource final : public Source {
 public:
  FakeSource(BoardMeta meta, std::vector<Item> items, int requests)
      : meta_(std::move(meta)), items_(std::move(items)), requests_(requests) {}
  const BoardMeta& meta() const override { return meta_; }
  Result<std::vector<Item>> collect(const SourceContext& ctx) const override {
    for (int i = 0; i < requests_; ++i) {
      HttpRequest req;
      req.url = "https://example.com/page" + std::to_string(i);
      MU_ASSIGN_OR_RETURN(HttpResponse resp, ctx.transport.fetch(req));
      MU_RETURN_IF_ERROR(check_http_status(resp));
    }
    return items_;
  }

 private:
  BoardMeta meta_;
  std::vector<Item> items_;
  int requests_;
};

Item item(std::string key, std::string title, std::string url) {
  Item it;
  it.key = std::move(key);
  it.title = std::move(title);
  it.url = std::move(url);
  return it;
}

class LocalCollectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        registry_.add_site({"ex", "例子", "Example", "https://example.com", "", "#000", "global"})
            .ok());
    BoardMeta meta;
    meta.id = "ex.hot";
    meta.site = "ex";
    meta.schedule.timeout = std::chrono::seconds(5);
    std::vector<Item> items = {item("1", " One ", "https://example.com/1"),
                               item("2", "Evil", "javascript:alert(1)"),
                               item("3", "Three", "https://example.com/3")};
    ASSERT_TRUE(registry_.add(std::make_unique<FakeSource>(meta, items, 3)).ok());
  }
  FakeClock clock_;
  SourceRegistry registry_;
};

TEST_F(LocalCollectorTest, NormalizesAndMeters) {
  ScriptedTransport transport(clock_, std::chrono::milliseconds(100));
  LocalCollector collector(registry_, transport, clock_, {});
  auto out = collector.collect({"ex.hot", 1000, 1, 1});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->items.size(), 2u);
  EXPECT_EQ(out->items[0].title, "One");
  EXPECT_EQ(out->dropped, 1);
  EXPECT_EQ(out->bytes, 3 * 7);
  EXPECT_EQ(out->http_status, 200);
  EXPECT_EQ(out->finished_ms - out->started_ms, 300);
  EXPECT_EQ(out->collector, "local");
}

TEST_F(LocalCollectorTest, DeadlineBoundsEveryRequest) {
  // Each request costs 2.5 s of a 5 s budget: the third request is refused.
  ScriptedTransport transport(clock_, std::chrono::milliseconds(2500));
  LocalCollector collector(registry_, transport, clock_, {});
  auto out = collector.collect({"ex.hot", 1000, 1, 1});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.code(), ErrorCode::kTimeout);
  EXPECT_EQ(transport.calls, 2);
  EXPECT_EQ(transport.last_timeout, std::chrono::milliseconds(2500));  // clamped to what was left
}

TEST_F(LocalCollectorTest, HttpErrorIsTypedAndNamesTheBoard) {
  ScriptedTransport transport(clock_, std::chrono::milliseconds(1));
  transport.status = 500;
  LocalCollector collector(registry_, transport, clock_, {});
  auto out = collector.collect({"ex.hot", 1000, 1, 1});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.code(), ErrorCode::kHttp);
  EXPECT_NE(out.error_message().find("ex.hot"), std::string::npos);
  EXPECT_NE(out.error_message().find("500"), std::string::npos);
}

// Regression: errors that already named the board got it prefixed a second time
// ("ex.hot: ex.hot: HTTP 500 ...") in the API and the runs table.
TEST_F(LocalCollectorTest, BoardIsNamedOnceInErrors) {
  class NamingSource final : public Source {
   public:
    explicit NamingSource(BoardMeta m) : meta_(std::move(m)) {}
    const BoardMeta& meta() const override { return meta_; }
    Result<std::vector<Item>> collect(const SourceContext&) const override {
      return error(ErrorCode::kParse, meta_.id + ": data.list: missing");
    }

   private:
    BoardMeta meta_;
  };
  BoardMeta meta;
  meta.id = "ex.named";
  meta.site = "ex";
  ASSERT_TRUE(registry_.add(std::make_unique<NamingSource>(meta)).ok());
  ScriptedTransport transport(clock_, std::chrono::milliseconds(1));
  LocalCollector collector(registry_, transport, clock_, {});
  auto out = collector.collect({"ex.named", 1000, 1, 1});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error_message(), "ex.named: data.list: missing");
}

TEST_F(LocalCollectorTest, UnknownBoardIsNotFound) {
  ScriptedTransport transport(clock_, std::chrono::milliseconds(1));
  LocalCollector collector(registry_, transport, clock_, {});
  EXPECT_EQ(collector.collect({"ex.nope", 1, 1, 1}).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace mu
