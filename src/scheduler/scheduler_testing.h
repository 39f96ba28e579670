// Test doubles for the scheduler tests (not part of mu_scheduler): an in-memory Store with
// the fencing, exactly-once and run-history rules of the real ones, and a Collector whose
// answers are scripted per board. Both are safe for concurrent use.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "collector/collector.h"
#include "core/clock.h"
#include "store/store.h"

namespace mu::testing_support {

class FakeStore final : public Store {
 public:
  Status migrate() override { return ok_status(); }
  Status sync_catalogue(const std::vector<Site>&, const std::vector<BoardMeta>&) override {
    return ok_status();
  }
  Result<int64_t> commit_snapshot(const CommitRequest& r) override {
    std::lock_guard lock(mu);
    if (commit_failures > 0) {
      --commit_failures;
      return error(ErrorCode::kUnavailable, "database is locked");
    }
    if (r.epoch < fence) return error(ErrorCode::kFenced, "old epoch");
    fence = r.epoch;
    if (!committed.insert(r.dispatch_id).second) return error(ErrorCode::kConflict, "dup");
    auto& st = states[r.board];
    st.board = r.board;
    st.version = ++next_version;
    st.fetched_at_ms = r.stats.finished_ms;
    st.last_run_at_ms = r.stats.finished_ms;
    st.stale = false;
    st.last_error_code.clear();
    commits_per_board[r.board]++;
    last_items[r.board] = r.items;
    record_run(r.board, r.dispatch_id, r.slot, r.epoch, "ok", r.stats);
    return st.version;
  }
  Status record_failure(const FailureRecord& f) override {
    std::lock_guard lock(mu);
    if (record_failures > 0) {
      --record_failures;
      return error(ErrorCode::kUnavailable, "database is locked");
    }
    failures.push_back(f);
    auto& st = states[f.board];
    st.board = f.board;
    st.last_run_at_ms = f.stats.finished_ms;
    st.stale = true;
    st.last_error_code = std::string(error_code_name(f.error.code()));
    record_run(f.board, f.dispatch_id, f.slot, f.epoch, st.last_error_code, f.stats);
    return ok_status();
  }
  Result<std::optional<BoardView>> board_view(const std::string& b) override {
    std::lock_guard lock(mu);
    auto it = last_items.find(b);
    if (it == last_items.end()) return std::optional<BoardView>();
    BoardView v;
    v.snapshot.board = b;
    v.snapshot.items = it->second;
    return std::optional<BoardView>(std::move(v));
  }
  Result<std::vector<BoardState>> board_states() override {
    std::lock_guard lock(mu);
    if (states_failures > 0) {
      --states_failures;
      return error(ErrorCode::kUnavailable, "store down");
    }
    std::vector<BoardState> out;
    for (auto& [k, v] : states) out.push_back(v);
    return out;
  }
  Result<BoardState> board_state(const std::string& b) override {
    std::lock_guard lock(mu);
    return states[b];
  }
  // Only the newest run of each board is kept (enough for load_state).
  Result<std::vector<RunRecord>> runs(const std::string& board, int limit) override {
    std::lock_guard lock(mu);
    std::vector<RunRecord> out;
    if (!keep_runs || limit < 1) return out;
    if (auto it = last_run.find(board); it != last_run.end()) out.push_back(it->second);
    return out;
  }
  Result<int64_t> prune_snapshots(int) override {
    std::lock_guard lock(mu);
    ++prunes;
    return int64_t{0};
  }
  Result<std::vector<RunTally>> run_tallies(int64_t, int64_t) override {
    return std::vector<RunTally>();
  }
  Result<int64_t> prune_runs(int64_t before_ms) override {
    std::lock_guard lock(mu);
    runs_pruned_before.push_back(before_ms);
    return int64_t{0};
  }
  Result<int64_t> fence_epoch() override {
    std::lock_guard lock(mu);
    return fence;
  }
  Result<int64_t> raise_fence(int64_t epoch) override {
    std::lock_guard lock(mu);
    ++fence_raises;
    if (fence_failures > 0) {
      --fence_failures;
      return error(ErrorCode::kUnavailable, "lock timeout");
    }
    fence = std::max(fence, epoch);
    return fence;
  }
  Result<int64_t> put_board_override(const std::string& board, int64_t expected,
                                     const std::string& json, int64_t now_ms) override {
    std::lock_guard lock(mu);
    BoardOverrideRecord& r = overrides[board];
    if (r.version != expected) return error(ErrorCode::kConflict, "override version");
    r = BoardOverrideRecord{board, expected + 1, json, now_ms};
    return r.version;
  }
  // Alerts are not used by the scheduler: every call fails.
  Status put_document(const UserDocument&, int64_t) override { return no_accounts(); }
  Result<bool> delete_document(std::string_view, const std::string&, int64_t) override {
    return no_accounts();
  }
  Result<std::vector<UserDocument>> documents(std::string_view, int64_t) override {
    return no_accounts();
  }
  Result<std::optional<UserDocument>> document(std::string_view, const std::string&) override {
    return no_accounts();
  }
  Result<int64_t> document_revision(std::string_view) override { return no_accounts(); }
  Result<int64_t> record_matches(const std::vector<NewMatch>&,
                                 const std::optional<AlertCursor>&) override {
    return no_accounts();
  }
  Result<int64_t> alert_cursor(const std::string&) override { return no_accounts(); }
  Result<std::vector<DeliveryRecord>> claim_deliveries(int64_t, int64_t, int) override {
    return no_accounts();
  }
  Status update_delivery(const DeliveryUpdate&) override { return no_accounts(); }
  Result<std::vector<DeliveryRecord>> deliveries(const DeliveryQuery&) override {
    return no_accounts();
  }
  Result<std::vector<AlertMatch>> alert_matches(const std::string&, int) override {
    return no_accounts();
  }
  Result<int64_t> prune_alerts(int64_t) override { return no_accounts(); }
  Status put_credential(const CredentialRecord&) override { return no_accounts(); }
  Result<bool> delete_credential(const std::string&) override { return no_accounts(); }
  Result<std::vector<CredentialRecord>> credentials() override { return no_accounts(); }
  Result<std::vector<BoardOverrideRecord>> board_overrides() override {
    std::lock_guard lock(mu);
    if (overrides_failures > 0) {
      --overrides_failures;
      return error(ErrorCode::kUnavailable, "store down");
    }
    std::vector<BoardOverrideRecord> out;
    for (const auto& [_, r] : overrides) out.push_back(r);
    return out;
  }
  Result<std::optional<BoardOverrideRecord>> board_override(const std::string& board) override {
    std::lock_guard lock(mu);
    auto it = overrides.find(board);
    if (it == overrides.end()) return std::optional<BoardOverrideRecord>();
    return std::optional<BoardOverrideRecord>(it->second);
  }
  // Accounts are not used by the scheduler: every call fails.
  Result<User> upsert_user(const std::string&, const std::string&, const std::string&,
                           const std::string&, const std::string&, int64_t) override {
    return no_accounts();
  }
  Result<std::optional<User>> user_by_id(int64_t) override { return no_accounts(); }
  Result<std::optional<User>> user_by_login(const std::string&) override { return no_accounts(); }
  Status set_role(int64_t, const std::string&) override { return no_accounts(); }
  Result<int64_t> count_admins() override { return no_accounts(); }
  Result<std::vector<User>> list_users() override { return no_accounts(); }
  Status create_session(const std::string&, int64_t, const std::string&, int64_t, int64_t,
                        const std::string&) override {
    return no_accounts();
  }
  Result<std::optional<Session>> session(const std::string&, int64_t) override {
    return no_accounts();
  }
  Status touch_session(const std::string&, int64_t, int64_t) override { return no_accounts(); }
  Status delete_session(const std::string&) override { return no_accounts(); }
  Result<int64_t> delete_user_sessions(int64_t) override { return no_accounts(); }
  Result<int64_t> count_active_sessions(int64_t) override { return no_accounts(); }
  Result<bool> add_favorite(const Favorite&, int64_t) override { return no_accounts(); }
  Result<bool> remove_favorite(int64_t, const std::string&, const std::string&) override {
    return no_accounts();
  }
  Result<std::vector<Favorite>> favorites(int64_t, const FavoriteQuery&) override {
    return no_accounts();
  }
  Result<std::vector<std::string>> favorite_keys(int64_t, const std::string&) override {
    return no_accounts();
  }
  Result<int64_t> put_preferences(int64_t, int64_t, const std::string&, int64_t) override {
    return no_accounts();
  }
  Result<std::optional<PreferencesRecord>> preferences(int64_t) override { return no_accounts(); }
  Result<int64_t> append_audit(const AuditRecord&) override { return no_accounts(); }
  Result<std::vector<AuditRecord>> audit_log(int, int64_t) override { return no_accounts(); }
  Status put_login_state(const std::string&, const std::string&, const std::string&, int64_t,
                         const LoginStateLimits&) override {
    return no_accounts();
  }
  Result<int64_t> count_login_states() override { return no_accounts(); }
  Result<std::optional<LoginStateRecord>> take_login_state(const std::string&, int64_t) override {
    return no_accounts();
  }
  Status create_api_key(const ApiKeyRecord&, int64_t) override { return no_accounts(); }
  Result<std::vector<ApiKeyRecord>> api_keys(int64_t) override { return no_accounts(); }
  Result<std::optional<ApiKeyRecord>> api_key_by_hash(const std::string&) override {
    return no_accounts();
  }
  Result<bool> revoke_api_key(const std::string&, int64_t, int64_t) override {
    return no_accounts();
  }
  Status set_api_key_limits(const std::string&, int64_t, int64_t) override { return no_accounts(); }
  Status add_api_key_usage(const std::vector<ApiKeyUsage>&) override { return no_accounts(); }
  Status put_presence(const std::string&, int64_t, int64_t) override { return no_accounts(); }
  Result<int64_t> count_presence(int64_t) override { return no_accounts(); }
  // History is not used by the scheduler: every call fails.
  Result<SearchResult> search(const SearchRequest&) override { return no_history(); }
  Result<std::optional<ItemTimeline>> item_timeline(const std::string&, const std::string&,
                                                    int) override {
    return no_history();
  }
  Result<std::optional<BoardAt>> board_at(const std::string&, int64_t) override {
    return no_history();
  }
  Result<std::vector<DayEntry>> window_entries(const std::string&, int64_t, int64_t, int) override {
    return no_history();
  }
  Result<int64_t> compact_history(int64_t, int64_t) override { return no_history(); }

