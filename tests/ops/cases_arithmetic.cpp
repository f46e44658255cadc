// Table rows for the arithmetic family (add, sub, mul, div, neg).
#include "op_table.h"

using strata::testing::Domain;

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    arithmetic,
    {
        {"add", {{2, 3}, {2, 3}}, [](const strata::TensorList& x) { return strata::add(x[0], x[1]); }},
        {"add.broadcast", {{2, 3}, {3}}, [](const strata::TensorList& x) { return x[0] + x[1]; }},
        {"add.alpha", {{4}, {4}}, [](const strata::TensorList& x) { return strata::add(x[0], x[1], 2.5); }},
        {"sub.broadcast", {{2, 1, 3}, {4, 1}}, [](const strata::TensorList& x) { return x[0] - x[1]; }},
        {"mul.broadcast", {{3, 1}, {1, 4}}, [](const strata::TensorList& x) { return x[0] * x[1]; }},
        {"mul.transposed", {{3, 4}, {4, 3}}, [](const strata::TensorList& x) { return x[0] * x[1].t(); }},
        {"div", {{2, 3}, {2, 3}}, [](const strata::TensorList& x) { return x[0] / x[1]; }, Domain::Positive},
        {"div.scalar", {{5}}, [](const strata::TensorList& x) { return 2.0 / x[0]; }, Domain::Positive},
        {"neg.sliced", {{4, 6}}, [](const strata::TensorList& x) { return -x[0].slice(1, 1, 5, 2); }},
    });
// clang-format on
