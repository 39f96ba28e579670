#include "app/source_workbench.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "core/utf8.h"
#include "sources/spec/spec_loader.h"

namespace mu {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kExtension = ".toml";
constexpr std::size_t kMaxPreviewThreads = 4;

constexpr char kExample[] =
    R"(# 示例：用 RSS 订阅一个网站。把 id、名称和网址换成你自己的，先“测试”，再保存。
# Example: follow a site through its RSS feed. Replace the ids, names and URLs with your
# own, press "Test", then save. Format: docs/spec-sources.md.
# 保存后，新的榜单在下次启动 Mu 时加载。/ Saved boards load at the next start of Mu.

[site]
id = "example-blog"         # [a-z0-9-]+；不能与已有站点重复 / must not be an existing site
name_zh = "示例博客"
name_en = "Example Blog"
home = "https://blog.example.com"
region = "global"           # "cn"（国内）| "global"
category = "tech"           # 首页分类 / home tab: general tech finance entertainment world community life

[[boards]]
id = "example-blog.posts"   # "<站点>.<榜单>" / "<site>.<board>"
name_zh = "最新文章"
name_en = "Latest posts"
kind = "stream"             # stream：新条目追加 / new items append；rank：每次替换 / each fetch replaces
every = "30m"               # 抓取间隔 / how often to fetch (1m..24h)
homepage = "https://blog.example.com/"
notes = "RSS 2.0 feed, about 20 posts."

[boards.request]
url = "https://blog.example.com/feed.xml"

[boards.parse]
type = "feed"               # RSS、Atom、JSON Feed 自动识别 / detected from the body
limit = 30                  # 最多保留条数 / keep at most this many items
)";

// Every problem of a spec that does not validate, one per line.
std::string joined_errors(const ParsedSpec& spec) {
  std::string out;
  for (const Status& e : spec.errors) {
    if (!out.empty()) out += '\n';
    out += e.message();
  }
  return out;
}

std::vector<std::string> board_ids(const ParsedSpec& spec) {
  std::vector<std::string> ids;
  ids.reserve(spec.sources.size());
  for (const auto& source : spec.sources) ids.push_back(source->meta().id);
  return ids;
}

// What load_spec_dir will do with one file.
struct LoadOutcome {
  Status status;                    // ok when it loads
  std::vector<std::string> boards;  // the boards that validated
};

// Replays load_spec_dir over `files` (sorted by name) on top of the built-in ids, without
// building any source registry: one outcome per file, in the same order.
template <typename File>
std::vector<LoadOutcome> simulate_load(const std::vector<File>& files, const BuiltinIds& builtins) {
  std::map<std::string, std::string, std::less<>> user_sites;   // id -> file that defines it
  std::map<std::string, std::string, std::less<>> user_boards;  // id -> file that defines it
  auto owner = [&](const std::set<std::string, std::less<>>& builtin,
                   const std::map<std::string, std::string, std::less<>>& user,
                   const std::string& id) -> std::string {
    if (builtin.contains(id)) return "a built-in source";
    auto it = user.find(id);
    return it == user.end() ? std::string() : it->second;
  };
  std::vector<LoadOutcome> out;
  out.reserve(files.size());
  for (const File& file : files) {
    LoadOutcome& outcome = out.emplace_back();
    if (!file.read_error.ok()) {
      outcome.status = file.read_error;
      continue;
    }
    ParsedSpec spec = parse_spec(file.text, file.file_name);
    outcome.boards = board_ids(spec);
    if (!spec.ok()) {
      outcome.status = error(ErrorCode::kInvalid, joined_errors(spec));
      continue;
    }
    if (spec.site) {
      if (std::string by = owner(builtins.sites, user_sites, spec.site->id); !by.empty()) {
        outcome.status = error(ErrorCode::kConflict, file.file_name + ": site \"" + spec.site->id +
                                                         "\" is already registered by " + by);
        continue;
      }
    }
    for (const auto& source : spec.sources) {
      const BoardMeta& meta = source->meta();
      if (std::string by = owner(builtins.boards, user_boards, meta.id); !by.empty()) {
        outcome.status = error(ErrorCode::kConflict, file.file_name + ": board \"" + meta.id +
                                                         "\" is already registered by " + by);
        break;
      }
      if (!spec.site && !builtins.sites.contains(meta.site) && !user_sites.contains(meta.site)) {
        outcome.status =
            error(ErrorCode::kInvalid, file.file_name + ": board \"" + meta.id + "\": site \"" +
                                           meta.site + "\" is not registered (add a [site] table)");
        break;
      }
    }
    if (!outcome.status.ok()) continue;
    if (spec.site) user_sites.emplace(spec.site->id, file.file_name);
    for (const std::string& id : outcome.boards) user_boards.emplace(id, file.file_name);
  }
  return out;
}

