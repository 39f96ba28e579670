#include "notify/channel.h"

#include <boost/url.hpp>

#include <array>
#include <utility>

namespace mu {
namespace {

namespace urls = boost::urls;

constexpr std::array<std::pair<ChannelKind, std::string_view>, 9> kKinds = {{
    {ChannelKind::kWebhook, "webhook"},
    {ChannelKind::kTelegram, "telegram"},
    {ChannelKind::kEmail, "email"},
    {ChannelKind::kNtfy, "ntfy"},
    {ChannelKind::kBark, "bark"},
    {ChannelKind::kWecom, "wecom"},
    {ChannelKind::kFeishu, "feishu"},
    {ChannelKind::kDingtalk, "dingtalk"},
    {ChannelKind::kSlack, "slack"},
}};

Status bad(std::string_view what) {
  return error(ErrorCode::kInvalid, "channel URL: " + std::string(what));
}

bool safe_token(std::string_view s) {
  if (s.empty() || s.size() > 512) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
    if (!ok) return false;
  }
  return true;
}

// An http(s) URL with a host: the endpoint of an HTTP kind.
Result<urls::url> http_url(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return bad("not a URL");
  urls::url u(*parsed);
  if (u.scheme() != "http" && u.scheme() != "https") return bad("expected http or https");
  if (u.host().empty()) return bad("no host");
  if (u.has_userinfo()) return bad("user info is not allowed in a webhook URL");
  u.remove_fragment();
  return u;
}

std::optional<ChannelKind> kind_of_host(std::string_view host) {
  if (host == "hooks.slack.com") return ChannelKind::kSlack;
  if (host == "qyapi.weixin.qq.com") return ChannelKind::kWecom;
  if (host == "open.feishu.cn" || host == "open.larksuite.com") return ChannelKind::kFeishu;
  if (host == "oapi.dingtalk.com") return ChannelKind::kDingtalk;
  if (host == "api.telegram.org") return ChannelKind::kTelegram;
  if (host == "api.day.app") return ChannelKind::kBark;
  if (host == "ntfy.sh") return ChannelKind::kNtfy;
  return std::nullopt;
}

// Fills the kind-specific parts of an HTTP channel from its endpoint URL.
Result<ChannelSpec> http_channel(ChannelKind kind, urls::url u, std::string secret) {
  ChannelSpec spec;
  spec.kind = kind;
  spec.secret = std::move(secret);
  if (kind == ChannelKind::kNtfy) {
    // The topic is the last path segment; requests go to the server's root (JSON publish).
    auto segs = u.segments();
    if (segs.empty() || (*std::prev(segs.end())).empty()) return bad("ntfy: no topic");
    spec.target = *std::prev(segs.end());
    if (!safe_token(spec.target)) return bad("ntfy: a topic is letters, digits, - and _");
    segs.erase(std::prev(segs.end()));
    u.remove_query();
    std::string base(u.buffer());
    if (base.empty() || base.back() != '/') base += '/';
    spec.endpoint = base;
    return spec;
  }
  if (kind == ChannelKind::kTelegram) {
    auto chat = u.params().find("chat_id");
    if (chat == u.params().end() || !(*chat).has_value || (*chat).value.empty()) {
      return bad("telegram: add ?chat_id=<chat> to the Bot API URL");
    }
    spec.target = (*chat).value;
    u.remove_query();
    spec.endpoint = std::string(u.buffer());
    return spec;
  }
  if (kind == ChannelKind::kEmail) return bad("email channels are smtp:// or smtps:// URLs");
  spec.endpoint = std::string(u.buffer());
  return spec;
}

Result<ChannelSpec> email_channel(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return bad("not a URL");
  const urls::url_view u = *parsed;
  ChannelSpec spec;
  spec.kind = ChannelKind::kEmail;
  spec.implicit_tls = u.scheme() == "smtps";
  if (u.host().empty()) return bad("email: no SMTP host");
  spec.username = u.user();
  spec.password = u.password();
  for (const auto& param : u.params()) {
    if (param.key == "from") {
      spec.from = param.value;
    } else if (param.key == "to") {
      std::string_view rest = param.value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view one = rest.substr(0, comma);
        if (!one.empty()) spec.to.emplace_back(one);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    } else if (param.key == "tls") {
      if (param.value == "none") {
        spec.require_tls = false;
      } else if (param.value != "starttls") {
        return bad("email: tls is starttls (the default) or none");
      }
    } else {
      return bad("email: unknown parameter '" + std::string(param.key) + "'");
    }
  }
  auto is_address = [](std::string_view a) {
    const auto at = a.find('@');
    if (at == std::string_view::npos || at == 0 || at + 1 >= a.size() || a.size() > 254) {
      return false;
    }
    for (char c : a) {
      if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == '"') {
        return false;
      }
    }
    return true;
  };
  if (!is_address(spec.from)) return bad("email: from=<address> is required");
  if (spec.to.empty() || spec.to.size() > 20) return bad("email: to=<address>[,…] (1 to 20)");
  for (const auto& a : spec.to) {
    if (!is_address(a)) return bad("email: '" + a + "' is not an address");
  }
  if (spec.implicit_tls && !spec.require_tls) return bad("email: smtps is always TLS");
  std::string endpoint = spec.implicit_tls ? "smtps://" : "smtp://";
  endpoint += u.encoded_host_and_port();
  spec.endpoint = endpoint;
  return spec;
}

}  // namespace

