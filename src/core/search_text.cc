#include "core/search_text.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "core/utf8.h"

namespace mu::search {
namespace {

// Base letters of U+0100..U+017F (Latin Extended-A); '?' marks a letter that only changes
// case (Ĳ, Ŋ, Œ: the odd code point is the lower-case form).
constexpr std::string_view kLatinExtendedA =
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii??jjkkkllllllllllnnnnnnn??oooooo??rrrrrr"
    "ssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs";
static_assert(kLatinExtendedA.size() == 0x80);

// Base letters of U+00C0..U+00FF; '?' keeps the code point (lower-cased), '-' is not a letter.
constexpr std::string_view kLatin1 =
    "aaaaaa?ceeeeiiii?nooooo-ouuuuy??"
    "aaaaaa?ceeeeiiii?nooooo-ouuuuy?y";
static_assert(kLatin1.size() == 0x40);

constexpr bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

// Combining marks (dropped by folding: "e\u0301" is "e").
constexpr bool is_combining(char32_t c) {
  return in(c, 0x0300, 0x036F) || in(c, 0x1AB0, 0x1AFF) || in(c, 0x1DC0, 0x1DFF) ||
         in(c, 0x20D0, 0x20FF) || in(c, 0xFE20, 0xFE2F);
}

constexpr uint64_t kFnvOffset = 14695981039346656037ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

int64_t fnv1a(std::string_view bytes) {
  uint64_t hash = kFnvOffset;
  for (char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= kFnvPrime;
  }
  if (hash == 0) {
    hash = 1;  // 0 means "no key"
  }
  return static_cast<int64_t>(hash);
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// A folded text with, for each kept code point, its index in the original text (combining
// marks are dropped).
struct Folded {
  std::u32string text;
  std::vector<size_t> origin;
};

Folded fold_text(std::u32string_view text) {
  Folded folded;
  folded.text.reserve(text.size());
  folded.origin.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = fold(text[i]);
    if (c == 0) {
      continue;
    }
    folded.text += c;
    folded.origin.push_back(i);
  }
  return folded;
}

// Splits folded text into tokens; `on_word` gets each word, `on_cjk` each CJK run.
template <typename OnWord, typename OnCjk>
void split_runs(std::u32string_view folded, OnWord&& on_word, OnCjk&& on_cjk) {
  size_t i = 0;
  while (i < folded.size()) {
    const char32_t c = folded[i];
    if (is_word_char(c)) {
      size_t end = i;
      while (end < folded.size() && is_word_char(folded[end])) {
        ++end;
      }
      on_word(folded.substr(i, std::min(end - i, kMaxWordChars)));
      i = end;
    } else if (is_cjk(c)) {
      size_t end = i;
      while (end < folded.size() && is_cjk(folded[end])) {
        ++end;
      }
      on_cjk(folded.substr(i, end - i));
      i = end;
    } else {
      ++i;
    }
  }
}

// The index tokens of one CJK run: its bigrams, then its last character.
template <typename Emit>
void cjk_tokens(std::u32string_view run, Emit&& emit) {
  for (size_t i = 0; i + 1 < run.size(); ++i) {
    emit(encode_utf8(run.substr(i, 2)));
  }
  emit(encode_utf8(run.substr(run.size() - 1)));
}

template <typename Emit>
void for_each_token(std::string_view text, Emit&& emit) {
  const std::u32string decoded = decode_utf8(text);
  const Folded folded = fold_text(decoded);
  split_runs(
      folded.text, [&](std::u32string_view word) { emit(encode_utf8(word)); },
      [&](std::u32string_view run) { cjk_tokens(run, emit); });
}

std::string cut_summary(std::string_view summary) {
  std::u32string decoded = decode_utf8(summary);
  if (decoded.size() > kMaxSummaryChars) {
    decoded.resize(kMaxSummaryChars);
  }
  return encode_utf8(decoded);
}

bool is_query_separator_only(std::string_view q) {
  return std::all_of(q.begin(), q.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

void append_quoted(std::string& out, std::string_view token, char quote) {
  out += quote;
  for (char c : token) {
    if (c == quote || (quote == '\'' && c == '\\')) {
      out += c;  // doubled: '' in tsvector/tsquery literals, "" in FTS5 strings
    }
    out += c;
  }
  out += quote;
}

}  // namespace

char32_t fold(char32_t c) {
  if (c < 0x80) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  }
  if (in(c, 0xFF01, 0xFF5E)) {  // full-width ASCII
    return fold(c - 0xFEE0);
  }
  if (c == 0x3000) {  // ideographic space
    return U' ';
  }
  if (is_combining(c)) {
    return 0;
  }
  if (in(c, 0xC0, 0xFF)) {
    const char base = kLatin1[c - 0xC0];
    if (base == '?') {
      return (c <= 0xDE && c != 0xDF) ? c + 32 : c;  // Æ → æ, Ð → ð, Þ → þ; ß, ÿ stay
    }
    return base == '-' ? c : static_cast<char32_t>(base);
  }
  if (in(c, 0x100, 0x17F)) {
    const char base = kLatinExtendedA[c - 0x100];
    if (base == '?') {
      return c | 1;
    }
    return static_cast<char32_t>(base);
  }
  if (in(c, 0x1E00, 0x1E95) || in(c, 0x1EA0, 0x1EFF)) {  // Latin Extended Additional
    return c | 1;
  }
  if (in(c, 0x391, 0x3A9) && c != 0x3A2) {  // Greek capitals
    return c + 32;
  }
  if (in(c, 0x410, 0x42F)) {  // Cyrillic capitals
    return c + 32;
  }
  if (in(c, 0x400, 0x40F)) {
    return c + 80;
  }
  return c;
}

bool is_cjk(char32_t c) {
  return in(c, 0x3040, 0x30FF) ||  // Hiragana, Katakana
         in(c, 0x3005, 0x3007) ||  // 々 〆 〇
         in(c, 0x31F0, 0x31FF) ||  // Katakana extensions
         in(c, 0x3400, 0x4DBF) ||  // CJK Extension A
         in(c, 0x4E00, 0x9FFF) ||  // CJK Unified Ideographs
         in(c, 0xF900, 0xFAFF) ||  // CJK Compatibility Ideographs
         in(c, 0xFF66, 0xFF9F) ||  // half-width Katakana
         in(c, 0x1100, 0x11FF) ||  // Hangul Jamo
         in(c, 0x3130, 0x318F) ||  // Hangul Compatibility Jamo
         in(c, 0xAC00, 0xD7AF) ||  // Hangul Syllables
         in(c, 0x20000, 0x3134F);  // CJK Extensions B..G
}

bool is_word_char(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
  return (in(c, 0xC0, 0x24F) && c != 0xD7 && c != 0xF7) ||  // Latin-1 letters, Extended-A/B
         in(c, 0x1E00, 0x1EFF) ||                           // Latin Extended Additional
         (in(c, 0x370, 0x3FF) && c != 0x375 && c != 0x37E && c != 0x384 && c != 0x385 &&
          c != 0x387) ||  // Greek letters
         in(c, 0x400, 0x481) ||
         in(c, 0x48A, 0x52F);  // Cyrillic letters
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = utf8_sequence_length(text.substr(i));
    if (length == 0) {
      out += U'\uFFFD';
      ++i;
      continue;
    }
    const auto lead = static_cast<unsigned char>(text[i]);
    char32_t c = 0;
    if (length == 1) {
      c = lead;
    } else {
      c = lead & (0xFF >> (length + 1));
      for (size_t k = 1; k < length; ++k) {
        c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
      }
    }
    out += c;
    i += length;
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char32_t c : text) {
    append_utf8(out, c);
  }
  return out;
}

std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  for_each_token(text, [&](std::string token) { out.push_back(std::move(token)); });
  return out;
}

