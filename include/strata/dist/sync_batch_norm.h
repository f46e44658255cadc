#pragma once
// Synchronised batch norm (PyTorch's SyncBatchNorm) for data-parallel training (docs/distributed.md):
//
//   dist::init();
//   auto model = build_model();
//   dist::convert_sync_batch_norm(*model);                      // before training, on every rank
//   auto ddp = std::make_shared<dist::DataParallel>(*model);
//
// In training mode each converted BatchNorm1d / BatchNorm2d normalises with the mean and variance of the global
// batch (every rank's share together) instead of its rank's share: its forward all-reduces the per-channel count,
// sum and then sum of squared deviations, its backward the per-channel sums of dy and dy * (x - mean)
// (ops/normalization.h: sync_batch_norm). Running mean and variance are updated with the global statistics, so every
// rank keeps the same ones. Evaluation mode uses the running statistics, with no communication. N ranks with
// shares of a global batch B then train as one process with batch norm over B (the model's BatchNorm layers and the
// examples' weighting as in DataParallel; uneven shares included).
#include <cstdint>

#include "strata/nn/module.h"

namespace strata::dist {

// Makes every BatchNorm1d / BatchNorm2d in `model` compute its training-mode batch statistics over all ranks (the
// mean and variance of the global batch), in forward and backward. Returns how many it changed. Call it after
// dist::init() and the same way on every rank (the collectives of the layers must match). In a world of one the
// layers count as changed but keep their local (= global) statistics and their fused kernels.
int64_t convert_sync_batch_norm(nn::Module& model);

}  // namespace strata::dist
