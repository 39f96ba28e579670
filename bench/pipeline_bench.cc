// Costs of the work done once per board update (normalize, rank, render + gzip) and of
// planning, so they can be compared with the cost of serving one request.
#include <benchmark/benchmark.h>

#include "pipeline/normalize.h"
#include "pipeline/rank.h"
#include "pipeline/render.h"
#include "scheduler/planner.h"

namespace mu {
namespace {

std::vector<Item> sample_items(int n) {
  std::vector<Item> items;
  for (int i = 0; i < n; ++i) {
    Item it;
    it.key = "话题" + std::to_string(i);
    it.title = "  某地发布暴雨橙色预警 第" + std::to_string(i) + "条 热搜话题  ";
    it.url = "https://s.weibo.com/weibo?q=%23" + std::to_string(i) + "%23";
    it.hot = 1000000.0 - i * 1000;
    it.hot_text = std::to_string(100 - i) + "万";
    it.label = i % 5 == 0 ? "热" : "";
    items.push_back(it);
  }
  return items;
}

void BM_NormalizeRankRender50(benchmark::State& state) {
  Site site{"weibo", "微博", "Weibo", "https://weibo.com", "", "#e6162d", "cn"};
  BoardMeta meta;
  meta.id = "weibo.hot-search";
  meta.site = "weibo";
  BoardState st;
  st.version = 1;
  auto raw = sample_items(50);
  std::vector<std::string> prev;
  for (int i = 49; i >= 0; --i) prev.push_back("话题" + std::to_string(i));
  for (auto _ : state) {
    auto items = normalize_items(raw);
    auto ranked = rank_items(items, true, prev, {}, 0);
    auto body = render_board(site, meta, st, ranked);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_NormalizeRankRender50);

void BM_PlanDay(benchmark::State& state) {
  const int boards = static_cast<int>(state.range(0));
  for (auto _ : state) {
    Planner p;
    for (int i = 0; i < boards; ++i) {
      p.upsert({"s.b" + std::to_string(i), std::chrono::seconds(60 * (1 + i % 15)),
                std::chrono::seconds(30), true});
    }
    int64_t n = 0;
    for (int64_t t = 1'767'225'600; t < 1'767'225'600 + 86400; t += 60) {
      n += static_cast<int64_t>(p.take_due(t).size());
    }
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_PlanDay)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mu