std::string index_text(std::string_view title, std::string_view summary) {
  std::string out;
  auto emit = [&](const std::string& token) {
    if (!out.empty()) {
      out += ' ';
    }
    out += token;
  };
  for_each_token(title, emit);
  for_each_token(cut_summary(summary), emit);
  return out;
}

std::string tsvector_literal(std::string_view title, std::string_view summary) {
  constexpr int kMaxPosition = 16383;
  std::string out;
  int position = 0;
  auto emit = [&](const std::string& token) {
    if (!out.empty()) {
      out += ' ';
    }
    position = std::min(position + 1, kMaxPosition);
    append_quoted(out, token, '\'');
    out += ':';
    out += std::to_string(position);
  };
  for_each_token(title, emit);
  for_each_token(cut_summary(summary), emit);
  return out;
}

Result<Query> parse_query(std::string_view q) {
  if (q.empty() || is_query_separator_only(q)) {
    return Status(ErrorCode::kInvalid, "q: give some words to search for");
  }
  if (q.size() > kMaxQueryBytes) {
    return Status(ErrorCode::kInvalid, "q: longer than " + std::to_string(kMaxQueryBytes) +
                                           " bytes (" + std::to_string(q.size()) + ")");
  }
  if (find_invalid_utf8(q)) {
    return Status(ErrorCode::kInvalid, "q: not valid UTF-8");
  }
  Query query;
  auto add = [&](Term term) {
    const bool seen = std::any_of(query.terms.begin(), query.terms.end(), [&](const Term& t) {
      return t.kind == term.kind && t.tokens == term.tokens;
    });
    if (!seen) {
      query.terms.push_back(std::move(term));
    }
  };
  const Folded folded = fold_text(decode_utf8(q));
  split_runs(
      folded.text,
      [&](std::u32string_view word) {
        add(Term{Term::Kind::kWord, {encode_utf8(word)}, std::u32string(word)});
      },
      [&](std::u32string_view run) {
        Term term;
        term.folded = std::u32string(run);
        if (run.size() == 1) {
          term.kind = Term::Kind::kPrefix;
          term.tokens.push_back(encode_utf8(run));
        } else {
          term.kind = Term::Kind::kPhrase;
          for (size_t i = 0; i + 1 < run.size(); ++i) {
            term.tokens.push_back(encode_utf8(run.substr(i, 2)));
          }
        }
        add(std::move(term));
      });
  if (query.terms.empty()) {
    return Status(ErrorCode::kInvalid,
                  "q: no letters, digits or CJK characters to search for (punctuation and "
                  "operators such as \" * OR NEAR have no meaning here)");
  }
  if (query.terms.size() > kMaxTerms) {
    return Status(ErrorCode::kInvalid, "q: more than " + std::to_string(kMaxTerms) + " words (" +
                                           std::to_string(query.terms.size()) + ")");
  }
  return query;
}

