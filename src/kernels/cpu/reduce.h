#pragma once
// Reduction kernels. The op layer describes a reduction by a ReduceLayout (the input's dims ordered
// outermost first by stride, size-1 dims dropped, neighbours of the same kind merged); two loop shapes
// then cover every layout whose innermost dim has stride 1, with no transposing copy:
//   inner reduction (innermost dim reduced): each output reduces contiguous runs, vectorised along the run;
//   outer reduction (innermost dim kept): rows are accumulated into a tile of outputs, vectorised across
//                   the kept dim (e.g. the bias gradient: the sum over the batch of an (N, C) tensor).
// Sums are cascaded: vector lanes (or a tile's rows) sum short blocks in the accumulator type, and the
// block partials are combined pairwise in Hi (double for float sums), so the rounding error barely grows
// with n (better than PyTorch's float cascade). The blocks and the combination order depend only on the
// layout, never on the thread count, so results are reproducible.
//
// A reduction is given by functors: map(v, prm) -> Acc (the value reduced, e.g. v, v*v, exp(v - prm)),
// combine (add, max, ...; generic: used on Acc and on Hi) with identity `id`, and finish(Hi, prm) -> Out.
// `prm` is an optional per-output parameter (a mean, a max) read with the output's strides.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/cpu/loops.h"

namespace strata::kernels::cpu {

struct ReduceLayout {
  Shape sizes;                // outermost first
  Strides in;                 // input strides, in elements
  Strides out;                // output strides (0 on reduced dims)
  std::vector<bool> reduced;  // per dim
  int64_t numel = 1;          // input elements
};

// Orders dims by input stride (stride-0 dims outermost), drops size-1 dims and merges neighbours that are
// both kept or both reduced and contiguous for input and output alike.
inline ReduceLayout make_reduce_layout(const Shape& shape, const Strides& in, const Strides& out,
                                       const std::vector<bool>& reduced) {
  std::vector<size_t> order;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] != 1) order.push_back(d);
  }
  auto key = [&](size_t d) { return in[d] == 0 ? std::numeric_limits<int64_t>::max() : in[d]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
  ReduceLayout L;
  L.numel = shape.numel();
  for (size_t d : order) {
    const size_t k = L.sizes.size();
    if (k > 0 && L.reduced[k - 1] == reduced[d] && L.in[k - 1] == in[d] * shape[d] &&
        L.out[k - 1] == out[d] * shape[d]) {
      L.sizes[k - 1] *= shape[d];
      L.in[k - 1] = in[d];
      L.out[k - 1] = out[d];
    } else {
      L.sizes.push_back(shape[d]);
      L.in.push_back(in[d]);
      L.out.push_back(out[d]);
      L.reduced.push_back(reduced[d]);
    }
  }
  return L;
}

// The kernels need a unit-stride innermost dim; otherwise the op layer copies the input first.
inline bool reduce_layout_dense(const ReduceLayout& L) { return L.sizes.empty() || L.in.back() == 1; }

// A multi-index over some dims (innermost last) with two running offsets.
struct Walker {
  Shape sizes;
  Strides s0, s1;
  Shape idx;
  int64_t off0 = 0, off1 = 0;

  void add(int64_t size, int64_t st0, int64_t st1) {
    sizes.push_back(size);
    s0.push_back(st0);
    s1.push_back(st1);
  }
  int64_t count() const { return sizes.numel(); }
  void seek(int64_t linear) {
    idx = Shape(sizes.size());
    off0 = off1 = 0;
    for (size_t d = sizes.size(); d-- > 0;) {
      idx[d] = linear % sizes[d];
      linear /= sizes[d];
      off0 += idx[d] * s0[d];
      off1 += idx[d] * s1[d];
    }
  }
  void next() {
    for (size_t d = sizes.size(); d-- > 0;) {
      off0 += s0[d];
      off1 += s1[d];
      if (++idx[d] < sizes[d]) return;
      off0 -= s0[d] * sizes[d];
      off1 -= s1[d] * sizes[d];
      idx[d] = 0;
    }
  }
};