std::string_view channel_kind_name(ChannelKind kind) {
  for (const auto& [k, name] : kKinds) {
    if (k == kind) return name;
  }
  return "webhook";
}

std::optional<ChannelKind> parse_channel_kind(std::string_view name) {
  for (const auto& [k, n] : kKinds) {
    if (n == name) return k;
  }
  return std::nullopt;
}

Result<ChannelSpec> parse_channel_url(std::string_view url, std::string secret,
                                      std::string_view telegram_api) {
  if (url.size() > 2048) return bad("longer than 2048 bytes");
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= ' ') return bad("white space or control characters");
  }
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return bad("expected scheme://…");
  const std::string_view scheme = url.substr(0, colon);
  const std::string_view rest = url.substr(colon + 3);

  if (scheme == "http" || scheme == "https") {
    MU_ASSIGN_OR_RETURN(urls::url u, http_url(url));
    const ChannelKind kind = kind_of_host(u.host()).value_or(ChannelKind::kWebhook);
    return http_channel(kind, std::move(u), std::move(secret));
  }
  if (const auto plus = scheme.find('+'); plus != std::string_view::npos) {
    auto kind = parse_channel_kind(scheme.substr(0, plus));
    if (!kind) return bad("unknown kind '" + std::string(scheme.substr(0, plus)) + "'");
    MU_ASSIGN_OR_RETURN(urls::url u, http_url(url.substr(plus + 1)));
    return http_channel(*kind, std::move(u), std::move(secret));
  }
  if (scheme == "smtp" || scheme == "smtps") return email_channel(url);
  if (scheme == "telegram") {
    // telegram://<bot token>/<chat id>: the token has a ':' that is not a port.
    const auto slash = rest.rfind('/');
    if (slash == std::string_view::npos) return bad("telegram://<bot token>/<chat id>");
    const std::string_view token = rest.substr(0, slash);
    const std::string_view chat = rest.substr(slash + 1);
    if (!safe_token(token) || token.find(':') == std::string_view::npos) {
      return bad("telegram: the bot token looks like 123456:ABC-DEF…");
    }
    if (!safe_token(chat)) return bad("telegram: the chat id is a number or @channel");
    ChannelSpec spec;
    spec.kind = ChannelKind::kTelegram;
    spec.endpoint = std::string(telegram_api) + "/bot" + std::string(token) + "/sendMessage";
    spec.target = chat;
    spec.secret = std::move(secret);
    return spec;
  }
  auto short_form = [&](ChannelKind kind, std::string https) -> Result<ChannelSpec> {
    MU_ASSIGN_OR_RETURN(urls::url u, http_url(https));
    return http_channel(kind, std::move(u), std::move(secret));
  };
  if (scheme == "wecom") {
    if (!safe_token(rest)) return bad("wecom://<key>");
    return short_form(ChannelKind::kWecom,
                      "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + std::string(rest));
  }
  if (scheme == "feishu") {
    if (!safe_token(rest)) return bad("feishu://<hook id>");
    return short_form(ChannelKind::kFeishu,
                      "https://open.feishu.cn/open-apis/bot/v2/hook/" + std::string(rest));
  }
  if (scheme == "dingtalk") {
    if (!safe_token(rest)) return bad("dingtalk://<access token>");
    return short_form(ChannelKind::kDingtalk,
                      "https://oapi.dingtalk.com/robot/send?access_token=" + std::string(rest));
  }
  if (scheme == "ntfy" || scheme == "bark" || scheme == "slack") {
    const ChannelKind kind = scheme == "ntfy"   ? ChannelKind::kNtfy
                             : scheme == "bark" ? ChannelKind::kBark
                                                : ChannelKind::kSlack;
    return short_form(kind, "https://" + std::string(rest));
  }
  return bad("unknown scheme '" + std::string(scheme) + "'");
}

std::string describe_channel(const ChannelSpec& spec) {
  std::string out(channel_kind_name(spec.kind));
  out += " · ";
  if (spec.kind == ChannelKind::kEmail) {
    out += std::to_string(spec.to.size()) + (spec.to.size() == 1 ? " recipient" : " recipients");
    auto parsed = urls::parse_uri(spec.endpoint);
    if (parsed) out += " via " + std::string(parsed->host());
    return out;
  }
  auto parsed = urls::parse_uri(spec.endpoint);
  out += parsed ? std::string(parsed->host()) : std::string("?");
  if (spec.kind == ChannelKind::kTelegram || spec.kind == ChannelKind::kNtfy) {
    const std::string& t = spec.target;
    out += spec.kind == ChannelKind::kTelegram ? " · chat " : " · topic ";
    out += t.size() > 6 ? t.substr(0, 2) + "…" + t.substr(t.size() - 2) : t;
  }
  return out;
}

}  // namespace mu