// A file descriptor closed on destruction.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports close()'s error (a delayed write error shows up there).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

Status write_failed(const fs::path& path, std::string_view what, int err) {
  return error(ErrorCode::kUnavailable,
               "cannot " + std::string(what) + " " + path.string() + ": " + errno_text(err));
}

// Writes `text` to a new file `path` and flushes it to disk.
Status write_new_file(const fs::path& path, std::string_view text) {
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return write_failed(path, "create", errno);
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return write_failed(path, "write", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return write_failed(path, "flush", errno);
  if (fd.close() != 0) return write_failed(path, "close", errno);
  return ok_status();
}

// Makes a rename in `dir` durable (best effort: not every file system supports it).
void sync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

std::string temp_suffix() {
  std::random_device random;
  std::ostringstream out;
  out << std::hex << random() << random();
  return out.str();
}

}  // namespace

BuiltinIds builtin_ids(const SourceRegistry& registry) {
  BuiltinIds ids;
  for (const Site& site : registry.sites()) ids.sites.insert(site.id);
  for (const Source* source : registry.boards()) ids.boards.insert(source->meta().id);
  return ids;
}

bool is_valid_spec_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
  });
}

FileSourceWorkbench::FileSourceWorkbench(fs::path dir, Transport& transport, const Clock& clock,
                                         const std::map<std::string, std::string>* secrets,
                                         BuiltinIds builtins)
    : dir_(std::move(dir)),
      transport_(transport),
      clock_(clock),
      secrets_(secrets),
      builtins_(std::move(builtins)) {}

std::string FileSourceWorkbench::dir() const { return dir_.string(); }

bool FileSourceWorkbench::writable() const {
  std::error_code ec;
  fs::path path = fs::absolute(dir_, ec);
  if (ec) return false;
  while (true) {
    const fs::file_status st = fs::status(path, ec);
    if (fs::exists(st)) {
      return fs::is_directory(st) && ::access(path.c_str(), W_OK | X_OK) == 0;
    }
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return false;  // e.g. a component is a regular file, or no permission to look
    }
    if (!path.has_relative_path()) return false;  // the root does not exist?
    path = path.parent_path();
  }
}

std::string FileSourceWorkbench::example() const { return kExample; }

Result<std::vector<FileSourceWorkbench::File>> FileSourceWorkbench::read_files() const {
  auto entries = read_spec_dir(dir_);
  if (!entries.ok()) return error(ErrorCode::kUnavailable, entries.error_message());
  std::vector<File> files;
  files.reserve(entries->size());
  for (auto& entry : *entries) {
    File& file = files.emplace_back();
    file.file_name = std::move(entry.name);
    file.text = std::move(entry.text);
    file.read_error = std::move(entry.error);
  }
  return files;
}

Result<std::vector<SourceWorkbench::Spec>> FileSourceWorkbench::list() const {
  MU_ASSIGN_OR_RETURN(std::vector<File> files, read_files());
  std::vector<LoadOutcome> outcomes = simulate_load(files, builtins_);
  std::vector<Spec> specs;
  specs.reserve(files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    Spec& spec = specs.emplace_back();
    spec.name = files[i].file_name.substr(0, files[i].file_name.size() - kExtension.size());
    spec.text = std::move(files[i].text);
    spec.boards = std::move(outcomes[i].boards);
    spec.error = outcomes[i].status.ok() ? std::string() : outcomes[i].status.message();
  }
  return specs;
}

