// pad_sequence (pad + stack, so autograd needs nothing new) and the padding / causal masks.
#include "strata/ops/sequence.h"

#include <algorithm>
#include <limits>

#include "strata/core/error.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"

namespace strata {

Tensor pad_sequence(const TensorList& sequences, bool batch_first, double padding_value) {
  STRATA_CHECK(!sequences.empty(), "[pad_sequence] received an empty list of sequences");
  const Tensor& first = sequences[0];
  STRATA_CHECK(first.defined() && first.dim() >= 1, "[pad_sequence] sequences must be (L, *), got ",
               first.defined() ? first.shape() : Shape{});
  int64_t max_len = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    STRATA_CHECK(s.defined() && s.dim() == first.dim(), "[pad_sequence] sequence ", i, " has shape ",
                 s.defined() ? s.shape() : Shape{}, ", expected (L, *) like sequence 0 ", first.shape());
    for (int64_t d = 1; d < s.dim(); ++d) {
      STRATA_CHECK(s.size(d) == first.size(d), "[pad_sequence] sequence ", i, " has shape ", s.shape(),
                   " but sequence 0 has ", first.shape(), " (trailing dims must match)");
    }
    max_len = std::max(max_len, s.size(0));
  }
  TensorList padded;
  padded.reserve(sequences.size());
  for (const Tensor& s : sequences) {
    std::vector<int64_t> pads(static_cast<size_t>(2 * s.dim()), 0);
    pads.back() = max_len - s.size(0);  // right side of dim 0 (the last pair)
    padded.push_back(pads.back() == 0 ? s : pad(s, pads, padding_value));
  }
  return stack(padded, batch_first ? 0 : 1);
}

Tensor key_padding_mask(const std::vector<int64_t>& lengths, int64_t max_len) {
  int64_t longest = 0;
  for (int64_t l : lengths) {
    STRATA_CHECK(l >= 0, "[key_padding_mask] lengths must be non-negative, got ", l);
    longest = std::max(longest, l);
  }
  if (max_len < 0) max_len = longest;
  STRATA_CHECK(longest <= max_len, "[key_padding_mask] a length of ", longest, " exceeds max_len ", max_len);
  // m[b, j] = j >= lengths[b]
  const auto B = static_cast<int64_t>(lengths.size());
  Tensor lens = from_vector(lengths, {B, 1});
  Tensor pos = arange(static_cast<double>(max_len), TensorOptions(kInt64)).reshape({1, max_len});
  return ge(pos, lens);
}

Tensor causal_mask(int64_t L, int64_t S, DType dtype) {
  if (S < 0) S = L;
  STRATA_CHECK(L >= 0, "[causal_mask] sizes must be non-negative, got (", L, ", ", S, ")");
  STRATA_CHECK(is_floating(dtype), "[causal_mask] dtype must be floating point, got ", dtype);
  // m[i, j] = -inf where j > i, else 0
  Tensor rows = arange(static_cast<double>(L), TensorOptions(kInt64)).reshape({L, 1});
  Tensor cols = arange(static_cast<double>(S), TensorOptions(kInt64)).reshape({1, S});
  return masked_fill(zeros({L, S}, TensorOptions(dtype)), gt(cols, rows), -std::numeric_limits<double>::infinity());
}

}  // namespace strata
