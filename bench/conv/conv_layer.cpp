// Times one convolution layer (default: the ResNet-ish 32->32 3x3 pad 1 layer at batch 64, 28x28) through the
// public ops (forward; backward = input, weight and bias gradients) and through the kernels (forward,
// backward-data, backward-weight), median ms per call, the kernels once through each implementation (im2col +
// GEMM, oneDNN; kernels/cpu/conv.h) with their largest difference. The op level uses STRATA_CONV's choice (auto
// unless set). bench/conv/torch_conv_layer.py times PyTorch the same way.
//   strata_conv_bench [threads=2] [reps=20] [n c h w cout k stride pad bias=1 ops=1]
// ops=0 skips the op-level timing.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "kernels/cpu/conv.h"
#include "kernels/cpu/conv_dnnl.h"
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

struct Paired {
  double med_a, med_b, min_a, min_b;
};

// Medians and minima of a and b called alternately (b skipped when !with_b). On a loaded machine the minimum is
// the better estimate of the unloaded time.
template <class A, class B>
Paired paired_ms(int reps, A a, B b, bool with_b) {
  std::vector<double> ta, tb;
  for (int r = 0; r < reps + 3; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    a();
    const double ms_a = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    double ms_b = 0;
    if (with_b) {
      t0 = std::chrono::steady_clock::now();
      b();
      ms_b = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    if (r >= 3) ta.push_back(ms_a), tb.push_back(ms_b);  // 3 warm-up rounds
  }
  std::sort(ta.begin(), ta.end());
  std::sort(tb.begin(), tb.end());
  return {ta[ta.size() / 2], tb[tb.size() / 2], ta.front(), tb.front()};
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 20;
  int64_t a[10] = {64, 32, 28, 28, 32, 3, 1, 1, 1, 1};
  for (int i = 0; i < 10 && 3 + i < argc; ++i) a[i] = std::atoll(argv[3 + i]);
  const int64_t n = a[0], c = a[1], h = a[2], w = a[3], cout = a[4], k = a[5], s = a[6], p = a[7];
  const bool has_bias = a[8] != 0;
  set_num_threads(threads);

  Generator gen(0);
  Tensor x = randn({n, c, h, w}, {}, &gen).requires_grad_();
  Tensor wt = (randn({cout, c, k, k}, {}, &gen) * 0.1).detach().requires_grad_();
  Tensor b = has_bias ? randn({cout}, {}, &gen).requires_grad_() : Tensor();
  const Size2 st{s, s}, pd{p, p};
  Tensor y = conv2d(x, wt, b, st, pd);
  Tensor g = randn(y.shape(), {}, &gen);

  const bool ops = a[9] != 0;
  const double fwd = ops ? median_ms(reps, [&] { y = conv2d(x, wt, b, st, pd); }) : 0.0;
  const double bwd = !ops ? 0.0 : median_ms(reps, [&] {
                                    // Each backward needs a fresh graph: time forward+backward and subtract the forward
                                    // median.
                                    Tensor yy = conv2d(x, wt, b, st, pd);
                                    yy.backward(g);
                                  }) - fwd;

  // Kernel level.
  kernels::cpu::ConvGeom geo;
  geo.n = n, geo.c = c, geo.h = h, geo.w = w, geo.cout = cout, geo.kh = geo.kw = k;
  geo.sh = geo.sw = s, geo.ph = geo.pw = p;
  geo.ho = (h + 2 * p - k) / s + 1, geo.wo = (w + 2 * p - k) / s + 1;
  Tensor xd = x.detach(), wd = wt.detach();
  std::vector<float> bias_v(static_cast<size_t>(cout), 0.5f);
  const float* pb = has_bias ? bias_v.data() : nullptr;
  const float* px = xd.data_ptr<float>();
  const float* pw = wd.data_ptr<float>();
  const float* pg = g.data_ptr<float>();
  namespace kc = kernels::cpu;
  struct Result {
    double f, d, w, best_f, best_d, best_w;
    std::vector<float> y, dx, dw, db;
  };
  const bool have_dnnl = kc::dnnl_available();
  Result im{0,
            0,
            0,
            0,
            0,
            0,
            std::vector<float>(static_cast<size_t>(y.numel())),
            std::vector<float>(static_cast<size_t>(x.numel())),
            std::vector<float>(static_cast<size_t>(wt.numel())),
            std::vector<float>(static_cast<size_t>(cout))};
  Result dn = im;
  // The two implementations alternate call by call, so a change in the machine's load hits both alike.
  auto paired = [&](auto&& call, double Result::*med, double Result::*best) {
    const Paired t = paired_ms(
        reps,
        [&] {
          kc::set_conv_algo(kc::ConvAlgo::Im2col);
          call(im);
        },
        [&] {
          kc::set_conv_algo(kc::ConvAlgo::Dnnl);
          call(dn);
        },
        have_dnnl);
    im.*med = t.med_a, dn.*med = t.med_b, im.*best = t.min_a, dn.*best = t.min_b;
  };
  const kc::ConvAlgo chosen = kc::conv_algo();
  paired([&](Result& r) { kc::conv2d_forward<float>(geo, px, pw, pb, r.y.data()); }, &Result::f, &Result::best_f);
  paired([&](Result& r) { kc::conv2d_backward_data<float>(geo, pg, pw, r.dx.data()); }, &Result::d, &Result::best_d);
  paired(
      [&](Result& r) { kc::conv2d_backward_weight<float>(geo, pg, px, r.dw.data(), has_bias ? r.db.data() : nullptr); },
      &Result::w, &Result::best_w);
  kc::set_conv_algo(chosen);
  auto max_diff = [](const std::vector<float>& u, const std::vector<float>& v) {
    double m = 0;
    for (size_t i = 0; i < u.size(); ++i) m = std::max(m, static_cast<double>(std::abs(u[i] - v[i])));
    return m;
  };
  const double diff =
      std::max({max_diff(im.y, dn.y), max_diff(im.dx, dn.dx), max_diff(im.dw, dn.dw), max_diff(im.db, dn.db)});
  std::printf(
      "strata conv2d N=%lld C=%lld %lldx%lld Cout=%lld k=%lld s=%lld p=%lld bias=%d threads=%d gemm=%s: op fwd %.2f "
      "ms, op bwd %.2f ms, op fwd+bwd %.2f ms\n",
      static_cast<long long>(n), static_cast<long long>(c), static_cast<long long>(h), static_cast<long long>(w),
      static_cast<long long>(cout), static_cast<long long>(k), static_cast<long long>(s), static_cast<long long>(p),
      has_bias ? 1 : 0, threads, kernels::cpu::gemm_backend_name(), fwd, bwd, fwd + bwd);
  std::printf("  im2col  fwd %7.3f  bwd_data %7.3f  bwd_w %7.3f  sum %7.3f ms\n", im.f, im.d, im.w, im.f + im.d + im.w);
  if (have_dnnl) {
    std::printf("  onednn  fwd %7.3f  bwd_data %7.3f  bwd_w %7.3f  sum %7.3f ms  (%s; max |diff| %.2e)\n", dn.f, dn.d,
                dn.w, dn.f + dn.d + dn.w, kc::dnnl_conv_impl(geo), diff);
    std::printf("  speedup fwd %6.2fx  bwd_data %6.2fx  bwd_w %6.2fx  sum %6.2fx\n", im.f / dn.f, im.d / dn.d,
                im.w / dn.w, (im.f + im.d + im.w) / (dn.f + dn.d + dn.w));
    auto pick = [&](kc::ConvPass pass) { return kc::conv_prefers_dnnl(geo, pass) ? "onednn" : "im2col"; };
    std::printf("  auto picks fwd %s, bwd_data %s, bwd_w %s\n", pick(kc::ConvPass::Forward),
                pick(kc::ConvPass::BackwardData), pick(kc::ConvPass::BackwardWeight));
    std::printf("  best    im2col %.3f / %.3f / %.3f, onednn %.3f / %.3f / %.3f ms; speedup %.2fx / %.2fx / %.2fx\n",
                im.best_f, im.best_d, im.best_w, dn.best_f, dn.best_d, dn.best_w, im.best_f / dn.best_f,
                im.best_d / dn.best_d, im.best_w / dn.best_w);
  } else {
    std::printf("  onednn  (not built in)\n");
  }
  return 0;
}
