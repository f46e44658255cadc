// all_labs(): every lab listed in registry.inc, sorted by concept number, worked examples (number 0) last.
#include <algorithm>

#include "strata/labs/lab.h"

namespace strata::labs {

#define LAB(name) Lab lab_##name();
#include "labs/registry.inc"
#undef LAB

const std::vector<Lab>& all_labs() {
  static const std::vector<Lab> labs = [] {
    std::vector<Lab> v = {
#define LAB(name) lab_##name(),
#include "labs/registry.inc"
#undef LAB
    };
    std::stable_sort(v.begin(), v.end(), [](const Lab& a, const Lab& b) {
      int na = a.number ? a.number : 1000, nb = b.number ? b.number : 1000;
      return na != nb ? na < nb : a.name < b.name;
    });
    return v;
  }();
  return labs;
}

}  // namespace strata::labs
