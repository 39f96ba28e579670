#include "notify/message.h"

#include <boost/json.hpp>
#include <ctime>
#include <functional>

#include "auth/crypto.h"
#include "auth/url_util.h"
#include "core/encoding.h"
#include "core/utf8.h"

namespace mu {
namespace {

namespace json = boost::json;

// Titles longer than this many code points are cut (with "…") so one item always fits in
// the smallest message a service takes.
constexpr std::size_t kMaxTitleChars = 300;

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::string clip(std::string_view s, std::size_t max_chars) {
  std::string clean = replace_invalid_utf8(s);
  if (code_points(clean) <= max_chars) return clean;
  std::size_t n = 0, i = 0;
  for (; i < clean.size(); ++i) {
    if ((static_cast<unsigned char>(clean[i]) & 0xC0) != 0x80) {
      if (n == max_chars) break;
      ++n;
    }
  }
  return clean.substr(0, i) + "…";
}

// Only http(s) links are passed on; anything else (javascript:, data:, …) is dropped.
std::string safe_url(std::string_view url) {
  if (url.starts_with("https://") || url.starts_with("http://")) {
    for (char c : url) {
      if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '<' || c == '>') return {};
    }
    return std::string(url);
  }
  return {};
}

// Markdown link text: brackets would end the link; they become their full-width forms, and
// the characters that start emphasis or code are escaped.
std::string markdown_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '[') {
      out += "［";
    } else if (c == ']') {
      out += "］";
    } else if (c == '*' || c == '_' || c == '`' || c == '~') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// A markdown link target: parentheses and spaces would end it.
std::string markdown_url(std::string_view url) {
  std::string out;
  for (char c : url) {
    if (c == '(') {
      out += "%28";
    } else if (c == ')') {
      out += "%29";
    } else {
      out += c;
    }
  }
  return out;
}

// Slack mrkdwn: &, < and > escaped; '|' would split a link.
std::string slack_text(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '|') {
      out += "｜";
    } else {
      out += c;
    }
  }
  return out;
}

