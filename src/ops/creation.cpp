// Tensor creation: constants, ranges, from C++ data, and random tensors drawn from a Generator.
#include "strata/ops/creation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/copy.h"
#include "core/distributions.h"
#include "ops/helpers.h"
#include "strata/ops/views.h"

namespace strata {

namespace {

Tensor finish(Tensor t, const TensorOptions& opts) {
  if (opts.requires_grad) t.requires_grad_(true);
  return t;
}

Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }

// A host value as element type T (float16/bfloat16 through float, bool as != 0).
template <class T>
T elem(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// Writes values computed as f(i) for i in [0, numel) into a fresh contiguous tensor. The values are made on
// the host (ranges, constants from C++ data, random draws in PyTorch's order) and then moved to opts.device, so
// every device gets the CPU's numbers.
template <class F>
Tensor generate(const Shape& shape, const TensorOptions& opts, const char* /*op*/, F f) {
  Tensor t = Tensor::empty(shape, opts.dtype, kCPU);
  const int64_t n = t.numel();
  dispatch_all(opts.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = elem<T>(f(i));
  });
  return t.to(opts.device);
}

}  // namespace

Tensor empty(const Shape& shape, const TensorOptions& opts) {
  return finish(Tensor::empty(shape, opts.dtype, opts.device), opts);
}

Tensor zeros(const Shape& shape, const TensorOptions& opts) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  backend::copy("zeros", opts.device).fill(t, 0.0);
  return finish(t, opts);
}

Tensor ones(const Shape& shape, const TensorOptions& opts) { return full(shape, 1.0, opts); }

Tensor full(const Shape& shape, double value, const TensorOptions& opts) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  t.fill_(value);
  return finish(t, opts);
}

Tensor arange(double end, const TensorOptions& opts) { return arange(0.0, end, 1.0, opts); }

Tensor arange(double start, double end, double step, const TensorOptions& opts) {
  STRATA_CHECK(step != 0, "[arange] step must be non-zero");
  STRATA_CHECK(std::isfinite(start) && std::isfinite(end), "[arange] start and end must be finite");
  STRATA_CHECK((end - start) / step >= 0 || start == end, "[arange] the range [", start, ", ", end,
               ") is empty or inconsistent with step ", step);
  auto n = static_cast<int64_t>(std::ceil((end - start) / step));
  return finish(generate({std::max<int64_t>(n, 0)}, opts, "arange",
                         [&](int64_t i) { return start + static_cast<double>(i) * step; }),
                opts);
}

Tensor linspace(double start, double end, int64_t steps, const TensorOptions& opts) {
  STRATA_CHECK(steps >= 0, "[linspace] steps must be non-negative, got ", steps);
  const double step = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  const int64_t half = steps / 2;
  // As PyTorch: the first half counts up from start, the second half down from end (symmetric rounding).
  return finish(generate({steps}, opts, "linspace",
                         [&](int64_t i) {
                           if (steps == 1) return start;  // as PyTorch: a single value is `start`
                           return i < half ? start + step * static_cast<double>(i)
                                           : end - step * static_cast<double>(steps - i - 1);
                         }),
                opts);
}

Tensor eye(int64_t n, int64_t m, const TensorOptions& opts) {
  if (m < 0) m = n;
  STRATA_CHECK(n >= 0, "[eye] n must be non-negative, got ", n);
  return finish(generate({n, m}, opts, "eye", [&](int64_t i) { return (i / m == i % m) ? 1.0 : 0.0; }), opts);
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, TensorOptions opts) {
  Shape s = shape.empty() ? Shape{static_cast<int64_t>(values.size())} : shape;
  STRATA_CHECK(s.numel() == static_cast<int64_t>(values.size()), "[from_vector] ", values.size(),
               " values do not fill shape ", s);
  return finish(generate(s, opts, "from_vector", [&](int64_t i) { return values[static_cast<size_t>(i)]; }), opts);
}

