#include "rpc/convert.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Item full_item() {
  Item item;
  item.key = "weibo:12345";
  item.title = "热搜：春节档电影票房破纪录 🎬";
  item.url = "https://s.weibo.com/weibo?q=%23春节%23";
  item.mobile_url = "https://m.weibo.cn/search?q=春节";
  item.summary = "摘要，含“引号”与换行\n第二行";
  item.image = "https://img.example.com/封面.jpg";
  item.hot = 21230000.5;
  item.hot_text = "2123万";
  item.label = "爆";
  item.author = "新浪新闻";
  item.published_at_ms = 1'767'225'600'123;
  item.extra = {{"分类", "娱乐"}, {"rank_change", "-3"}, {"", ""}};
  return item;
}

TEST(Convert, ItemRoundTripKeepsEveryField) {
  const Item item = full_item();
  rpc::Item p;
  to_proto(item, &p);
  // Through the wire format, not just the in-memory message.
  rpc::Item parsed;
  ASSERT_TRUE(parsed.ParseFromString(p.SerializeAsString()));
  EXPECT_EQ(from_proto(parsed), item);
}

TEST(Convert, ItemOptionalFieldsKeepPresence) {
  Item unset = full_item();
  unset.hot.reset();
  unset.published_at_ms.reset();
  rpc::Item p;
  to_proto(unset, &p);
  EXPECT_FALSE(p.has_hot());
  EXPECT_FALSE(p.has_published_at_ms());
  EXPECT_EQ(from_proto(p), unset);

  Item zero = full_item();
  zero.hot = 0.0;  // a real zero is not "no value"
  zero.published_at_ms = 0;
  rpc::Item q;
  to_proto(zero, &q);
  rpc::Item parsed;
  ASSERT_TRUE(parsed.ParseFromString(q.SerializeAsString()));
  const Item back = from_proto(parsed);
  ASSERT_TRUE(back.hot.has_value());
  EXPECT_EQ(*back.hot, 0.0);
  ASSERT_TRUE(back.published_at_ms.has_value());
  EXPECT_EQ(*back.published_at_ms, 0);
}

TEST(Convert, DispatchRoundTrip) {
  Dispatch d{"zhihu.hot", 1'767'225'600, 7, 3, milliseconds(15'000), "cn"};
  d.secrets = {{"zhihu.cookie", "z_c0=abc; d_c0=\"x|1\""}};
  d.proxy = "socks5h://10.0.0.9:1080";
  rpc::Dispatch p;
  to_proto(d, &p);
  const Dispatch back = from_proto(p);
  EXPECT_EQ(back.board, d.board);
  EXPECT_EQ(back.slot, d.slot);
  EXPECT_EQ(back.epoch, d.epoch);
  EXPECT_EQ(back.attempt, d.attempt);
  EXPECT_EQ(back.timeout, d.timeout);
  EXPECT_EQ(back.group, d.group);
  EXPECT_EQ(back.secrets, d.secrets);
  EXPECT_EQ(back.proxy, d.proxy);
  EXPECT_EQ(back.id(), "zhihu.hot@1767225600");
}

TEST(Convert, EveryErrorCodeRoundTripsByName) {
  for (int c = static_cast<int>(ErrorCode::kNetwork); c <= static_cast<int>(ErrorCode::kInternal);
       ++c) {
    const auto code = static_cast<ErrorCode>(c);
    const Status s = error(code, "msg").with_http(503, milliseconds(2500));
    rpc::Error p;
    to_proto(s, &p);
    EXPECT_EQ(p.code(), error_code_name(code));
    const Status back = from_proto(p);
    EXPECT_EQ(back.code(), code) << p.code();
    EXPECT_EQ(back.message(), "msg");
    EXPECT_EQ(back.http_status(), 503);
    EXPECT_EQ(back.retry_after(), milliseconds(2500));
  }
  EXPECT_EQ(parse_error_code("not-found"), ErrorCode::kNotFound);
  EXPECT_FALSE(parse_error_code("nonsense").has_value());
}

