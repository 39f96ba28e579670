// Every built-in board's parser against mutated copies of its own fixtures: truncated,
// empty, brackets swapped (wrong types), numbers turned into strings, deep nesting, random
// byte flips and a 10 MB body. Each collect must return items or a typed error of a fetch
// category — never crash, throw, hang or report an internal error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <set>

#include "core/clock.h"
#include "fetch/replay_transport.h"
#include "sources/source.h"

namespace mu {
namespace {

using Mutation = std::function<std::string(const std::string&)>;

struct NamedMutation {
  const char* name;
  Mutation apply;
};

std::string swap_brackets(const std::string& s) {
  std::string out = s;
  for (char& c : out) {
    if (c == '[') {
      c = '{';
    } else if (c == '{') {
      c = '[';
    } else if (c == ']') {
      c = '}';
    } else if (c == '}') {
      c = ']';
    }
  }
  return out;
}

std::string quote_numbers(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) != 0 &&
        (i == 0 || (s[i - 1] == ':' || s[i - 1] == ' ' || s[i - 1] == ','))) {
      out += "\"x";
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
      out += "\"";
      --i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string flip_bytes(const std::string& s, unsigned seed) {
  std::string out = s;
  if (out.empty()) return out;
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> pos(0, out.size() - 1);
  for (std::size_t i = 0; i < std::max<std::size_t>(8, out.size() / 200); ++i) {
    out[pos(rng)] = static_cast<char>(rng() & 0xFF);
  }
  return out;
}

// The big-body mutation: 1 MiB by default so the suite stays fast on two cores; set
// MU_ROBUSTNESS_BIG_MIB=10 for the 10 MB run (larger than the 8 MiB fetch cap, so only a
// replayed or misconfigured body could reach a parser at that size).
std::size_t big_size() {
  if (const char* v = std::getenv("MU_ROBUSTNESS_BIG_MIB")) {
    return static_cast<std::size_t>(std::max(1, std::atoi(v))) << 20;
  }
  return 1u << 20;
}

std::vector<NamedMutation> mutations() {
  return {
      {"empty", [](const std::string&) { return std::string(); }},
      {"truncated-10%", [](const std::string& s) { return s.substr(0, s.size() / 10); }},
      {"truncated-50%", [](const std::string& s) { return s.substr(0, s.size() / 2); }},
      {"truncated-last-byte", [](const std::string& s) { return s.substr(0, s.size() - 1); }},
      {"brackets-swapped", swap_brackets},
      {"numbers-quoted", quote_numbers},
      {"json-nested-garbage",
       [](const std::string&) { return std::string(20000, '[') + std::string(20000, ']'); }},
      {"html-nested-garbage",
       [](const std::string&) {
         std::string out;
         for (int i = 0; i < 5000; ++i) out += "<div><a href='javascript:x'>";
         return out;
       }},
      {"null-root", [](const std::string&) { return std::string("null"); }},
      {"bytes-flipped-1", [](const std::string& s) { return flip_bytes(s, 1); }},
      {"bytes-flipped-2", [](const std::string& s) { return flip_bytes(s, 2); }},
      {"big-body",
       [](const std::string& s) {
         std::string out;
         while (out.size() < big_size()) out += s.empty() ? std::string("x") : s;
         return out;
       }},
  };
}

// Answers from the fixtures, with each body passed through the current mutation.
class MutatingTransport final : public Transport {
 public:
  MutatingTransport(Transport& inner, const Mutation& mutation)
      : inner_(inner), mutation_(mutation) {}
  Result<HttpResponse> fetch(const HttpRequest& request) override {
    HttpRequest unlimited = request;
    unlimited.max_body_bytes = 64u << 20;
    auto resp = inner_.fetch(unlimited);
    if (!resp.ok()) return resp;
    resp->body = mutation_(resp->body);
    return resp;
  }

 private:
  Transport& inner_;
  const Mutation& mutation_;
};

TEST(SourceRobustness, EveryBoardSurvivesMutatedFixtures) {
  const char* root = std::getenv("MU_SOURCE_DIR");
  ASSERT_NE(root, nullptr) << "ctest sets MU_SOURCE_DIR";
  auto replay = ReplayTransport::load({std::filesystem::path(root) / "src/sources"});
  ASSERT_TRUE(replay.ok()) << replay.status().to_string();
  SourceRegistry registry;
  ASSERT_TRUE(register_builtin_sources(registry).ok());
  FakeClock clock;
  const std::set<ErrorCode> allowed = {ErrorCode::kParse, ErrorCode::kBlocked, ErrorCode::kHttp,
                                       ErrorCode::kTooLarge, ErrorCode::kNotFound};
  int runs = 0;
  int errors = 0;
  for (const Source* source : registry.boards()) {
    for (const auto& m : mutations()) {
      MutatingTransport transport(**replay, m.apply);
      SourceContext ctx{transport, clock, nullptr};
      auto out = source->collect(ctx);
      ++runs;
      if (out.ok()) continue;
      ++errors;
      EXPECT_TRUE(allowed.count(out.code()) == 1)
          << source->meta().id << " / " << m.name << ": " << out.status().to_string();
      EXPECT_FALSE(out.error_message().empty()) << source->meta().id << " / " << m.name;
    }
    // The unmutated fixture still works after all that (no state left broken).
    SourceContext ctx{**replay, clock, nullptr};
    EXPECT_TRUE(source->collect(ctx).ok()) << source->meta().id;
  }
  EXPECT_GT(errors, runs / 3) << "mutations should mostly be rejected";
  std::printf("%d mutated collects, %d typed errors, 0 crashes (big body %zu MiB)\n", runs, errors,
              big_size() >> 20);
}

}  // namespace
}  // namespace mu