// Pairwise combination of W-wide partial results: equal-sized groups merge like the digits of a binary
// counter, so each partial takes part in at most log2(count) combines.
template <class Acc, int W>
struct Cascade {
  static constexpr int kLevels = 44;
  Acc level[kLevels][W];
  uint64_t filled = 0;

  template <class C>
  void push(Acc* v, int w, C combine) {
    int l = 0;
    for (; filled & (uint64_t{1} << l); ++l) {
      for (int j = 0; j < w; ++j) v[j] = combine(level[l][j], v[j]);
      filled &= ~(uint64_t{1} << l);
    }
    for (int j = 0; j < w; ++j) level[l][j] = v[j];
    filled |= uint64_t{1} << l;
  }
  // Combines everything pushed (older, larger groups on the left) into out; false when nothing was pushed.
  template <class C>
  bool finish(Acc* out, int w, C combine) {
    bool any = false;
    for (int l = 0; l < kLevels; ++l) {
      if (!(filled & (uint64_t{1} << l))) continue;
      for (int j = 0; j < w; ++j) out[j] = any ? combine(level[l][j], out[j]) : level[l][j];
      any = true;
    }
    return any;
  }
};

inline constexpr int kLanes = 64;           // independent accumulators along a run
inline constexpr int64_t kRunBlock = 1024;  // run elements per cascade block (16 per lane)
inline constexpr int64_t kSegment = 65536;  // elements per independent (parallel) segment
inline constexpr int kTile = 512;           // outputs per tile in the outer reduction
inline constexpr int64_t kRowBlock = 32;    // rows per cascade block in the outer reduction

// Cascade of w-wide partials kept on the heap (for wide tiles); reusable across tiles.
template <class Acc>
struct WideCascade {
  std::unique_ptr<Acc[]> level;
  int levels = 0, w = 0;
  uint64_t filled = 0;

  void reset(int width) {
    filled = 0;
    if (width > w) levels = 0;
    w = std::max(w, width);
  }
  template <class C>
  void push(Acc* v, int tw, C combine) {
    int l = 0;
    for (; filled & (uint64_t{1} << l); ++l) {
      const Acc* lv = &level[static_cast<size_t>(l) * static_cast<size_t>(w)];
      for (int j = 0; j < tw; ++j) v[j] = combine(lv[j], v[j]);
      filled &= ~(uint64_t{1} << l);
    }
    if (l >= levels) {
      const int grown = std::max(l + 1, 2 * levels);
      std::unique_ptr<Acc[]> bigger(new Acc[static_cast<size_t>(grown) * static_cast<size_t>(w)]);
      for (int k = 0; k < levels * w; ++k) bigger[static_cast<size_t>(k)] = level[static_cast<size_t>(k)];
      level = std::move(bigger);
      levels = grown;
    }
    Acc* lv = &level[static_cast<size_t>(l) * static_cast<size_t>(w)];
    for (int j = 0; j < tw; ++j) lv[j] = v[j];
    filled |= uint64_t{1} << l;
  }
  template <class C>
  void finish(Acc* out, int tw, C combine) {
    bool any = false;
    for (int l = 0; l < levels; ++l) {
      if (!(filled & (uint64_t{1} << l))) continue;
      const Acc* lv = &level[static_cast<size_t>(l) * static_cast<size_t>(w)];
      for (int j = 0; j < tw; ++j) out[j] = any ? combine(lv[j], out[j]) : lv[j];
      any = true;
    }
  }
};

struct AddOp;
// The type partial results are combined in above the lanes: double for float sums (so that only the
// short per-lane sums round in float), the accumulator itself otherwise (max/min are exact anyway).
template <class Acc, class Combine>
using Hi = std::conditional_t<std::is_same_v<Acc, float> && std::is_same_v<Combine, AddOp>, double, Acc>;

