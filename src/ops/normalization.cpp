// Normalisation and dropout: batch_norm (training mode: one fused forward kernel and one fused backward
// kernel, kernels/cpu/batch_norm.h, whose backward is not itself differentiable; evaluation mode: composed
// of differentiable ops; sync_batch_norm: the kernels' phases with replica sums between them), layer_norm (one fused
// forward kernel and one fused backward kernel, kernels/cpu/norm.h) and dropout (PyTorch's bernoulli stream: the same
// Generator state gives PyTorch's mask).
#include "strata/ops/normalization.h"

#include <cmath>
#include <vector>

#include "backend/norm.h"
#include "ops/helpers.h"
#include "strata/autograd/autocast.h"
#include "strata/autograd/grad_mode.h"
#include "strata/core/profile.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"

namespace strata {

namespace {

void check_param(const char* op, const char* what, const Tensor& p, const Shape& expect, const Tensor& x) {
  if (!p.defined()) return;
  STRATA_CHECK(p.shape() == expect, "[", op, "] ", what, " must have shape ", expect, ", got ", p.shape(), " (input ",
               x.shape(), ")");
  STRATA_CHECK(p.dtype() == x.dtype(), "[", op, "] ", what, " has dtype ", p.dtype(), " but the input has ", x.dtype());
}

// running = (1 - momentum) running + momentum batch, with the variance unbiased over `count` values.
void update_running_stats(const Tensor& running_mean, const Tensor& running_var, const Tensor& mean, const Tensor& var,
                          double count, double momentum) {
  NoGradGuard guard;
  Tensor uv = mul(var, count / (count - 1)).to(running_var.dtype());
  Tensor rm = running_mean, rv = running_var;
  rm.mul_(1 - momentum).add_(mean.to(running_mean.dtype()), momentum);
  rv.mul_(1 - momentum).add_(uv, momentum);
}

// Training mode: batch statistics by one fused kernel, running statistics updated in place, backward by one
// fused kernel (dx, dweight, dbias from the saved input, mean and rstd).
Tensor batch_norm_train(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                        const Tensor& bias, double momentum, double eps) {
  const int64_t N = x.size(0), C = x.size(1), S = C > 0 && N > 0 ? x.numel() / (N * C) : 0;
  const backend::BatchNormShape bs{N, C, S};
  const Device dev = x.device();
  const Shape cshape{C};
  const Tensor xc = x.contiguous();
  const Tensor wc = weight.defined() ? weight.contiguous() : Tensor();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev);
  Tensor mean_t = Tensor::empty(cshape, x.dtype(), dev), var_t = Tensor::empty(cshape, x.dtype(), dev),
         rstd_t = Tensor::empty(cshape, x.dtype(), dev);
  backend::norm("batch_norm", dev).batch_norm_forward(bs, out, mean_t, var_t, rstd_t, xc, wc, bc, eps);
  if (running_mean.defined())
    update_running_stats(running_mean, running_var, mean_t, var_t, static_cast<double>(N * S), momentum);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    autograd::SavedTensor sx(xc, "batch_norm"), sw(wc, "batch_norm");
    const bool has_w = wc.defined();
    autograd::record(
        "batch_norm", {x, weight, bias}, out,
        [sx, sw, has_w, mean_t, rstd_t, bs, cshape](const TensorList& g, const autograd::NeedsGrad& needs) {
          Tensor xs = sx.get();
          Tensor ws = has_w ? sw.get() : Tensor();
          Tensor dy = g[0].contiguous();
          const Device d = xs.device();
          TensorList grads(3);
          if (needs[0]) grads[0] = Tensor::empty(xs.shape(), xs.dtype(), d);
          if (needs[1]) grads[1] = Tensor::empty(cshape, xs.dtype(), d);
          if (needs[2]) grads[2] = Tensor::empty(cshape, xs.dtype(), d);
          backend::norm("batch_norm", d)
              .batch_norm_backward(bs, grads[0], grads[1], grads[2], dy, xs, mean_t, rstd_t, ws);
          return grads;
        });
  }
  return out;
}

// Per-channel host values as a (C) tensor of dtype t on dev (rounded as the fused kernels round them).
Tensor channel_tensor(const std::vector<double>& v, DType t, Device dev) {
  return from_vector(v, Shape{static_cast<int64_t>(v.size())}).to(t).to(dev);
}

