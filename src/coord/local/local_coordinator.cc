#include "coord/local/local_coordinator.h"

#include <algorithm>

namespace mu {

struct LocalCoordinator::Hub {
  std::mutex mu;
  uint64_t next_id = 1;
  std::vector<std::pair<uint64_t, std::shared_ptr<std::function<void(const BoardUpdated&)>>>>
      subscribers;
};

namespace {

class LocalSubscription final : public Subscription {
 public:
  LocalSubscription(uint64_t id, std::function<void(uint64_t)> remove)
      : id_(id), remove_(std::move(remove)) {}
  ~LocalSubscription() override { remove_(id_); }

 private:
  uint64_t id_;
  std::function<void(uint64_t)> remove_;
};

}  // namespace

LocalCoordinator::LocalCoordinator(int64_t epoch) : epoch_(epoch), hub_(std::make_shared<Hub>()) {}

LocalCoordinator::~LocalCoordinator() = default;

Status LocalCoordinator::publish(const BoardUpdated& event) {
  std::vector<std::shared_ptr<std::function<void(const BoardUpdated&)>>> targets;
  {
    std::lock_guard lock(hub_->mu);
    for (auto& [id, cb] : hub_->subscribers) targets.push_back(cb);
  }
  for (auto& cb : targets) (*cb)(event);
  return ok_status();
}

std::unique_ptr<Subscription> LocalCoordinator::subscribe(
    std::function<void(const BoardUpdated&)> callback) {
  uint64_t id;
  {
    std::lock_guard lock(hub_->mu);
    id = hub_->next_id++;
    hub_->subscribers.emplace_back(
        id, std::make_shared<std::function<void(const BoardUpdated&)>>(std::move(callback)));
  }
  std::weak_ptr<Hub> weak = hub_;
  return std::make_unique<LocalSubscription>(id, [weak](uint64_t sid) {
    if (auto h = weak.lock()) {
      std::lock_guard lock(h->mu);
      std::erase_if(h->subscribers, [sid](const auto& p) { return p.first == sid; });
    }
  });
}

}  // namespace mu
