// Table rows for the elementwise math and selection ops (pow, sqrt, rsqrt, square, exp, log, log1p, erf,
// erfc, abs, sign, clamp, minimum, maximum, where). Constants a row needs (masks, bounds) are written out here
// so that the golden script can rebuild them by row name.
#include "op_table.h"

using strata::Tensor;
using strata::TensorList;
using strata::testing::Domain;

namespace {
// The fixed (2, 3) mask of the where rows: [[1, 0, 1], [0, 0, 1]].
Tensor where_mask() { return strata::from_vector<bool>({true, false, true, false, false, true}, {2, 3}); }
}  // namespace

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    elementwise,
    {
        {"pow.scalar", {{2, 3}}, [](const TensorList& x) { return strata::pow(x[0], 2.5); }, Domain::Positive},
        {"pow.square", {{2, 3}}, [](const TensorList& x) { return strata::pow(x[0], 2.0); }},
        {"pow.cube", {{5}}, [](const TensorList& x) { return strata::pow(x[0], 3.0); }},
        {"pow.neg_frac", {{4}}, [](const TensorList& x) { return strata::pow(x[0], -1.5); }, Domain::Positive},
        {"pow.sqrt", {{4}}, [](const TensorList& x) { return strata::pow(x[0], 0.5); }, Domain::Positive},
        {"pow.tensor", {{2, 3}, {2, 3}}, [](const TensorList& x) { return strata::pow(x[0], x[1]); }, Domain::Positive},
        {"pow.tensor_broadcast",
         {{2, 1}, {3}},
         [](const TensorList& x) { return strata::pow(x[0], x[1]); },
         Domain::Positive},
        {"pow.scalar_base", {{2, 2}}, [](const TensorList& x) { return strata::pow(2.0, x[0]); }},
        {"sqrt", {{2, 3}}, [](const TensorList& x) { return strata::sqrt(x[0]); }, Domain::Positive},
        {"sqrt.transposed", {{3, 2}}, [](const TensorList& x) { return strata::sqrt(x[0].t()); }, Domain::Positive},
        {"rsqrt", {{2, 3}}, [](const TensorList& x) { return strata::rsqrt(x[0]); }, Domain::Positive},
        {"square", {{2, 3}}, [](const TensorList& x) { return strata::square(x[0]); }},
        {"square.sliced", {{4, 6}}, [](const TensorList& x) { return strata::square(x[0].slice(1, 1, 5, 2)); }},
        {"exp", {{2, 3}}, [](const TensorList& x) { return strata::exp(x[0]); }},
        {"exp.transposed", {{3, 4}}, [](const TensorList& x) { return strata::exp(x[0].t()); }},
        {"log", {{2, 3}}, [](const TensorList& x) { return strata::log(x[0]); }, Domain::Positive},
        {"log1p", {{2, 3}}, [](const TensorList& x) { return strata::log1p(x[0]); }, Domain::Positive},
        {"erf", {{2, 3}}, [](const TensorList& x) { return strata::erf(x[0]); }},
        {"erfc", {{2, 3}}, [](const TensorList& x) { return strata::erfc(x[0]); }},
        {"abs", {{2, 3}}, [](const TensorList& x) { return strata::abs(x[0]); }, Domain::AwayFromZero},
        {"sign", {{2, 3}}, [](const TensorList& x) { return strata::sign(x[0]); }, Domain::AwayFromZero},
        // bounds at +-0.5 / 0.3: N(0, 1) inputs land within eps of a kink with negligible probability (fixed seed)
        {"clamp", {{3, 4}}, [](const TensorList& x) { return strata::clamp(x[0], -0.5, 0.5); }},
        {"clamp.min", {{3, 4}}, [](const TensorList& x) { return strata::clamp(x[0], 0.3, std::nullopt); }},
        {"clamp.max", {{3, 4}}, [](const TensorList& x) { return strata::clamp(x[0], std::nullopt, 0.3); }},
        {"minimum", {{2, 3}, {2, 3}}, [](const TensorList& x) { return strata::minimum(x[0], x[1]); }},
        {"maximum", {{2, 3}, {2, 3}}, [](const TensorList& x) { return strata::maximum(x[0], x[1]); }},
        {"maximum.broadcast", {{2, 3}, {3}}, [](const TensorList& x) { return strata::maximum(x[0], x[1]); }},
        {"where", {{2, 3}, {2, 3}}, [](const TensorList& x) { return strata::where(where_mask(), x[0], x[1]); }},
        {"where.broadcast", {{2, 3}, {3}}, [](const TensorList& x) { return strata::where(where_mask(), x[0], x[1]); }},
        {"where.scalar", {{2, 3}}, [](const TensorList& x) { return strata::where(where_mask(), x[0], 0.5); }},
    });
// clang-format on
