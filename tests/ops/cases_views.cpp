// Table rows for the differentiable views and copies (reshape, permute, narrow, select, expand, chunk,
// split, squeeze/unsqueeze, clone). Each is a float64 gradcheck now and a PyTorch golden test later; the
// fn bodies are one PyTorch expression each (noted beside the row where the spelling differs).
#include "op_table.h"

using strata::TensorList;

// clang-format off: the table reads best one row per line
STRATA_OP_CASES(
    views, {
               // x.transpose(0, 1).reshape(3, 8): a copy, since the transposed layout cannot be viewed as (3, 8)
               {"reshape.transposed",
                {{2, 3, 4}},
                [](const TensorList& x) {
                  return x[0].transpose(0, 1).reshape({3, 8});
                }},
               {"reshape.view",
                {{2, 3, 4}},
                [](const TensorList& x) {
                  return x[0].reshape({4, -1});
                }},
               {"view",
                {{2, 6}},
                [](const TensorList& x) {
                  return x[0].view({3, 2, 2});
                }},
               {"flatten", {{2, 3, 2}}, [](const TensorList& x) { return x[0].flatten(1); }},
               {"permute",
                {{2, 3, 4}},
                [](const TensorList& x) {
                  return x[0].permute({2, 0, 1});
                }},
               {"transpose", {{3, 4}}, [](const TensorList& x) { return x[0].transpose(0, 1); }},
               {"narrow", {{4, 5}}, [](const TensorList& x) { return x[0].narrow(1, 1, 3); }},
               // x[:, 1::2]
               {"slice.step", {{3, 7}}, [](const TensorList& x) { return x[0].slice(1, 1, 7, 2); }},
               {"select", {{3, 4}}, [](const TensorList& x) { return x[0].select(0, 1); }},
               {"select.negative", {{3, 4, 2}}, [](const TensorList& x) { return x[0].select(1, -1); }},
               {"expand",
                {{3, 1}},
                [](const TensorList& x) {
                  return x[0].expand({2, 3, 4});
                }},
               // x.chunk(3, 1)[1]
               {"chunk.1", {{2, 7}}, [](const TensorList& x) { return x[0].chunk(3, 1)[1]; }},
               // x.split(2, 0)[2] (the short last piece)
               {"split.2", {{5, 3}}, [](const TensorList& x) { return x[0].split(2, 0)[2]; }},
               {"unsqueeze", {{3, 2}}, [](const TensorList& x) { return x[0].unsqueeze(1); }},
               {"squeeze", {{3, 1, 2}}, [](const TensorList& x) { return x[0].squeeze(1); }},
               {"squeeze.all", {{1, 3, 1}}, [](const TensorList& x) { return x[0].squeeze(); }},
               // x.to(float64) is the identity on float64 inputs, so clone stands in for the copy path
               {"clone", {{2, 3}}, [](const TensorList& x) { return x[0].clone(); }},
               // x.t().contiguous()
               {"contiguous.transposed", {{2, 3}}, [](const TensorList& x) { return x[0].t().contiguous(); }},
               // A view used twice: both paths add into the same input gradient.
               {"select.twice", {{3, 4}}, [](const TensorList& x) { return x[0].select(0, 0) * x[0].select(0, 2); }},
           });
// clang-format on
