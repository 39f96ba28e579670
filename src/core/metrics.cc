#include "core/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace mu::metrics {

struct Registry::Entry {
  std::string name;
  std::string help;
  Type type = Type::kGauge;
  std::vector<std::string> labels;
  Buckets bounds;
  std::unique_ptr<Family<Counter>> counters;
  std::unique_ptr<Family<Gauge>> gauges;
  std::unique_ptr<Family<Histogram>> histograms;
  std::function<std::vector<Sample>()> collect;
  std::function<void(Writer&)> raw;
};

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kHistogram:
      return "histogram";
    case Type::kGauge:
      break;
  }
  return "gauge";
}

}  // namespace

bool valid_metric_name(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, true)) return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, false)) return false;
  }
  return true;
}

const Buckets& latency_buckets() {
  static const Buckets kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return kBuckets;
}

Histogram::Histogram(const Buckets& bounds)
    : bounds_(bounds), counts_(new std::atomic<uint64_t>[bounds.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  // The first bucket whose upper bound holds v (le is inclusive); the last is +Inf.
  const size_t i =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // count is the +Inf bucket, so that a scrape racing observe() stays consistent.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(v));
    if (ec == std::errc()) return std::string(buf, end);
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Writer::family(std::string_view name, std::string_view help, Type type) {
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += escape_help(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(type);
  out_ += '\n';
}

namespace {

void append_labels(std::string& out, const std::vector<std::string>& labels,
                   const LabelValues& values, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  const size_t n = std::min(labels.size(), values.size());
  if (n == 0 && extra_name.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < n; ++i) {
    if (!first) out += ',';
    first = false;
    out += labels[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

}  // namespace

void Writer::sample(std::string_view name, const std::vector<std::string>& labels,
                    const LabelValues& values, double value) {
  out_ += name;
  append_labels(out_, labels, values);
  out_ += ' ';
  out_ += format_value(value);
  out_ += '\n';
}

void Writer::histogram(std::string_view name, const std::vector<std::string>& labels,
                       const LabelValues& values, const Buckets& bounds,
                       const Histogram::Snapshot& snap) {
  const std::string bucket = std::string(name) + "_bucket";
  for (size_t i = 0; i <= bounds.size() && i < snap.cumulative.size(); ++i) {
    out_ += bucket;
    append_labels(out_, labels, values, "le",
                  i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf"));
    out_ += ' ';
    out_ += format_value(static_cast<double>(snap.cumulative[i]));
    out_ += '\n';
  }
  sample(std::string(name) + "_sum", labels, values, snap.sum);
  sample(std::string(name) + "_count", labels, values, static_cast<double>(snap.count));
}

Registry::Registry() = default;
Registry::~Registry() = default;

Status Registry::claim(const std::string& name, Type type, const std::vector<std::string>& labels,
                       const Buckets* bounds) {
  if (!valid_metric_name(name)) return error(ErrorCode::kInvalid, "bad metric name: " + name);
  if (type == Type::kCounter && !name.ends_with("_total")) {
    return error(ErrorCode::kInvalid, "a counter's name ends in _total: " + name);
  }
  for (const auto& l : labels) {
    if (!valid_label_name(l) || (type == Type::kHistogram && l == "le")) {
      return error(ErrorCode::kInvalid, "bad label name " + l + " in " + name);
    }
  }
  if (bounds != nullptr && !std::is_sorted(bounds->begin(), bounds->end())) {
    return error(ErrorCode::kInvalid, "histogram buckets must increase: " + name);
  }
  return ok_status();
}

Result<Family<Counter>*> Registry::counter(std::string name, std::string help,
                                           std::vector<std::string> labels) {
  MU_RETURN_IF_ERROR(claim(name, Type::kCounter, labels, nullptr));
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name != name) continue;
    if (e->counters && e->labels == labels) return e->counters.get();
    return error(ErrorCode::kInvalid, "metric " + name + " is already defined");
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = std::move(help);
  e->type = Type::kCounter;
  e->labels = labels;
  e->counters.reset(new Family<Counter>(std::move(name), std::move(labels), {}));
  Family<Counter>* out = e->counters.get();
  entries_.push_back(std::move(e));
  return out;
}

Result<Family<Gauge>*> Registry::gauge(std::string name, std::string help,
                                       std::vector<std::string> labels) {
  MU_RETURN_IF_ERROR(claim(name, Type::kGauge, labels, nullptr));
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name != name) continue;
    if (e->gauges && e->labels == labels) return e->gauges.get();
    return error(ErrorCode::kInvalid, "metric " + name + " is already defined");
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = std::move(help);
  e->type = Type::kGauge;
  e->labels = labels;
  e->gauges.reset(new Family<Gauge>(std::move(name), std::move(labels), {}));
  Family<Gauge>* out = e->gauges.get();
  entries_.push_back(std::move(e));
  return out;
}

Result<Family<Histogram>*> Registry::histogram(std::string name, std::string help,
                                               std::vector<std::string> labels,
                                               const Buckets& bounds) {
  MU_RETURN_IF_ERROR(claim(name, Type::kHistogram, labels, &bounds));
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name != name) continue;
    if (e->histograms && e->labels == labels && e->bounds == bounds) return e->histograms.get();
    return error(ErrorCode::kInvalid, "metric " + name + " is already defined");
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = std::move(help);
  e->type = Type::kHistogram;
  e->labels = labels;
  e->bounds = bounds;
  e->histograms.reset(new Family<Histogram>(std::move(name), std::move(labels), bounds));
  Family<Histogram>* out = e->histograms.get();
  entries_.push_back(std::move(e));
  return out;
}

Status Registry::collector(std::string name, std::string help, Type type,
                           std::vector<std::string> labels,
                           std::function<std::vector<Sample>()> collect) {
  if (type == Type::kHistogram) {
    return error(ErrorCode::kInvalid, "a histogram collector writes raw: " + name);
  }
  MU_RETURN_IF_ERROR(claim(name, type, labels, nullptr));
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->name == name)
      return error(ErrorCode::kInvalid, "metric " + name + " is already defined");
  }
  auto e = std::make_unique<Entry>();
  e->name = std::move(name);
  e->help = std::move(help);
  e->type = type;
  e->labels = std::move(labels);
  e->collect = std::move(collect);
  entries_.push_back(std::move(e));
  return ok_status();
}

void Registry::raw_collector(std::function<void(Writer&)> write) {
  std::lock_guard lock(mu_);
  auto e = std::make_unique<Entry>();
  e->raw = std::move(write);
  entries_.push_back(std::move(e));
}

std::string Registry::render() const {
  Writer w;
  std::lock_guard lock(mu_);
  for (const auto& e : entries_) {
    if (e->raw) {
      e->raw(w);
      continue;
    }
    w.family(e->name, e->help, e->type);
    if (e->counters) {
      e->counters->write(w);
    } else if (e->gauges) {
      e->gauges->write(w);
    } else if (e->histograms) {
      e->histograms->write(w);
    } else if (e->collect) {
      for (const Sample& s : e->collect()) w.sample(e->name, e->labels, s.labels, s.value);
    }
  }
  return std::move(w.text());
}

namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces and parentheses):
// index 0 is the state (field 3 of proc(5)).
std::vector<std::string> proc_stat_fields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> out;
  for (std::string f; rest >> f;) out.push_back(f);
  return out;
}

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double v = 0;
      in >> v;
      return v;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double field(const std::vector<std::string>& f, size_t proc_field) {
  const size_t i = proc_field - 3;  // proc(5) numbers fields from 1; ours start at field 3
  if (i >= f.size()) return 0;
  double v = 0;
  std::from_chars(f[i].data(), f[i].data() + f[i].size(), v);
  return v;
}

}  // namespace

