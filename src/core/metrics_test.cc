#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

namespace mu::metrics {
namespace {

TEST(MetricsTest, CountersWithLabelsAreWrittenWithHelpAndType) {
  Registry r;
  auto runs = r.counter("mu_board_runs_total", "Runs of a board.", {"board", "outcome"});
  ASSERT_TRUE(runs.ok()) << runs.status().to_string();
  (*runs)->with({"weibo.hot-search", "ok"}).inc();
  (*runs)->with({"weibo.hot-search", "ok"}).inc(2);
  (*runs)->with({"v2ex.hot", "http"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP mu_board_runs_total Runs of a board.\n"
            "# TYPE mu_board_runs_total counter\n"
            "mu_board_runs_total{board=\"v2ex.hot\",outcome=\"http\"} 1\n"
            "mu_board_runs_total{board=\"weibo.hot-search\",outcome=\"ok\"} 3\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  Registry r;
  auto g = r.gauge("mu_x", "a \\ backslash\nand a newline", {"v"});
  ASSERT_TRUE(g.ok());
  (*g)->with({"say \"hi\"\\\n"}).set(1.5);
  EXPECT_EQ(r.render(),
            "# HELP mu_x a \\\\ backslash\\nand a newline\n"
            "# TYPE mu_x gauge\n"
            "mu_x{v=\"say \\\"hi\\\"\\\\\\n\"} 1.5\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeAndInclusive) {
  Registry r;
  auto h = r.histogram("mu_latency_seconds", "Latency.", {"route"}, {0.25, 1});
  ASSERT_TRUE(h.ok());
  Histogram& x = (*h)->with({"/a"});
  x.observe(0.125);
  x.observe(0.25);  // le is inclusive: in the 0.25 bucket
  x.observe(0.5);
  x.observe(7);
  EXPECT_EQ(r.render(),
            "# HELP mu_latency_seconds Latency.\n"
            "# TYPE mu_latency_seconds histogram\n"
            "mu_latency_seconds_bucket{route=\"/a\",le=\"0.25\"} 2\n"
            "mu_latency_seconds_bucket{route=\"/a\",le=\"1\"} 3\n"
            "mu_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4\n"
            "mu_latency_seconds_sum{route=\"/a\"} 7.875\n"
            "mu_latency_seconds_count{route=\"/a\"} 4\n");
}

TEST(MetricsTest, ValuesUseTheFormatsSpelling) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(1e20), "1e+20");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(MetricsTest, BadNamesAndRedefinitionsAreRefused) {
  Registry r;
  EXPECT_EQ(r.counter("mu_runs", "no _total").status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.gauge("9lives", "starts with a digit").status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.gauge("mu-dash", "dash").status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.gauge("mu_ok", "bad label", {"a-b"}).status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.gauge("mu_ok", "reserved label", {"__x"}).status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.histogram("mu_h", "le is the bucket's", {"le"}).status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.histogram("mu_h", "unsorted", {}, {1, 0.5}).status().code(), ErrorCode::kInvalid);
  auto a = r.gauge("mu_a", "A.", {"x"});
  ASSERT_TRUE(a.ok());
  auto again = r.gauge("mu_a", "A.", {"x"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*a, *again);  // the same family
  EXPECT_EQ(r.gauge("mu_a", "A.", {"y"}).status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(r.counter("mu_a", "A.").status().code(), ErrorCode::kInvalid);
  EXPECT_EQ(
      r.collector("mu_a", "A.", Type::kGauge, {}, [] { return std::vector<Sample>{}; }).code(),
      ErrorCode::kInvalid);
  EXPECT_TRUE(r.gauge("ns:sub_metric", "colons are allowed in names").ok());
}

TEST(MetricsTest, CollectorsAreReadAtEachScrape) {
  Registry r;
  double age = 12;
  ASSERT_TRUE(r.collector("mu_board_data_age_seconds", "Age.", Type::kGauge, {"board"}, [&] {
                 return std::vector<Sample>{{{"zhihu.hot"}, age}};
               }).ok());
  EXPECT_NE(r.render().find("mu_board_data_age_seconds{board=\"zhihu.hot\"} 12\n"),
            std::string::npos);
  age = 13.5;
  EXPECT_NE(r.render().find("mu_board_data_age_seconds{board=\"zhihu.hot\"} 13.5\n"),
            std::string::npos);
  r.raw_collector([](Writer& w) {
    w.family("mu_up", "Up.", Type::kGauge);
    w.sample("mu_up", {}, {}, 1);
  });
  EXPECT_NE(r.render().find("# TYPE mu_up gauge\nmu_up 1\n"), std::string::npos);
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  auto c = r.counter("mu_hits_total", "Hits.", {"t"});
  auto h = r.histogram("mu_seconds", "S.", {});
  ASSERT_TRUE(c.ok() && h.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        (*c)->with({std::to_string(t % 2)}).inc();
        (*h)->get().observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*c)->with({"0"}).value() + (*c)->with({"1"}).value(), 40000u);
  EXPECT_EQ((*h)->get().snapshot().count, 40000u);
}

TEST(MetricsTest, TheProcessReportsItsOwnFigures) {
  Registry r;
  export_process_metrics(r);
  const std::string text = r.render();
  for (const char* name :
       {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_open_fds ",
        "process_max_fds ", "process_start_time_seconds ", "process_threads "}) {
    const size_t at = text.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name << " in\n" << text;
    const double v = std::stod(text.substr(at + 1 + std::string(name).size()));
    if (std::string(name) == "process_cpu_seconds_total ") {
      EXPECT_GE(v, 0);  // counted in clock ticks: a fresh test may not have one yet
    } else {
      EXPECT_GT(v, 0) << name;
    }
  }
  // RSS is within reason for a test binary (more than 1 MB, less than 4 GB).
  const size_t rss = text.find("\nprocess_resident_memory_bytes ");
  const double bytes = std::stod(text.substr(rss + 31));
  EXPECT_GT(bytes, 1e6);
  EXPECT_LT(bytes, 4e9);
}

}  // namespace
}  // namespace mu::metrics