Result<std::vector<SourceWorkbench::Preview>> FileSourceWorkbench::test(
    std::string_view text) const {
  const ParsedSpec spec = parse_spec(text, "spec.toml");
  if (!spec.ok()) return error(ErrorCode::kInvalid, joined_errors(spec));

  std::vector<Preview> previews(spec.sources.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < spec.sources.size(); i = next++) {
      const Source& source = *spec.sources[i];
      Preview& preview = previews[i];
      preview.board = source.meta().id;
      preview.name = source.meta().name_en.empty() ? source.meta().name_zh : source.meta().name_en;
      const SourceContext ctx{transport_, clock_, secrets_};
      const MonoTime start = clock_.mono();
      Result<std::vector<Item>> items = source.collect(ctx);
      preview.elapsed_ms = std::chrono::duration_cast<Millis>(clock_.mono() - start).count();
      if (items.ok()) {
        preview.items = std::move(items).value();
      } else {
        preview.error = items.status();
      }
    }
  };
  const std::size_t threads = std::min(kMaxPreviewThreads, spec.sources.size());
  {
    std::vector<std::jthread> workers;
    for (std::size_t i = 1; i < threads; ++i) workers.emplace_back(work);
    work();
  }  // joins the workers
  return previews;
}

Result<std::string> FileSourceWorkbench::save(const std::string& name, std::string_view text) {
  if (!is_valid_spec_name(name)) {
    return error(ErrorCode::kInvalid, "spec name \"" + name + "\": use 1-64 of a-z, 0-9 and '-'");
  }
  if (text.size() > kMaxSpecFileBytes || find_invalid_utf8(text)) {
    // What load_spec_dir would refuse to read back.
    return error(ErrorCode::kInvalid, "spec \"" + name +
                                          "\": spec files are UTF-8 text of at most " +
                                          std::to_string(kMaxSpecFileBytes >> 20) + " MiB");
  }
  const std::string file_name = name + std::string(kExtension);
  std::lock_guard lock(save_mu_);

  // What loads now, and what would load with the new text in place.
  MU_ASSIGN_OR_RETURN(std::vector<File> files, read_files());
  const std::vector<LoadOutcome> before = simulate_load(files, builtins_);
  std::vector<File> after_files;
  after_files.reserve(files.size() + 1);
  std::vector<const LoadOutcome*> before_of;  // per after_files entry; null for the new file
  bool placed = false;
  for (std::size_t i = 0; i <= files.size(); ++i) {
    if (!placed && (i == files.size() || files[i].file_name >= file_name)) {
      after_files.push_back(File{file_name, std::string(text), ok_status()});
      before_of.push_back(nullptr);
      placed = true;
      if (i < files.size() && files[i].file_name == file_name) continue;  // replaced
    }
    if (i < files.size()) {
      after_files.push_back(files[i]);
      before_of.push_back(&before[i]);
    }
  }
  const std::vector<LoadOutcome> after = simulate_load(after_files, builtins_);
  for (std::size_t i = 0; i < after_files.size(); ++i) {
    if (before_of[i] == nullptr && !after[i].status.ok()) return after[i].status;
  }
  for (std::size_t i = 0; i < after_files.size(); ++i) {
    if (before_of[i] != nullptr && before_of[i]->status.ok() && !after[i].status.ok()) {
      return error(ErrorCode::kConflict, file_name + ": saving it would stop " +
                                             after_files[i].file_name +
                                             " from loading: " + after[i].status.message());
    }
  }

  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    return error(ErrorCode::kUnavailable, "cannot create " + dir_.string() + ": " + ec.message());
  }
  const fs::path target = dir_ / file_name;
  // Not *.toml, so a loader running meanwhile never picks it up.
  const fs::path temp = dir_ / ("." + file_name + "." + temp_suffix() + ".tmp");
  if (Status s = write_new_file(temp, text); !s.ok()) {
    fs::remove(temp, ec);
    return s;
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    fs::remove(temp, ec);
    return write_failed(target, "replace", err);
  }
  sync_dir(dir_);
  return target.string();
}

}  // namespace mu
