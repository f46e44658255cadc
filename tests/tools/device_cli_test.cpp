// The CLI's "device" key: a run on the reference backend gives the cpu run's epochs, and a device that is not
// there is a config error naming the key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "strata/core/backends.h"
#include "strata/io/json.h"
#include "tools/cli_test_util.h"

using namespace strata;

namespace {

class DeviceCliTest : public strata::testing::TempDirTest {
 protected:
  DeviceCliTest() : TempDirTest("strata_device_cli_test") {}
  // A small classification run on `device`; returns its results.json.
  io::Json train_on(const std::string& device) {
    write("train.csv", strata::testing::blobs_csv(120, 1));
    write("test.csv", strata::testing::blobs_csv(60, 2));
    const std::string cfg =
        write("cfg_" + device + ".json", R"({"name": ")" + device + R"(", "output_dir": ")" + dir_.string() +
                                             R"(", "seed": 5, "device": ")" + device +
                                             R"(", "model": {"architecture": "mlp", "hidden": [12],
      "num_classes": 3}, "data": {"dataset": "csv", "train": ")" +
                                             path("train.csv") + R"(", "test": ")" + path("test.csv") +
                                             R"(", "label_column": "y", "validation_split": 0.25},
      "loss": {"type": "cross_entropy", "class_weights": "balanced"}, "optimizer": {"type": "adam", "lr": 0.02},
      "epochs": 3, "batch_size": 16, "clip_grad_norm": 5.0})");
    auto r = strata::testing::run_cli({"train", cfg, "--quiet"});
    EXPECT_EQ(r.rc, 0) << r.err;
    return io::load_json_file(path(device + "/results.json"));
  }
};

TEST_F(DeviceCliTest, RefRunMatchesCpuRun) {
  const io::Json cpu = train_on("cpu");
  const io::Json ref = train_on("ref");
  EXPECT_EQ(cpu.at("device").as_string(), "cpu");
  EXPECT_EQ(ref.at("device").as_string(), "ref");
  EXPECT_NEAR(ref.at("test").at("loss").as_double(), cpu.at("test").at("loss").as_double(), 1e-4);
  EXPECT_NEAR(ref.at("test").at("accuracy").as_double(), cpu.at("test").at("accuracy").as_double(), 1e-12);
}

TEST_F(DeviceCliTest, UnknownOrMissingDeviceIsAConfigError) {
  write("train.csv", strata::testing::blobs_csv(30, 1));
  for (const std::string device : {"tpu", "cuda:7"}) {
    const std::string cfg = write("bad.json", R"({"device": ")" + device +
                                                  R"(", "model": {"architecture": "mlp"}, "data": {"dataset": "csv",
      "train": ")" + path("train.csv") + R"(", "label_column": "y"}})");
    auto r = strata::testing::run_cli({"train", cfg, "--quiet"});
    EXPECT_EQ(r.rc, 1) << device;
    EXPECT_NE(r.err.find("device"), std::string::npos) << r.err;
    if (device == "cuda:7") {
      EXPECT_NE(r.err.find("not available here"), std::string::npos) << r.err;
    }
  }
}

}  // namespace
