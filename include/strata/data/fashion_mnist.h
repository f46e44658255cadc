#pragma once
// Fashion-MNIST (Zalando; 28x28 grey images of 10 clothing classes, 60000 train / 10000 test), read from the
// IDX files of Debian's dataset-fashion-mnist package (scripts/install-deps.sh installs it):
//   /usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
// Another folder holding the same file names (gzip or not) can be given as `root`, or through the
// STRATA_FASHION_MNIST environment variable when root is empty.
//
//   auto train = std::make_shared<data::FashionMNIST>();                 // normalized, train split
//   auto test = std::make_shared<data::FashionMNIST>("", /*train=*/false);
//
// Inputs are float32 (N, 1, 28, 28), preprocessed as the PyTorch baseline does (ToTensor + Normalize):
// x / 255, then (x - 0.2860) / 0.3530 unless normalize is false. Targets are int64 class indices (N).
#include <array>
#include <string>

#include "strata/data/dataset.h"

namespace strata::data {

class FashionMNIST : public TensorDataset {
 public:
  static constexpr const char* kDefaultRoot = "/usr/share/datasets/fashion-mnist";
  static constexpr double kMean = 0.2860;
  static constexpr double kStd = 0.3530;
  static constexpr std::array<const char*, 10> kClasses = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                           "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

  explicit FashionMNIST(const std::string& root = "", bool train = true, bool normalize = true);
  // Inputs table[v] for each byte value v (one pass over the bytes); pixel_table makes the table.
  FashionMNIST(const std::string& root, bool train, const std::array<float, 256>& table);

  // The model input for each byte value v: x = v / 255, then (x - mean) / stdev, all in float32 (torchvision's
  // ToTensor + Normalize). normalize = true is (float(kMean), float(kStd)); (0, 1) leaves [0, 1]; (0.5, 0.5) maps
  // to [-1, 1]. The one place this arithmetic lives: training and `strata predict --input` both read through it.
  static std::array<float, 256> pixel_table(float mean, float stdev);

  // The folder used when root is empty: $STRATA_FASHION_MNIST if set, else kDefaultRoot.
  static std::string default_root();
  // The path of one of the four files under root ("train" or "t10k"; "images" or "labels"): the .gz name if
  // that exists, else the uncompressed name if that exists, else the .gz name (for the error message).
  static std::string file_path(const std::string& root, bool train, bool images);
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace strata::data
