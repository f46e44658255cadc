#pragma once
// The data layer: datasets, the DataLoader, file readers, transforms, Fashion-MNIST, character-level text and the
// ring of Gaussians (the 2-D mode-collapse benchmark).
#include "strata/data/csv.h"
#include "strata/data/dataloader.h"
#include "strata/data/dataset.h"
#include "strata/data/fashion_mnist.h"
#include "strata/data/idx.h"
#include "strata/data/ring_of_gaussians.h"
#include "strata/data/text.h"
#include "strata/data/transforms.h"
