#pragma once
// Indexing kernels over raw pointers + layout (strides in elements, any layout, including broadcast or
// transposed inputs). Index arrays are int64 and must already be checked to lie in range by the caller.
//   index_select  out[.., j, ..] = x[.., index[j], ..]                 (out shape: x's with dim -> k)
//   index_add     out[.., index[j], ..] += src[.., j, ..]              (repeated indices accumulate)
//   gather        out[i] = x[i with i[dim] -> index[i]]                 (out shape: index's)
//   scatter_add   out[i with i[dim] -> index[i]] += src[i]              (iterates over index's shape)
// The accumulating kernels never let two threads write the same element: they split the work over the
// positions off `dim` when there are enough of them, else over index values (thread t takes index % nt == t).
// Each kernel has a naive single-threaded reference beside it for the tests.
#include <cstdint>

#include "strata/core/shape.h"

namespace strata::kernels::cpu {

// Returns true and sets *bad to the first value outside [0, size) among the n values of an index laid out
// with `shape`/`strides`.
bool find_out_of_range(const int64_t* index, const Shape& shape, const Strides& strides, int64_t size, int64_t* bad);

template <class T>
void index_select(T* out, const Strides& out_strides, const T* x, const Shape& x_shape, const Strides& x_strides,
                  int64_t dim, const int64_t* index, int64_t index_stride, int64_t k);
template <class T>
void index_select_reference(T* out, const Strides& out_strides, const T* x, const Shape& x_shape,
                            const Strides& x_strides, int64_t dim, const int64_t* index, int64_t index_stride,
                            int64_t k);

// out has shape out_shape; src has out_shape with dim -> k.
template <class T>
void index_add(T* out, const Shape& out_shape, const Strides& out_strides, int64_t dim, const int64_t* index,
               int64_t index_stride, int64_t k, const T* src, const Strides& src_strides);
template <class T>
void index_add_reference(T* out, const Shape& out_shape, const Strides& out_strides, int64_t dim, const int64_t* index,
                         int64_t index_stride, int64_t k, const T* src, const Strides& src_strides);

// out and index have index_shape; x is read with x_strides at the same positions off dim.
template <class T>
void gather(T* out, const Strides& out_strides, const T* x, const Strides& x_strides, const Shape& index_shape,
            const int64_t* index, const Strides& index_strides, int64_t dim);
template <class T>
void gather_reference(T* out, const Strides& out_strides, const T* x, const Strides& x_strides,
                      const Shape& index_shape, const int64_t* index, const Strides& index_strides, int64_t dim);

// src and index have index_shape (src read with src_strides); out is written with out_strides.
template <class T>
void scatter_add(T* out, const Strides& out_strides, const Shape& index_shape, const int64_t* index,
                 const Strides& index_strides, const T* src, const Strides& src_strides, int64_t dim);
template <class T>
void scatter_add_reference(T* out, const Strides& out_strides, const Shape& index_shape, const int64_t* index,
                           const Strides& index_strides, const T* src, const Strides& src_strides, int64_t dim);

}  // namespace strata::kernels::cpu
