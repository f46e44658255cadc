// Table rows for the reduction family. max/min/amax rows use random inputs (no ties).
#include <limits>

#include "op_table.h"

using strata::TensorList;
using strata::testing::Domain;

namespace {
const double kInf = std::numeric_limits<double>::infinity();
}

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    reduction,
    {
        {"sum.all", {{2, 3}}, [](const TensorList& x) { return strata::sum(x[0]); }},
        {"sum.dim1", {{3, 4}}, [](const TensorList& x) { return strata::sum(x[0], {1}); }},
        {"sum.dim0.keepdim", {{3, 4}}, [](const TensorList& x) { return strata::sum(x[0], {0}, true); }},
        {"sum.dims02",
         {{2, 3, 4}},
         [](const TensorList& x) {
           return strata::sum(x[0], {0, 2});
         }},
        {"sum.transposed", {{3, 4}}, [](const TensorList& x) { return strata::sum(x[0].t(), {0}); }},
        {"mean.all", {{2, 3}}, [](const TensorList& x) { return strata::mean(x[0]); }},
        {"mean.neg_dim.keepdim", {{2, 3, 4}}, [](const TensorList& x) { return strata::mean(x[0], {-1}, true); }},
        {"var.dim1", {{3, 4}}, [](const TensorList& x) { return strata::var(x[0], {1}); }},
        {"var.all.correction0", {{2, 5}}, [](const TensorList& x) { return strata::var(x[0], {}, 0); }},
        {"var.dims01.keepdim",
         {{2, 3, 4}},
         [](const TensorList& x) {
           return strata::var(x[0], {0, 1}, 1, true);
         }},
        {"std.dim0", {{4, 3}}, [](const TensorList& x) { return strata::std(x[0], {0}); }},
        {"std.all", {{3, 4}}, [](const TensorList& x) { return strata::std(x[0]); }},
        {"max.all", {{3, 4}}, [](const TensorList& x) { return strata::max(x[0]); }},
        {"min.all", {{3, 4}}, [](const TensorList& x) { return strata::min(x[0]); }},
        {"max.dim1", {{3, 5}}, [](const TensorList& x) { return strata::max(x[0], 1).first; }},
        {"min.dim0.keepdim", {{4, 3}}, [](const TensorList& x) { return strata::min(x[0], 0, true).first; }},
        {"amax.dims02",
         {{2, 3, 4}},
         [](const TensorList& x) {
           return strata::amax(x[0], {0, 2});
         }},
        {"amin.dim1.keepdim", {{3, 4}}, [](const TensorList& x) { return strata::amin(x[0], {1}, true); }},
        {"logsumexp.dim1", {{3, 4}}, [](const TensorList& x) { return strata::logsumexp(x[0], {1}); }},
        {"logsumexp.dims01.keepdim",
         {{2, 3, 2}},
         [](const TensorList& x) {
           return strata::logsumexp(x[0], {0, 1}, true);
         }},
        {"norm.p2", {{3, 4}}, [](const TensorList& x) { return strata::norm(x[0]); }},
        {"norm.p2.dim1", {{3, 4}}, [](const TensorList& x) { return strata::norm(x[0], 2.0, {1}); }},
        {"norm.p1", {{3, 4}}, [](const TensorList& x) { return strata::norm(x[0], 1.0); }, Domain::AwayFromZero},
        {"norm.inf.dim0", {{3, 4}}, [](const TensorList& x) { return strata::norm(x[0], kInf, {0}); }},
        {"norm.p3.dim1.keepdim", {{3, 4}}, [](const TensorList& x) { return strata::norm(x[0], 3.0, {1}, true); }},
        {"norm.p1_5", {{5}}, [](const TensorList& x) { return strata::norm(x[0], 1.5); }, Domain::AwayFromZero},
        {"norm.p0_5", {{5}}, [](const TensorList& x) { return strata::norm(x[0], 0.5); }, Domain::AwayFromZero},
    });
// clang-format on