template Tensor from_vector<float>(const std::vector<float>&, const Shape&, TensorOptions);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, TensorOptions);
template Tensor from_vector<int64_t>(const std::vector<int64_t>&, const Shape&, TensorOptions);
template Tensor from_vector<bool>(const std::vector<bool>&, const Shape&, TensorOptions);

Tensor tensor(std::initializer_list<double> values, const TensorOptions& opts) {
  return from_vector(std::vector<double>(values), {}, opts);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, const TensorOptions& opts) {
  std::vector<double> v;
  int64_t cols = rows.size() ? static_cast<int64_t>(rows.begin()->size()) : 0;
  for (const auto& r : rows) {
    STRATA_CHECK(static_cast<int64_t>(r.size()) == cols, "[tensor] ragged rows: expected ", cols, " values, got ",
                 r.size());
    v.insert(v.end(), r.begin(), r.end());
  }
  return from_vector(v, {static_cast<int64_t>(rows.size()), cols}, opts);
}

Tensor scalar_tensor(double value, const TensorOptions& opts) { return full({}, value, opts); }

namespace {

// Visits every element of t in the order PyTorch's TensorIterator fills a nullary output: dims sorted by
// stride (largest outermost), row-major over that order. For a contiguous tensor this is the flat order.
template <class T, class F>
void for_each_in_memory_order(const Tensor& t, const char* op, F f) {
  T* base = t.data_ptr<T>();
  const int64_t n = t.numel();
  if (t.is_contiguous()) {
    for (int64_t i = 0; i < n; ++i) f(base[i]);
    return;
  }
  std::vector<std::pair<int64_t, int64_t>> dims;  // (size, stride), outermost first
  for (size_t d = 0; d < t.shape().size(); ++d) {
    if (t.shape()[d] == 1) continue;
    STRATA_CHECK(t.strides()[d] != 0, "[", op, "] cannot fill an expanded tensor of shape ", t.shape(),
                 " in place: several elements share one memory location");
    dims.emplace_back(t.shape()[d], t.strides()[d]);
  }
  std::stable_sort(dims.begin(), dims.end(), [](auto a, auto b) { return std::abs(a.second) > std::abs(b.second); });
  std::vector<int64_t> idx(dims.size(), 0);
  int64_t off = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(base[off]);
    for (size_t d = dims.size(); d-- > 0;) {
      off += dims[d].second;
      if (++idx[d] < dims[d].first) break;
      off -= dims[d].second * dims[d].first;
      idx[d] = 0;
    }
  }
}

// Runs fill(h) on a CPU tensor h with t's exact layout (over a host copy of t's whole storage) and writes the
// storage back: on every device the random fills draw in the CPU's memory order and give its numbers.
template <class F>
void on_host_layout(Tensor& t, F fill) {
  if (t.device().is_cpu()) {
    fill(t);
    return;
  }
  const Storage& st = t.storage();
  auto host = std::make_shared<StorageImpl>(st->nbytes(), kCPU);
  backend::copy_bytes(host->data(), kCPU, st->data(), st->device(), st->nbytes());
  Tensor h = Tensor::make_view(host, t.shape(), t.strides(), t.offset(), t.dtype());
  fill(h);
  backend::copy_bytes(st->data(), st->device(), host->data(), kCPU, st->nbytes());
}

}  // namespace

namespace {

Tensor& uniform_host(Tensor& t, double low, double high, Generator* gen) {
  ops::check_inplace("uniform_", t);
  STRATA_CHECK(low <= high, "[uniform_] expects low <= high, got low=", low, " high=", high);
  Generator& g = gen_or_default(gen);
  // As at::uniform_real_distribution<scalar_t>: from and to are rounded to the dtype, and so is to - from.
  switch (t.dtype()) {
    case kFloat32: {
      const auto from = static_cast<float>(low), to = static_cast<float>(high);
      for_each_in_memory_order<float>(t, "uniform_",
                                      [&](float& v) { v = detail::uniform_float_draw(g, from, to - from, 24); });
      break;
    }
    case kFloat64:
      for_each_in_memory_order<double>(t, "uniform_",
                                       [&](double& v) { v = detail::uniform_double_draw(g, low, high - low); });
      break;
    case kFloat16:
    case kBFloat16:
      dispatch_all(t.dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
          const auto from = static_cast<float>(T(static_cast<float>(low)));
          const auto to = static_cast<float>(T(static_cast<float>(high)));
          const auto range = static_cast<float>(T(to - from));
          const int digits = std::is_same_v<T, Half> ? 11 : 8;
          for_each_in_memory_order<T>(t, "uniform_",
                                      [&](T& v) { v = T(detail::uniform_float_draw(g, from, range, digits)); });
        }
      });
      break;
    default: STRATA_FAIL("[uniform_] expected a floating-point tensor, got ", t.dtype());
  }
  t.bump_version();
  return t;
}