  std::mutex mu;
  int64_t fence = 0;
  int64_t next_version = 0;
  int prunes = 0;
  std::vector<int64_t> runs_pruned_before;  // prune_runs cutoffs, in call order
  int commit_failures = 0;
  int record_failures = 0;     // record_failure calls that fail with kUnavailable
  int fence_failures = 0;      // raise_fence() calls that fail (kUnavailable) before one works
  int fence_raises = 0;        // raise_fence() calls
  int states_failures = 0;     // board_states() calls that fail (load_state)
  int overrides_failures = 0;  // board_overrides() calls that fail (reconcile)
  bool keep_runs = true;       // false: runs() answers nothing, as a store without history
  std::set<std::string> committed;
  std::map<std::string, BoardOverrideRecord> overrides;
  std::map<std::string, int> commits_per_board;
  std::map<std::string, std::vector<Item>> last_items;
  std::map<std::string, BoardState> states;
  std::map<std::string, RunRecord> last_run;
  std::vector<FailureRecord> failures;

 private:
  static Status no_accounts() {
    return error(ErrorCode::kInternal, "FakeStore does not implement accounts");
  }
  static Status no_history() {
    return error(ErrorCode::kUnavailable, "FakeStore does not implement history");
  }
  void record_run(const std::string& board, const std::string& id, int64_t slot, int64_t epoch,
                  const std::string& status, const RunStats& stats) {
    RunRecord& r = last_run[board];
    r.dispatch_id = id;
    r.board = board;
    r.slot = slot;
    r.epoch = epoch;
    r.status = status;
    r.stats = stats;
  }
};

// Collector whose answer per board is scripted: a queue of errors, then success. `during`
// runs inside collect() (e.g. to call the scheduler re-entrantly, as a concurrent admin
// request would, or to let time pass while the fetch runs).
class ScriptedCollector final : public Collector {
 public:
  explicit ScriptedCollector(const Clock& clock) : clock_(clock) {}
  Result<CollectOutcome> collect(const Dispatch& d) override {
    std::function<void(const Dispatch&)> hook;
    {
      std::lock_guard lock(mu_);
      calls.push_back(d);
      call_times_ms.push_back(clock_.now_ms());
      hook = during;
    }
    if (hook) hook(d);
    std::lock_guard lock(mu_);
    auto& q = errors[d.board];
    if (!q.empty()) {
      Status s = q.front();
      q.erase(q.begin());
      return s;
    }
    CollectOutcome out;
    auto& scripted = items[d.board];
    if (!scripted.empty()) {
      out.items = scripted.front();
      scripted.erase(scripted.begin());
    } else {
      Item it;
      it.key = "k";
      it.title = "t";
      it.url = "https://example.com/";
      out.items = {it};
    }
    out.started_ms = out.finished_ms = clock_.now_ms();
    return out;
  }
  std::map<std::string, std::vector<Status>> errors;
  std::map<std::string, std::vector<std::vector<Item>>> items;  // per call, then a default
  std::vector<Dispatch> calls;
  std::vector<int64_t> call_times_ms;  // clock time of each call
  std::function<void(const Dispatch&)> during;

 private:
  std::mutex mu_;
  const Clock& clock_;
};

}  // namespace mu::testing_support
