// URL helpers for the OAuth flow: percent-encoding of query and form values
// (application/x-www-form-urlencoded) and parsing them back. Used by GithubOAuth and the
// mock provider.
// Thread-safety: stateless functions, safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mu {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes every byte outside the RFC 3986 unreserved set (A-Z a-z 0-9 - . _ ~);
// a space becomes "%20".
std::string url_encode_component(std::string_view s);

// "a=1&b=x%20y": every name and value percent-encoded, in order.
std::string form_encode(const FormFields& fields);

// Parses "a=1&b=x+y" ('+' is a space, %XX decoded). A malformed escape keeps its bytes as
// they are. Empty pieces are skipped; a piece without '=' has an empty value.
FormFields parse_form(std::string_view s);

// The first value of `name` in `fields`.
std::optional<std::string> form_value(const FormFields& fields, std::string_view name);

}  // namespace mu
