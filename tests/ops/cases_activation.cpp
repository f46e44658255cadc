// Table rows for the activations (relu, leaky_relu, sigmoid, tanh, gelu, softplus, silu).
#include "op_table.h"

using strata::TensorList;
using strata::testing::Domain;

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    activation,
    {
        {"relu", {{2, 3}}, [](const TensorList& x) { return strata::relu(x[0]); }, Domain::AwayFromZero},
        {"relu.transposed", {{3, 2}}, [](const TensorList& x) { return strata::relu(x[0].t()); }, Domain::AwayFromZero},
        {"leaky_relu",
         {{2, 3}},
         [](const TensorList& x) { return strata::leaky_relu(x[0], 0.2); },
         Domain::AwayFromZero},
        {"sigmoid", {{2, 3}}, [](const TensorList& x) { return strata::sigmoid(x[0]); }},
        {"tanh", {{2, 3}}, [](const TensorList& x) { return strata::tanh(x[0]); }},
        {"tanh.sliced", {{4, 6}}, [](const TensorList& x) { return strata::tanh(x[0].slice(1, 0, 6, 3)); }},
        {"gelu", {{2, 3}}, [](const TensorList& x) { return strata::gelu(x[0]); }},
        {"gelu.tanh", {{2, 3}}, [](const TensorList& x) { return strata::gelu(x[0], "tanh"); }},
        {"softplus", {{2, 3}}, [](const TensorList& x) { return strata::softplus(x[0]); }},
        // threshold 1 with beta 2: linear where x > 0.5 (a jump at 0.5 that the fixed inputs stay clear of)
        {"softplus.beta2_threshold1", {{2, 3}}, [](const TensorList& x) { return strata::softplus(x[0], 2.0, 1.0); }},
        {"silu", {{2, 3}}, [](const TensorList& x) { return strata::silu(x[0]); }},
        {"silu.transposed", {{3, 2}}, [](const TensorList& x) { return strata::silu(x[0].t()); }},
    });
// clang-format on
