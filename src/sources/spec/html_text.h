// HTML fragments as feeds and APIs embed them (descriptions, summaries, escaped titles):
// plain text and the first image. Uses libxml2's HTML parser through HtmlDoc, so every
// named entity is known. Pure functions; safe for concurrent use.
#pragma once

#include <string>
#include <string_view>

namespace mu {

// Text of an HTML fragment: tags removed (script/style content dropped, block elements and
// <br> separate words), entities decoded, whitespace collapsed. Text without '<' or '&' is
// only whitespace-collapsed.
std::string html_to_text(std::string_view html);

// The src of the first <img> in an HTML fragment ("" when none), not resolved.
std::string first_image_src(std::string_view html);

}  // namespace mu
