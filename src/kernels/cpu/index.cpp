#include "kernels/cpu/index.h"

#include <omp.h>

#include <array>

#include "kernels/cpu/loops.h"
#include "strata/core/dtype.h"

namespace strata::kernels::cpu {

namespace {

Shape drop_dim(const Shape& s, int64_t dim) {
  Shape r = s;
  r.erase(static_cast<size_t>(dim));
  return r;
}

template <class T>
char* as_bytes(const T* p) {
  return reinterpret_cast<char*>(const_cast<T*>(p));
}

bool can_fork(int64_t work) { return work >= kParallelGrain && omp_get_max_threads() > 1 && !omp_in_parallel(); }

// Calls f(idx) for every multi-index of shape in row-major order (the references' loop).
template <class F>
void for_each_index(const Shape& shape, F f) {
  const int64_t n = shape.numel();
  Shape idx(shape.size());
  for (int64_t i = 0; i < n; ++i) {
    f(idx);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
}

int64_t dot(const Shape& idx, const Strides& st) {
  int64_t o = 0;
  for (size_t d = 0; d < idx.size(); ++d) o += idx[d] * st[d];
  return o;
}

// run_range over the whole plan, calling inner directly when the plan is one run (the common case of
// contiguous rows: it saves the iterator's set-up on every row of an embedding lookup).
template <int N, class Inner>
void run_all(const LoopPlan<N>& p, const std::array<char*, N>& base, const std::array<int64_t, N>& es, Inner&& inner) {
  if (p.sizes.size() == 1) {
    std::array<int64_t, N> st;
    for (int k = 0; k < N; ++k) st[k] = p.strides[k][0];
    inner(base, st, p.sizes[0]);
  } else {
    run_range<N>(p, base, es, 0, p.numel, inner);
  }
}

}  // namespace

bool find_out_of_range(const int64_t* index, const Shape& shape, const Strides& strides, int64_t size, int64_t* bad) {
  auto plan = make_plan<1>(shape, {&strides});
  bool found = false;
  run_range<1>(plan, {as_bytes(index)}, {int64_t(sizeof(int64_t))}, 0, plan.numel,
               [&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
                 if (found) return;
                 const int64_t* ip = reinterpret_cast<const int64_t*>(p[0]);
                 for (int64_t i = 0; i < n; ++i) {
                   int64_t v = ip[i * s[0]];
                   if (v < 0 || v >= size) {
                     *bad = v;
                     found = true;
                     return;
                   }
                 }
               });
  return found;
}

// ---- index_select ----

template <class T>
void index_select(T* out, const Strides& out_strides, const T* x, const Shape& x_shape, const Strides& x_strides,
                  int64_t dim, const int64_t* index, int64_t index_stride, int64_t k) {
  const Shape r = drop_dim(x_shape, dim);
  const Strides ro = drop_dim(out_strides, dim), rx = drop_dim(x_strides, dim);
  const auto plan = make_plan<2>(r, {&ro, &rx});
  const int64_t osd = out_strides[static_cast<size_t>(dim)], xsd = x_strides[static_cast<size_t>(dim)];
  const std::array<int64_t, 2> es{int64_t(sizeof(T)), int64_t(sizeof(T))};
  auto copy = [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = a[i];
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] = a[i * s[1]];
    }
  };
  auto base = [&](int64_t j) {
    return std::array<char*, 2>{as_bytes(out + j * osd), as_bytes(x + index[j * index_stride] * xsd)};
  };
  // Many small slices (embedding rows): threads split the slices. Few large ones: each slice is split.
  if (plan.numel < kParallelGrain && can_fork(k * plan.numel)) {
#pragma omp parallel for schedule(static)
    for (int64_t j = 0; j < k; ++j) run_all<2>(plan, base(j), es, copy);
  } else {
    for (int64_t j = 0; j < k; ++j) {
      if (plan.numel < kParallelGrain) {
        run_all<2>(plan, base(j), es, copy);
      } else {
        run<2>(plan, base(j), es, copy);
      }
    }
  }
}