namespace detail {

inline bool go_parallel(int64_t work, int64_t items) {
  return work >= kParallelGrain && items > 1 && omp_get_max_threads() > 1 && !omp_in_parallel();
}

// body(begin, end) over [0, items): in contiguous per-thread chunks when par, else directly (no OpenMP
// runtime call at all, which matters for small tensors).
template <class Body>
void for_chunks(int64_t items, bool par, const Body& body) {
  if (!par) {
    body(int64_t{0}, items);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t chunk = (items + nt - 1) / nt;
    const int64_t b = std::min(items, t * chunk), e = std::min(items, b + chunk);
    if (b < e) body(b, e);
  }
}

// Reduces n < kLanes contiguous values: four independent chains (named, so that they stay in registers).
template <class Acc, class In, class P, class Map, class Combine>
inline Hi<Acc, Combine> reduce_short(const In* p, int64_t n, P prm, Acc id, const Map& map, const Combine& combine) {
  using H = Hi<Acc, Combine>;
  Acc a0 = id, a1 = id, a2 = id, a3 = id;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = combine(a0, map(p[i], prm));
    a1 = combine(a1, map(p[i + 1], prm));
    a2 = combine(a2, map(p[i + 2], prm));
    a3 = combine(a3, map(p[i + 3], prm));
  }
  if (i < n) a0 = combine(a0, map(p[i], prm));
  if (i + 1 < n) a1 = combine(a1, map(p[i + 1], prm));
  if (i + 2 < n) a2 = combine(a2, map(p[i + 2], prm));
  return combine(combine(H(a0), H(a1)), combine(H(a2), H(a3)));
}

// Accumulates the first n / kLanes * kLanes of n contiguous values into the lanes; returns how many.
// (The tail goes through reduce_short: writing single lanes before a vector fold stalls store forwarding.)
template <class Acc, class In, class P, class Map, class Combine>
inline int64_t accumulate_lanes(const In* p, int64_t n, P prm, Acc* lane, const Map& map, const Combine& combine) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) lane[j] = combine(lane[j], map(p[i + j], prm));
  }
  return i;
}

// Pairwise folds of the lanes, written with constant trip counts so that they vectorise.
static_assert(kLanes == 64, "fold_to_8 assumes 64 lanes");
template <class V, class Combine>
inline void fold_to_8(V* v, const Combine& combine) {
  for (int j = 0; j < 32; ++j) v[j] = combine(v[j], v[j + 32]);
  for (int j = 0; j < 16; ++j) v[j] = combine(v[j], v[j + 16]);
  for (int j = 0; j < 8; ++j) v[j] = combine(v[j], v[j + 8]);
}
template <class V, class Combine>
inline V fold_8(const V* v, const Combine& combine) {
  return combine(combine(combine(v[0], v[4]), combine(v[2], v[6])), combine(combine(v[1], v[5]), combine(v[3], v[7])));
}

// Reduces kLanes <= n <= kRunBlock contiguous values: one block of lanes, folded to 8 in Acc and to 1 in Hi.
template <class Acc, class In, class P, class Map, class Combine>
Hi<Acc, Combine> reduce_block(const In* p, int64_t n, P prm, Acc id, const Map& map, const Combine& combine) {
  using H = Hi<Acc, Combine>;
  Acc lane[kLanes];
  for (int j = 0; j < kLanes; ++j) lane[j] = id;
  const int64_t done = accumulate_lanes(p, n, prm, lane, map, combine);
  fold_to_8(lane, combine);
  H hi[8];
  for (int j = 0; j < 8; ++j) hi[j] = H(lane[j]);
  return combine(fold_8(hi, combine), reduce_short(p + done, n - done, prm, id, map, combine));
}

// Reduces kRunBlock < n <= kSegment contiguous values: blocks of lanes (accumulated in Acc) whose
// partials combine pairwise in Hi.
template <class Acc, class In, class P, class Map, class Combine>
Hi<Acc, Combine> reduce_run(const In* p, int64_t n, P prm, Acc id, const Map& map, const Combine& combine) {
  using H = Hi<Acc, Combine>;
  Acc lane[kLanes];
  H hi[kLanes];
  Cascade<H, kLanes> c;
  int64_t i = 0;
  while (i + kLanes <= n) {
    for (int j = 0; j < kLanes; ++j) lane[j] = id;
    i += accumulate_lanes(p + i, std::min(kRunBlock, n - i), prm, lane, map, combine);
    for (int j = 0; j < kLanes; ++j) hi[j] = H(lane[j]);
    c.push(hi, kLanes, combine);
  }
  c.finish(hi, kLanes, combine);
  fold_to_8(hi, combine);
  return combine(fold_8(hi, combine), reduce_short(p + i, n - i, prm, id, map, combine));
}

