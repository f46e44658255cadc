#pragma once
// Data-parallel training over MPI (docs/distributed.md): the process group, DataParallel, SyncBatchNorm.
#include "strata/dist/data_parallel.h"
#include "strata/dist/process_group.h"
#include "strata/dist/sync_batch_norm.h"
