#pragma once
// The data layer: datasets, the DataLoader, file readers, transforms, Fashion-MNIST and character-level text.
#include "strata/data/csv.h"
#include "strata/data/dataloader.h"
#include "strata/data/dataset.h"
#include "strata/data/fashion_mnist.h"
#include "strata/data/idx.h"
#include "strata/data/text.h"
#include "strata/data/transforms.h"
