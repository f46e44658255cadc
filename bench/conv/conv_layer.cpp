// Times one convolution layer (default: the ResNet-ish 32->32 3x3 pad 1 layer at batch 64, 28x28) through the
// public ops (forward; backward = input, weight and bias gradients) and through the kernels (forward,
// backward-data, backward-weight), median ms per call. bench/conv/torch_conv_layer.py times PyTorch the same way.
//   strata_conv_bench [threads=2] [reps=20] [n c h w cout k stride pad]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/cpu/conv.h"
#include "kernels/cpu/gemm.h"
#include "strata/strata.h"

using namespace strata;

namespace {

template <class F>
double median_ms(int reps, F f) {
  std::vector<double> t;
  for (int r = 0; r < reps + 3; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r >= 3) t.push_back(ms);  // 3 warm-up calls
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
  int64_t a[8] = {64, 32, 28, 28, 32, 3, 1, 1};
  for (int i = 0; i < 8 && 3 + i < argc; ++i) a[i] = std::atoll(argv[3 + i]);
  const int64_t n = a[0], c = a[1], h = a[2], w = a[3], cout = a[4], k = a[5], s = a[6], p = a[7];
  set_num_threads(threads);

  Generator gen(0);
  Tensor x = randn({n, c, h, w}, {}, &gen).requires_grad_();
  Tensor wt = (randn({cout, c, k, k}, {}, &gen) * 0.1).detach().requires_grad_();
  Tensor b = randn({cout}, {}, &gen).requires_grad_();
  const Size2 st{s, s}, pd{p, p};
  Tensor y = conv2d(x, wt, b, st, pd);
  Tensor g = randn(y.shape(), {}, &gen);

  const double fwd = median_ms(reps, [&] { y = conv2d(x, wt, b, st, pd); });
  const double bwd = median_ms(reps,
                               [&] {
                                 // Each backward needs a fresh graph: time forward+backward and subtract the forward
                                 // median.
                                 Tensor yy = conv2d(x, wt, b, st, pd);
                                 yy.backward(g);
                               }) -
                     fwd;

  // Kernel level.
  kernels::cpu::ConvGeom geo;
  geo.n = n, geo.c = c, geo.h = h, geo.w = w, geo.cout = cout, geo.kh = geo.kw = k;
  geo.sh = geo.sw = s, geo.ph = geo.pw = p;
  geo.ho = (h + 2 * p - k) / s + 1, geo.wo = (w + 2 * p - k) / s + 1;
  Tensor xd = x.detach(), wd = wt.detach(), bd = b.detach();
  Tensor yk = empty(y.shape()), dx = empty(x.shape()), dw = empty(wt.shape()), db = empty(b.shape());
  const float* px = xd.data_ptr<float>();
  const float* pw = wd.data_ptr<float>();
  const float* pg = g.data_ptr<float>();
  const double kf = median_ms(
      reps, [&] { kernels::cpu::conv2d_forward<float>(geo, px, pw, bd.data_ptr<float>(), yk.data_ptr<float>()); });
  const double kd =
      median_ms(reps, [&] { kernels::cpu::conv2d_backward_data<float>(geo, pg, pw, dx.data_ptr<float>()); });
  const double kw = median_ms(reps, [&] {
    kernels::cpu::conv2d_backward_weight<float>(geo, pg, px, dw.data_ptr<float>(), db.data_ptr<float>());
  });
  std::printf(
      "strata conv2d N=%lld C=%lld %lldx%lld Cout=%lld k=%lld s=%lld p=%lld threads=%d gemm=%s: op fwd %.2f ms, "
      "op bwd %.2f ms, op fwd+bwd %.2f ms | kernels fwd %.2f, bwd_data %.2f, bwd_w %.2f, sum %.2f ms\n",
      static_cast<long long>(n), static_cast<long long>(c), static_cast<long long>(h), static_cast<long long>(w),
      static_cast<long long>(cout), static_cast<long long>(k), static_cast<long long>(s), static_cast<long long>(p),
      threads, kernels::cpu::gemm_backend_name(), fwd, bwd, fwd + bwd, kf, kd, kw, kf + kd + kw);
  return 0;
}
