// The MLP example written against the C++ API instead of a config: the same model, data, optimizer and
// loop that `strata train examples/mlp/config.json` runs, in about 30 lines.
//   build/examples/mlp_api [epochs]
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "strata/data/dataloader.h"
#include "strata/data/fashion_mnist.h"
#include "strata/diag/summary.h"
#include "strata/io/safetensors.h"
#include "strata/nn/nn.h"
#include "strata/optim/adam.h"
#include "strata/train/callbacks.h"
#include "strata/train/fit.h"

using namespace strata;

int main(int argc, char** argv) try {
  const int64_t epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  manual_seed(0);
  auto train_set = std::make_shared<data::FashionMNIST>();                    // (60000, 1, 28, 28), normalised
  auto test_set = std::make_shared<data::FashionMNIST>("", /*train=*/false);  // (10000, 1, 28, 28)
  data::DataLoader train_loader(train_set, /*batch_size=*/128, /*shuffle=*/true, /*seed=*/0);
  data::DataLoader test_loader(test_set, /*batch_size=*/1000);

  nn::Sequential model{std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(784, 512),
                       std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(512, 256),
                       std::make_shared<nn::ReLU>(),    std::make_shared<nn::Linear>(256, 10)};
  std::cout << diag::summarize(model, {1, 1, 28, 28}).to_string() << "\n";

  nn::CrossEntropyLoss loss;
  optim::Adam optimizer(model.parameters(), {.lr = 1e-3});
  train::FitOptions options;
  options.epochs = epochs;
  options.callbacks = {std::make_shared<train::ProgressBar>()};
  train::fit(model, loss, optimizer, train_loader, options);

  train::Logs test = train::evaluate(model, loss, test_loader);
  std::printf("Test accuracy: %.2f%% (loss %.4f)\n", 100.0 * test.at("accuracy"), test.at("loss"));
  io::save_safetensors("mlp_api.safetensors", model.state_dict());  // loads in PyTorch by the same keys
  return 0;
} catch (const std::exception& e) {
  std::cerr << "mlp_api: " << e.what() << "\n";
  return 1;
}
