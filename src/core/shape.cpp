#include "strata/core/shape.h"

#include <sstream>

#include "strata/core/error.h"

namespace strata {

std::string Shape::str() const {
  std::ostringstream os;
  os << '(';
  for (size_t i = 0; i < size_; ++i) {
    if (i) os << ", ";
    os << (*this)[i];
  }
  if (size_ == 1) os << ',';
  os << ')';
  return os.str();
}

Strides contiguous_strides(const Shape& shape) {
  Strides s(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    s[i] = acc;
    acc *= std::max<int64_t>(shape[i], 1);
  }
  return s;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = std::max<int64_t>(ndim, 1);  // a 0-d tensor accepts dim 0 and -1, as in PyTorch
  STRATA_CHECK(dim >= -n && dim < n, "[", op, "] dim ", dim, " out of range for a tensor with ", ndim, " dims");
  return dim < 0 ? dim + n : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    STRATA_CHECK(da == db || da == 1 || db == 1, "[", op, "] shapes ", a, " and ", b,
                 " cannot be broadcast together (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace strata
