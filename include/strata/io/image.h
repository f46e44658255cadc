#pragma once
// PNG images through libpng (Debian's libpng-dev), and torchvision's make_grid for sample sheets.
//
//   Tensor grid = io::make_grid(samples, io::GridOptions{.nrow = 8, .normalize = true, .value_range = {{-1, 1}}});
//   io::write_png("runs/gan/samples_0010.png", grid);   // samples: (N, C, H, W), tanh outputs in [-1, 1]
//   Tensor img = io::read_png("digit.png");              // float32 (C, H, W) in [0, 1]
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "strata/core/tensor.h"

namespace strata::io {

// Writes `image` as an 8-bit PNG, atomically (io::AtomicFile: a failure leaves no file at `path`).
// image: (H, W) or (1, H, W) grey, or (3, H, W) RGB (channels first, as torchvision), any strides.
// Floating dtypes are values in [0, 1], clamped, then stored as floor(x * 255 + 0.5) (torchvision's
// save_image rule). Strata has no uint8 dtype: int64 images are taken as 8-bit values and must lie in
// [0, 255]. Errors (strata::Error) name the file and the shape, dtype or value that was wrong.
void write_png(const std::string& path, const Tensor& image);

// Reads a PNG file -> float32 (C, H, W), each value v / 255 (v / 65535 for 16-bit files). C is the file's
// channel count: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA (as torchvision's read_image with
// ImageReadMode.UNCHANGED); palette images expand to RGB (RGBA with transparency), 1/2/4-bit grey to 8-bit.
// Gamma chunks are ignored (values as stored). A missing, non-PNG, corrupt or truncated file is a
// strata::Error naming the file.
Tensor read_png(const std::string& path);

struct GridOptions {
  int64_t nrow = 8;      // images per row
  int64_t padding = 2;   // pixels between images and around the border
  double pad_value = 0;  // value of the padding pixels
  // Maps value_range (or, without one, the min..max of the images) to [0, 1], clamping values outside it;
  // e.g. value_range {-1, 1} for a tanh generator. scale_each: each image by its own min..max (or range).
  bool normalize = false;
  std::optional<std::pair<double, double>> value_range;
  bool scale_each = false;
};

// torchvision.utils.make_grid: images (N, C, H, W) -> (C, ymaps * (H + padding) + padding,
// xmaps * (W + padding) + padding), with xmaps = min(nrow, N), ymaps = ceil(N / xmaps); image k at row k / xmaps,
// column k % xmaps, its top-left pixel at (row * (H + padding) + padding, col * (W + padding) + padding).
// (C, H, W) and (H, W) inputs are one image. Like torchvision, a single image is returned as it is (normalized,
// without padding). Unlike torchvision, C = 1 stays one channel (torchvision repeats it to 3): write_png
// writes it as grey. The result is float64 for float64 images, float32 otherwise.
Tensor make_grid(const Tensor& images, const GridOptions& options);
Tensor make_grid(const Tensor& images, int64_t nrow = 8, int64_t padding = 2, double pad_value = 0);

}  // namespace strata::io