Tensor& normal_host(Tensor& t, double mean, double std, Generator* gen) {
  ops::check_inplace("normal_", t);
  STRATA_CHECK(std >= 0, "[normal_] std must be non-negative, got ", std);
  STRATA_CHECK(is_floating(t.dtype()), "[normal_] expected a floating-point tensor, got ", t.dtype());
  Generator& g = gen_or_default(gen);
  const int64_t n = t.numel();
  // PyTorch: 16-element Box-Muller blocks for contiguous tensors with >= 16 elements, otherwise one
  // double-precision draw per element (sharing the generator's cached second value).
  if (n >= 16 && t.is_contiguous()) {
    dispatch_all(t.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, float>) {
        detail::normal_fill_float(t.data_ptr<float>(), n, static_cast<float>(mean), static_cast<float>(std), g);
      } else if constexpr (std::is_same_v<T, double>) {
        detail::normal_fill_double(t.data_ptr<double>(), n, mean, std, g);
      } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
        detail::normal_fill_half<T>(t.data_ptr<T>(), n, static_cast<float>(T(static_cast<float>(mean))),
                                    static_cast<float>(T(static_cast<float>(std))), g);
      }
    });
  } else {
    dispatch_all(t.dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!std::is_same_v<T, int64_t> && !std::is_same_v<T, bool>) {
        for_each_in_memory_order<T>(t, "normal_", [&](T& v) { v = elem<T>(std::fma(g.normal_double(), std, mean)); });
      }
    });
  }
  t.bump_version();
  return t;
}

}  // namespace

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  ops::check_inplace("uniform_", t);
  on_host_layout(t, [&](Tensor& h) { uniform_host(h, low, high, gen); });
  t.bump_version();
  return t;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  ops::check_inplace("normal_", t);
  on_host_layout(t, [&](Tensor& h) { normal_host(h, mean, std, gen); });
  t.bump_version();
  return t;
}

Tensor rand(const Shape& shape, const TensorOptions& opts, Generator* gen) {
  Tensor t = empty(shape, TensorOptions(opts.dtype).with_device(opts.device));
  uniform_(t, 0.0, 1.0, gen);
  return finish(t, opts);
}

Tensor randn(const Shape& shape, const TensorOptions& opts, Generator* gen) {
  Tensor t = empty(shape, TensorOptions(opts.dtype).with_device(opts.device));
  normal_(t, 0.0, 1.0, gen);
  return finish(t, opts);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, const TensorOptions& opts, Generator* gen) {
  STRATA_CHECK(high > low, "[randint] empty range [", low, ", ", high, ")");
  Generator& g = gen_or_default(gen);
  // random_from_to: (draw % range) + low, with a 64-bit draw only when the range needs it.
  const auto range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  const bool wide = range >= (uint64_t{1} << 32) && opts.dtype != kFloat16 && opts.dtype != kBool;
  return finish(generate(shape, opts, "randint",
                         [&](int64_t) {
                           const uint64_t r = wide ? g.random64() : g.random();
                           return static_cast<double>(static_cast<int64_t>(r % range + static_cast<uint64_t>(low)));
                         }),
                opts);
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  STRATA_CHECK(p.defined(), "[bernoulli] undefined tensor");
  STRATA_CHECK(is_floating(p.dtype()), "[bernoulli] expected a floating-point tensor of probabilities, got ",
               p.dtype());
  Generator& g = gen_or_default(gen);
  std::vector<double> probs = p.to_vector<double>();
  for (size_t i = 0; i < probs.size(); ++i) {
    STRATA_CHECK(probs[i] >= 0 && probs[i] <= 1, "[bernoulli] probability ", probs[i], " at index ", i,
                 " is outside [0, 1]");
  }
  // PyTorch draws a double uniform for float64 probabilities and a float (24-bit) uniform otherwise.
  const bool dbl = p.dtype() == kFloat64;
  return generate(p.shape(), TensorOptions(p.dtype()).with_device(p.device()), "bernoulli", [&](int64_t i) {
    const double prob = probs[static_cast<size_t>(i)];
    if (dbl) return detail::uniform_double_draw(g, 0.0, 1.0) < prob ? 1.0 : 0.0;
    return detail::uniform_float_draw(g, 0.0f, 1.0f, 24) < static_cast<float>(prob) ? 1.0 : 0.0;
  });
}