// Training mode over the replicas of a data-parallel run: the fused kernels' phases with the replica sums between
// them (statistics after the first two, gradient sums in backward). Two passes for the variance, as the fused
// kernel: a global sum of squares would lose digits when the mean is large.
Tensor batch_norm_train_sync(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                             const Tensor& weight, const Tensor& bias, double momentum, double eps,
                             const ReplicaSum& sum) {
  const int64_t N = x.size(0), C = x.size(1), S = C > 0 && N > 0 ? x.numel() / (N * C) : 0;
  const backend::BatchNormShape bs{N, C, S};
  const Device dev = x.device();
  const auto uC = static_cast<size_t>(C);
  const Shape cshape{C};
  const Tensor xc = x.contiguous();
  const Tensor wc = weight.defined() ? weight.contiguous() : Tensor();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev);
  const backend::NormKernels& k = backend::norm("sync_batch_norm", dev);
  std::vector<double> stats(uC + 2), mean(uC), rstd(uC);  // stats: examples, values per channel, sum x per channel
  k.batch_norm_channel_sums(bs, xc, stats.data() + 2);
  stats[0] = static_cast<double>(N);
  stats[1] = static_cast<double>(N * S);
  sum(stats);
  const double examples = stats[0], M = stats[1];
  STRATA_CHECK(M > 1, "[sync_batch_norm] expected more than 1 value per channel over all replicas, got ", M,
               " (this replica's input ", x.shape(), ")");
  for (size_t c = 0; c < uC; ++c) mean[c] = stats[c + 2] / M;
  std::vector<double> sq(uC), var(uC);
  k.batch_norm_channel_sq(bs, xc, mean.data(), sq.data());
  sum(sq);
  for (size_t c = 0; c < uC; ++c) {
    var[c] = sq[c] / M;
    rstd[c] = 1.0 / std::sqrt(var[c] + eps);
  }
  Tensor mean_t = channel_tensor(mean, x.dtype(), dev), var_t = channel_tensor(var, x.dtype(), dev),
         rstd_t = channel_tensor(rstd, x.dtype(), dev);
  k.batch_norm_apply(bs, out, xc, mean.data(), rstd.data(), wc, bc);
  if (running_mean.defined()) update_running_stats(running_mean, running_var, mean_t, var_t, M, momentum);
  if (autograd::needs_grad({&x, &weight, &bias})) {
    autograd::SavedTensor sx(xc, "sync_batch_norm"), sw(wc, "sync_batch_norm");
    const bool has_w = wc.defined();
    // This replica's share of the examples: its gradients are those of the mean over its own examples, so its
    // sums are scaled by the share before they are added to the others' and by its inverse after.
    const double share = examples > 0 ? static_cast<double>(N) / examples : 0.0;
    autograd::record(
        "sync_batch_norm", {x, weight, bias}, out,
        [sx, sw, has_w, mean_t, rstd_t, bs, M, share, sum](const TensorList& g, const autograd::NeedsGrad& needs) {
          Tensor xs = sx.get();
          Tensor ws = has_w ? sw.get() : Tensor();
          Tensor dy = g[0].contiguous();
          const Device d = xs.device();
          const backend::NormKernels& kn = backend::norm("sync_batch_norm", d);
          const auto uc = static_cast<size_t>(bs.C);
          std::vector<double> sums(2 * uc);  // sum dy, then sum dy (x - mean), per channel
          TensorList grads(3);
          kn.batch_norm_grad_sums(bs, dy, xs, mean_t, sums.data(), sums.data() + uc);
          // The parameters' gradients are this replica's (DataParallel averages them): db = sum dy,
          // dw = sum dy * xhat = sum dy (x - mean) * rstd (rstd as saved).
          if (needs[1]) {
            const std::vector<double> r = rstd_t.to(kCPU).to_vector<double>();
            std::vector<double> dw(uc);
            for (size_t c = 0; c < uc; ++c) dw[c] = sums[uc + c] * r[c];
            grads[1] = channel_tensor(dw, xs.dtype(), d);
          }
          if (needs[2])
            grads[2] = channel_tensor(std::vector<double>(sums.begin(), sums.begin() + bs.C), xs.dtype(), d);
          // The input's gradient needs the global sums (every replica's graph is the same, so either every replica
          // sums here or none does).
          if (!needs[0]) return grads;
          if (share != 1.0)
            for (double& v : sums) v *= share;
          sum(sums);
          if (share != 1.0 && share > 0)
            for (double& v : sums) v /= share;
          grads[0] = Tensor::empty(xs.shape(), xs.dtype(), d);
          kn.batch_norm_grad_input(bs, grads[0], dy, xs, mean_t, rstd_t, ws, sums.data(), sums.data() + uc, M);
          return grads;
        });
  }
  return out;
}

