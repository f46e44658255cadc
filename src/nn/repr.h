#pragma once
// Python-style formatting for extra_repr() strings.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace strata::nn::detail {

// repr(float) in Python: the shortest round-trip form, with ".0" for integral values ("0.01", "1e-05", "1.0").
inline std::string py_float(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  // Python writes exponents with at least two digits and a sign ("1e-05").
  auto e = s.find('e');
  if (e != std::string::npos) {
    std::string mant = s.substr(0, e), ex = s.substr(e + 1);
    char sign = '+';
    if (!ex.empty() && (ex[0] == '-' || ex[0] == '+')) {
      sign = ex[0];
      ex = ex.substr(1);
    }
    if (ex.size() < 2) ex.insert(ex.begin(), '0');
    mant.append("e").push_back(sign);
    return mant.append(ex);
  }
  if (s.find('.') == std::string::npos) s += ".0";
  return s;
}

inline std::string py_bool(bool b) { return b ? "True" : "False"; }

// (a, b) as Python prints a tuple of ints.
inline std::string py_pair(int64_t a, int64_t b) {
  std::string s = "(";
  s.append(std::to_string(a)).append(", ").append(std::to_string(b)).append(")");
  return s;
}

}  // namespace strata::nn::detail