void export_process_metrics(Registry& registry) {
  registry.raw_collector([](Writer& w) {
    const std::vector<std::string> f = proc_stat_fields();
    if (f.empty()) return;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    w.family("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
             Type::kCounter);
    w.sample("process_cpu_seconds_total", {}, {}, (field(f, 14) + field(f, 15)) / ticks);
    w.family("process_resident_memory_bytes", "Resident memory size in bytes.", Type::kGauge);
    w.sample("process_resident_memory_bytes", {}, {}, field(f, 24) * page);
    w.family("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::kGauge);
    w.sample("process_virtual_memory_bytes", {}, {}, field(f, 23));
    w.family("process_threads", "Threads of the process.", Type::kGauge);
    w.sample("process_threads", {}, {}, field(f, 20));
    w.family("process_start_time_seconds", "Start time of the process since the Unix epoch.",
             Type::kGauge);
    w.sample("process_start_time_seconds", {}, {}, boot_time_seconds() + field(f, 22) / ticks);
    std::error_code ec;
    double fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    w.family("process_open_fds", "Open file descriptors.", Type::kGauge);
    w.sample("process_open_fds", {}, {}, fds);
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
      w.family("process_max_fds", "The limit on open file descriptors.", Type::kGauge);
      w.sample("process_max_fds", {}, {},
               lim.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                             : static_cast<double>(lim.rlim_cur));
    }
  });
}

}  // namespace mu::metrics