// batch_norm, over the replicas when `sum` is given (training only).
Tensor batch_norm_impl(const Tensor& x_in, const Tensor& running_mean, const Tensor& running_var,
                       const Tensor& weight_in, const Tensor& bias_in, bool training, double momentum, double eps,
                       const ReplicaSum* sum) {
  STRATA_CHECK(x_in.defined(), "[batch_norm] undefined input");
  // Norms are float32-list ops under autocast. A 16-bit input outside autocast is normalised in float32 and
  // returned 16-bit; 16-bit running statistics are updated through float32 copies.
  const Tensor x = autocast::to_float32(x_in), weight = autocast::to_float32(weight_in),
               bias = autocast::to_float32(bias_in);
  if (is_low_float(x.dtype()) || (weight.defined() && is_low_float(weight.dtype()))) {
    const bool low_stats = running_mean.defined() && is_low_float(running_mean.dtype());
    const Tensor rm = low_stats ? ops::cast(running_mean, kFloat32) : running_mean;
    const Tensor rv = low_stats && running_var.defined() ? ops::cast(running_var, kFloat32) : running_var;
    Tensor r = ops::via_float32("batch_norm", {&x, &weight, &bias}, [&](const TensorList& u) {
      return batch_norm_impl(u[0], rm, rv, u[1], u[2], training, momentum, eps, sum);
    });
    if (low_stats && training) {
      NoGradGuard no_grad;
      const_cast<Tensor&>(running_mean).copy_(rm);
      if (running_var.defined()) const_cast<Tensor&>(running_var).copy_(rv);
    }
    return r;
  }
  STRATA_CHECK(x.dim() >= 2, "[batch_norm] expected an input of shape (N, C) or (N, C, *), got ", x.shape());
  STRATA_CHECK(is_floating(x.dtype()), "[batch_norm] expected a floating-point input, got ", x.dtype());
  const int64_t C = x.size(1);
  const Shape cshape{C};
  check_param("batch_norm", "weight", weight, cshape, x);
  check_param("batch_norm", "bias", bias, cshape, x);
  STRATA_CHECK(running_mean.defined() == running_var.defined(),
               "[batch_norm] running_mean and running_var must both be given or both be undefined");
  if (running_mean.defined()) {
    STRATA_CHECK(running_mean.shape() == cshape && running_var.shape() == cshape,
                 "[batch_norm] running stats must "
                 "have shape ",
                 cshape, ", got ", running_mean.shape(), " and ", running_var.shape(), " (input ", x.shape(), ")");
  }
  STRATA_CHECK(training || running_mean.defined(),
               "[batch_norm] evaluation mode needs running_mean and running_var (input ", x.shape(), ")");
  if (training) {
    STRATA_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64, "[batch_norm] unsupported dtype ", x.dtype(),
                 " (convert to float32 first)");
    // Over the replicas, one value per channel here is fine when the global batch has more.
    if (sum) return batch_norm_train_sync(x, running_mean, running_var, weight, bias, momentum, eps, *sum);
    const int64_t n = x.numel() / std::max<int64_t>(C, 1);
    STRATA_CHECK(n > 1, "[batch_norm] expected more than 1 value per channel when training, got input ", x.shape());
    return batch_norm_train(x, running_mean, running_var, weight, bias, momentum, eps);
  }
  // Evaluation: the running statistics, broadcast as (1, C, 1, ...).
  std::vector<int64_t> bdims(static_cast<size_t>(x.dim()), 1);
  bdims[1] = C;
  const Shape bshape(bdims);
  Tensor rm = running_mean.to(x.dtype()).reshape(bshape);
  Tensor rv = running_var.to(x.dtype()).reshape(bshape);
  Tensor y = mul(sub(x, rm), rsqrt(add(rv, eps)));
  if (weight.defined()) y = mul(y, weight.reshape(bshape));
  if (bias.defined()) y = add(y, bias.reshape(bshape));
  return y;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  const profile::Scope prof_scope(profile::Kind::Forward, "batch_norm");
  return batch_norm_impl(x, running_mean, running_var, weight, bias, training, momentum, eps, nullptr);
}

Tensor sync_batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, double momentum, double eps, const ReplicaSum& sum) {
  const profile::Scope prof_scope(profile::Kind::Forward, "sync_batch_norm");
  STRATA_CHECK(sum, "[sync_batch_norm] no replica sum given");
  return batch_norm_impl(x, running_mean, running_var, weight, bias, true, momentum, eps, &sum);
}

