// Tensor creation: constants, ranges, from C++ data, and random tensors drawn from a Generator.
#include "strata/ops/creation.h"

#include <cmath>
#include <cstring>

#include "ops/helpers.h"
#include "strata/ops/views.h"

namespace strata {

namespace {

Tensor finish(Tensor t, const TensorOptions& opts) {
  if (opts.requires_grad) t.requires_grad_(true);
  return t;
}

Generator& gen_or_default(Generator* g) { return g ? *g : default_generator(); }

// Writes values computed as f(i) for i in [0, numel) into a fresh contiguous tensor.
template <class F>
Tensor generate(const Shape& shape, const TensorOptions& opts, const char* op, F f) {
  check_cpu(op, opts.device);
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  const int64_t n = t.numel();
  dispatch_all(opts.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = kernels::cpu::convert<T>(f(i));
  });
  return t;
}

}  // namespace

Tensor empty(const Shape& shape, const TensorOptions& opts) {
  check_cpu("empty", opts.device);
  return finish(Tensor::empty(shape, opts.dtype, opts.device), opts);
}

Tensor zeros(const Shape& shape, const TensorOptions& opts) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  std::memset(t.raw_data(), 0, static_cast<size_t>(t.numel()) * t.itemsize());
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

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  ops::check_inplace("uniform_", t);
  STRATA_CHECK(t.is_contiguous(), "[uniform_] expects a contiguous tensor");
  Generator& g = gen_or_default(gen);
  dispatch_float(t.dtype(), "uniform_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_same_v<T, float>) {
        p[i] = g.uniform_float() * static_cast<float>(high - low) + static_cast<float>(low);
      } else {
        p[i] = g.uniform_double() * (high - low) + low;
      }
    }
  });
  t.bump_version();
  return t;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  ops::check_inplace("normal_", t);
  STRATA_CHECK(t.is_contiguous(), "[normal_] expects a contiguous tensor");
  STRATA_CHECK(std >= 0, "[normal_] std must be non-negative, got ", std);
  Generator& g = gen_or_default(gen);
  dispatch_float(t.dtype(), "normal_", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t.data_ptr<T>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(g.normal_double() * std + mean);
  });
  t.bump_version();
  return t;
}

Tensor rand(const Shape& shape, const TensorOptions& opts, Generator* gen) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  uniform_(t, 0.0, 1.0, gen);
  return finish(t, opts);
}

Tensor randn(const Shape& shape, const TensorOptions& opts, Generator* gen) {
  Tensor t = Tensor::empty(shape, opts.dtype, opts.device);
  normal_(t, 0.0, 1.0, gen);
  return finish(t, opts);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, const TensorOptions& opts, Generator* gen) {
  STRATA_CHECK(high > low, "[randint] empty range [", low, ", ", high, ")");
  Generator& g = gen_or_default(gen);
  const auto range = static_cast<uint64_t>(high - low);
  return finish(generate(shape, opts, "randint",
                         [&](int64_t) {
                           uint64_t r = range >= (uint64_t{1} << 32) ? g.random64() : g.random();
                           return static_cast<double>(low + static_cast<int64_t>(r % range));
                         }),
                opts);
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  STRATA_CHECK(p.defined(), "[bernoulli] undefined tensor");
  Generator& g = gen_or_default(gen);
  Tensor pc = contiguous(ops::cast(p, kFloat64));
  const double* pp = pc.data_ptr<double>();
  DType out_dtype = is_floating(p.dtype()) ? p.dtype() : kFloat32;
  return generate(p.shape(), TensorOptions(out_dtype), "bernoulli", [&](int64_t i) {
    double prob = pp[i];
    STRATA_CHECK(prob >= 0 && prob <= 1, "[bernoulli] probability ", prob, " at index ", i, " is outside [0, 1]");
    return g.uniform_double() < prob ? 1.0 : 0.0;
  });
}

Tensor bernoulli(const Shape& shape, double p, const TensorOptions& opts, Generator* gen) {
  STRATA_CHECK(p >= 0 && p <= 1, "[bernoulli] probability ", p, " is outside [0, 1]");
  Generator& g = gen_or_default(gen);
  return finish(generate(shape, opts, "bernoulli", [&](int64_t) { return g.uniform_double() < p ? 1.0 : 0.0; }), opts);
}

Tensor randperm(int64_t n, Generator* gen) {
  STRATA_CHECK(n >= 0, "[randperm] n must be non-negative, got ", n);
  Generator& g = gen_or_default(gen);
  Tensor t = arange(static_cast<double>(n), TensorOptions(kInt64));
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t i = n - 1; i > 0; --i) {
    auto j = static_cast<int64_t>(g.random64() % static_cast<uint64_t>(i + 1));
    std::swap(p[i], p[j]);
  }
  return t;
}

Tensor empty_like(const Tensor& t, std::optional<DType> dtype) { return empty(t.shape(), TensorOptions(dtype.value_or(t.dtype()))); }
Tensor zeros_like(const Tensor& t, std::optional<DType> dtype) { return zeros(t.shape(), TensorOptions(dtype.value_or(t.dtype()))); }
Tensor ones_like(const Tensor& t, std::optional<DType> dtype) { return ones(t.shape(), TensorOptions(dtype.value_or(t.dtype()))); }
Tensor full_like(const Tensor& t, double value, std::optional<DType> dtype) {
  return full(t.shape(), value, TensorOptions(dtype.value_or(t.dtype())));
}
Tensor rand_like(const Tensor& t, Generator* gen) { return rand(t.shape(), TensorOptions(t.dtype()), gen); }
Tensor randn_like(const Tensor& t, Generator* gen) { return randn(t.shape(), TensorOptions(t.dtype()), gen); }

}  // namespace strata