template <class T>
void index_select_reference(T* out, const Strides& out_strides, const T* x, const Shape& x_shape,
                            const Strides& x_strides, int64_t dim, const int64_t* index, int64_t index_stride,
                            int64_t k) {
  Shape out_shape = x_shape;
  out_shape[static_cast<size_t>(dim)] = k;
  for_each_index(out_shape, [&](const Shape& idx) {
    Shape src = idx;
    src[static_cast<size_t>(dim)] = index[idx[static_cast<size_t>(dim)] * index_stride];
    out[dot(idx, out_strides)] = x[dot(src, x_strides)];
  });
}

// ---- index_add ----

template <class T>
void index_add(T* out, const Shape& out_shape, const Strides& out_strides, int64_t dim, const int64_t* index,
               int64_t index_stride, int64_t k, const T* src, const Strides& src_strides) {
  const Shape r = drop_dim(out_shape, dim);
  const Strides ro = drop_dim(out_strides, dim), rs = drop_dim(src_strides, dim);
  const auto plan = make_plan<2>(r, {&ro, &rs});
  const int64_t osd = out_strides[static_cast<size_t>(dim)], ssd = src_strides[static_cast<size_t>(dim)];
  const std::array<int64_t, 2> es{int64_t(sizeof(T)), int64_t(sizeof(T))};
  auto add = [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    T* o = reinterpret_cast<T*>(p[0]);
    const T* a = reinterpret_cast<const T*>(p[1]);
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] += a[i];
    } else {
      for (int64_t i = 0; i < n; ++i) o[i * s[0]] += a[i * s[1]];
    }
  };
  auto base = [&](int64_t j) {
    return std::array<char*, 2>{as_bytes(out + index[j * index_stride] * osd), as_bytes(src + j * ssd)};
  };
  if (plan.numel < kParallelGrain && can_fork(k * plan.numel)) {
    // Slices with the same index value always go to the same thread, so no element has two writers.
#pragma omp parallel
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      for (int64_t j = 0; j < k; ++j) {
        if (index[j * index_stride] % nt == t) run_all<2>(plan, base(j), es, add);
      }
    }
  } else {
    // Slices one after another; a large slice is split between threads (disjoint elements).
    for (int64_t j = 0; j < k; ++j) {
      if (plan.numel < kParallelGrain) {
        run_all<2>(plan, base(j), es, add);
      } else {
        run<2>(plan, base(j), es, add);
      }
    }
  }
}

template <class T>
void index_add_reference(T* out, const Shape& out_shape, const Strides& out_strides, int64_t dim, const int64_t* index,
                         int64_t index_stride, int64_t k, const T* src, const Strides& src_strides) {
  Shape src_shape = out_shape;
  src_shape[static_cast<size_t>(dim)] = k;
  for_each_index(src_shape, [&](const Shape& idx) {
    Shape dst = idx;
    dst[static_cast<size_t>(dim)] = index[idx[static_cast<size_t>(dim)] * index_stride];
    out[dot(dst, out_strides)] += src[dot(idx, src_strides)];
  });
}

// ---- gather ----

template <class T>
void gather(T* out, const Strides& out_strides, const T* x, const Strides& x_strides, const Shape& index_shape,
            const int64_t* index, const Strides& index_strides, int64_t dim) {
  // x is walked with stride 0 along dim; each element then adds index * x_strides[dim].
  Strides xs = x_strides;
  const int64_t xsd = xs[static_cast<size_t>(dim)];
  xs[static_cast<size_t>(dim)] = 0;
  const auto plan = make_plan<3>(index_shape, {&out_strides, &index_strides, &xs});
  run<3>(plan, {as_bytes(out), as_bytes(index), as_bytes(x)},
         {int64_t(sizeof(T)), int64_t(sizeof(int64_t)), int64_t(sizeof(T))},
         [xsd](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
           T* o = reinterpret_cast<T*>(p[0]);
           const int64_t* ip = reinterpret_cast<const int64_t*>(p[1]);
           const T* a = reinterpret_cast<const T*>(p[2]);
           for (int64_t i = 0; i < n; ++i) o[i * s[0]] = a[i * s[2] + ip[i * s[1]] * xsd];
         });
}

template <class T>
void gather_reference(T* out, const Strides& out_strides, const T* x, const Strides& x_strides,
                      const Shape& index_shape, const int64_t* index, const Strides& index_strides, int64_t dim) {
  for_each_index(index_shape, [&](const Shape& idx) {
    Shape src = idx;
    src[static_cast<size_t>(dim)] = index[dot(idx, index_strides)];
    out[dot(idx, out_strides)] = x[dot(src, x_strides)];
  });
}