std::string iso_time(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rfc5322_date(int64_t ms) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// "12.5万" → " · 12.5万"; "" → "".
std::string hot_suffix(const AlertItem& item) {
  return item.hot_text.empty() ? std::string() : " · " + item.hot_text;
}

std::string plain_line(const AlertItem& item) {
  std::string line = "#" + std::to_string(item.rank) + " " + clip(item.title, kMaxTitleChars);
  line += " (" + item.board_name + hot_suffix(item) + ")";
  const std::string url = safe_url(item.url);
  if (!url.empty()) line += "\n" + url;
  return line;
}

// Groups blocks into messages of at most `limit` (as `measure` counts) including the
// header and footer; a block is never split.
std::vector<std::string> chunk(const std::string& header, const std::vector<std::string>& blocks,
                               const std::string& separator, const std::string& footer,
                               std::size_t limit,
                               const std::function<std::size_t(std::string_view)>& measure) {
  std::vector<std::string> out;
  std::string current = header;
  bool has_block = false;
  for (const std::string& block : blocks) {
    std::string candidate = current + (has_block ? separator : std::string()) + block;
    if (has_block && measure(candidate + footer) > limit) {
      out.push_back(current + footer);
      current = header + block;
    } else {
      current = std::move(candidate);
    }
    has_block = true;
  }
  out.push_back(current + footer);
  return out;
}

std::size_t bytes(std::string_view s) { return s.size(); }

HttpRequest json_post(const std::string& url, const json::value& body) {
  HttpRequest r;
  r.method = "POST";
  r.url = url;
  r.body = json::serialize(body);
  r.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  r.timeout = std::chrono::seconds(10);
  r.max_redirects = 0;
  r.max_body_bytes = 64 << 10;
  return r;
}

std::vector<HttpRequest> render_webhook(const ChannelSpec& spec, const AlertMessage& m,
                                        int64_t now_ms) {
  json::array items;
  for (const AlertItem& item : m.items) {
    items.push_back(json::object{{"board", item.board},
                                 {"board_name", item.board_name},
                                 {"title", replace_invalid_utf8(item.title)},
                                 {"url", safe_url(item.url)},
                                 {"rank", item.rank},
                                 {"hot", item.hot_text},
                                 {"matched_at", iso_time(item.matched_ms)}});
  }
  json::array ids;
  for (int64_t id : m.delivery_ids) ids.push_back(id);
  json::object body{{"type", m.test ? "test" : "alert"},
                    {"rule", json::object{{"id", m.rule_id}, {"name", m.rule_name}}},
                    {"title", message_title(m)},
                    {"items", std::move(items)},
                    {"delivery_ids", std::move(ids)},
                    {"unsubscribe_url", m.unsubscribe_url},
                    {"sent_at", iso_time(now_ms)}};
  HttpRequest r = json_post(spec.endpoint, body);
  r.headers.emplace_back("User-Agent", "Mu-Alerts/1");
  r.headers.emplace_back("X-Mu-Event", m.test ? "test" : "alert");
  std::string delivery;
  for (int64_t id : m.delivery_ids) {
    if (!delivery.empty()) delivery += ',';
    delivery += std::to_string(id);
  }
  if (!delivery.empty()) r.headers.emplace_back("X-Mu-Delivery", delivery);
  if (!spec.secret.empty()) {
    r.headers.emplace_back("X-Mu-Signature", webhook_signature(spec.secret, now_ms / 1000, r.body));
  }
  return {r};
}

std::vector<HttpRequest> render_telegram(const ChannelSpec& spec, const AlertMessage& m) {
  std::vector<std::string> blocks;
  for (const AlertItem& item : m.items) {
    const std::string url = safe_url(item.url);
    const std::string title = html_escape(clip(item.title, kMaxTitleChars));
    std::string b = "#" + std::to_string(item.rank) + " ";
    b += url.empty() ? title : "<a href=\"" + html_escape(url) + "\">" + title + "</a>";
    b += " <i>" + html_escape(item.board_name + hot_suffix(item)) + "</i>";
    blocks.push_back(std::move(b));
  }
  const std::string header = "<b>" + html_escape(message_title(m)) + "</b>\n\n";
  const std::string footer =
      m.unsubscribe_url.empty()
          ? std::string()
          : "\n\n<a href=\"" + html_escape(m.unsubscribe_url) + "\">Unsubscribe / 退订</a>";
  std::vector<HttpRequest> out;
  for (const std::string& text : chunk(header, blocks, "\n", footer, 4096, code_points)) {
    out.push_back(json_post(spec.endpoint, json::object{{"chat_id", spec.target},
                                                        {"text", text},
                                                        {"parse_mode", "HTML"},
                                                        {"disable_web_page_preview", true}}));
  }
  return out;
}

std::vector<HttpRequest> render_ntfy(const ChannelSpec& spec, const AlertMessage& m) {
  std::vector<std::string> blocks;
  for (const AlertItem& item : m.items) blocks.push_back(plain_line(item));
  std::vector<HttpRequest> out;
  for (const std::string& text : chunk("", blocks, "\n\n", "", 4096, bytes)) {
    json::object body{{"topic", spec.target},
                      {"title", message_title(m)},
                      {"message", text},
                      {"tags", json::array{"bell"}}};
    if (!m.items.empty()) {
      const std::string url = safe_url(m.items.front().url);
      if (!url.empty()) body["click"] = url;
    }
    if (!m.unsubscribe_url.empty()) {
      body["actions"] = json::array{
          json::object{{"action", "view"}, {"label", "Unsubscribe"}, {"url", m.unsubscribe_url}}};
    }
    out.push_back(json_post(spec.endpoint, body));
  }
  return out;
}

std::vector<HttpRequest> render_bark(const ChannelSpec& spec, const AlertMessage& m) {
  std::vector<std::string> blocks;
  for (const AlertItem& item : m.items) {
    blocks.push_back("#" + std::to_string(item.rank) + " " + clip(item.title, kMaxTitleChars) +
                     " (" + item.board_name + hot_suffix(item) + ")");
  }
  std::vector<HttpRequest> out;
  for (const std::string& text : chunk("", blocks, "\n", "", 3000, bytes)) {
    json::object body{{"title", message_title(m)}, {"body", text}, {"group", "Mu"}};
    if (!m.items.empty()) {
      const std::string url = safe_url(m.items.front().url);
      if (!url.empty()) body["url"] = url;
    }
    out.push_back(json_post(spec.endpoint, body));
  }
  return out;
}

std::vector<std::string> markdown_blocks(const AlertMessage& m) {
  std::vector<std::string> blocks;
  for (const AlertItem& item : m.items) {
    const std::string url = safe_url(item.url);
    const std::string title = markdown_text(clip(item.title, kMaxTitleChars));
    std::string b = std::to_string(item.rank) + ". ";
    b += url.empty() ? title : "[" + title + "](" + markdown_url(url) + ")";
    b += " · " + markdown_text(item.board_name + hot_suffix(item));
    blocks.push_back(std::move(b));
  }
  return blocks;
}

std::string markdown_footer(const AlertMessage& m) {
  return m.unsubscribe_url.empty()
             ? std::string()
             : "\n\n[Unsubscribe / 退订](" + markdown_url(m.unsubscribe_url) + ")";
}

std::vector<HttpRequest> render_wecom(const ChannelSpec& spec, const AlertMessage& m) {
  std::vector<HttpRequest> out;
  const std::string header = "**" + markdown_text(message_title(m)) + "**\n";
  for (const std::string& text :
       chunk(header, markdown_blocks(m), "\n", markdown_footer(m), 4096, bytes)) {
    out.push_back(json_post(
        spec.endpoint,
        json::object{{"msgtype", "markdown"}, {"markdown", json::object{{"content", text}}}}));
  }
  return out;
}

std::vector<HttpRequest> render_dingtalk(const ChannelSpec& spec, const AlertMessage& m,
                                         int64_t now_ms) {
  std::string url = spec.endpoint;
  if (!spec.secret.empty()) {
    // 加签: timestamp (ms) and base64(HMAC-SHA256(secret, "<timestamp>\n<secret>")).
    const std::string ts = std::to_string(now_ms);
    const std::string sign = base64_encode(hmac_sha256(spec.secret, ts + "\n" + spec.secret));
    url += (url.find('?') == std::string::npos ? "?" : "&");
    url += "timestamp=" + ts + "&sign=" + url_encode_component(sign);
  }
  std::vector<HttpRequest> out;
  const std::string title = message_title(m);
  const std::string header = "#### " + markdown_text(title) + "\n\n";
  for (const std::string& text :
       chunk(header, markdown_blocks(m), "\n\n", markdown_footer(m), 20000, bytes)) {
    out.push_back(
        json_post(url, json::object{{"msgtype", "markdown"},
                                    {"markdown", json::object{{"title", title}, {"text", text}}}}));
  }
  return out;
}

std::vector<HttpRequest> render_feishu(const ChannelSpec& spec, const AlertMessage& m,
                                       int64_t now_ms) {
  // A "post" (rich text) message: one paragraph per item, a link and the board.
  std::vector<std::string> paragraphs;
  std::vector<json::array> rows;
  for (const AlertItem& item : m.items) {
    const std::string url = safe_url(item.url);
    const std::string title = clip(item.title, kMaxTitleChars);
    json::array row;
    row.push_back(json::object{{"tag", "text"}, {"text", "#" + std::to_string(item.rank) + " "}});
    if (url.empty()) {
      row.push_back(json::object{{"tag", "text"}, {"text", title}});
    } else {
      row.push_back(json::object{{"tag", "a"}, {"text", title}, {"href", url}});
    }
    row.push_back(
        json::object{{"tag", "text"}, {"text", " · " + item.board_name + hot_suffix(item)}});
    paragraphs.push_back(json::serialize(row));
    rows.push_back(std::move(row));
  }
  // Split by the serialized size of the paragraphs (the body limit is 20 KB).
  std::vector<HttpRequest> out;
  std::size_t first = 0;
  while (first < rows.size() || (rows.empty() && out.empty())) {
    json::array content;
    std::size_t size = 0;
    std::size_t i = first;
    for (; i < rows.size(); ++i) {
      if (i > first && size + paragraphs[i].size() > 18000) break;
      size += paragraphs[i].size();
      content.push_back(rows[i]);
    }
    const bool last = i >= rows.size();
    if (last && !m.unsubscribe_url.empty()) {
      content.push_back(json::array{
          json::object{{"tag", "a"}, {"text", "Unsubscribe / 退订"}, {"href", m.unsubscribe_url}}});
    }
    json::object body{
        {"msg_type", "post"},
        {"content",
         json::object{{"post", json::object{{"zh_cn", json::object{{"title", message_title(m)},
                                                                   {"content", content}}}}}}}};
    if (!spec.secret.empty()) {
      // Signature: base64(HMAC-SHA256(key = "<timestamp s>\n<secret>", data = "")).
      const std::string ts = std::to_string(now_ms / 1000);
      body["timestamp"] = ts;
      body["sign"] = base64_encode(hmac_sha256(ts + "\n" + spec.secret, ""));
    }
    out.push_back(json_post(spec.endpoint, body));
    first = i;
    if (rows.empty()) break;
  }
  return out;
}

std::vector<HttpRequest> render_slack(const ChannelSpec& spec, const AlertMessage& m) {
  std::vector<std::string> blocks;
  for (const AlertItem& item : m.items) {
    const std::string url = safe_url(item.url);
    const std::string title = slack_text(clip(item.title, kMaxTitleChars));
    std::string b = "#" + std::to_string(item.rank) + " ";
    b += url.empty() ? title : "<" + slack_text(url) + "|" + title + ">";
    b += " _" + slack_text(item.board_name + hot_suffix(item)) + "_";
    blocks.push_back(std::move(b));
  }
  const std::string header = "*" + slack_text(message_title(m)) + "*\n";
  const std::string footer = m.unsubscribe_url.empty()
                                 ? std::string()
                                 : "\n<" + slack_text(m.unsubscribe_url) + "|Unsubscribe>";
  std::vector<HttpRequest> out;
  for (const std::string& text : chunk(header, blocks, "\n", footer, 39000, code_points)) {
    out.push_back(json_post(spec.endpoint, json::object{{"text", text}}));
  }
  return out;
}

// Base64 wrapped at 76 characters (RFC 2045).
std::string mime_base64(std::string_view data) {
  const std::string b64 = base64_encode(data);
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) {
    out += b64.substr(i, 76);
    out += "\r\n";
  }
  return out;
}

