#include "kernels/cpu/conv_dnnl.h"

#if STRATA_HAVE_DNNL

#include <omp.h>

#include <array>
#include <cstdlib>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>

#include "strata/core/error.h"

namespace strata::kernels::cpu {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

enum class Op : int64_t { Forward, BackwardData, BackwardWeight };

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& stream() {
  thread_local dnnl::stream s(engine());  // streams are not thread-safe: one per calling thread
  return s;
}

// One operand: its NCHW / (G)OIHW layout as we hold it, the primitive's layout, and the reorder between them
// (user -> primitive for inputs, primitive -> user for outputs) when they differ.
struct Slot {
  int arg = 0;
  memory::desc user, prim;
  bool reorder = false;
  dnnl::reorder re;
};

struct Entry {
  bool ok = false;  // false: oneDNN has only its reference implementation (or refused the shape)
  std::string impl;
  dnnl::primitive prim;
  memory::desc scratch;
  Slot in[2], out;
  int bias_arg = 0;  // DNNL_ARG_BIAS / DNNL_ARG_DIFF_BIAS, or 0
  memory::desc bias;
};

using Key = std::array<int64_t, 19>;

Key make_key(Op op, const ConvGeom& g, bool bias, int threads) {
  return {static_cast<int64_t>(op),
          g.n,
          g.c,
          g.h,
          g.w,
          g.cout,
          g.kh,
          g.kw,
          g.sh,
          g.sw,
          g.ph,
          g.pw,
          g.dh,
          g.dw,
          g.groups,
          g.ho,
          g.wo,
          bias ? 1 : 0,
          threads};
}

Slot input_slot(int arg, const memory::desc& user, const memory::desc& prim) {
  Slot s{arg, user, prim, user != prim, {}};
  if (s.reorder) s.re = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), user, engine(), prim));
  return s;
}

Slot output_slot(int arg, const memory::desc& user, const memory::desc& prim) {
  Slot s{arg, user, prim, user != prim, {}};
  if (s.reorder) s.re = dnnl::reorder(dnnl::reorder::primitive_desc(engine(), prim, engine(), user));
  return s;
}

template <class Pd>
bool usable(const Pd& pd, Entry& e) {
  e.impl = pd.impl_info_str();
  e.scratch = pd.scratchpad_desc();
  // The reference loops are far slower than im2col + GEMM.
  return e.impl.rfind("ref", 0) != 0;
}

