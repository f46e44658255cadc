// PNG reading and writing through libpng, and make_grid (see include/strata/io/image.h).
#include "strata/io/image.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include "strata/core/error.h"
#include "strata/io/atomic_file.h"
#include "strata/ops/creation.h"

namespace strata::io {

namespace {

// libpng reports errors by longjmp to the setjmp in the calling frame. The frames that call setjmp
// (encode, decode_header, decode_rows) hold only trivially destructible locals, so the jump skips no
// destructors; every C++ allocation happens before or after them.
struct PngContext {
  char message[256] = "";
  // Writing: bytes go to *out (a failed append is reported through `oom`, not thrown through libpng).
  std::vector<uint8_t>* out = nullptr;
  bool oom = false;
  // Reading: the file's bytes.
  const uint8_t* in = nullptr;
  size_t in_size = 0;
  size_t in_pos = 0;
};

void on_error(png_structp png, png_const_charp msg) {
  auto* ctx = static_cast<PngContext*>(png_get_error_ptr(png));
  std::snprintf(ctx->message, sizeof(ctx->message), "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}  // e.g. unknown chunks; the decoded values are still right

void on_write(png_structp png, png_bytep data, size_t n) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  bool failed = false;
  try {
    ctx->out->insert(ctx->out->end(), data, data + n);
  } catch (...) {
    failed = true;
  }
  if (failed) {
    ctx->oom = true;
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

void on_read(png_structp png, png_bytep data, size_t n) {
  auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
  if (ctx->in_size - ctx->in_pos < n) png_error(png, "unexpected end of file (truncated)");
  std::memcpy(data, ctx->in + ctx->in_pos, n);
  ctx->in_pos += n;
}

// Encodes 8-bit rows (grey or RGB) into ctx->out; false (ctx->message set) on a libpng error.
bool encode(PngContext* ctx, uint32_t width, uint32_t height, int color_type, png_bytep* rows) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
  if (png == nullptr) {
    std::snprintf(ctx->message, sizeof(ctx->message), "png_create_write_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    if (ctx->message[0] == '\0') std::snprintf(ctx->message, sizeof(ctx->message), "libpng error");
    return false;
  }
  png_set_write_fn(png, ctx, on_write, on_flush);
  png_set_IHDR(png, info, width, height, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

struct PngHeader {
  uint32_t width = 0, height = 0;
  int channels = 0;   // after the expansions set up in decode_header
  int bit_depth = 0;  // 8 or 16
  size_t rowbytes = 0;
};

// Reads the header and sets up the expansions; on success *png / *info stay alive for decode_rows.
bool decode_header(PngContext* ctx, png_structp* png_out, png_infop* info_out, PngHeader* h) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
  if (png == nullptr) {
    std::snprintf(ctx->message, sizeof(ctx->message), "png_create_read_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    if (ctx->message[0] == '\0') std::snprintf(ctx->message, sizeof(ctx->message), "libpng error");
    return false;
  }
  png_set_read_fn(png, ctx, on_read);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  h->width = png_get_image_width(png, info);
  h->height = png_get_image_height(png, info);
  h->channels = png_get_channels(png, info);
  h->bit_depth = png_get_bit_depth(png, info);
  h->rowbytes = png_get_rowbytes(png, info);
  *png_out = png;
  *info_out = info;
  return true;
}

bool decode_rows(png_structp png, png_bytep* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);  // reads (and CRC-checks) the chunks after the image data
  return true;
}

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in.good(), "[read_png] ", path, ": cannot open: ", std::strerror(errno));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  STRATA_CHECK(!in.bad(), "[read_png] ", path, ": read error");
  return bytes;
}

// float/int image (C, H, W) -> interleaved 8-bit pixels (H, W, C).
std::vector<uint8_t> to_pixels(const std::string& path, const Tensor& chw) {
  const int64_t c = chw.size(0), h = chw.size(1), w = chw.size(2);
  std::vector<uint8_t> pixels(static_cast<size_t>(c * h * w));
  if (chw.dtype() == kInt64) {
    const std::vector<int64_t> v = chw.contiguous().to_vector<int64_t>();
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < h * w; ++i) {
        const int64_t x = v[static_cast<size_t>(ch * h * w + i)];
        STRATA_CHECK(x >= 0 && x <= 255, "[write_png] ", path, ": int64 images hold 8-bit values in [0, 255], got ", x,
                     " at channel ", ch, ", row ", i / w, ", column ", i % w);
        pixels[static_cast<size_t>(i * c + ch)] = static_cast<uint8_t>(x);
      }
    }
    return pixels;
  }
  const std::vector<double> v = chw.contiguous().to_vector<double>();
  for (int64_t ch = 0; ch < c; ++ch) {
    for (int64_t i = 0; i < h * w; ++i) {
      double x = v[static_cast<size_t>(ch * h * w + i)];
      STRATA_CHECK(!std::isnan(x), "[write_png] ", path, ": NaN at channel ", ch, ", row ", i / w, ", column ", i % w);
      x = std::floor(std::clamp(x, 0.0, 1.0) * 255.0 + 0.5);
      pixels[static_cast<size_t>(i * c + ch)] = static_cast<uint8_t>(x);
    }
  }
  return pixels;
}

}  // namespace

void write_png(const std::string& path, const Tensor& image) {
  STRATA_CHECK(image.defined(), "[write_png] ", path, ": the image tensor is undefined");
  const DType dt = image.dtype();
  STRATA_CHECK(is_floating(dt) || dt == kInt64, "[write_png] ", path,
               ": expected a floating image in [0, 1] or int64 8-bit values, got dtype ", dt);
  Tensor chw = image;
  if (chw.dim() == 2) chw = chw.unsqueeze(0);
  STRATA_CHECK(chw.dim() == 3 && (chw.size(0) == 1 || chw.size(0) == 3), "[write_png] ", path,
               ": expected an image of shape (H, W), (1, H, W) or (3, H, W), got ", image.shape());
  const int64_t c = chw.size(0), h = chw.size(1), w = chw.size(2);
  STRATA_CHECK(h > 0 && w > 0 && h <= PNG_USER_HEIGHT_MAX && w <= PNG_USER_WIDTH_MAX, "[write_png] ", path,
               ": image height and width must be in [1, ", PNG_USER_WIDTH_MAX, "], got shape ", image.shape());
  std::vector<uint8_t> pixels = to_pixels(path, chw);
  std::vector<png_bytep> rows(static_cast<size_t>(h));
  for (int64_t y = 0; y < h; ++y) rows[static_cast<size_t>(y)] = pixels.data() + y * w * c;

  std::vector<uint8_t> encoded;
  encoded.reserve(pixels.size() / 2 + 1024);
  PngContext ctx;
  ctx.out = &encoded;
  const bool ok = encode(&ctx, static_cast<uint32_t>(w), static_cast<uint32_t>(h),
                         c == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, rows.data());
  if (ctx.oom) throw std::bad_alloc();
  STRATA_CHECK(ok, "[write_png] ", path, ": libpng: ", ctx.message);

  AtomicFile file(path);
  file.write(encoded.data(), encoded.size());
  file.commit();
}

Tensor read_png(const std::string& path) {
  const std::vector<uint8_t> bytes = read_all(path);
  STRATA_CHECK(bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0, "[read_png] ", path, ": not a PNG file (",
               bytes.size() < 8 ? "shorter than the 8-byte signature" : "bad signature", ")");
  PngContext ctx;
  ctx.in = bytes.data();
  ctx.in_size = bytes.size();
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngHeader h;
  STRATA_CHECK(decode_header(&ctx, &png, &info, &h), "[read_png] ", path, ": ", ctx.message);
  struct Destroy {
    png_structp* png;
    png_infop* info;
    ~Destroy() { png_destroy_read_struct(png, info, nullptr); }
  } destroy{&png, &info};
  const int c = h.channels;
  const size_t bytes_per_sample = h.bit_depth == 16 ? 2 : 1;
  STRATA_CHECK(h.bit_depth == 8 || h.bit_depth == 16, "[read_png] ", path, ": unsupported bit depth ", h.bit_depth);
  STRATA_CHECK(h.rowbytes == static_cast<size_t>(h.width) * c * bytes_per_sample, "[read_png] ", path,
               ": unexpected row size ", h.rowbytes);
  std::vector<uint8_t> pixels(h.rowbytes * h.height);
  std::vector<png_bytep> rows(h.height);
  for (uint32_t y = 0; y < h.height; ++y) rows[y] = pixels.data() + y * h.rowbytes;
  STRATA_CHECK(decode_rows(png, rows.data()), "[read_png] ", path, ": ", ctx.message);

  const int64_t H = h.height, W = h.width, C = c;
  Tensor out = empty({C, H, W}, kFloat32);
  float* dst = out.data_ptr<float>();
  for (int64_t y = 0; y < H; ++y) {
    const uint8_t* row = rows[static_cast<size_t>(y)];
    for (int64_t x = 0; x < W; ++x) {
      for (int64_t ch = 0; ch < C; ++ch) {
        const size_t i = static_cast<size_t>(x * C + ch);
        const float v = bytes_per_sample == 2 ? static_cast<float>((row[2 * i] << 8) | row[2 * i + 1]) / 65535.0f
                                              : static_cast<float>(row[i]) / 255.0f;
        dst[(ch * H + y) * W + x] = v;
      }
    }
  }
  return out;
}

Tensor make_grid(const Tensor& images, int64_t nrow, int64_t padding, double pad_value) {
  GridOptions o;
  o.nrow = nrow;
  o.padding = padding;
  o.pad_value = pad_value;
  return make_grid(images, o);
}

Tensor make_grid(const Tensor& images, const GridOptions& o) {
  STRATA_CHECK(images.defined(), "[make_grid] the images tensor is undefined");
  STRATA_CHECK(images.dim() >= 2 && images.dim() <= 4,
               "[make_grid] expected images (N, C, H, W), (C, H, W) or (H, W), got ", images.shape());
  STRATA_CHECK(o.nrow >= 1, "[make_grid] nrow must be >= 1, got ", o.nrow);
  STRATA_CHECK(o.padding >= 0, "[make_grid] padding must be >= 0, got ", o.padding);
  if (o.value_range) {
    STRATA_CHECK(o.value_range->first < o.value_range->second, "[make_grid] value_range must have low < high, got (",
                 o.value_range->first, ", ", o.value_range->second, ")");
  }
  Tensor t = images;
  while (t.dim() < 4) t = t.unsqueeze(0);
  STRATA_CHECK(t.numel() > 0, "[make_grid] no images: shape ", images.shape());
  // A copy, so that normalizing in place leaves the caller's tensor alone.
  t = t.to(images.dtype() == kFloat64 ? kFloat64 : kFloat32).clone();

  if (o.normalize) {
    // torchvision's norm_ip: clamp to [low, high], then (x - low) / max(high - low, 1e-5).
    auto norm = [&](Tensor x) {
      const double low = o.value_range ? o.value_range->first : x.min().item();
      const double high = o.value_range ? o.value_range->second : x.max().item();
      x.clamp_(low, high);
      x.add_(-low);
      x.div_(std::max(high - low, 1e-5));
    };
    if (o.scale_each) {
      for (int64_t k = 0; k < t.size(0); ++k) norm(t.select(0, k));
    } else {
      norm(t);
    }
  }
  if (t.size(0) == 1) return t.select(0, 0);

  const int64_t n = t.size(0), c = t.size(1), h = t.size(2), w = t.size(3);
  const int64_t xmaps = std::min(o.nrow, n);
  const int64_t ymaps = (n + xmaps - 1) / xmaps;
  const int64_t cell_h = h + o.padding, cell_w = w + o.padding;
  Tensor grid = full({c, cell_h * ymaps + o.padding, cell_w * xmaps + o.padding}, o.pad_value, t.dtype());
  for (int64_t k = 0; k < n; ++k) {
    const int64_t y = k / xmaps, x = k % xmaps;
    grid.narrow(1, y * cell_h + o.padding, h).narrow(2, x * cell_w + o.padding, w).copy_(t.select(0, k));
  }
  return grid;
}

}  // namespace strata::io