// ---- scatter_add ----

template <class T>
void scatter_add(T* out, const Strides& out_strides, const Shape& index_shape, const int64_t* index,
                 const Strides& index_strides, const T* src, const Strides& src_strides, int64_t dim) {
  // One work item per position off dim (a fiber along dim); only a fiber's own entries can collide.
  const size_t d = static_cast<size_t>(dim);
  const Shape r = drop_dim(index_shape, dim);
  const Strides ro = drop_dim(out_strides, dim), rs = drop_dim(src_strides, dim), ri = drop_dim(index_strides, dim);
  const auto plan = make_plan<3>(r, {&ro, &rs, &ri});
  const int64_t kd = index_shape[d], osd = out_strides[d], ssd = src_strides[d], isd = index_strides[d];
  const std::array<char*, 3> base{as_bytes(out), as_bytes(src), as_bytes(index)};
  const std::array<int64_t, 3> es{int64_t(sizeof(T)), int64_t(sizeof(T)), int64_t(sizeof(int64_t))};
  auto body = [&](int64_t nt, int64_t t) {
    return [=](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const T* a = reinterpret_cast<const T*>(p[1]);
      const int64_t* ip = reinterpret_cast<const int64_t*>(p[2]);
      for (int64_t j = 0; j < kd; ++j) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t v = ip[i * s[2] + j * isd];
          if (nt == 1 || v % nt == t) o[i * s[0] + v * osd] += a[i * s[1] + j * ssd];
        }
      }
    };
  };
  if (plan.numel < kParallelGrain && can_fork(kd * plan.numel)) {
    // Few fibers but long ones: threads split by index value instead.
#pragma omp parallel
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      run_range<3>(plan, base, es, 0, plan.numel, body(nt, t));
    }
  } else {
    run<3>(plan, base, es, body(1, 0));
  }
}

template <class T>
void scatter_add_reference(T* out, const Strides& out_strides, const Shape& index_shape, const int64_t* index,
                           const Strides& index_strides, const T* src, const Strides& src_strides, int64_t dim) {
  for_each_index(index_shape, [&](const Shape& idx) {
    Shape dst = idx;
    dst[static_cast<size_t>(dim)] = index[dot(idx, index_strides)];
    out[dot(dst, out_strides)] += src[dot(idx, src_strides)];
  });
}

#define STRATA_INDEX_SELECT(T)                                                                                        \
  template void index_select<T>(T*, const Strides&, const T*, const Shape&, const Strides&, int64_t, const int64_t*,  \
                                int64_t, int64_t);                                                                    \
  template void index_select_reference<T>(T*, const Strides&, const T*, const Shape&, const Strides&, int64_t,        \
                                          const int64_t*, int64_t, int64_t);                                          \
  template void gather<T>(T*, const Strides&, const T*, const Strides&, const Shape&, const int64_t*, const Strides&, \
                          int64_t);                                                                                   \
  template void gather_reference<T>(T*, const Strides&, const T*, const Strides&, const Shape&, const int64_t*,       \
                                    const Strides&, int64_t);
#define STRATA_INDEX_ADD(T)                                                                                          \
  template void index_add<T>(T*, const Shape&, const Strides&, int64_t, const int64_t*, int64_t, int64_t, const T*,  \
                             const Strides&);                                                                        \
  template void index_add_reference<T>(T*, const Shape&, const Strides&, int64_t, const int64_t*, int64_t, int64_t,  \
                                       const T*, const Strides&);                                                    \
  template void scatter_add<T>(T*, const Strides&, const Shape&, const int64_t*, const Strides&, const T*,           \
                               const Strides&, int64_t);                                                             \
  template void scatter_add_reference<T>(T*, const Strides&, const Shape&, const int64_t*, const Strides&, const T*, \
                                         const Strides&, int64_t);

STRATA_INDEX_SELECT(float)
STRATA_INDEX_SELECT(double)
STRATA_INDEX_SELECT(strata::Half)
STRATA_INDEX_SELECT(strata::BFloat16)
STRATA_INDEX_SELECT(int64_t)
STRATA_INDEX_SELECT(bool)
STRATA_INDEX_ADD(float)
STRATA_INDEX_ADD(double)
STRATA_INDEX_ADD(int64_t)

}  // namespace strata::kernels::cpu