// An RFC 2047 encoded word for a header that may hold non-ASCII text.
std::string header_text(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s) {
    if (c >= 0x80 || c < 0x20) ascii = false;
  }
  if (ascii) return std::string(s);
  return "=?UTF-8?B?" + base64_encode(s) + "?=";
}

}  // namespace

std::string webhook_signature(const std::string& secret, int64_t unix_seconds,
                              const std::string& body) {
  const std::string t = std::to_string(unix_seconds);
  return "t=" + t + ",v1=" + hmac_sha256_hex(secret, t + "." + body);
}

std::string message_title(const AlertMessage& m) {
  if (m.test) return "Mu · test message / 测试消息";
  std::string name = m.rule_name.empty() ? std::string("alert") : clip(m.rule_name, 80);
  const std::size_t n = m.items.size();
  return "Mu · " + name + ": " + std::to_string(n) + (n == 1 ? " item" : " items");
}

std::vector<HttpRequest> render_http(const ChannelSpec& spec, const AlertMessage& message,
                                     int64_t now_ms) {
  switch (spec.kind) {
    case ChannelKind::kWebhook:
      return render_webhook(spec, message, now_ms);
    case ChannelKind::kTelegram:
      return render_telegram(spec, message);
    case ChannelKind::kNtfy:
      return render_ntfy(spec, message);
    case ChannelKind::kBark:
      return render_bark(spec, message);
    case ChannelKind::kWecom:
      return render_wecom(spec, message);
    case ChannelKind::kFeishu:
      return render_feishu(spec, message, now_ms);
    case ChannelKind::kDingtalk:
      return render_dingtalk(spec, message, now_ms);
    case ChannelKind::kSlack:
      return render_slack(spec, message);
    case ChannelKind::kEmail:
      break;
  }
  return {};
}

