#include "strata/data/fashion_mnist.h"

#include <cstdlib>
#include <filesystem>

#include "strata/core/error.h"
#include "strata/data/idx.h"

namespace strata::data {

std::string FashionMNIST::default_root() {
  const char* env = std::getenv("STRATA_FASHION_MNIST");
  return env && *env ? std::string(env) : std::string(kDefaultRoot);
}

std::string FashionMNIST::file_path(const std::string& root, bool train, bool images) {
  const std::string base =
      root + "/" + (train ? "train" : "t10k") + (images ? "-images-idx3" : "-labels-idx1") + "-ubyte";
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(base + ".gz", ec)) return base + ".gz";
  if (fs::exists(base, ec)) return base;
  return base + ".gz";
}

namespace {

std::string checked_root(const std::string& root, bool train) {
  const std::string r = root.empty() ? FashionMNIST::default_root() : root;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (bool images : {true, false}) {
    const std::string p = FashionMNIST::file_path(r, train, images);
    if (!fs::exists(p, ec)) {
      STRATA_FAIL("[FashionMNIST] '", p, "' not found. ",
                  r == FashionMNIST::kDefaultRoot
                      ? "Install Debian's dataset-fashion-mnist package (scripts/install-deps.sh does; or "
                        "`sudo apt-get install dataset-fashion-mnist`), or pass the folder holding the IDX files as "
                        "root (or set STRATA_FASHION_MNIST)."
                      : "Give a folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz], or leave root empty "
                        "to use Debian's dataset-fashion-mnist package in " +
                            std::string(FashionMNIST::kDefaultRoot) + ".");
    }
  }
  return r;
}

}  // namespace

std::array<float, 256> FashionMNIST::pixel_table(float mean, float stdev) {
  std::array<float, 256> table;
  for (int v = 0; v < 256; ++v) {
    const float x = static_cast<float>(v) / 255.0f;
    table[static_cast<size_t>(v)] = (x - mean) / stdev;
  }
  return table;
}

FashionMNIST::FashionMNIST(const std::string& root, bool train, bool normalize_inputs)
    : FashionMNIST(root, train,
                   normalize_inputs ? pixel_table(static_cast<float>(kMean), static_cast<float>(kStd))
                                    : pixel_table(0.0f, 1.0f)) {}

FashionMNIST::FashionMNIST(const std::string& root, bool train, const std::array<float, 256>& table)
    : TensorDataset(Tensor::empty({0}), Tensor()), root_(checked_root(root, train)) {
  const std::string images_path = file_path(root_, train, true);
  const std::string labels_path = file_path(root_, train, false);
  Tensor images = read_idx_images(images_path, table);
  Tensor labels = read_idx_labels(labels_path);
  STRATA_CHECK(images.size(0) == labels.size(0), "[FashionMNIST] '", images_path, "' holds ", images.size(0),
               " images but '", labels_path, "' holds ", labels.size(0), " labels");
  for (int64_t v : labels.to_vector<int64_t>())
    STRATA_CHECK(v >= 0 && v < 10, "[FashionMNIST] '", labels_path, "': label ", v, " is not a class in 0..9");
  inputs_ = images;
  targets_ = labels;
}

}  // namespace strata::data