Tensor layer_norm(const Tensor& x_in, const std::vector<int64_t>& normalized_shape, const Tensor& weight_in,
                  const Tensor& bias_in, double eps) {
  const profile::Scope prof_scope(profile::Kind::Forward, "layer_norm");
  STRATA_CHECK(x_in.defined(), "[layer_norm] undefined input");
  // A float32-list op under autocast; 16-bit outside autocast: computed in float32, returned 16-bit.
  const Tensor x = autocast::to_float32(x_in), weight = autocast::to_float32(weight_in),
               bias = autocast::to_float32(bias_in);
  if (Tensor r =
          ops::via_float32("layer_norm", {&x, &weight, &bias},
                           [&](const TensorList& u) { return layer_norm(u[0], normalized_shape, u[1], u[2], eps); });
      r.defined()) {
    return r;
  }

  STRATA_CHECK(is_floating(x.dtype()), "[layer_norm] expected a floating-point input, got ", x.dtype());
  const auto k = static_cast<int64_t>(normalized_shape.size());
  STRATA_CHECK(k >= 1 && k <= x.dim(), "[layer_norm] normalized_shape ", Shape(normalized_shape),
               " must be non-empty and have at most as many dims as the input ", x.shape());
  int64_t N = 1;
  for (int64_t i = 0; i < k; ++i) {
    STRATA_CHECK(x.size(x.dim() - k + i) == normalized_shape[static_cast<size_t>(i)], "[layer_norm] input ", x.shape(),
                 " does not end with normalized_shape ", Shape(normalized_shape));
    N *= normalized_shape[static_cast<size_t>(i)];
  }
  const Shape nshape(normalized_shape);
  check_param("layer_norm", "weight", weight, nshape, x);
  check_param("layer_norm", "bias", bias, nshape, x);
  const int64_t M = N > 0 ? x.numel() / N : 0;

  const Device dev = x.device();
  STRATA_CHECK(x.dtype() == kFloat32 || x.dtype() == kFloat64, "[layer_norm] unsupported dtype ", x.dtype(),
               " (convert to float32 first)");
  Tensor xc = x.contiguous();
  Tensor wc = weight.defined() ? weight.contiguous() : Tensor();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev);
  Tensor mean_t = Tensor::empty({M}, x.dtype(), dev), rstd_t = Tensor::empty({M}, x.dtype(), dev);
  backend::norm("layer_norm", dev).layer_norm_forward(M, N, out, mean_t, rstd_t, xc, wc, bc, eps);

  if (autograd::needs_grad({&x, &weight, &bias})) {
    autograd::SavedTensor sx(xc, "layer_norm"), sw(wc, "layer_norm");
    const bool has_w = wc.defined();
    autograd::record(
        "layer_norm", {x, weight, bias}, out,
        [sx, sw, has_w, mean_t, rstd_t, M, N, nshape](const TensorList& g, const autograd::NeedsGrad& needs) {
          Tensor xs = sx.get();
          Tensor ws = has_w ? sw.get() : Tensor();
          Tensor dy = g[0].contiguous();
          const Device d = xs.device();
          TensorList grads(3);
          if (needs[0]) grads[0] = Tensor::empty(xs.shape(), xs.dtype(), d);
          if (needs[1]) grads[1] = Tensor::empty(nshape, xs.dtype(), d);
          if (needs[2]) grads[2] = Tensor::empty(nshape, xs.dtype(), d);
          backend::norm("layer_norm", d)
              .layer_norm_backward(M, N, grads[0], grads[1], grads[2], dy, xs, mean_t, rstd_t, ws);
          return grads;
        });
  }
  return out;
}

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  const profile::Scope prof_scope(profile::Kind::Forward, "dropout");
  STRATA_CHECK(x.defined(), "[dropout] undefined input");
  STRATA_CHECK(p >= 0 && p <= 1, "[dropout] probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0) return x;
  STRATA_CHECK(is_floating(x.dtype()), "[dropout] expected a floating-point input, got ", x.dtype());
  if (p == 1) return mul(x, 0.0);
  // As torch 1.13's _dropout_impl: noise = empty_like(x).bernoulli_(1 - p); noise.div_(1 - p); x * noise.
  Tensor noise = bernoulli(x.shape(), 1 - p, TensorOptions(x.dtype()).with_device(x.device()), gen);
  noise.div_(1 - p);
  return mul(x, noise);
}

}  // namespace strata
