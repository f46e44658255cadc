#pragma once
// strata::Error and the STRATA_CHECK macro: every user mistake throws an Error naming the op and the shapes.
#include <sstream>
#include <stdexcept>
#include <string>

namespace strata {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace strata

// Throws strata::Error with the streamed arguments when cond is false, e.g.
// STRATA_CHECK(a.dim() == 2, "[mm] expected a 2-D tensor, got ", a.shape());
#define STRATA_CHECK(cond, ...)                                                \
  do {                                                                         \
    if (!(cond)) throw ::strata::Error(::strata::detail::concat(__VA_ARGS__)); \
  } while (0)

#define STRATA_FAIL(...) throw ::strata::Error(::strata::detail::concat(__VA_ARGS__))