std::shared_ptr<Entry> create(Op op, const ConvGeom& g, bool bias) {
  auto e = std::make_shared<Entry>();
  const memory::dims x_dims{g.n, g.c, g.h, g.w}, y_dims{g.n, g.cout, g.ho, g.wo}, b_dims{g.cout};
  const memory::dims w_dims =
      g.groups == 1 ? memory::dims{g.cout, g.c, g.kh, g.kw} : memory::dims{g.groups, g.cout_g(), g.cin_g(), g.kh, g.kw};
  const memory::desc x_user(x_dims, kF32, Tag::nchw), y_user(y_dims, kF32, Tag::nchw),
      w_user(w_dims, kF32, g.groups == 1 ? Tag::oihw : Tag::goihw), b_md(b_dims, kF32, Tag::x);
  const memory::desc x_any(x_dims, kF32, Tag::any), y_any(y_dims, kF32, Tag::any), w_any(w_dims, kF32, Tag::any);
  // oneDNN's dilation counts the gaps (PyTorch's d - 1). Right padding equal to the left: oneDNN checks the output
  // size with the same floor division as ours.
  const memory::dims strides{g.sh, g.sw}, dil{g.dh - 1, g.dw - 1}, pad{g.ph, g.pw};
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  using Fwd = dnnl::convolution_forward;
  const auto alg = dnnl::algorithm::convolution_direct;
  e->bias = b_md;
  try {
    const Fwd::desc fd =
        bias ? Fwd::desc(dnnl::prop_kind::forward_training, alg, x_any, w_any, b_md, y_any, strides, dil, pad, pad)
             : Fwd::desc(dnnl::prop_kind::forward_training, alg, x_any, w_any, y_any, strides, dil, pad, pad);
    const Fwd::primitive_desc fpd(fd, attr, engine());
    if (op == Op::Forward) {
      if (!usable(fpd, *e)) return e;
      e->prim = Fwd(fpd);
      e->in[0] = input_slot(DNNL_ARG_SRC, x_user, fpd.src_desc());
      e->in[1] = input_slot(DNNL_ARG_WEIGHTS, w_user, fpd.weights_desc());
      e->out = output_slot(DNNL_ARG_DST, y_user, fpd.dst_desc());
      e->bias_arg = bias ? DNNL_ARG_BIAS : 0;
    } else if (op == Op::BackwardData) {
      using Bwd = dnnl::convolution_backward_data;
      const Bwd::primitive_desc pd(Bwd::desc(alg, x_any, w_any, y_any, strides, dil, pad, pad), attr, engine(), fpd);
      if (!usable(pd, *e)) return e;
      e->prim = Bwd(pd);
      e->in[0] = input_slot(DNNL_ARG_DIFF_DST, y_user, pd.diff_dst_desc());
      e->in[1] = input_slot(DNNL_ARG_WEIGHTS, w_user, pd.weights_desc());
      e->out = output_slot(DNNL_ARG_DIFF_SRC, x_user, pd.diff_src_desc());
    } else {
      using Bww = dnnl::convolution_backward_weights;
      const Bww::desc d = bias ? Bww::desc(alg, x_any, w_any, b_md, y_any, strides, dil, pad, pad)
                               : Bww::desc(alg, x_any, w_any, y_any, strides, dil, pad, pad);
      const Bww::primitive_desc pd(d, attr, engine(), fpd);
      if (!usable(pd, *e)) return e;
      e->prim = Bww(pd);
      e->in[0] = input_slot(DNNL_ARG_DIFF_DST, y_user, pd.diff_dst_desc());
      e->in[1] = input_slot(DNNL_ARG_SRC, x_user, pd.src_desc());
      e->out = output_slot(DNNL_ARG_DIFF_WEIGHTS, w_user, pd.diff_weights_desc());
      e->bias_arg = bias ? DNNL_ARG_DIFF_BIAS : 0;
    }
    e->ok = true;
  } catch (const dnnl::error&) {
    e->ok = false;  // a shape oneDNN does not take: im2col handles it
  }
  return e;
}

// Bounded LRU cache of primitives. Creation runs under the lock (milliseconds, once per shape); execution does not:
// primitives are immutable and every call brings its own buffers.
class Cache {
 public:
  std::shared_ptr<Entry> get(Op op, const ConvGeom& g, bool bias, int threads) {
    const Key key = make_key(op, g, bias, threads);
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = map_.find(key); it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      return it->second.first;
    }
    auto e = create(op, g, bias);
    lru_.push_front(key);
    map_.emplace(key, std::make_pair(e, lru_.begin()));
    if (map_.size() > kCapacity) {
      map_.erase(lru_.back());
      lru_.pop_back();
    }
    return e;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return map_.size();
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    map_.clear();
    lru_.clear();
  }

 private:
  // A network has a few dozen (shape, operation) pairs; 256 holds several networks and thread counts.
  static constexpr size_t kCapacity = 256;
  std::mutex mu_;
  std::list<Key> lru_;
  std::map<Key, std::pair<std::shared_ptr<Entry>, std::list<Key>::iterator>> map_;
};

Cache& cache() {
  static Cache c;
  return c;
}

// Per-thread, grow-only, 64-byte aligned buffers for the reordered operands and the scratchpad.
class Buffers {
 public:
  void* get(int i, size_t bytes) {
    Buf& b = bufs_[static_cast<size_t>(i)];
    if (b.size < bytes) {
      b.ptr.reset();
      b.size = (bytes + 63) / 64 * 64;
      b.ptr.reset(std::aligned_alloc(64, b.size));
      STRATA_CHECK(b.ptr != nullptr, "[conv2d] out of memory for a ", b.size, "-byte oneDNN buffer");
    }
    return b.ptr.get();
  }