// Reduces 0 <= n <= kSegment contiguous values.
template <class Acc, class In, class P, class Map, class Combine>
inline Hi<Acc, Combine> reduce_any_run(const In* p, int64_t n, P prm, Acc id, const Map& map, const Combine& combine) {
  if (n < kLanes) return reduce_short(p, n, prm, id, map, combine);
  if (n <= kRunBlock) return reduce_block(p, n, prm, id, map, combine);
  return reduce_run(p, n, prm, id, map, combine);
}

// Reduces n contiguous values: runs of kSegment, combined pairwise (in parallel when allowed).
template <class Acc, class In, class P, class Map, class Combine>
Hi<Acc, Combine> reduce_row(const In* p, int64_t n, P prm, Acc id, const Map& map, const Combine& combine,
                            bool parallel) {
  using H = Hi<Acc, Combine>;
  if (n <= kSegment) return reduce_any_run(p, n, prm, id, map, combine);
  const int64_t nseg = (n + kSegment - 1) / kSegment;
  std::unique_ptr<H[]> part(new H[static_cast<size_t>(nseg)]);
  for_chunks(nseg, parallel && go_parallel(n, nseg), [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) {
      const int64_t len = std::min(kSegment, n - s * kSegment);
      part[static_cast<size_t>(s)] = reduce_any_run(p + s * kSegment, len, prm, id, map, combine);
    }
  });
  Cascade<H, 1> c;
  for (int64_t s = 0; s < nseg; ++s) c.push(&part[static_cast<size_t>(s)], 1, combine);
  H r = H(id);
  c.finish(&r, 1, combine);
  return r;
}

template <class P>
inline P param_at(const P* prm, int64_t off) {
  return prm ? prm[off] : P{};
}

// Innermost dim reduced: each output reduces runs of `n` contiguous elements, one per position of the
// outer reduced dims. Those positions are cut into fixed segments (combined pairwise) for parallelism.
template <class In, class Out, class P, class Acc, class Map, class Combine, class Finish>
void reduce_inner(const ReduceLayout& L, const In* x, Out* y, const P* prm, Acc id, const Map& map,
                  const Combine& combine, const Finish& finish) {
  using H = Hi<Acc, Combine>;
  const size_t nd = L.sizes.size();
  const int64_t n = L.sizes[nd - 1];
  Walker kept, red;
  for (size_t d = 0; d + 1 < nd; ++d) {
    if (L.reduced[d]) {
      red.add(L.sizes[d], L.in[d], 0);
    } else {
      kept.add(L.sizes[d], L.in[d], L.out[d]);
    }
  }
  const int64_t M = kept.count(), R = red.count();
  const int64_t seg_rows = std::max<int64_t>(1, kSegment / n);
  const int64_t nseg = (R + seg_rows - 1) / seg_rows;
  // Reduces rows [r0, r1) of the output whose input offset is `base`.
  auto rows = [&](Walker& w, int64_t base, int64_t r0, int64_t r1, P pv, bool par) {
    w.seek(r0);
    if (r1 - r0 == 1) return reduce_row(x + base + w.off0, n, pv, id, map, combine, par);
    Cascade<H, 1> c;
    for (int64_t r = r0; r < r1; ++r, w.next()) {
      H v = reduce_row(x + base + w.off0, n, pv, id, map, combine, par);
      c.push(&v, 1, combine);
    }
    H v = H(id);
    c.finish(&v, 1, combine);
    return v;
  };
  if (nseg == 1) {
    const bool par = go_parallel(L.numel, M);
    for_chunks(M, par, [&](int64_t b, int64_t e) {
      Walker k = kept, w = red;
      k.seek(b);
      if (R == 1 && n < kLanes) {
        for (int64_t o = b; o < e; ++o, k.next()) {
          P pv = param_at(prm, k.off1);
          y[k.off1] = finish(reduce_short(x + k.off0, n, pv, id, map, combine), pv);
        }
        return;
      }
      if (R == 1) {
        for (int64_t o = b; o < e; ++o, k.next()) {
          P pv = param_at(prm, k.off1);
          y[k.off1] = finish(reduce_row(x + k.off0, n, pv, id, map, combine, !par), pv);
        }
        return;
      }
      for (int64_t o = b; o < e; ++o, k.next()) {
        P pv = param_at(prm, k.off1);
        y[k.off1] = finish(rows(w, k.off0, 0, R, pv, !par), pv);
      }
    });
    return;
  }
  std::unique_ptr<H[]> part(new H[static_cast<size_t>(M * nseg)]);
  const int64_t items = M * nseg;
  for_chunks(items, go_parallel(L.numel, items), [&](int64_t b, int64_t e) {
    Walker k = kept, w = red;
    for (int64_t it = b; it < e; ++it) {
      const int64_t o = it / nseg, s = it % nseg;
      k.seek(o);
      part[static_cast<size_t>(it)] =
          rows(w, k.off0, s * seg_rows, std::min(R, (s + 1) * seg_rows), param_at(prm, k.off1), false);
    }
  });
  Walker k = kept;
  k.seek(0);
  for (int64_t o = 0; o < M; ++o, k.next()) {
    Cascade<H, 1> c;
    for (int64_t s = 0; s < nseg; ++s) c.push(&part[static_cast<size_t>(o * nseg + s)], 1, combine);
    H v = H(id);
    c.finish(&v, 1, combine);
    P pv = param_at(prm, k.off1);
    y[k.off1] = finish(v, pv);
  }
}

