#include "core/search_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace mu::search {
namespace {

using Tokens = std::vector<std::string>;
using Ranges = std::vector<std::pair<size_t, size_t>>;

Query parsed(std::string_view q) {
  Result<Query> query = parse_query(q);
  EXPECT_TRUE(query.ok()) << q << ": " << query.status().to_string();
  return query.ok() ? *query : Query{};
}

// The substring of `text` in code points [begin, end).
std::string slice(std::string_view text, std::pair<size_t, size_t> range) {
  const std::u32string decoded = decode_utf8(text);
  return encode_utf8(std::u32string_view(decoded).substr(range.first, range.second - range.first));
}

TEST(SearchTextTest, FoldsCaseDiacriticsAndFullWidthFormsPerCodePoint) {
  EXPECT_EQ(fold(U'A'), U'a');
  EXPECT_EQ(fold(U'É'), U'e');
  EXPECT_EQ(fold(U'å'), U'a');
  EXPECT_EQ(fold(U'Ç'), U'c');
  EXPECT_EQ(fold(U'Ł'), U'l');
  EXPECT_EQ(fold(U'Œ'), U'œ');
  EXPECT_EQ(fold(U'ß'), U'ß');
  EXPECT_EQ(fold(U'Æ'), U'æ');
  EXPECT_EQ(fold(U'×'), U'×');
  EXPECT_EQ(fold(U'Ａ'), U'a');  // full-width A
  EXPECT_EQ(fold(U'５'), U'5');
  EXPECT_EQ(fold(U'\u3000'), U' ');
  EXPECT_EQ(fold(U'Ж'), U'ж');
  EXPECT_EQ(fold(U'Σ'), U'σ');
  EXPECT_EQ(fold(U'\u0301'), 0u);  // a combining acute accent is dropped
  EXPECT_EQ(fold(U'跨'), U'跨');
}

TEST(SearchTextTest, WordsAndCjkRunsBecomeTokens) {
  EXPECT_EQ(tokens("跨年晚会"), (Tokens{"跨年", "年晚", "晚会", "会"}));
  EXPECT_EQ(tokens("火"), (Tokens{"火"}));
  EXPECT_EQ(tokens("iPhone 17发布，售价5999元"),
            (Tokens{"iphone", "17", "发布", "布", "售价", "价", "5999", "元"}));
  EXPECT_EQ(tokens("Café CRÈME-brûlée"), (Tokens{"cafe", "creme", "brulee"}));
  EXPECT_EQ(tokens("Cafe\u0301"), (Tokens{"cafe"}));  // decomposed é
  EXPECT_EQ(tokens("ＧＰＴ－５"), (Tokens{"gpt", "5"}));
  EXPECT_EQ(tokens("「東京」のニュース"),
            (Tokens{"東京", "京", "のニ", "ニュ", "ュー", "ース", "ス"}));
  EXPECT_EQ(tokens("한국 뉴스"), (Tokens{"한국", "국", "뉴스", "스"}));
  EXPECT_EQ(tokens("🔥 !!! \"\" *"), Tokens{});
  EXPECT_EQ(tokens(std::string(100, 'a')), (Tokens{std::string(kMaxWordChars, 'a')}));
  EXPECT_EQ(tokens("a\xff"
                   "b"),
            (Tokens{"a", "b"}));  // an ill-formed byte separates
}

TEST(SearchTextTest, IndexTextJoinsTitleAndACutSummary) {
  EXPECT_EQ(index_text("跨年晚会", "Live at 8"), "跨年 年晚 晚会 会 live at 8");
  std::string long_summary;
  for (int i = 0; i < 400; ++i) {
    long_summary += "x ";
  }
  const std::string text = index_text("t", long_summary);
  // the title, then the first kMaxSummaryChars code points of the summary (150 "x ")
  EXPECT_EQ(std::count(text.begin(), text.end(), 'x'), 150);
}

TEST(SearchTextTest, TsvectorLiteralQuotesTokensWithPositions) {
  EXPECT_EQ(tsvector_literal("火灾 Fire", ""), "'火灾':1 '灾':2 'fire':3");
  EXPECT_EQ(tsvector_literal("", ""), "");
}

TEST(SearchTextTest, TwoCharacterChineseQueriesAreOneBigram) {
  const Query query = parsed("跨年");
  ASSERT_EQ(query.terms.size(), 1u);
  EXPECT_EQ(query.terms[0].kind, Term::Kind::kPhrase);
  EXPECT_EQ(query.terms[0].tokens, (Tokens{"跨年"}));
  EXPECT_EQ(fts5_match(query), "\"跨年\"");
  EXPECT_EQ(tsquery_literal(query), "'跨年'");
}

TEST(SearchTextTest, LongerRunsArePhrasesAndOneCharacterIsAPrefix) {
  const Query phrase = parsed("跨年晚会");
  EXPECT_EQ(fts5_match(phrase), "\"跨年 年晚 晚会\"");
  EXPECT_EQ(tsquery_literal(phrase), "('跨年' <-> '年晚' <-> '晚会')");
  const Query one = parsed("火");
  EXPECT_EQ(fts5_match(one), "\"火\"*");
  EXPECT_EQ(tsquery_literal(one), "'火':*");
}

TEST(SearchTextTest, MixedQueriesAndTermsAreAnded) {
  const Query query = parsed("iPhone 17 发布会");
  EXPECT_EQ(fts5_match(query), "\"iphone\" \"17\" \"发布 布会\"");
  EXPECT_EQ(tsquery_literal(query), "'iphone' & '17' & ('发布' <-> '布会')");
  // Repeated terms count once.
  EXPECT_EQ(parsed("AI ai Ai").terms.size(), 1u);
}

TEST(SearchTextTest, OperatorsAndQuotesAreOnlyText) {
  EXPECT_EQ(fts5_match(parsed("\"跨年")), "\"跨年\"");
  EXPECT_EQ(fts5_match(parsed("NEAR(a b) OR c*")), "\"near\" \"a\" \"b\" \"or\" \"c\"");
  EXPECT_EQ(tsquery_literal(parsed("a & !b | c:*")), "'a' & 'b' & 'c'");
  EXPECT_EQ(fts5_match(parsed("O'Brien")), "\"o\" \"brien\"");
}

TEST(SearchTextTest, BadQueriesAreInvalidAndNameQ) {
  for (std::string_view q :
       {std::string_view(""), std::string_view("   "), std::string_view("\"\"*"),
        std::string_view("🔥🔥"), std::string_view("\xff\xfe")}) {
    Result<Query> query = parse_query(q);
    ASSERT_FALSE(query.ok()) << q;
    EXPECT_EQ(query.status().code(), ErrorCode::kInvalid);
    EXPECT_TRUE(query.status().message().starts_with("q:")) << query.status().message();
  }
  EXPECT_FALSE(parse_query(std::string(kMaxQueryBytes + 1, 'a')).ok());
  EXPECT_TRUE(parse_query(std::string(kMaxQueryBytes, 'a')).ok());
  EXPECT_FALSE(parse_query("a b c d e f g h i").ok());  // nine terms
  EXPECT_TRUE(parse_query("a b c d e f g h").ok());
}

TEST(SearchTextTest, HighlightsAreCodePointRangesOfTheOriginalText) {
  const std::string title = "🔥跨年晚会：Café 与 CAFE 的跨年";
  const Ranges ranges = highlights(title, parsed("跨年 cafe"));
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(slice(title, ranges[0]), "跨年");
  EXPECT_EQ(ranges[0], (std::pair<size_t, size_t>{1, 3}));
  EXPECT_EQ(slice(title, ranges[1]), "Café");
  EXPECT_EQ(slice(title, ranges[2]), "CAFE");
  EXPECT_EQ(slice(title, ranges[3]), "跨年");
  // Words match whole words only; overlapping matches merge.
  EXPECT_TRUE(highlights("cafeteria", parsed("cafe")).empty());
  EXPECT_EQ(highlights("跨年年", parsed("跨年 年年")), (Ranges{{0, 3}}));
  // A decomposed accent stays inside the marked range.
  EXPECT_EQ(highlights("Cafe\u0301!", parsed("cafe")), (Ranges{{0, 5}}));
}

TEST(SearchTextTest, TitleKeysIgnoreCasePunctuationAndShortTitles) {
  EXPECT_EQ(title_key("OpenAI 发布 GPT-5！"), title_key("openai发布gpt5"));
  EXPECT_NE(title_key("OpenAI 发布 GPT-5"), title_key("OpenAI 发布 GPT-4"));
  EXPECT_EQ(title_key("热搜"), 0);
  EXPECT_EQ(title_key(""), 0);
  EXPECT_NE(title_key("某地发生火灾"), 0);
}

TEST(SearchTextTest, UrlKeysIgnoreSchemeWwwTrackingAndTrailingSlash) {
  const int64_t key = url_key("https://www.example.com/news/1?id=3");
  EXPECT_NE(key, 0);
  EXPECT_EQ(url_key("http://EXAMPLE.com/news/1/?id=3&utm_source=x#top"), key);
  EXPECT_EQ(url_key("https://m.example.com:443/news/1?utm_medium=a&id=3"), key);
  EXPECT_NE(url_key("https://example.com/news/2?id=3"), key);
  EXPECT_NE(url_key("https://example.com/news/1?id=4"), key);
  EXPECT_EQ(url_key(""), 0);
  EXPECT_EQ(url_key("javascript:alert(1)"), 0);
  EXPECT_EQ(url_key("ftp://example.com/a"), 0);
  EXPECT_EQ(url_key("https:///path"), 0);
}

}  // namespace
}  // namespace mu::search