std::string fts5_match(const Query& query) {
  std::string out;
  for (const Term& term : query.terms) {
    if (!out.empty()) {
      out += ' ';
    }
    std::string joined;
    for (const std::string& token : term.tokens) {
      if (!joined.empty()) {
        joined += ' ';
      }
      joined += token;
    }
    append_quoted(out, joined, '"');
    if (term.kind == Term::Kind::kPrefix) {
      out += '*';
    }
  }
  return out;
}

std::string tsquery_literal(const Query& query) {
  std::string out;
  for (const Term& term : query.terms) {
    if (!out.empty()) {
      out += " & ";
    }
    if (term.kind == Term::Kind::kPhrase && term.tokens.size() > 1) {
      out += '(';
      for (size_t i = 0; i < term.tokens.size(); ++i) {
        if (i > 0) {
          out += " <-> ";
        }
        append_quoted(out, term.tokens[i], '\'');
      }
      out += ')';
    } else {
      append_quoted(out, term.tokens.front(), '\'');
      if (term.kind == Term::Kind::kPrefix) {
        out += ":*";
      }
    }
  }
  return out;
}

std::vector<std::pair<size_t, size_t>> highlights(std::string_view text, const Query& query) {
  const std::u32string decoded = decode_utf8(text);
  const Folded folded = fold_text(decoded);
  std::vector<std::pair<size_t, size_t>> ranges;
  for (const Term& term : query.terms) {
    const std::u32string& needle = term.folded;
    if (needle.empty()) {
      continue;
    }
    size_t from = 0;
    while (true) {
      const size_t at = folded.text.find(needle, from);
      if (at == std::u32string::npos) {
        break;
      }
      const size_t end = at + needle.size();
      bool whole = true;
      if (term.kind == Term::Kind::kWord) {
        // A word matches whole tokens only ("cafe" is not marked inside "cafeteria").
        const bool starts = at == 0 || !is_word_char(folded.text[at - 1]);
        const bool ends = end == folded.text.size() || !is_word_char(folded.text[end]) ||
                          needle.size() >= kMaxWordChars;
        whole = starts && ends;
      }
      if (whole) {
        // The range ends where the next kept code point starts, so combining marks after
        // the match stay inside it.
        ranges.emplace_back(folded.origin[at],
                            end < folded.origin.size() ? folded.origin[end] : decoded.size());
      }
      from = at + 1;
    }
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<size_t, size_t>> merged;
  for (const auto& range : ranges) {
    if (!merged.empty() && range.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, range.second);
    } else {
      merged.push_back(range);
    }
  }
  return merged;
}

