// Cost of planning: a Planner with N boards (70% interval, 30% cron in five zones) asked
// for due slots every simulated minute for 24 hours, as the planning thread would be.
// Timings are printed, never asserted.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <memory>

#include "scheduler/planner.h"

namespace mu {
namespace {

using std::chrono::seconds;

constexpr int64_t kStart = 1'772'884'800;  // 2026-03-07T12:00:00Z: New York's DST change ahead

const char* const kZones[] = {"Asia/Shanghai", "UTC", "America/New_York", "Europe/London",
                              "Asia/Kolkata"};
const char* const kCrons[] = {"*/5 * * * *", "0 * * * *",     "*/7 * * * *",
                              "30 2 * * *",  "15,45 * * * *", "0 9 * * MON-FRI"};
const int64_t kEvery[] = {60, 120, 300, 600, 900, 1800, 3600, 420};

std::unique_ptr<Planner> make_planner(int boards) {
  auto p = std::make_unique<Planner>(Planner::Options{true});
  for (int i = 0; i < boards; ++i) {
    BoardPlan plan;
    plan.board = "s" + std::to_string(i % 500) + ".b" + std::to_string(i);
    plan.jitter = seconds(i % 90);
    if (i % 10 < 3) {
      plan.cron = kCrons[i % 6];
      plan.tz = kZones[i % 5];
    } else {
      plan.every = seconds(kEvery[i % 8]);
    }
    if (!p->apply(plan, 1).ok()) std::abort();
  }
  return p;
}

// Building the plan: parse, hash and heap-insert every board.
void BM_ApplyBoards(benchmark::State& state) {
  const int boards = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto p = make_planner(boards);
    benchmark::DoNotOptimize(p->size());
  }
  state.counters["boards"] = boards;
}
BENCHMARK(BM_ApplyBoards)->Arg(100'000)->Unit(benchmark::kMillisecond);

// 24 simulated hours in 1-minute ticks; every handed-out run finishes at once.
void BM_PlanDayMinuteTicks(benchmark::State& state) {
  const int boards = static_cast<int>(state.range(0));
  int64_t slots = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto p = make_planner(boards);
    state.ResumeTiming();
    slots = 0;
    for (int64_t t = kStart; t < kStart + 86400; t += 60) {
      for (const auto& s : p->take_due(t)) {
        p->finished(s.board);
        ++slots;
      }
    }
    benchmark::DoNotOptimize(slots);
  }
  state.counters["boards"] = boards;
  state.counters["slots"] = static_cast<double>(slots);
  state.counters["slots/s"] =
      benchmark::Counter(static_cast<double>(slots), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PlanDayMinuteTicks)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// The planning thread's pattern: wake exactly when the next slot is due (with jittered
// boards that is nearly every second), take what is due, sleep again. A planner that
// scanned every board per wake-up would pay boards x wake-ups here.
void BM_PlanDayEventDriven(benchmark::State& state) {
  const int boards = static_cast<int>(state.range(0));
  int64_t slots = 0;
  int64_t wakeups = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto p = make_planner(boards);
    state.ResumeTiming();
    slots = 0;
    wakeups = 0;
    int64_t t = kStart;
    while (t < kStart + 86400) {
      for (const auto& s : p->take_due(t)) {
        p->finished(s.board);
        ++slots;
      }
      ++wakeups;
      auto next = p->next_due(t);
      if (!next) break;
      t = std::max(*next, t + 1);
    }
    benchmark::DoNotOptimize(slots);
  }
  state.counters["boards"] = boards;
  state.counters["slots"] = static_cast<double>(slots);
  state.counters["wakeups"] = static_cast<double>(wakeups);
}
BENCHMARK(BM_PlanDayEventDriven)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mu
