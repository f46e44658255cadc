// PNG writing and reading (exact 8-bit round trips, libpng's other layouts), make_grid positions, and errors.
#include "strata/io/image.h"

#include <png.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <filesystem>

#include "io_test_util.h"
#include "strata/io/atomic_file.h"
#include "strata/ops/creation.h"

namespace strata::io {
namespace {

using test::error_of;
using ::testing::HasSubstr;

// Writes a PNG with libpng directly (layouts write_png does not produce: 16-bit, palette, alpha).
void write_raw_png(const std::string& path, uint32_t w, uint32_t h, int color_type, int depth,
                   std::vector<std::vector<uint8_t>> rows, const std::vector<png_color>& palette = {},
                   const std::vector<uint8_t>& trns = {}) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  std::vector<png_bytep> ptrs;
  for (auto& r : rows) ptrs.push_back(r.data());
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
    FAIL() << "libpng error writing the test file";
  }
  png_init_io(png, f);
  png_set_IHDR(png, info, w, h, depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (!palette.empty()) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  if (!trns.empty()) png_set_tRNS(png, info, trns.data(), static_cast<int>(trns.size()), nullptr);
  png_write_info(png, info);
  png_write_image(png, ptrs.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

// A value read back from an 8-bit file, as its byte.
long byte(double v) { return std::lround(v * 255.0); }

int64_t file_count(const std::string& dir) {
  return std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator());
}

TEST(Png, RoundTripIsExactForEightBitValues) {
  test::ScratchDir dir;
  // Every 8-bit value, in a pattern that differs per channel, so a channel or row mix-up fails.
  std::vector<int64_t> v(3 * 16 * 16);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>((i * 37 + i / 256 * 11) % 256);
  const Tensor rgb = from_vector(v, {3, 16, 16});
  write_png(dir.file("rgb.png"), rgb);
  const Tensor back = read_png(dir.file("rgb.png"));
  ASSERT_EQ(back.dtype(), kFloat32);
  ASSERT_EQ(back.shape(), Shape({3, 16, 16}));
  const std::vector<float> got = back.to_vector<float>();
  for (size_t i = 0; i < v.size(); ++i) ASSERT_EQ(got[i], static_cast<float>(v[i]) / 255.0f) << i;

  // Floats k / 255 come back exactly; (H, W) and (1, H, W) are grey with one channel.
  std::vector<float> f(5 * 7);
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>((i * 29) % 256) / 255.0f;
  write_png(dir.file("grey.png"), from_vector(f, {5, 7}));
  write_png(dir.file("grey1.png"), from_vector(f, {1, 5, 7}));
  EXPECT_EQ(test::read_bytes(dir.file("grey.png")), test::read_bytes(dir.file("grey1.png")));
  const Tensor g = read_png(dir.file("grey.png"));
  ASSERT_EQ(g.shape(), Shape({1, 5, 7}));
  EXPECT_EQ(g.to_vector<float>(), f);
}

TEST(Png, FloatsAreClampedAndRoundedAsTorchvision) {
  test::ScratchDir dir;
  // floor(clamp(x, 0, 1) * 255 + 0.5): -1 -> 0, 2 -> 255, 0.5 -> 128, 0.1 -> 26, 0.498 -> 127.
  const Tensor x = from_vector(std::vector<double>{-1.0, 2.0, 0.5, 0.1, 0.498, 1.0}, {2, 3});
  write_png(dir.file("c.png"), x);
  const std::vector<float> got = read_png(dir.file("c.png")).to_vector<float>();
  const std::vector<float> want = {0.0f, 1.0f, 128 / 255.0f, 26 / 255.0f, 127 / 255.0f, 1.0f};
  EXPECT_EQ(got, want);
}

TEST(Png, StridedImagesAreWrittenInLogicalOrder) {
  test::ScratchDir dir;
  // A (3, 4) transposed view of a (4, 3) tensor.
  std::vector<int64_t> v(12);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(i * 20);
  const Tensor t = from_vector(v, {4, 3}).t();
  write_png(dir.file("t.png"), t);
  const Tensor back = read_png(dir.file("t.png"));
  ASSERT_EQ(back.shape(), Shape({1, 3, 4}));
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 4; ++c) EXPECT_EQ(byte(back.at({0, r, c})), t.at({r, c})) << r << "," << c;
}

TEST(Png, ReadsSixteenBitPaletteAndAlphaFiles) {
  test::ScratchDir dir;
  // 16-bit grey: big-endian samples, v / 65535.
  write_raw_png(dir.file("g16.png"), 2, 1, PNG_COLOR_TYPE_GRAY, 16, {{0x12, 0x34, 0xff, 0xff}});
  Tensor g16 = read_png(dir.file("g16.png"));
  ASSERT_EQ(g16.shape(), Shape({1, 1, 2}));
  EXPECT_FLOAT_EQ(g16.at({0, 0, 0}), 0x1234 / 65535.0);
  EXPECT_FLOAT_EQ(g16.at({0, 0, 1}), 1.0);
  // Palette with transparency -> RGBA.
  write_raw_png(dir.file("pal.png"), 2, 1, PNG_COLOR_TYPE_PALETTE, 8, {{1, 0}}, {{10, 20, 30}, {40, 50, 60}}, {255, 7});
  Tensor pal = read_png(dir.file("pal.png"));
  ASSERT_EQ(pal.shape(), Shape({4, 1, 2}));
  EXPECT_EQ(byte(pal.at({0, 0, 0})), 40);
  EXPECT_EQ(byte(pal.at({2, 0, 0})), 60);
  EXPECT_EQ(byte(pal.at({3, 0, 0})), 7);
  EXPECT_EQ(byte(pal.at({1, 0, 1})), 20);
  EXPECT_EQ(byte(pal.at({3, 0, 1})), 255);
  // Grey + alpha -> 2 channels; 1-bit grey -> 0 or 1.
  write_raw_png(dir.file("ga.png"), 1, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {{51, 102}});
  Tensor ga = read_png(dir.file("ga.png"));
  ASSERT_EQ(ga.shape(), Shape({2, 1, 1}));
  EXPECT_EQ(byte(ga.at({1, 0, 0})), 102);
  write_raw_png(dir.file("bits.png"), 3, 1, PNG_COLOR_TYPE_GRAY, 1, {{0b10100000}});
  EXPECT_EQ(read_png(dir.file("bits.png")).to_vector<float>(), (std::vector<float>{1, 0, 1}));
}

TEST(Png, WriteErrorsNameTheFileAndTheProblem) {
  test::ScratchDir dir;
  const std::string path = dir.file("bad.png");
  EXPECT_THAT(error_of([&] { write_png(path, zeros({2, 4, 4})); }), HasSubstr("bad.png"));
  EXPECT_THAT(error_of([&] { write_png(path, zeros({2, 4, 4})); }), HasSubstr("(2, 4, 4)"));
  EXPECT_THAT(error_of([&] { write_png(path, zeros({4})); }), HasSubstr("(H, W), (1, H, W) or (3, H, W)"));
  EXPECT_THAT(error_of([&] { write_png(path, zeros({1, 3, 4, 4})); }), HasSubstr("got (1, 3, 4, 4)"));
  EXPECT_THAT(error_of([&] { write_png(path, zeros({0, 4})); }), HasSubstr("height and width"));
  EXPECT_THAT(error_of([&] { write_png(path, zeros({4, 4}, kBool)); }), HasSubstr("dtype bool"));
  EXPECT_THAT(error_of([&] { write_png(path, full({2, 2}, 256, kInt64)); }), HasSubstr("[0, 255], got 256"));
  EXPECT_THAT(error_of([&] { write_png(path, full({2, 2}, std::nan(""))); }), HasSubstr("NaN"));
  EXPECT_THAT(error_of([&] { write_png(dir.file("no/such/dir/x.png"), zeros({2, 2})); }), HasSubstr("x.png"));
  EXPECT_EQ(file_count(dir.path()), 0);  // nothing was left behind
}

TEST(Png, AtomicWriteLeavesNoPartialFile) {
  test::ScratchDir dir;
  const std::string path = dir.file("img.png");
  write_png(path, full({8, 8}, 0.25));
  const std::string good = test::read_bytes(path);
  // A failure midway through the write keeps the old file and removes the temporary one.
  detail::set_write_fault_hook([](uint64_t, size_t) { throw strata::Error("simulated crash during write"); });
  EXPECT_THAT(error_of([&] { write_png(path, full({3, 8, 8}, 0.75)); }), HasSubstr("simulated crash"));
  EXPECT_THAT(error_of([&] { write_png(dir.file("new.png"), full({8, 8}, 0.75)); }), HasSubstr("simulated crash"));
  detail::set_write_fault_hook({});
  EXPECT_EQ(test::read_bytes(path), good);
  EXPECT_FALSE(std::filesystem::exists(dir.file("new.png")));
  // A bad image never touches the old file either.
  EXPECT_THAT(error_of([&] { write_png(path, zeros({5, 8, 8})); }), HasSubstr("img.png"));
  EXPECT_EQ(test::read_bytes(path), good);
  EXPECT_EQ(file_count(dir.path()), 1);
}

TEST(Png, ReadErrorsNameTheFile) {
  test::ScratchDir dir;
  EXPECT_THAT(error_of([&] { read_png(dir.file("missing.png")); }), HasSubstr("missing.png: cannot open"));
  test::write_bytes(dir.file("text.png"), "this is not a png file");
  EXPECT_THAT(error_of([&] { read_png(dir.file("text.png")); }), HasSubstr("text.png: not a PNG file"));
  test::write_bytes(dir.file("empty.png"), "");
  EXPECT_THAT(error_of([&] { read_png(dir.file("empty.png")); }), HasSubstr("empty.png: not a PNG file"));

  // Every truncation of a valid file is an error naming it (none crashes or returns garbage).
  std::vector<int64_t> v(3 * 6 * 5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>((i * 53) % 256);
  write_png(dir.file("ok.png"), from_vector(v, {3, 6, 5}));
  const std::string bytes = test::read_bytes(dir.file("ok.png"));
  const std::string cut = dir.file("cut.png");
  for (size_t n = 0; n < bytes.size(); ++n) {
    test::write_bytes(cut, bytes.substr(0, n));
    EXPECT_THAT(error_of([&] { read_png(cut); }), HasSubstr("cut.png")) << "truncated to " << n;
  }
  test::write_bytes(cut, bytes.substr(0, bytes.size() - 20));
  EXPECT_THAT(error_of([&] { read_png(cut); }), HasSubstr("truncated"));
  // A flipped byte in the image data fails its CRC.
  std::string corrupt = bytes;
  const size_t idat = corrupt.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  corrupt[idat + 6] = static_cast<char>(corrupt[idat + 6] ^ 0x5a);
  test::write_bytes(dir.file("crc.png"), corrupt);
  EXPECT_THAT(error_of([&] { read_png(dir.file("crc.png")); }), HasSubstr("crc.png: "));
}

// ---- make_grid ----

// Images whose pixel (k, c, y, x) holds 1000 k + 100 c + 10 y + x + 1 (no value is 0, the pad value).
Tensor numbered(int64_t n, int64_t c, int64_t h, int64_t w) {
  std::vector<double> v;
  for (int64_t k = 0; k < n; ++k)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) v.push_back(static_cast<double>(1000 * k + 100 * ch + 10 * y + x + 1));
  return from_vector(v, {n, c, h, w}, kFloat32);
}

TEST(MakeGrid, PlacesImagesAsTorchvision) {
  // 5 images of (2, 2, 3), nrow 2, padding 1: xmaps 2, ymaps 3, grid (2, 3 * 3 + 1, 2 * 4 + 1) = (2, 10, 9).
  const Tensor g = make_grid(numbered(5, 2, 2, 3), 2, 1, -1.0);
  ASSERT_EQ(g.shape(), Shape({2, 10, 9}));
  ASSERT_EQ(g.dtype(), kFloat32);
  // Image k's pixel (y, x) sits at (row * 3 + 1 + y, col * 4 + 1 + x), row = k / 2, col = k % 2.
  for (int64_t k = 0; k < 5; ++k)
    for (int64_t c = 0; c < 2; ++c)
      for (int64_t y = 0; y < 2; ++y)
        for (int64_t x = 0; x < 3; ++x)
          EXPECT_EQ(g.at({c, (k / 2) * 3 + 1 + y, (k % 2) * 4 + 1 + x}), 1000 * k + 100 * c + 10 * y + x + 1)
              << k << c << y << x;
  // Borders, gaps and the empty sixth cell are the pad value.
  EXPECT_EQ(g.at({0, 0, 0}), -1);
  EXPECT_EQ(g.at({1, 3, 2}), -1);  // the row gap
  EXPECT_EQ(g.at({0, 1, 4}), -1);  // the column gap
  EXPECT_EQ(g.at({0, 7, 5}), -1);  // where image 5 would be
  EXPECT_EQ(g.at({0, 9, 8}), -1);
  double sum_pad = 0;
  for (double v : g.to_vector<double>()) sum_pad += v == -1 ? 1 : 0;
  EXPECT_EQ(sum_pad, 2 * (10 * 9 - 5 * 2 * 3));
}

TEST(MakeGrid, GreyStaysOneChannelAndDefaultsMatchTorchvision) {
  // 10 grey (1, 2, 2) images, nrow 8, padding 2: (1, 2 * 4 + 2, 8 * 4 + 2) = (1, 10, 34).
  const Tensor g = make_grid(numbered(10, 1, 2, 2));
  ASSERT_EQ(g.shape(), Shape({1, 10, 34}));
  EXPECT_EQ(g.at({0, 2, 2}), 1);           // image 0, pixel (0, 0)
  EXPECT_EQ(g.at({0, 3, 31}), 7000 + 12);  // image 7, pixel (1, 1): column 7 * 4 + 2 + 1
  EXPECT_EQ(g.at({0, 6, 6}), 9000 + 1);    // image 9: row 1, column 1
  EXPECT_EQ(g.at({0, 6, 10}), 0);          // cell 10 is empty
  // Fewer images than nrow: one row as wide as the images.
  EXPECT_EQ(make_grid(numbered(3, 3, 4, 4), 8, 0).shape(), Shape({3, 4, 12}));
  // A single image comes back as it is (torchvision's early return): no padding.
  const Tensor one = make_grid(numbered(1, 3, 4, 5));
  EXPECT_EQ(one.shape(), Shape({3, 4, 5}));
  EXPECT_EQ(one.at({2, 3, 4}), 235);
  EXPECT_EQ(make_grid(numbered(1, 1, 4, 5).select(0, 0).select(0, 0)).shape(), Shape({1, 4, 5}));  // (H, W) is grey
}

TEST(MakeGrid, NormalizeMapsTheRangeToZeroOne) {
  const Tensor x = from_vector(std::vector<float>{-1, 0, 1, 3, -3, 0.5f, 0.5f, 0.5f}, {2, 1, 2, 2});
  GridOptions o;
  o.padding = 0;
  o.normalize = true;
  o.value_range = {{-1.0, 1.0}};  // tanh outputs: clamp, then (x + 1) / 2
  EXPECT_EQ(make_grid(x, o).to_vector<float>(), (std::vector<float>{0, 0.5f, 0, 0.75f, 1, 1, 0.75f, 0.75f}));
  o.value_range.reset();  // min..max over all images: -3..3
  const std::vector<float> mm = make_grid(x, o).to_vector<float>();
  EXPECT_FLOAT_EQ(mm[0], 2 / 6.0f);
  EXPECT_FLOAT_EQ(mm[3], 3.5f / 6);  // image 1, pixel (0, 1) = 0.5
  EXPECT_FLOAT_EQ(mm[4], 4 / 6.0f);  // image 0, pixel (1, 0) = 1
  EXPECT_FLOAT_EQ(mm[5], 1.0f);      // 3
  o.scale_each = true;               // image 0 by its -1..3, image 1 by its -3..0.5
  EXPECT_EQ(make_grid(x, o).to_vector<float>(), (std::vector<float>{0, 0.25f, 0, 1, 0.5f, 1, 1, 1}));
  // A constant image does not divide by zero (max(high - low, 1e-5)).
  EXPECT_EQ(make_grid(full({2, 1, 2, 2}, 7.0), o).to_vector<float>(), std::vector<float>(8, 0.0f));
  // The caller's tensor is left alone.
  EXPECT_EQ(x.at({1, 0, 0, 0}), -3);
}

TEST(MakeGrid, Errors) {
  EXPECT_THAT(error_of([] { make_grid(zeros({2, 1, 2, 2, 2})); }), HasSubstr("(2, 1, 2, 2, 2)"));
  EXPECT_THAT(error_of([] { make_grid(zeros({2, 1, 2, 2}), 0); }), HasSubstr("nrow"));
  EXPECT_THAT(error_of([] { make_grid(zeros({2, 1, 2, 2}), 2, -1); }), HasSubstr("padding"));
  GridOptions o;
  o.value_range = {{1.0, 1.0}};
  EXPECT_THAT(error_of([&] { make_grid(zeros({2, 1, 2, 2}), o); }), HasSubstr("value_range"));
}

}  // namespace
}  // namespace strata::io