// Accumulates rows [r0, r1) (positions of the reduced dims, walked by w) of a tile of `tw` kept inner
// elements into out: four rows at a time into acc, blocks of kRowBlock rows combined pairwise through c.
template <class In, class P, class Acc, class Map, class Combine>
void tile_rows(const In* x, Walker& w, int64_t r0, int64_t r1, int tw, const P* pt, Acc id, Acc* acc,
               Hi<Acc, Combine>* out, WideCascade<Hi<Acc, Combine>>& c, const Map& map, const Combine& combine) {
  using H = Hi<Acc, Combine>;
  for (int j = 0; j < tw; ++j) acc[j] = id;
  w.seek(r0);
  const bool cascade = r1 - r0 > kRowBlock;
  if (cascade) c.reset(tw);
  for (int64_t r = r0; r < r1;) {
    const int64_t e = cascade ? std::min(r1, r + kRowBlock) : r1;
    for (; r + 4 <= e; r += 4) {
      const In* a = x + w.off0;
      w.next();
      const In* b = x + w.off0;
      w.next();
      const In* q = x + w.off0;
      w.next();
      const In* d = x + w.off0;
      w.next();
      for (int j = 0; j < tw; ++j) {
        acc[j] = combine(
            acc[j], combine(combine(map(a[j], pt[j]), map(b[j], pt[j])), combine(map(q[j], pt[j]), map(d[j], pt[j]))));
      }
    }
    for (; r < e; ++r, w.next()) {
      const In* a = x + w.off0;
      for (int j = 0; j < tw; ++j) acc[j] = combine(acc[j], map(a[j], pt[j]));
    }
    if (cascade) {
      for (int j = 0; j < tw; ++j) out[j] = H(acc[j]);
      c.push(out, tw, combine);
      for (int j = 0; j < tw; ++j) acc[j] = id;
    }
  }
  if (cascade) {
    c.finish(out, tw, combine);
  } else {
    for (int j = 0; j < tw; ++j) out[j] = H(acc[j]);
  }
}

