#pragma once
// Helpers for the train tests: a temporary folder, small data sets and models, and callbacks that script
// the epoch logs or record what the loop did.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "strata/strata.h"

namespace strata::testing {

class TrainTempDir {
 public:
  TrainTempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("strata_train_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TrainTempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TrainTempDir(const TrainTempDir&) = delete;
  TrainTempDir& operator=(const TrainTempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(line);
  return lines;
}

// Three well-separated Gaussian blobs in 2-D (centres (+-3, 0) and (0, 3), std 0.5): n examples, labels 0..2.
inline data::DatasetPtr make_blobs(int64_t n, uint64_t seed) {
  Generator gen(seed);
  Tensor x = randn({n, 2}, {}, &gen).mul_(0.5);
  Tensor y = Tensor::empty({n}, kInt64);
  float* px = x.data_ptr<float>();
  int64_t* py = y.data_ptr<int64_t>();
  const float cx[3] = {-3.f, 3.f, 0.f}, cy[3] = {0.f, 0.f, 3.f};
  for (int64_t i = 0; i < n; ++i) {
    py[i] = i % 3;
    px[2 * i] += cx[i % 3];
    px[2 * i + 1] += cy[i % 3];
  }
  return std::make_shared<data::TensorDataset>(x, y);
}

// A linear classifier in float64 with weights drawn from a seeded generator.
inline std::shared_ptr<nn::Linear> make_linear(int64_t in, int64_t out, uint64_t seed, DType dtype = kFloat64) {
  Generator gen(seed);
  return std::make_shared<nn::Linear>(in, out, true, dtype, &gen);
}

// Copies of a module's parameters, in order.
inline std::vector<Tensor> snapshot(const nn::Module& m) {
  std::vector<Tensor> out;
  for (const Tensor& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  return (a.to(kFloat64) - b.to(kFloat64)).abs().max().item();
}

// Replaces epoch-log values with scripted ones (values[key][epoch]) before later callbacks see them, and
// records the model's parameters at the end of every epoch.
class ScriptedLogs : public train::Callback {
 public:
  explicit ScriptedLogs(std::map<std::string, std::vector<double>> values) : values_(std::move(values)) {}
  void on_epoch_end(train::TrainState& st, train::Logs& logs) override {
    for (const auto& [k, v] : values_) logs[k] = v.at(static_cast<size_t>(st.epoch));
    weights.push_back(snapshot(*st.model));
  }
  std::vector<std::vector<Tensor>> weights;

 private:
  std::map<std::string, std::vector<double>> values_;
};

// Calls a function on every batch end.
class OnBatchEnd : public train::Callback {
 public:
  explicit OnBatchEnd(std::function<void(train::TrainState&, const train::Logs&)> fn) : fn_(std::move(fn)) {}
  void on_batch_end(train::TrainState& st, const train::Logs& logs) override { fn_(st, logs); }

 private:
  std::function<void(train::TrainState&, const train::Logs&)> fn_;
};

}  // namespace strata::testing
