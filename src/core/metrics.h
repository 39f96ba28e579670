// Metrics in the Prometheus text exposition format (version 0.0.4).
//
// A Registry holds metric families: counters, gauges and histograms that code updates as
// things happen (cheap: a relaxed atomic per update once the labelled child is looked up),
// and scrape-time collectors that read a value when /metrics is asked for (a board's data
// age, the process's RSS, a server's totals). render() writes every family:
//
//   # HELP mu_board_runs_total Runs of a board by outcome (ok or the error code).
//   # TYPE mu_board_runs_total counter
//   mu_board_runs_total{board="weibo.hot-search",outcome="ok"} 12
//
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*
// (checked when a family is made: kInvalid); counters' names end in `_total`. Label
// values and help text are escaped as the format says (\\, \" and \n in values; \\ and \n
// in help). Histograms write cumulative `_bucket{le="…"}` lines ending with le="+Inf",
// then `_sum` and `_count`. Families are written in the order they were made, children
// in label order.
//
// Thread-safety: everything is safe for concurrent use. A child returned by with() lives
// as long as the registry; keep the reference to skip the lookup on hot paths.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/status.h"

namespace mu::metrics {

using LabelValues = std::vector<std::string>;

enum class Type { kCounter, kGauge, kHistogram };

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Upper bounds in increasing order; +Inf is implied.
using Buckets = std::vector<double>;
// 5 ms … 10 s, for request and fetch latencies in seconds.
const Buckets& latency_buckets();

class Histogram {
 public:
  explicit Histogram(const Buckets& bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const Buckets& bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; +1 for +Inf
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

class Writer;

// One family: a name, label names and one child per label values.
template <typename T>
class Family {
 public:
  // The child for these label values (as many as the family's label names; missing ones
  // are "", extra ones ignored), made on first use.
  T& with(const LabelValues& values);
  // The child without labels (a family made with no label names).
  T& get() { return with({}); }

 private:
  friend class Registry;
  Family(std::string name, std::vector<std::string> labels, Buckets bounds)
      : name_(std::move(name)), labels_(std::move(labels)), bounds_(std::move(bounds)) {}
  void write(Writer& w) const;

  const std::string name_;
  const std::vector<std::string> labels_;
  const Buckets bounds_;  // histograms only
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> children_;
};

// What a scrape-time collector writes: samples of one family.
struct Sample {
  LabelValues labels;
  double value = 0;
};

// Writes families in the text format; also used by collectors that know their own samples.
class Writer {
 public:
  // "# HELP" and "# TYPE" lines of a family (once per family).
  void family(std::string_view name, std::string_view help, Type type);
  // One sample line: name{l1="v1",...} value. `labels` and `values` pair up by position.
  void sample(std::string_view name, const std::vector<std::string>& labels,
              const LabelValues& values, double value);
  // The lines of one histogram child (bucket lines with `le`, _sum, _count).
  void histogram(std::string_view name, const std::vector<std::string>& labels,
                 const LabelValues& values, const Buckets& bounds, const Histogram::Snapshot& snap);
  std::string& text() { return out_; }

 private:
  std::string out_;
};

// Formats a sample value as the format wants it: integers without a fraction, +Inf, -Inf,
// NaN, otherwise the shortest text that reads back as the same double.
std::string format_value(double v);
// A label value escaped for the text format (\\, \", \n).
std::string escape_label_value(std::string_view v);

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A family, or kInvalid for a malformed name or label name, a counter without the
  // `_total` suffix, or a name already used (with another type, labels or buckets; asking
  // again for an identical family returns the existing one).
  Result<Family<Counter>*> counter(std::string name, std::string help,
                                   std::vector<std::string> labels = {});
  Result<Family<Gauge>*> gauge(std::string name, std::string help,
                               std::vector<std::string> labels = {});
  Result<Family<Histogram>*> histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       const Buckets& bounds = latency_buckets());

  // A family whose samples are read at each scrape: `collect` returns them (it runs on the
  // scraping thread and must be quick). kInvalid as above.
  Status collector(std::string name, std::string help, Type type, std::vector<std::string> labels,
                   std::function<std::vector<Sample>()> collect);
  // Free-form scrape-time output (several families at once, or histograms) written by
  // `write`; the caller keeps to the format (names are not checked).
  void raw_collector(std::function<void(Writer&)> write);

  // Every family in the text format.
  std::string render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Entry;
  Status claim(const std::string& name, Type type, const std::vector<std::string>& labels,
               const Buckets* bounds);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// The process's own figures, read from /proc at each scrape (Linux; elsewhere nothing):
// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds, process_threads.
void export_process_metrics(Registry& registry);

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

template <typename T>
T& Family<T>::with(const LabelValues& values) {
  LabelValues key(labels_.size());
  for (size_t i = 0; i < key.size() && i < values.size(); ++i) key[i] = values[i];
  std::lock_guard lock(mu_);
  std::unique_ptr<T>& child = children_[key];
  if (!child) {
    if constexpr (std::is_same_v<T, Histogram>) {
      child = std::make_unique<Histogram>(bounds_);
    } else {
      child = std::make_unique<T>();
    }
  }
  return *child;
}

template <typename T>
void Family<T>::write(Writer& w) const {
  std::lock_guard lock(mu_);
  for (const auto& [values, child] : children_) {
    if constexpr (std::is_same_v<T, Histogram>) {
      w.histogram(name_, labels_, values, bounds_, child->snapshot());
    } else {
      w.sample(name_, labels_, values, static_cast<double>(child->value()));
    }
  }
}

}  // namespace mu::metrics