int64_t title_key(std::string_view title) {
  constexpr size_t kMinKeyChars = 4;  // shorter titles ("1", "热搜") say nothing of a story
  const Folded folded = fold_text(decode_utf8(title));
  std::u32string kept;
  for (char32_t c : folded.text) {
    if (is_word_char(c) || is_cjk(c)) {
      kept += c;
    }
  }
  if (kept.size() < kMinKeyChars) {
    return 0;
  }
  return fnv1a(encode_utf8(kept));
}

int64_t url_key(std::string_view url) {
  auto lower = [](std::string_view s) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') {
        c = static_cast<char>(c - 'A' + 'a');
      }
    }
    return out;
  };
  std::string_view rest = url;
  const size_t scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos) {
    return 0;
  }
  const std::string scheme = lower(rest.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") {
    return 0;
  }
  rest.remove_prefix(scheme_end + 3);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  const size_t host_end = rest.find_first_of("/?");
  std::string host = lower(rest.substr(0, host_end));
  if (const size_t at = host.rfind('@'); at != std::string::npos) {
    host.erase(0, at + 1);
  }
  for (std::string_view prefix : {"www.", "m."}) {
    if (host.starts_with(prefix)) {
      host.erase(0, prefix.size());
    }
  }
  for (std::string_view port : {":80", ":443"}) {
    if (host.ends_with(port)) {
      host.erase(host.size() - port.size());
    }
  }
  if (host.empty()) {
    return 0;
  }
  std::string_view path;
  std::string_view query_text;
  if (host_end != std::string_view::npos) {
    std::string_view tail = rest.substr(host_end);
    const size_t q = tail.find('?');
    path = tail.substr(0, q);
    if (q != std::string_view::npos) {
      query_text = tail.substr(q + 1);
    }
  }
  while (!path.empty() && path.back() == '/') {
    path.remove_suffix(1);
  }
  std::string kept_query;
  while (!query_text.empty()) {
    const size_t amp = query_text.find('&');
    const std::string_view param = query_text.substr(0, amp);
    if (!param.empty() && !lower(param.substr(0, 4)).starts_with("utm_")) {
      if (!kept_query.empty()) {
        kept_query += '&';
      }
      kept_query += param;
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query_text.remove_prefix(amp + 1);
  }
  std::string key = host;
  key += path;
  if (!kept_query.empty()) {
    key += '?';
    key += kept_query;
  }
  return fnv1a(key);
}

}  // namespace mu::search
