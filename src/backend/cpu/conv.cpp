// The cpu backend's convolution, pooling and upsampling: the im2col + GEMM (or oneDNN) convolutions of
// kernels/cpu/conv.h, the threaded pooling kernels of pool.h and the resampling kernels of upsample.h.
#include "backend/conv.h"

#include <type_traits>

#include "backend/cpu/families.h"

namespace strata::backend::cpu {

namespace {
namespace kc = kernels::cpu;

// Data pointer of t as T, or null when t is undefined.
template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

void conv2d_forward(const ConvGeom& g, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b) {
  dispatch_float(y.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv2d_forward<T>(g, x.data_ptr<T>(), w.data_ptr<T>(), ptr<T>(b), y.data_ptr<T>());
  });
}

void conv2d_backward_data(const ConvGeom& g, const Tensor& dx, const Tensor& dy, const Tensor& w) {
  dispatch_float(dx.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv2d_backward_data<T>(g, dy.data_ptr<T>(), w.data_ptr<T>(), dx.data_ptr<T>());
  });
}

void conv2d_backward_weight(const ConvGeom& g, const Tensor& dw, const Tensor& db, const Tensor& dy, const Tensor& x) {
  dispatch_float(dy.dtype(), "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv2d_backward_weight<T>(g, dy.data_ptr<T>(), ptr<T>(x), ptr<T>(dw), ptr<T>(db));
  });
}

void conv_transpose2d_forward(const ConvGeom& g, const Tensor& y, const Tensor& x, const Tensor& w, const Tensor& b) {
  dispatch_float(y.dtype(), "conv_transpose2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv_transpose2d_forward<T>(g, x.data_ptr<T>(), w.data_ptr<T>(), ptr<T>(b), y.data_ptr<T>());
  });
}

void conv_transpose2d_backward_bias(const ConvGeom& g, const Tensor& db, const Tensor& dy) {
  dispatch_float(dy.dtype(), "conv_transpose2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::conv_transpose2d_backward_bias<T>(g, dy.data_ptr<T>(), db.data_ptr<T>());
  });
}

void max_pool2d_forward(const PoolGeom& g, const Tensor& y, const Tensor& idx, const Tensor& x) {
  dispatch_float_io(x.dtype(), "max_pool2d", [&](auto stag, auto) {
    using S = typename decltype(stag)::type;
    if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>) {
      kc::max_pool2d_forward_lowp<S>(g, x.data_ptr<S>(), y.data_ptr<S>(), ptr<int64_t>(idx));
    } else {
      kc::max_pool2d_forward<S>(g, x.data_ptr<S>(), y.data_ptr<S>(), idx.data_ptr<int64_t>());
    }
  });
}

void max_pool2d_backward(const PoolGeom& g, const Tensor& dx, const Tensor& dy, const Tensor& idx) {
  dispatch_float(dx.dtype(), "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::max_pool2d_backward<T>(g, dy.data_ptr<T>(), idx.data_ptr<int64_t>(), dx.data_ptr<T>());
  });
}

void max_pool2d_backward_recompute(const PoolGeom& g, const Tensor& dx, const Tensor& x, const Tensor& dy) {
  dispatch_float_io(x.dtype(), "max_pool2d", [&](auto stag, auto ctag) {
    using S = typename decltype(stag)::type;
    using T = typename decltype(ctag)::type;
    if (dx.dtype() == x.dtype()) {
      kc::max_pool2d_backward_recompute<S, S>(g, x.data_ptr<S>(), dy.data_ptr<S>(), dx.data_ptr<S>());
    } else {
      kc::max_pool2d_backward_recompute<S, T>(g, x.data_ptr<S>(), dy.data_ptr<S>(), dx.data_ptr<T>());
    }
  });
}

void avg_pool2d_forward(const PoolGeom& g, bool count_include_pad, const Tensor& y, const Tensor& x) {
  dispatch_float(y.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::avg_pool2d_forward<T>(g, count_include_pad, x.data_ptr<T>(), y.data_ptr<T>());
  });
}

void avg_pool2d_backward(const PoolGeom& g, bool count_include_pad, const Tensor& dx, const Tensor& dy) {
  dispatch_float(dx.dtype(), "avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::avg_pool2d_backward<T>(g, count_include_pad, dy.data_ptr<T>(), dx.data_ptr<T>());
  });
}

void adaptive_avg_pool2d_forward(const PoolGeom& g, const Tensor& y, const Tensor& x) {
  dispatch_float(y.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::adaptive_avg_pool2d_forward<T>(g, x.data_ptr<T>(), y.data_ptr<T>());
  });
}

void adaptive_avg_pool2d_backward(const PoolGeom& g, const Tensor& dx, const Tensor& dy) {
  dispatch_float(dx.dtype(), "adaptive_avg_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    kc::adaptive_avg_pool2d_backward<T>(g, dy.data_ptr<T>(), dx.data_ptr<T>());
  });
}

// One upsampling kernel over (in, out) of one float dtype.
template <template <class> class K>
void resample(const char* op, const UpsampleGeom& g, const Tensor& out, const Tensor& in) {
  dispatch_float(out.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    K<T>::run(g, in.data_ptr<T>(), out.data_ptr<T>());
  });
}
template <class T>
struct NearestFwd {
  static void run(const UpsampleGeom& g, const T* x, T* y) { kc::upsample_nearest2d_forward<T>(g, x, y); }
};
template <class T>
struct NearestBwd {
  static void run(const UpsampleGeom& g, const T* dy, T* dx) { kc::upsample_nearest2d_backward<T>(g, dy, dx); }
};
template <class T>
struct BilinearFwd {
  static void run(const UpsampleGeom& g, const T* x, T* y) { kc::upsample_bilinear2d_forward<T>(g, x, y); }
};
template <class T>
struct BilinearBwd {
  static void run(const UpsampleGeom& g, const T* dy, T* dx) { kc::upsample_bilinear2d_backward<T>(g, dy, dx); }
};

void nearest_forward(const UpsampleGeom& g, const Tensor& y, const Tensor& x) {
  resample<NearestFwd>("upsample_nearest2d", g, y, x);
}
void nearest_backward(const UpsampleGeom& g, const Tensor& dx, const Tensor& dy) {
  resample<NearestBwd>("upsample_nearest2d", g, dx, dy);
}
void bilinear_forward(const UpsampleGeom& g, const Tensor& y, const Tensor& x) {
  resample<BilinearFwd>("upsample_bilinear2d", g, y, x);
}
void bilinear_backward(const UpsampleGeom& g, const Tensor& dx, const Tensor& dy) {
  resample<BilinearBwd>("upsample_bilinear2d", g, dx, dy);
}

const ConvKernels kConv{conv2d_forward,
                        conv2d_backward_data,
                        conv2d_backward_weight,
                        conv_transpose2d_forward,
                        conv_transpose2d_backward_bias,
                        max_pool2d_forward,
                        max_pool2d_backward,
                        max_pool2d_backward_recompute,
                        avg_pool2d_forward,
                        avg_pool2d_backward,
                        adaptive_avg_pool2d_forward,
                        adaptive_avg_pool2d_backward,
                        nearest_forward,
                        nearest_backward,
                        bilinear_forward,
                        bilinear_backward};
}  // namespace

const ConvKernels* conv_kernels() { return &kConv; }

}  // namespace strata::backend::cpu