// Innermost dim kept (unit input stride): tiles of up to kTile outputs accumulate whole rows, streaming
// through the input in memory order. The reduced positions are cut into fixed segments for parallelism.
template <class In, class Out, class P, class Acc, class Map, class Combine, class Finish>
void reduce_outer(const ReduceLayout& L, const In* x, Out* y, const P* prm, Acc id, const Map& map,
                  const Combine& combine, const Finish& finish) {
  using H = Hi<Acc, Combine>;
  const size_t nd = L.sizes.size();
  const int64_t K = L.sizes[nd - 1], sk = L.out[nd - 1];
  Walker kept, red;
  for (size_t d = 0; d + 1 < nd; ++d) {
    if (L.reduced[d]) {
      red.add(L.sizes[d], L.in[d], 0);
    } else {
      kept.add(L.sizes[d], L.in[d], L.out[d]);
    }
  }
  const int64_t KO = kept.count(), R = red.count();
  const int64_t ntiles = (K + kTile - 1) / kTile;
  const int64_t seg_rows = std::max<int64_t>(kRowBlock, kSegment / K / kRowBlock * kRowBlock);
  const int64_t nseg = (R + seg_rows - 1) / seg_rows;
  const int64_t tiles = KO * ntiles, items = tiles * nseg;
  // Positions the walker on the tile's outputs and loads its parameters; returns the tile's width.
  auto setup = [&](int64_t tile, Walker& k, P* pt) {
    k.seek(tile / ntiles);
    const int64_t k0 = (tile % ntiles) * kTile;
    const int tw = static_cast<int>(std::min<int64_t>(kTile, K - k0));
    for (int j = 0; j < tw; ++j) pt[j] = param_at(prm, k.off1 + (k0 + j) * sk);
    return tw;
  };
  auto store = [&](const Walker& k, int64_t tile, int tw, const H* v, const P* pt) {
    Out* o = y + k.off1 + (tile % ntiles) * kTile * sk;
    for (int j = 0; j < tw; ++j) o[j * sk] = finish(v[j], pt[j]);
  };
  std::unique_ptr<H[]> part(nseg > 1 ? new H[static_cast<size_t>(items * kTile)] : nullptr);
  for_chunks(items, go_parallel(L.numel, items), [&](int64_t b, int64_t e) {
    Walker k = kept, w = red;
    WideCascade<H> c;
    P pt[kTile];
    Acc acc[kTile];
    H out[kTile];
    for (int64_t it = b; it < e; ++it) {
      const int64_t tile = it / nseg, s = it % nseg;
      const int tw = setup(tile, k, pt);
      const In* base = x + k.off0 + (tile % ntiles) * kTile;
      if (nseg == 1) {
        tile_rows(base, w, 0, R, tw, pt, id, acc, out, c, map, combine);
        store(k, tile, tw, out, pt);
      } else {
        tile_rows(base, w, s * seg_rows, std::min(R, (s + 1) * seg_rows), tw, pt, id, acc,
                  &part[static_cast<size_t>(it * kTile)], c, map, combine);
      }
    }
  });
  if (nseg == 1) return;
  Walker k = kept;
  WideCascade<H> c;
  P pt[kTile];
  H out[kTile];
  for (int64_t tile = 0; tile < tiles; ++tile) {
    const int tw = setup(tile, k, pt);
    c.reset(tw);
    for (int64_t s = 0; s < nseg; ++s) c.push(&part[static_cast<size_t>((tile * nseg + s) * kTile)], tw, combine);
    c.finish(out, tw, combine);
    store(k, tile, tw, out, pt);
  }
}

}  // namespace detail

// y[out offsets] = finish(combine over the reduced positions of map(x, prm), prm). The layout must be dense
// (reduce_layout_dense) and the input non-empty; prm may be null.
template <class In, class Out, class P, class Acc, class Map, class Combine, class Finish>
void reduce(const ReduceLayout& L, const In* x, Out* y, const P* prm, Acc id, Map map, Combine combine, Finish finish) {
  if (L.numel == 0) return;
  if (L.sizes.empty()) {
    P pv = detail::param_at(prm, 0);
    y[0] = finish(Hi<Acc, Combine>(combine(id, map(x[0], pv))), pv);
  } else if (L.reduced.back()) {
    detail::reduce_inner(L, x, y, prm, id, map, combine, finish);
  } else {
    detail::reduce_outer(L, x, y, prm, id, map, combine, finish);
  }
}

