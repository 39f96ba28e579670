// The cost alerts add to a board update (issue 13): evaluating every rule against a
// 50-item update, the worst case where every item is new. Goal: 10,000 rules in ≤ 5 ms.
// BM_NoRules is the baseline of the same update with no rule (building the update's
// lookups only). Timings are printed, never asserted.
#include <benchmark/benchmark.h>

#include "notify/matcher.h"

namespace mu {
namespace {

BoardUpdate update_with_new_items(int n) {
  BoardUpdate u;
  u.board = "weibo.hot-search";
  u.site = "weibo";
  u.has_previous = true;
  u.previous_rank["old"] = 1;
  for (int i = 0; i < n; ++i) {
    Item it;
    it.key = "k" + std::to_string(i);
    it.title = "某地发布暴雨橙色预警 第" + std::to_string(i) + "条 OpenAI 发布新模型 热搜话题";
    it.hot = 1e6 - i;
    u.items.push_back(std::move(it));
  }
  return u;
}

std::vector<AlertRule> rules(int n, bool patterns) {
  std::vector<AlertRule> out;
  for (int i = 0; i < n; ++i) {
    AlertRule r;
    r.id = "r" + std::to_string(i);
    // Mostly distinct keywords, some that hit (every 1000th), a few excludes.
    r.keywords = {i % 1000 == 0 ? "暴雨" : "关键词" + std::to_string(i),
                  "word" + std::to_string(i)};
    if (i % 7 == 0) r.exclude = {"演习"};
    if (patterns && i % 100 == 0) r.pattern = "第(1|2)\\d条";
    out.push_back(std::move(r));
  }
  return out;
}

void BM_Evaluate(benchmark::State& state) {
  const RuleSet set = RuleSet::build(rules(static_cast<int>(state.range(0)), state.range(1) != 0));
  const BoardUpdate u = update_with_new_items(50);
  std::size_t hits = 0;
  for (auto _ : state) {
    auto h = set.evaluate(u);
    hits = h.size();
    benchmark::DoNotOptimize(h);
  }
  state.counters["hits"] = static_cast<double>(hits);
}
BENCHMARK(BM_Evaluate)
    ->Args({0, 0})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Args({10000, 1})
    ->Unit(benchmark::kMicrosecond);

void BM_BuildRuleSet(benchmark::State& state) {
  const auto list = rules(static_cast<int>(state.range(0)), true);
  for (auto _ : state) {
    auto set = RuleSet::build(list);
    benchmark::DoNotOptimize(set);
  }
}
BENCHMARK(BM_BuildRuleSet)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mu
