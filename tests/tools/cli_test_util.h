#pragma once
// Shared by the CLI tests: run `strata` in-process and capture its exit code and output.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "strata/data/fashion_mnist.h"
#include "strata/tools/run.h"
#include "test_util.h"

namespace strata::testing {

struct CliResult {
  int rc;
  std::string out, err;
};

inline CliResult run_cli(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int rc = tools::cli_main(args, out, err);
  return {rc, out.str(), err.str()};
}

// A fixture with a fresh temporary folder per test, removed afterwards. Derived fixtures name it by a prefix.
class TempDirTest : public ::testing::Test {
 protected:
  explicit TempDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (prefix_ + "_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Writes `text` to path(name) and returns that path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }

  std::filesystem::path dir_;

 private:
  std::string prefix_;
};

// A CSV "a,b,c,d,y" of n rows: three classes in 4-D, uniform noise in [-0.5, 0.5) from a deterministic LCG with
// the class's coordinate moved by `separation`; y is the class (i % 3), or with `regression` a linear target
// 2a - b + 0.5c plus noise.
inline std::string blobs_csv(int n, uint32_t seed, double separation = 3.0, bool regression = false) {
  std::ostringstream os;
  os << "a,b,c,d,y\n";
  uint32_t s = seed;
  auto u = [&]() {
    s = s * 1664525u + 1013904223u;
    return static_cast<double>(s >> 8) / 16777216.0 - 0.5;
  };
  for (int i = 0; i < n; ++i) {
    const int k = i % 3;
    double x[4];
    for (double& v : x) v = u();
    x[k] += separation;
    for (double v : x) os << v << ",";
    if (regression) {
      os << 2.0 * x[0] - x[1] + 0.5 * x[2] + 0.1 * u() << "\n";
    } else {
      os << k << "\n";
    }
  }
  return os.str();
}

// A Fashion-MNIST-shaped folder at `dir` (uncompressed IDX files) with two 28x28 images in each split, holding
// every byte value (pixel i is i % 256, and its mirror 255 - i % 256), labels 0 and 1. Returns `dir`.
inline std::string fake_fashion_mnist(const std::string& dir) {
  auto be32 = [](std::string& s, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>((v >> shift) & 0xff));
  };
  std::string im, lb;
  for (uint32_t v : {0x803u, 2u, 28u, 28u}) be32(im, v);
  for (int k = 0; k < 2; ++k) {
    for (int i = 0; i < 784; ++i) im.push_back(static_cast<char>(k == 0 ? i % 256 : 255 - i % 256));
  }
  for (uint32_t v : {0x801u, 2u}) be32(lb, v);
  lb += std::string("\x00\x01", 2);
  std::filesystem::create_directories(dir);
  for (const char* split : {"train", "t10k"}) {
    std::ofstream(dir + "/" + split + "-images-idx3-ubyte", std::ios::binary) << im;
    std::ofstream(dir + "/" + split + "-labels-idx1-ubyte", std::ios::binary) << lb;
  }
  return dir;
}

inline bool fashion_mnist_installed() {
  return std::filesystem::exists(data::FashionMNIST::file_path(data::FashionMNIST::default_root(), true, true));
}

// A run config named "tiny": examples/lenet's LeNet-5 on the first `limit_train` Fashion-MNIST training images
// (200 test images), Adam 3e-3, batch 50, written to `output_dir`.
inline std::string tiny_lenet_config(const std::string& output_dir, int64_t limit_train, int64_t epochs) {
  return R"({"name": "tiny", "output_dir": ")" + output_dir + R"(",
    "model": {"architecture": "lenet5"},
    "data": {"dataset": "fashion_mnist", "limit_train": )" +
         std::to_string(limit_train) + R"(, "limit_test": 200},
    "optimizer": {"type": "adam", "lr": 0.003}, "epochs": )" +
         std::to_string(epochs) + R"(, "batch_size": 50})";
}

}  // namespace strata::testing

// Skips the calling test when the Fashion-MNIST package is not installed.
#define STRATA_SKIP_WITHOUT_FASHION_MNIST()                                                                 \
  if (!::strata::testing::fashion_mnist_installed()) {                                                      \
    GTEST_SKIP() << "Fashion-MNIST not installed (scripts/install-deps.sh installs dataset-fashion-mnist)"; \
  }