Tensor bernoulli(const Shape& shape, double p, const TensorOptions& opts, Generator* gen) {
  STRATA_CHECK(p >= 0 && p <= 1, "[bernoulli] probability ", p, " is outside [0, 1]");
  Generator& g = gen_or_default(gen);
  // As torch.empty(shape).bernoulli_(p): one double uniform per element.
  return finish(generate(shape, opts, "bernoulli",
                         [&](int64_t) { return detail::uniform_double_draw(g, 0.0, 1.0) < p ? 1.0 : 0.0; }),
                opts);
}

Tensor randperm(int64_t n, Generator* gen) {
  STRATA_CHECK(n >= 0, "[randperm] n must be non-negative, got ", n);
  Generator& g = gen_or_default(gen);
  // A host algorithm (the draws are sequential): built in host memory, returned as a CPU tensor.
  std::vector<int64_t> perm(static_cast<size_t>(n));
  int64_t* p = perm.data();
  if (n < static_cast<int64_t>(std::numeric_limits<uint32_t>::max() / 20)) {
    // PyTorch's Fisher-Yates from the front with 32-bit draws.
    for (int64_t i = 0; i < n; ++i) p[i] = i;
    for (int64_t i = 0; i < n - 1; ++i) {
      const auto z = static_cast<int64_t>(g.random() % static_cast<uint64_t>(n - i));
      std::swap(p[i], p[z + i]);
    }
  } else {
    // Inside-out Fisher-Yates with 64-bit draws (PyTorch >= 2.0 for huge n; unbiased).
    for (int64_t i = 0; i < n; ++i) {
      const auto z = static_cast<int64_t>(g.random64() % static_cast<uint64_t>(i + 1));
      p[i] = p[z];
      p[z] = i;
    }
  }
  return from_vector(perm, {n});
}

Tensor empty_like(const Tensor& t, std::optional<DType> dtype) {
  return empty(t.shape(), TensorOptions(dtype.value_or(t.dtype())).with_device(t.device()));
}
Tensor zeros_like(const Tensor& t, std::optional<DType> dtype) {
  return zeros(t.shape(), TensorOptions(dtype.value_or(t.dtype())).with_device(t.device()));
}
Tensor ones_like(const Tensor& t, std::optional<DType> dtype) {
  return ones(t.shape(), TensorOptions(dtype.value_or(t.dtype())).with_device(t.device()));
}
Tensor full_like(const Tensor& t, double value, std::optional<DType> dtype) {
  return full(t.shape(), value, TensorOptions(dtype.value_or(t.dtype())).with_device(t.device()));
}
Tensor rand_like(const Tensor& t, Generator* gen) {
  return rand(t.shape(), TensorOptions(t.dtype()).with_device(t.device()), gen);
}
Tensor randn_like(const Tensor& t, Generator* gen) {
  return randn(t.shape(), TensorOptions(t.dtype()).with_device(t.device()), gen);
}

}  // namespace strata
