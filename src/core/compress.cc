#include "core/compress.h"

#include <zlib.h>

#include <memory>

namespace mu {
namespace {

struct DeflateDeleter {
  void operator()(z_stream* s) const {
    deflateEnd(s);
    std::default_delete<z_stream>()(s);
  }
};
struct InflateDeleter {
  void operator()(z_stream* s) const {
    inflateEnd(s);
    std::default_delete<z_stream>()(s);
  }
};

}  // namespace

std::string gzip_compress(std::string_view data, int level) {
  auto zs = std::make_unique<z_stream>();
  if (deflateInit2(zs.get(), level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::unique_ptr<z_stream, DeflateDeleter> guard(zs.release());
  std::string out;
  out.resize(deflateBound(guard.get(), static_cast<uLong>(data.size())) + 32);
  guard->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  guard->avail_in = static_cast<uInt>(data.size());
  guard->next_out = reinterpret_cast<Bytef*>(out.data());
  guard->avail_out = static_cast<uInt>(out.size());
  int rc = deflate(guard.get(), Z_FINISH);
  if (rc != Z_STREAM_END) return {};
  out.resize(guard->total_out);
  return out;
}

Result<std::string> gzip_decompress(std::string_view data, std::size_t max_output) {
  auto zs = std::make_unique<z_stream>();
  // 15 + 32: detect gzip or zlib headers automatically.
  if (inflateInit2(zs.get(), 15 + 32) != Z_OK) return error(ErrorCode::kInternal, "inflateInit2");
  std::unique_ptr<z_stream, InflateDeleter> guard(zs.release());
  guard->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  guard->avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  for (;;) {
    guard->next_out = reinterpret_cast<Bytef*>(buf);
    guard->avail_out = sizeof buf;
    int rc = inflate(guard.get(), Z_NO_FLUSH);
    out.append(buf, sizeof buf - guard->avail_out);
    if (out.size() > max_output) {
      return error(ErrorCode::kTooLarge,
                   "decompressed body exceeds " + std::to_string(max_output) + " bytes");
    }
    if (rc == Z_STREAM_END) return out;
    if (rc != Z_OK) return error(ErrorCode::kParse, "corrupt compressed data");
    if (guard->avail_in == 0 && guard->avail_out != 0) {
      return error(ErrorCode::kParse, "truncated compressed data");
    }
  }
}

}  // namespace mu