// Naive reference: every input element in row-major order, sequentially combined into its output
// (out_numel outputs, addressed by out strides), then finished.
template <class In, class Out, class P, class Acc, class Map, class Combine, class Finish>
void reduce_reference(const Shape& shape, const Strides& in, const Strides& out, int64_t out_numel, const In* x, Out* y,
                      const P* prm, Acc id, Map map, Combine combine, Finish finish) {
  std::unique_ptr<Acc[]> acc(new Acc[static_cast<size_t>(out_numel)]);
  for (int64_t o = 0; o < out_numel; ++o) acc[static_cast<size_t>(o)] = id;
  const int64_t n = shape.numel();
  Shape idx(shape.size());
  for (int64_t i = 0; i < n; ++i) {
    int64_t oi = 0, oo = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      oi += idx[d] * in[d];
      oo += idx[d] * out[d];
    }
    acc[static_cast<size_t>(oo)] = combine(acc[static_cast<size_t>(oo)], map(x[oi], detail::param_at(prm, oo)));
    for (size_t d = shape.size(); d-- > 0;) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  for (int64_t o = 0; o < out_numel; ++o) y[o] = finish(acc[static_cast<size_t>(o)], detail::param_at(prm, o));
}

// ---- value + index along one dim ----

// Replaces the running best by v when better(v, best): the first index wins among ties.
// For each position of the kept dims (sizes, input strides, output strides), the best of the n elements
// at stride `step` along the reduced dim; vals may be null.
template <class T, class Better>
void arg_reduce(const Shape& sizes, const Strides& in, const Strides& out, int64_t n, int64_t step, const T* x, T* vals,
                int64_t* idx, Better better) {
  Walker kept;
  for (size_t d = 0; d < sizes.size(); ++d) kept.add(sizes[d], in[d], out[d]);
  const int64_t M = kept.count();
  detail::for_chunks(M, detail::go_parallel(M * n, M), [&](int64_t b, int64_t e) {
    Walker k = kept;
    k.seek(b);
    for (int64_t o = b; o < e; ++o, k.next()) {
      const T* p = x + k.off0;
      T best = p[0];
      int64_t bi = 0;
      if (step == 1) {
        for (int64_t i = 1; i < n; ++i) {
          if (better(p[i], best)) {
            best = p[i];
            bi = i;
          }
        }
      } else {
        for (int64_t i = 1; i < n; ++i) {
          if (better(p[i * step], best)) {
            best = p[i * step];
            bi = i;
          }
        }
      }
      if (vals) vals[k.off1] = best;
      idx[k.off1] = bi;
    }
  });
}

// Naive reference of arg_reduce over a row-major (outer, n, inner) block.
template <class T, class Better>
void arg_reduce_reference(const T* x, int64_t outer, int64_t n, int64_t inner, T* vals, int64_t* idx, Better better) {
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      int64_t bi = 0;
      for (int64_t r = 1; r < n; ++r) {
        if (better(x[(o * n + r) * inner + i], x[(o * n + bi) * inner + i])) bi = r;
      }
      vals[o * inner + i] = x[(o * n + bi) * inner + i];
      idx[o * inner + i] = bi;
    }
  }
}

// NaN-propagating comparisons (a NaN is larger and smaller than everything, as in PyTorch).
template <class T>
inline bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}
struct GreaterOrNaN {
  template <class T>
  bool operator()(T v, T best) const {
    return v > best || (is_nan_value(v) && !is_nan_value(best));
  }
};
struct LessOrNaN {
  template <class T>
  bool operator()(T v, T best) const {
    return v < best || (is_nan_value(v) && !is_nan_value(best));
  }
};
// Written so that GCC vectorises them (compare + blend, then the NaN test on a).
struct MaxOp {
  template <class T>
  T operator()(T a, T b) const {
    const T m = a > b ? a : b;
    if constexpr (std::is_floating_point_v<T>) {
      return a != a ? a : m;  // NOLINT(misc-redundant-expression): a NaN in a wins
    } else {
      return m;
    }
  }
};
struct MinOp {
  template <class T>
  T operator()(T a, T b) const {
    const T m = a < b ? a : b;
    if constexpr (std::is_floating_point_v<T>) {
      return a != a ? a : m;  // NOLINT(misc-redundant-expression): a NaN in a wins
    } else {
      return m;
    }
  }
};
struct AddOp {
  template <class T>
  T operator()(T a, T b) const {
    return a + b;
  }
};

}  // namespace strata::kernels::cpu
