#include "api/home_page.h"

#include <utility>

#include "pipeline/render.h"

namespace mu {
namespace {

constexpr std::string_view kBlockId = "id=\"mu-first\"";
constexpr std::string_view kBoardsAttr = "data-boards=\"";
constexpr std::string_view kScriptOpen = "<script";
constexpr std::string_view kScriptClose = "</script>";

// Where the empty #mu-first block sits in index.html.
struct Block {
  std::size_t begin = 0;  // '<' of "<script"
  std::size_t end = 0;    // just after "</script>"
  std::vector<std::string> boards;
};

bool is_board_id(std::string_view id) {
  const std::size_t dot = id.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == id.size()) return false;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || i == dot;
    if (!ok) return false;
  }
  return true;
}

std::optional<Block> find_block(std::string_view html) {
  const std::size_t id = html.find(kBlockId);
  if (id == std::string_view::npos) return std::nullopt;
  const std::size_t open = html.rfind(kScriptOpen, id);
  const std::size_t open_end = html.find('>', id);
  if (open == std::string_view::npos || open_end == std::string_view::npos) return std::nullopt;
  // Only an empty block: one that already holds something is left alone.
  if (html.substr(open_end + 1, kScriptClose.size()) != kScriptClose) return std::nullopt;
  Block b;
  b.begin = open;
  b.end = open_end + 1 + kScriptClose.size();
  const std::string_view tag = html.substr(open, open_end - open);
  const std::size_t attr = tag.find(kBoardsAttr);
  if (attr == std::string_view::npos) return b;
  const std::size_t from = attr + kBoardsAttr.size();
  const std::size_t to = tag.find('"', from);
  if (to == std::string_view::npos) return std::nullopt;
  std::string_view list = tag.substr(from, to - from);
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view one = list.substr(0, comma);
    if (is_board_id(one)) b.boards.emplace_back(one);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return b;
}

bool contains_token(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace

HomePage::HomePage(const BoardCache& cache, const Clock& clock, HomePageOptions options)
    : cache_(cache), clock_(clock), options_(options) {}

bool HomePage::is_phone(const Request& request) {
  const std::string_view hint = request.header("Sec-CH-UA-Mobile");
  if (!hint.empty()) return hint == "?1";
  return contains_token(request.header("User-Agent"), "Mobi");
}

std::string HomePage::script_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 64);
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<Response> HomePage::page(const Request& request,
                                       const std::shared_ptr<const std::string>& file) const {
  if (!file) return std::nullopt;
  const std::optional<Block> block = find_block(*file);
  if (!block || cache_.size() > options_.max_catalogue) return std::nullopt;
  const bool phone = is_phone(request);

  // What the page would hold now: the sites, the catalogue and the listed boards' bodies.
  std::vector<std::shared_ptr<const RenderedBody>> inputs;
  std::vector<std::string> written;
  inputs.push_back(cache_.sites());
  inputs.push_back(cache_.catalogue());
  if (!inputs[0] || !inputs[1]) return std::nullopt;
  // The listed boards, then the rest of the default order (as the page orders a new
  // reader's home: store.ts, homeIds); switched-off boards are not on the home page.
  const std::size_t cap = phone ? options_.phone_boards : options_.max_boards;
  auto add = [&](const std::string& id) {
    if (written.size() >= cap || !cache_.enabled(id)) return;
    for (const std::string& w : written) {
      if (w == id) return;
    }
    auto body = cache_.board(id);
    if (!body || !body->json) return;
    inputs.push_back(std::move(body));
    written.push_back(id);
  };
  for (const std::string& id : block->boards) add(id);
  for (const std::string& id : cache_.home_order()) {
    if (written.size() >= cap) break;
    add(id);
  }

  Response r;
  r.status = 200;
  r.headers.set("Content-Type", "text/html; charset=utf-8");
  r.headers.set("Cache-Control", "no-cache");
  r.headers.set("Vary", "Sec-CH-UA-Mobile, User-Agent");

  std::lock_guard lock(mu_);
  std::optional<Composed>& slot = composed_[phone ? 1 : 0];
  const MonoTime now = clock_.mono();
  const bool reuse = slot && slot->file == file && slot->inputs == inputs &&
                     now - slot->built_at < options_.max_age;
  if (!reuse) {
    std::string json = "{\"generated_at\":\"" + iso8601_utc(clock_.now_ms()) + "\",\"sites\":";
    json += *inputs[0]->json;
    json += ",\"boards\":";
    json += *inputs[1]->json;
    json += ",\"bodies\":[";
    for (std::size_t i = 2; i < inputs.size(); ++i) {
      if (i > 2) json += ',';
      json += *inputs[i]->json;
    }
    json += "]}";
    std::string ids;
    for (const std::string& id : written) {
      if (!ids.empty()) ids += ',';
      ids += id;
    }
    std::string html;
    html.reserve(file->size() + json.size() + 128);
    html.append(*file, 0, block->begin);
    html += "<script type=\"application/json\" id=\"mu-first\" data-boards=\"" + ids + "\">";
    html += script_safe(json);
    html += "</script>";
    html.append(*file, block->end, std::string::npos);
    RenderedBody rendered = make_rendered(std::move(html));
    slot = Composed{file, std::move(inputs), now, rendered.json, rendered.gzip, rendered.etag};
  }
  r.body = slot->html;
  r.gzip_body = slot->gzip;
  r.etag = slot->etag;
  return r;
}

}  // namespace mu
