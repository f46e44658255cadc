// Every config under examples/ parses and builds its model (so the examples and docs/cli.md stay in step).
#include <gtest/gtest.h>

#include <filesystem>

#include "strata/tools/model_builder.h"
#include "strata/tools/run_config.h"
#include "strata/tools/task_config.h"

using namespace strata;
namespace fs = std::filesystem;

TEST(ExampleConfigs, ParseAndBuild) {
  const fs::path examples = fs::path(STRATA_TEST_DATA_DIR) / ".." / "examples";
  int n = 0;
  for (const auto& entry : fs::recursive_directory_iterator(examples)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    tools::RunConfig c = tools::load_run_config(entry.path().string());
    const std::vector<int64_t> shape = c.data.dataset == "fashion_mnist" ? std::vector<int64_t>{1, 28, 28}
                                       : c.data.dataset == "ring"        ? std::vector<int64_t>{2}
                                                                         : std::vector<int64_t>{10};
    if (c.task.supervised()) {
      EXPECT_GT(tools::build_model(c.model, shape)->num_parameters(), 0);
    } else {
      EXPECT_GT(tools::build_task_model(c.task, c.model, shape)->num_parameters(), 0);
    }
    ++n;
  }
  EXPECT_GE(n, 9);
}