 private:
  struct Free {
    void operator()(void* p) const { std::free(p); }
  };
  struct Buf {
    std::unique_ptr<void, Free> ptr;
    size_t size = 0;
  };
  std::array<Buf, 4> bufs_;
};

std::shared_ptr<Entry> lookup(Op op, const ConvGeom& g, bool bias) {
  // Inside a parallel region oneDNN would run on one thread; im2col is built for that case. Empty shapes too.
  if (omp_in_parallel() || g.n <= 0 || g.c <= 0 || g.cout <= 0 || g.ho <= 0 || g.wo <= 0) return nullptr;
  auto e = cache().get(op, g, bias, omp_get_max_threads());
  return e->ok ? e : nullptr;
}

void run(const Entry& e, const float* in0, const float* in1, const float* bias, float* out) {
  thread_local Buffers bufs;
  dnnl::engine& eng = engine();
  dnnl::stream& s = stream();
  std::unordered_map<int, memory> args;
  const float* ins[2] = {in0, in1};
  for (int i = 0; i < 2; ++i) {
    const Slot& sl = e.in[i];
    memory user(sl.user, eng, const_cast<float*>(ins[i]));
    if (sl.reorder) {
      memory prim(sl.prim, eng, bufs.get(i, sl.prim.get_size()));
      sl.re.execute(s, user, prim);
      args.emplace(sl.arg, prim);
    } else {
      args.emplace(sl.arg, user);
    }
  }
  memory out_user(e.out.user, eng, out);
  memory out_prim = e.out.reorder ? memory(e.out.prim, eng, bufs.get(2, e.out.prim.get_size())) : out_user;
  args.emplace(e.out.arg, out_prim);
  if (e.bias_arg != 0) {
    args.emplace(e.bias_arg, memory(e.bias, eng, const_cast<float*>(bias)));
  }
  if (e.scratch.get_size() > 0)
    args.emplace(DNNL_ARG_SCRATCHPAD, memory(e.scratch, eng, bufs.get(3, e.scratch.get_size())));
  e.prim.execute(s, args);
  if (e.out.reorder) e.out.re.execute(s, out_prim, out_user);
  s.wait();
}

}  // namespace

bool dnnl_available() { return true; }

bool conv2d_forward_dnnl(const ConvGeom& g, const float* x, const float* w, const float* b, float* y) {
  auto e = lookup(Op::Forward, g, b != nullptr);
  if (!e) return false;
  run(*e, x, w, b, y);
  return true;
}

bool conv2d_backward_data_dnnl(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  auto e = lookup(Op::BackwardData, g, false);
  if (!e) return false;
  run(*e, dy, w, nullptr, dx);
  return true;
}

bool conv2d_backward_weight_dnnl(const ConvGeom& g, const float* dy, const float* x, float* dw, float* db) {
  if (dw == nullptr) return false;
  auto e = lookup(Op::BackwardWeight, g, db != nullptr);
  if (!e) return false;
  run(*e, dy, x, db, dw);
  return true;
}

size_t dnnl_conv_cache_size() { return cache().size(); }
void dnnl_conv_cache_clear() { cache().clear(); }

const char* dnnl_conv_impl(const ConvGeom& g) {
  thread_local std::string impl;
  impl = cache().get(Op::Forward, g, false, omp_get_max_threads())->impl;
  return impl.c_str();
}

}  // namespace strata::kernels::cpu

#else  // built without oneDNN

namespace strata::kernels::cpu {

bool dnnl_available() { return false; }
bool conv2d_forward_dnnl(const ConvGeom&, const float*, const float*, const float*, float*) { return false; }
bool conv2d_backward_data_dnnl(const ConvGeom&, const float*, const float*, float*) { return false; }
bool conv2d_backward_weight_dnnl(const ConvGeom&, const float*, const float*, float*, float*) { return false; }
size_t dnnl_conv_cache_size() { return 0; }
void dnnl_conv_cache_clear() {}
const char* dnnl_conv_impl(const ConvGeom&) { return ""; }

}  // namespace strata::kernels::cpu

#endif