TEST(Convert, UnknownErrorCodeBecomesInternal) {
  rpc::Error p;
  p.set_code("quantum");
  p.set_message("boom");
  const Status s = from_proto(p);
  EXPECT_EQ(s.code(), ErrorCode::kInternal);
  EXPECT_NE(s.message().find("quantum"), std::string::npos);
  EXPECT_NE(s.message().find("boom"), std::string::npos);

  p.set_code("ok");  // an error that claims to be ok is still an error
  EXPECT_EQ(from_proto(p).code(), ErrorCode::kInternal);
}

TEST(Convert, CollectResultValueAndError) {
  CollectOutcome outcome;
  outcome.items = {full_item()};
  outcome.http_status = 200;
  outcome.bytes = 12345;
  outcome.started_ms = 1000;
  outcome.finished_ms = 1800;
  outcome.dropped = 2;
  outcome.collector = "c1";
  rpc::CollectResult p;
  to_proto(Result<CollectOutcome>(outcome), &p);
  Result<CollectOutcome> back = from_proto(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->items, outcome.items);
  EXPECT_EQ(back->http_status, 200);
  EXPECT_EQ(back->bytes, 12345);
  EXPECT_EQ(back->started_ms, 1000);
  EXPECT_EQ(back->finished_ms, 1800);
  EXPECT_EQ(back->dropped, 2);
  EXPECT_EQ(back->collector, "c1");

  rpc::CollectResult e;
  to_proto(Result<CollectOutcome>(error(ErrorCode::kBlocked, "captcha").with_http(412)), &e);
  Result<CollectOutcome> err = from_proto(e);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.code(), ErrorCode::kBlocked);
  EXPECT_EQ(err.status().http_status(), 412);

  EXPECT_EQ(from_proto(rpc::CollectResult()).code(), ErrorCode::kInternal);
}

BoardMeta full_meta() {
  BoardMeta m;
  m.id = "weibo.hot-search";
  m.site = "weibo";
  m.name_zh = "热搜榜";
  m.name_en = "Hot search";
  m.kind = BoardKind::kStream;
  m.schedule.every = seconds(300);
  m.schedule.jitter = seconds(7);
  m.schedule.timeout = seconds(25);
  m.schedule.retries = 4;
  m.schedule.cron = "*/5 * * * *";
  m.schedule.tz = "Europe/Berlin";
  m.schedule.misfire = MisfirePolicy::kCatchUp;
  m.schedule.catch_up = seconds(900);
  m.schedule.overlap = OverlapPolicy::kQueueOne;
  m.group = "cn";
  m.homepage = "https://s.weibo.com/top/summary";
  m.notes = "需要 cookie";
  m.needs_cookie = true;
  m.needs_token = true;
  return m;
}

void expect_same_meta(const BoardMeta& a, const BoardMeta& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.site, b.site);
  EXPECT_EQ(a.name_zh, b.name_zh);
  EXPECT_EQ(a.name_en, b.name_en);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.schedule.every, b.schedule.every);
  EXPECT_EQ(a.schedule.jitter, b.schedule.jitter);
  EXPECT_EQ(a.schedule.timeout, b.schedule.timeout);
  EXPECT_EQ(a.schedule.retries, b.schedule.retries);
  EXPECT_EQ(a.schedule.cron, b.schedule.cron);
  EXPECT_EQ(a.schedule.tz, b.schedule.tz);
  EXPECT_EQ(a.schedule.misfire, b.schedule.misfire);
  EXPECT_EQ(a.schedule.catch_up, b.schedule.catch_up);
  EXPECT_EQ(a.schedule.overlap, b.schedule.overlap);
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.homepage, b.homepage);
  EXPECT_EQ(a.notes, b.notes);
  EXPECT_EQ(a.needs_cookie, b.needs_cookie);
  EXPECT_EQ(a.needs_token, b.needs_token);
}

