#pragma once
// The data layer: datasets, the DataLoader, file readers, transforms and Fashion-MNIST.
#include "strata/data/csv.h"
#include "strata/data/dataloader.h"
#include "strata/data/dataset.h"
#include "strata/data/fashion_mnist.h"
#include "strata/data/idx.h"
#include "strata/data/transforms.h"
