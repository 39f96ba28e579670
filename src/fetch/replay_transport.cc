#include "fetch/replay_transport.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

namespace mu {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) {
    if (!field.empty()) out.push_back(field);
  }
  return out;
}

Result<std::string> read_file(const std::filesystem::path& path, size_t cap) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return error(ErrorCode::kNotFound, "replay: cannot read " + path.string());
  std::string data;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    data.append(buf, static_cast<size_t>(in.gcount()));
    if (data.size() > cap) {
      return error(ErrorCode::kTooLarge, "replay: body of " + path.filename().string() +
                                             " exceeds " + std::to_string(cap) + " bytes");
    }
  }
  return data;
}

}  // namespace

Status ReplayTransport::parse_map(const std::filesystem::path& map_file, std::vector<Entry>& out) {
  std::ifstream in(map_file);
  if (!in) return error(ErrorCode::kNotFound, "replay: cannot read " + map_file.string());
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto fields = split_fields(line);
    auto where = map_file.string() + ":" + std::to_string(line_no);
    if (fields.size() < 3 || fields.size() > 5) {
      return error(ErrorCode::kConfig,
                   where + ": expected METHOD<TAB>URL<TAB>FILE[<TAB>STATUS[<TAB>TYPE]]");
    }
    Entry e;
    e.method = fields[0];
    e.url = fields[1];
    if (!e.url.empty() && e.url.back() == '*') {
      e.prefix = true;
      e.url.pop_back();
    }
    e.file = map_file.parent_path() / fields[2];
    if (fields.size() >= 4) {
      const std::string& text = fields[3];
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), e.status);
      if (ec != std::errc() || ptr != text.data() + text.size() || e.status < 100 ||
          e.status > 599) {
        return error(ErrorCode::kConfig,
                     where + ": STATUS must be a number in 100..599, got " + text);
      }
    }
    if (fields.size() == 5) e.content_type = fields[4];
    out.push_back(std::move(e));
  }
  return ok_status();
}

Result<std::unique_ptr<ReplayTransport>> ReplayTransport::load(
    const std::vector<std::filesystem::path>& roots) {
  std::unique_ptr<ReplayTransport> t(new ReplayTransport());  // private constructor
  for (const auto& root : roots) {
    std::error_code ec;
    if (!std::filesystem::exists(root, ec)) {
      return error(ErrorCode::kNotFound, "replay: no such directory " + root.string());
    }
    if (std::filesystem::is_regular_file(root, ec)) {
      MU_RETURN_IF_ERROR(parse_map(root, t->entries_));
      continue;
    }
    std::vector<std::filesystem::path> maps;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code type_ec;
      if (it->path().filename() == "replay.tsv" && it->is_regular_file(type_ec)) {
        maps.push_back(it->path());
      }
    }
    if (ec) {
      return error(ErrorCode::kConfig,
                   "replay: cannot read directory " + root.string() + ": " + ec.message());
    }
    std::sort(maps.begin(), maps.end());
    for (const auto& m : maps) MU_RETURN_IF_ERROR(parse_map(m, t->entries_));
  }
  return t;
}

Result<HttpResponse> ReplayTransport::fetch(const HttpRequest& request) {
  const Entry* best = nullptr;
  for (const auto& e : entries_) {
    if (e.method != request.method) continue;
    if (!e.prefix) {
      if (e.url == request.url) {
        best = &e;
        break;
      }
    } else if (request.url.compare(0, e.url.size(), e.url) == 0) {
      if (best == nullptr || (best->prefix && e.url.size() > best->url.size())) best = &e;
    }
  }
  if (best == nullptr) {
    return error(ErrorCode::kNotFound,
                 "replay: no fixture for " + request.method + " " + request.url);
  }
  MU_ASSIGN_OR_RETURN(std::string body, read_file(best->file, request.max_body_bytes));
  HttpResponse resp;
  resp.status = best->status;
  resp.body = std::move(body);
  resp.effective_url = request.url;
  if (!best->content_type.empty()) resp.headers.emplace_back("Content-Type", best->content_type);
  return resp;
}

}  // namespace mu