TEST(Convert, BoardChangeWithEveryFieldRoundTrips) {
  BoardChange c;
  c.board = "weibo.hot-search";
  c.version = 9;
  c.meta = full_meta();
  c.enabled = false;
  c.every = seconds(120);
  c.cron = "0 * * * *";
  c.tz = "Asia/Tokyo";
  c.misfire = MisfirePolicy::kSkip;
  c.catch_up = seconds(60);
  c.overlap = OverlapPolicy::kSkip;
  c.timeout = seconds(12);
  c.retries = 0;
  c.jitter = seconds(0);
  rpc::BoardChange p;
  to_proto(c, &p);
  rpc::BoardChange parsed;
  ASSERT_TRUE(parsed.ParseFromString(p.SerializeAsString()));
  Result<BoardChange> back = from_proto(parsed);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(back->board, c.board);
  EXPECT_EQ(back->version, 9);
  ASSERT_TRUE(back->meta.has_value());
  expect_same_meta(*back->meta, *c.meta);
  EXPECT_EQ(back->enabled, c.enabled);
  EXPECT_EQ(back->every, c.every);
  EXPECT_EQ(back->cron, c.cron);
  EXPECT_EQ(back->tz, c.tz);
  EXPECT_EQ(back->misfire, c.misfire);
  EXPECT_EQ(back->catch_up, c.catch_up);
  EXPECT_EQ(back->overlap, c.overlap);
  EXPECT_EQ(back->timeout, c.timeout);
  EXPECT_EQ(back->retries, c.retries);  // 0 is a value, not "unset"
  EXPECT_EQ(back->jitter, c.jitter);
}

TEST(Convert, BoardChangeUnsetFieldsStayUnset) {
  BoardChange c;
  c.board = "hn.top";
  c.enabled = true;
  rpc::BoardChange p;
  to_proto(c, &p);
  Result<BoardChange> back = from_proto(p);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->enabled, std::optional<bool>(true));
  EXPECT_FALSE(back->meta.has_value());
  EXPECT_FALSE(back->every.has_value());
  EXPECT_FALSE(back->cron.has_value());
  EXPECT_FALSE(back->tz.has_value());
  EXPECT_FALSE(back->misfire.has_value());
  EXPECT_FALSE(back->catch_up.has_value());
  EXPECT_FALSE(back->overlap.has_value());
  EXPECT_FALSE(back->timeout.has_value());
  EXPECT_FALSE(back->retries.has_value());
  EXPECT_FALSE(back->jitter.has_value());
}

TEST(Convert, BoardChangeWithUnknownEnumIsInvalid) {
  rpc::BoardChange p;
  p.set_board("x.y");
  p.set_misfire(static_cast<rpc::MisfirePolicy>(42));
  EXPECT_EQ(from_proto(p).code(), ErrorCode::kInvalid);

  rpc::BoardChange q;
  q.set_board("x.y");
  q.set_overlap(rpc::OVERLAP_UNSPECIFIED);  // set, but to no policy
  EXPECT_EQ(from_proto(q).code(), ErrorCode::kInvalid);

  rpc::BoardChange r;
  r.mutable_meta()->set_kind(static_cast<rpc::BoardKind>(9));
  EXPECT_EQ(from_proto(r).code(), ErrorCode::kInvalid);
}

TEST(Convert, RunRecordRoundTrip) {
  RunRecord r;
  r.dispatch_id = "weibo.hot-search@1767225600";
  r.board = "weibo.hot-search";
  r.slot = 1'767'225'600;
  r.epoch = 3;
  r.status = "http";
  r.error_message = "HTTP 503 服务不可用";
  r.stats = RunStats{1000, 2000, 503, 77, 0, 2, "collector-b"};
  rpc::RunRecord p;
  to_proto(r, &p);
  const RunRecord back = from_proto(p);
  EXPECT_EQ(back.dispatch_id, r.dispatch_id);
  EXPECT_EQ(back.board, r.board);
  EXPECT_EQ(back.slot, r.slot);
  EXPECT_EQ(back.epoch, r.epoch);
  EXPECT_EQ(back.status, r.status);
  EXPECT_EQ(back.error_message, r.error_message);
  EXPECT_EQ(back.stats.started_ms, 1000);
  EXPECT_EQ(back.stats.finished_ms, 2000);
  EXPECT_EQ(back.stats.http_status, 503);
  EXPECT_EQ(back.stats.bytes, 77);
  EXPECT_EQ(back.stats.item_count, 0);
  EXPECT_EQ(back.stats.attempt, 2);
  EXPECT_EQ(back.stats.collector, "collector-b");
}

}  // namespace
}  // namespace mu
