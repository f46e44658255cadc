// upsample_nearest2d and upsample_bilinear2d: output size and PyTorch's scale rule, the conv family's
// resampling kernels (backend/conv.h), and the backward (the kernels' adjoint scatter; not differentiable again).
#include "strata/ops/upsample.h"

#include <cmath>
#include <optional>

#include "backend/conv.h"
#include "ops/helpers.h"
#include "strata/autograd/grad_mode.h"
#include "strata/ops/views.h"

namespace strata {

namespace {
using autograd::NeedsGrad;
using backend::UpsampleGeom;

Tensor contiguous_as(const Tensor& x, DType t) {
  NoGradGuard no_grad;
  return contiguous(ops::cast(x, t));
}

enum class Mode { kNearest, kBilinear };

// size: the output size, or (with scales) computed as floor(in * scale) as PyTorch's interpolate does.
Tensor upsample(const char* op, Mode mode, const Tensor& x_in, std::optional<Size2> size,
                std::optional<std::array<double, 2>> scales, bool align_corners) {
  STRATA_CHECK(x_in.defined(), "[", op, "] undefined tensor");
  STRATA_CHECK(x_in.dim() == 3 || x_in.dim() == 4, "[", op,
               "] expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ", x_in.shape());
  if (Tensor r =
          ops::via_float32("upsample", {&x_in},
                           [&](const TensorList& u) { return upsample(op, mode, u[0], size, scales, align_corners); });
      r.defined()) {
    return r;
  }

  const bool unbatched = x_in.dim() == 3;
  const Tensor x = unbatched ? unsqueeze(x_in, 0) : x_in;
  UpsampleGeom g;
  g.planes = x.size(0) * x.size(1), g.h = x.size(2), g.w = x.size(3);
  STRATA_CHECK(g.h > 0 && g.w > 0, "[", op, "] empty input of shape ", x_in.shape());
  if (scales) {
    const auto [sh, sw] = *scales;
    STRATA_CHECK(sh > 0 && sw > 0 && std::isfinite(sh) && std::isfinite(sw), "[", op,
                 "] scale factors must be positive, got (", sh, ", ", sw, ")");
    g.ho = static_cast<int64_t>(std::floor(static_cast<double>(g.h) * sh));
    g.wo = static_cast<int64_t>(std::floor(static_cast<double>(g.w) * sw));
    g.scale_h = 1.0 / sh, g.scale_w = 1.0 / sw;
  } else {
    g.ho = (*size)[0], g.wo = (*size)[1];
  }
  STRATA_CHECK(g.ho > 0 && g.wo > 0, "[", op, "] output size (", g.ho, ", ", g.wo, ") must be positive, input shape ",
               x_in.shape());
  if (!scales) {
    g.scale_h = static_cast<double>(g.h) / static_cast<double>(g.ho);
    g.scale_w = static_cast<double>(g.w) / static_cast<double>(g.wo);
  }
  g.align_corners = align_corners;
  const DType t = ops::float_compute_dtype(x.dtype());
  const Device dev = x.device();
  const Tensor xc = contiguous_as(x, t);
  Tensor out = Tensor::empty(Shape{x.size(0), x.size(1), g.ho, g.wo}, t, dev);
  const backend::ConvKernels& k = backend::conv(op, dev);
  (mode == Mode::kNearest ? k.upsample_nearest2d_forward : k.upsample_bilinear2d_forward)(g, out, xc);
  if (autograd::needs_grad({&x})) {
    const DType x_dtype = x.dtype();
    const Shape x_shape = x.shape();
    const std::string name = op;
    autograd::record(op, {x}, out, [=](const TensorList& gr, const NeedsGrad&) {
      const Tensor dy = contiguous_as(gr[0], t);
      Tensor dx = Tensor::empty(x_shape, t, dev);
      const backend::ConvKernels& kb = backend::conv(name.c_str(), dev);
      (mode == Mode::kNearest ? kb.upsample_nearest2d_backward : kb.upsample_bilinear2d_backward)(g, dx, dy);
      return TensorList{ops::cast(dx, x_dtype)};
    });
  }
  return unbatched ? squeeze(out, 0) : out;
}

}  // namespace

Tensor upsample_nearest2d(const Tensor& x, Size2 output_size) {
  return upsample("upsample_nearest2d", Mode::kNearest, x, output_size, std::nullopt, false);
}

Tensor upsample_nearest2d(const Tensor& x, double scale_h, double scale_w) {
  return upsample("upsample_nearest2d", Mode::kNearest, x, std::nullopt, std::array<double, 2>{scale_h, scale_w},
                  false);
}

Tensor upsample_bilinear2d(const Tensor& x, Size2 output_size, bool align_corners) {
  return upsample("upsample_bilinear2d", Mode::kBilinear, x, output_size, std::nullopt, align_corners);
}

Tensor upsample_bilinear2d(const Tensor& x, double scale_h, double scale_w, bool align_corners) {
  return upsample("upsample_bilinear2d", Mode::kBilinear, x, std::nullopt, std::array<double, 2>{scale_h, scale_w},
                  align_corners);
}

}  // namespace strata
