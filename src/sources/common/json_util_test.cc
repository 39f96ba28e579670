#include "sources/common/json_util.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

JsonDoc parse_ok(std::string_view body) {
  auto doc = JsonDoc::parse(body, "test.board");
  EXPECT_TRUE(doc.ok()) << doc.status().to_string();
  return std::move(doc).value();
}

TEST(Json, ParseErrorNamesBoardAndOffset) {
  auto truncated = JsonDoc::parse(R"({"ok":1,"data":{"realtime":[{"word":"a")", "weibo.hot-search");
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.code(), ErrorCode::kParse);
  EXPECT_EQ(truncated.error_message().rfind("weibo.hot-search: invalid JSON at offset 39: ", 0), 0u)
      << truncated.error_message();

  auto garbage = JsonDoc::parse(R"({"a":1} trailing)", "b.c");
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error_message().find("offset 8"), std::string::npos) << garbage.error_message();

  auto html = JsonDoc::parse("<html><body>login</body></html>", "b.c");
  EXPECT_EQ(html.code(), ErrorCode::kParse);
  EXPECT_NE(html.error_message().find("offset 0"), std::string::npos) << html.error_message();

  EXPECT_EQ(JsonDoc::parse("", "b.c").code(), ErrorCode::kParse);
}

TEST(Json, PathsWalkObjectsAndArrays) {
  JsonDoc doc = parse_ok(R"({"data":{"realtime":[{"word":"元旦","num":12},{"word":"跨年"}]}})");
  JsonView root = doc.root();
  EXPECT_TRUE(root.get("data.realtime").is_array());
  EXPECT_EQ(root.get("data.realtime").size(), 2u);
  EXPECT_EQ(root.string_or("data.realtime[1].word"), "跨年");
  EXPECT_EQ(root.get("data.realtime[0].num").path(), "data.realtime[0].num");
  auto elements = root.get("data.realtime").elements();
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[1].path(), "data.realtime[1]");
  EXPECT_EQ(elements[0].integer("num"), 12);
  EXPECT_FALSE(elements[1].integer("num").has_value());
  EXPECT_FALSE(root.get("data.nothing.deeper").exists());
  EXPECT_EQ(root.get("data.nothing.deeper").path(), "data.nothing.deeper");
  EXPECT_EQ(root.get("").kind_name(), "object");
}

TEST(Json, TypedErrorsNameThePath) {
  JsonDoc doc = parse_ok(R"({"ok":-100,"data":{"realtime":{"x":1}}})");
  auto missing = doc.root().require_array("data.hotgov.list");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.code(), ErrorCode::kParse);
  EXPECT_EQ(missing.error_message(), "data.hotgov.list: missing");
  auto wrong = doc.root().require_array("data.realtime");
  EXPECT_EQ(wrong.error_message(), "data.realtime: expected array, got object");
  auto not_string = doc.root().require_string("data");
  EXPECT_EQ(not_string.error_message(), "data: expected string, got object");
  auto root_wrong = doc.root().require_array();
  EXPECT_EQ(root_wrong.error_message(), "document: expected array, got object");
}

TEST(Json, CoercesBetweenNumbersAndStrings) {
  JsonDoc doc =
      parse_ok(R"({"id":742058,"big":18446744073709551615,"f":2.5,"s":"1136119","bad":"12万",)"
               R"("t":true,"one":1,"zero":"0","yes":"true","null":null})");
  JsonView r = doc.root();
  EXPECT_EQ(r.string_or("id"), "742058");
  EXPECT_EQ(r.string_or("f"), "2.5");
  EXPECT_EQ(r.string_or("null", "fallback"), "fallback");
  EXPECT_EQ(r.number("s"), 1136119);
  EXPECT_EQ(r.integer("s"), 1136119);
  EXPECT_EQ(r.integer("f"), std::nullopt);
  EXPECT_EQ(r.integer("big"), std::nullopt);
  EXPECT_FALSE(r.number("bad").has_value());
  auto bad = r.require_number("bad");
  EXPECT_EQ(bad.error_message(), "bad: expected number, got string \"12万\"");
  EXPECT_TRUE(r.bool_or("t", false));
  EXPECT_TRUE(r.bool_or("one", false));
  EXPECT_FALSE(r.bool_or("zero", true));
  EXPECT_TRUE(r.bool_or("yes", false));
  EXPECT_TRUE(r.bool_or("missing", true));
  EXPECT_TRUE(r.get("null").is_null());
}

TEST(Json, ToleratesInvalidUtf8InStrings) {
  auto doc = JsonDoc::parse(
      "{\"title\":\"a\xFF"
      "b\"}",
      "b.c");
  ASSERT_TRUE(doc.ok()) << doc.status().to_string();
  EXPECT_EQ(doc->root().string_or("title").size(), 3u);
}

TEST(Json, DocumentsMove) {
  JsonDoc a = parse_ok(R"([1,2,3])");
  JsonDoc b = std::move(a);
  EXPECT_EQ(b.root().size(), 3u);
  EXPECT_EQ(b.root().at(2).integer(""), 3);
  EXPECT_FALSE(b.root().at(3).exists());
}

}  // namespace
}  // namespace mu
