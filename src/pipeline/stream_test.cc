#include "pipeline/stream.h"

#include <gtest/gtest.h>

namespace mu {
namespace {

Item flash(std::string key, std::string title, std::optional<int64_t> at) {
  Item it;
  it.key = std::move(key);
  it.title = std::move(title);
  it.url = "https://example.com/" + it.key;
  it.published_at_ms = at;
  return it;
}

std::vector<std::string> keys(const std::vector<Item>& items) {
  std::vector<std::string> out;
  for (const auto& it : items) out.push_back(it.key);
  return out;
}

TEST(MergeStream, AppendsNewEntriesNewestFirstWithoutDuplicates) {
  std::vector<Item> previous = {flash("b", "B", 200), flash("a", "A", 100)};
  std::vector<Item> fresh = {flash("d", "D", 400), flash("c", "C", 300), flash("b", "B2", 200)};
  auto merged = merge_stream(fresh, previous);
  EXPECT_EQ(keys(merged), (std::vector<std::string>{"d", "c", "b", "a"}));
  EXPECT_EQ(merged[2].title, "B2");  // the fresh copy wins (edited text)
}

TEST(MergeStream, CapsAndKeepsUndatedOrder) {
  std::vector<Item> previous = {flash("x", "X", std::nullopt), flash("a", "A", 100)};
  std::vector<Item> fresh = {flash("y", "Y", std::nullopt), flash("b", "B", 200)};
  auto merged = merge_stream(fresh, previous, 3);
  EXPECT_EQ(keys(merged), (std::vector<std::string>{"b", "a", "y"}));
}

}  // namespace
}  // namespace mu
