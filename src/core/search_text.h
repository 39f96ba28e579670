// Search text: how titles and summaries become search tokens, how a user's query becomes
// an engine query, where a query matches a title (highlights), and the keys that say two
// items are the same story. Both stores index the same tokens, so SQLite (FTS5) and
// PostgreSQL (tsvector + GIN) find the same items for the same query.
//
// Folding (per code point, so folded text aligns with the original): ASCII and Latin,
// Greek and Cyrillic letters to lower case; Latin letters with diacritics to their base
// letter (é → e, Å → a, ß stays); full-width ASCII forms to ASCII; ideographic space to a
// space; combining marks are dropped (fold() returns 0 for them). Tokens: a run of word characters
// (letters and digits that are not CJK) is one token, cut at kMaxWordChars; a run of CJK characters
// (Han, kana, Hangul) gives its overlapping bigrams and then its last character alone ("跨年晚会" →
// 跨年 年晚 晚会 会), so any substring of two or more characters is a phrase of consecutive bigrams
// and a single character is a prefix of some token. Everything else separates tokens.
//
// Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mu::search {

// The longest word token, in code points (longer runs are cut).
inline constexpr size_t kMaxWordChars = 64;
// The summary indexed with a title is cut to this many code points.
inline constexpr size_t kMaxSummaryChars = 300;
// Limits of a query: bytes of ?q= and the number of terms.
inline constexpr size_t kMaxQueryBytes = 256;
inline constexpr size_t kMaxTerms = 8;

// `c` folded (see above).
char32_t fold(char32_t c);
// True for CJK code points (Han ideographs, kana, Hangul).
bool is_cjk(char32_t c);
// True for code points that are part of a word (letters and digits, not CJK).
bool is_word_char(char32_t c);

// UTF-8 to code points (an ill-formed byte becomes U+FFFD) and back.
std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

// The tokens of `text`, in order (see above).
std::vector<std::string> tokens(std::string_view text);

// What a store indexes for an item: the tokens of the title, then those of the summary
// (cut to kMaxSummaryChars), separated by single spaces. SQLite's FTS5 column holds it.
std::string index_text(std::string_view title, std::string_view summary);
// The same tokens as a PostgreSQL tsvector literal with positions ("'跨年':1 '年晚':2"),
// cast with CAST($n AS tsvector); positions stop growing at 16383 (PostgreSQL's limit).
std::string tsvector_literal(std::string_view title, std::string_view summary);

// One term of a query. kWord: one word token. kPhrase: consecutive CJK bigrams. kPrefix: a
// single CJK character, found at the start of a token.
struct Term {
  enum class Kind { kWord, kPhrase, kPrefix };
  Kind kind = Kind::kWord;
  std::vector<std::string> tokens;  // kWord / kPrefix: one; kPhrase: the bigrams
  std::u32string folded;            // the folded term text (what highlights look for)
};

// A parsed query: every term must match (AND). No operators: quotes, *, -, NEAR, OR and
// any other punctuation are plain text (separators, or words such as "near").
struct Query {
  std::vector<Term> terms;
};

// Parses ?q=. kInvalid, with a message naming `q`, when it is empty, longer than
// kMaxQueryBytes, not valid UTF-8, has no searchable characters or more than kMaxTerms terms.
Result<Query> parse_query(std::string_view q);

// The query as an FTS5 MATCH expression: each term a quoted string ("跨年" "iphone" "火"*),
// implicitly ANDed. Quotes cannot occur inside tokens, so user text cannot become syntax.
std::string fts5_match(const Query& query);
// The query as a PostgreSQL tsquery literal for CAST($n AS tsquery): 'a' <-> 'b' & 'c':*.
std::string tsquery_literal(const Query& query);

// Where the query's terms occur in `text`: sorted, merged [begin, end) ranges in code
// points of `text` (what a client marks).
std::vector<std::pair<size_t, size_t>> highlights(std::string_view text, const Query& query);

// Story keys: two items are the same story when their title keys (the folded title with
// only word and CJK characters kept) or their URL keys (scheme, "www.", "m.", fragment, a
// trailing "/" and utm_* parameters dropped, host lower-cased) are equal. 64-bit FNV-1a,
// stored as a signed BIGINT; 0 means "no key" (empty title or URL) and never matches.
int64_t title_key(std::string_view title);
int64_t url_key(std::string_view url);

}  // namespace mu::search
