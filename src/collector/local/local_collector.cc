#include "collector/local/local_collector.h"

#include <algorithm>

#include "pipeline/normalize.h"

namespace mu {
namespace {

// Wraps the shared Transport for one dispatch: counts bytes, remembers the last HTTP
// status and clamps every request to the dispatch deadline.
class MeteredTransport final : public Transport {
 public:
  MeteredTransport(Transport& inner, const Clock& clock, MonoTime deadline, std::string proxy)
      : inner_(inner), clock_(clock), deadline_(deadline), proxy_(std::move(proxy)) {}

  Result<HttpResponse> fetch(const HttpRequest& request) override {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - clock_.mono());
    if (left.count() <= 0) {
      return error(ErrorCode::kTimeout, "dispatch deadline passed before " + request.url);
    }
    HttpRequest clamped = request;
    clamped.timeout = std::min(request.timeout, left);
    if (clamped.proxy.empty()) clamped.proxy = proxy_;
    auto resp = inner_.fetch(clamped);
    if (resp.ok()) {
      bytes_ += static_cast<int64_t>(resp->body.size());
      last_status_ = resp->status;
    }
    return resp;
  }

  int64_t bytes() const { return bytes_; }
  int last_status() const { return last_status_; }

 private:
  Transport& inner_;
  const Clock& clock_;
  MonoTime deadline_;
  std::string proxy_;  // the dispatch's proxy ("": the transport's)
  int64_t bytes_ = 0;
  int last_status_ = 0;
};

}  // namespace

LocalCollector::LocalCollector(const SourceRegistry& registry, Transport& transport,
                               const Clock& clock, Options options)
    : registry_(registry), transport_(transport), clock_(clock), options_(std::move(options)) {}

Result<CollectOutcome> LocalCollector::collect(const Dispatch& dispatch) {
  const Source* source = registry_.find(dispatch.board);
  if (source == nullptr) {
    return error(ErrorCode::kNotFound, "no source for board " + dispatch.board)
        .with_origin(options_.name);
  }
  CollectOutcome out;
  out.collector = options_.name;
  out.started_ms = clock_.now_ms();
  const std::chrono::milliseconds budget =
      dispatch.timeout.count() > 0 ? dispatch.timeout
                                   : std::chrono::milliseconds(source->meta().schedule.timeout);
  MeteredTransport metered(transport_, clock_, clock_.mono() + budget, dispatch.proxy);
  // The console's secrets win over the configured ones (a fresh cookie replaces a stale one).
  std::map<std::string, std::string> merged;
  const std::map<std::string, std::string>* secrets = &options_.secrets;
  if (!dispatch.secrets.empty()) {
    merged = options_.secrets;
    for (const auto& [name, value] : dispatch.secrets) merged[name] = value;
    secrets = &merged;
  }
  SourceContext ctx{metered, clock_, secrets};
  auto items = source->collect(ctx);
  out.finished_ms = clock_.now_ms();
  out.http_status = metered.last_status();
  out.bytes = metered.bytes();
  if (!items.ok()) {
    // Sources usually name their board already; never say it twice.
    const Status& st = items.status();
    if (st.message().rfind(dispatch.board + ": ", 0) == 0) return st.with_origin(options_.name);
    return st.with_context(dispatch.board).with_origin(options_.name);
  }
  NormalizeReport report;
  out.items = normalize_items(std::move(items).value(), &report);
  out.dropped = report.dropped();
  if (out.items.empty()) {
    return error(ErrorCode::kParse, dispatch.board + ": no valid items after normalization (" +
                                        std::to_string(report.dropped()) + " dropped)")
        .with_origin(options_.name);
  }
  return out;
}

}  // namespace mu