EmailMessage render_email(const ChannelSpec& spec, const AlertMessage& m, int64_t now_ms) {
  EmailMessage e;
  e.from = spec.from;
  e.to = spec.to;
  std::string text = message_title(m) + "\n\n";
  std::string html = "<!doctype html><html><body style=\"font-family:sans-serif\"><h3>" +
                     html_escape(message_title(m)) + "</h3><ol>";
  for (const AlertItem& item : m.items) {
    text += plain_line(item) + "\n\n";
    const std::string url = safe_url(item.url);
    const std::string title = html_escape(clip(item.title, kMaxTitleChars));
    html += "<li value=\"" + std::to_string(item.rank) + "\">";
    html += url.empty() ? title : "<a href=\"" + html_escape(url) + "\">" + title + "</a>";
    html += " <small>" + html_escape(item.board_name + hot_suffix(item)) + "</small></li>";
  }
  html += "</ol>";
  if (!m.unsubscribe_url.empty()) {
    text += "Unsubscribe / 退订: " + m.unsubscribe_url + "\n";
    html += "<p><small><a href=\"" + html_escape(m.unsubscribe_url) +
            "\">Unsubscribe / 退订</a></small></p>";
  }
  html += "</body></html>";
  std::string to;
  for (const std::string& a : spec.to) to += (to.empty() ? "" : ", ") + a;
  std::string id_part;
  for (int64_t id : m.delivery_ids) id_part += std::to_string(id) + ".";
  const std::string boundary = "mu-alt-" + std::to_string(now_ms);
  const auto at = spec.from.find('@');
  const std::string domain = at == std::string::npos ? "mu.local" : spec.from.substr(at + 1);
  std::string& d = e.data;
  d += "From: Mu <" + spec.from + ">\r\n";
  d += "To: " + to + "\r\n";
  d += "Subject: " + header_text(message_title(m)) + "\r\n";
  d += "Date: " + rfc5322_date(now_ms) + "\r\n";
  d += "Message-ID: <mu." + id_part + std::to_string(now_ms) + "@" + domain + ">\r\n";
  d += "MIME-Version: 1.0\r\n";
  if (!m.unsubscribe_url.empty()) {
    d += "List-Unsubscribe: <" + m.unsubscribe_url + ">\r\n";
    d += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n";
  }
  d += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
  d += "--" + boundary + "\r\n";
  d += "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  d += mime_base64(text);
  d += "--" + boundary + "\r\n";
  d += "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  d += mime_base64(html);
  d += "--" + boundary + "--\r\n";
  return e;
}

}  // namespace mu
