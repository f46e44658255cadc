#pragma once
// The `"task"` section of a `strata train` config and the models it describes (docs/cli.md, "Tasks"):
//
//   "task": "supervised"                       (the default: "model" is a layer list or an architecture)
//   "task": {"type": "autoencoder", "loss": "mse", "noise_std": 0}
//           model: {"encoder": [layers], "decoder": [layers]}
//   "task": {"type": "vae", "recon_loss": "bce", "beta": 1}
//           model: {"encoder": [layers ending in 2 * latent_dim features], "decoder": [layers], "latent_dim": 16}
//   "task": {"type": "gan", "d_steps": 1, "generator_loss": "non_saturating", "label_smoothing": 0,
//            "discriminator_optimizer": {...}, "classifier": "runs/lenet"}
//           model: {"generator": [layers], "discriminator": [layers], "noise_dim": 64}  (or "noise_shape")
// Every task also takes "samples" (images in sample grids, default 64) and "probe_samples" (generated samples
// measured for mode collapse at each epoch end, default 500).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/io/json.h"
#include "strata/nn/module.h"
#include "strata/train/tasks.h"

namespace strata::tools {

struct TaskConfig {
  std::string type = "supervised";  // "supervised", "autoencoder", "vae", "gan"
  train::AutoencoderOptions autoencoder;
  train::VAEOptions vae;
  train::GANOptions gan;
  io::Json discriminator_optimizer;  // gan: null = a copy of "optimizer"
  std::string classifier;            // gan on images: a supervised run folder whose model labels samples
  int64_t samples = 64;              // images in sample grids
  int64_t probe_samples = 500;       // samples measured for mode collapse

  bool supervised() const { return type == "supervised"; }
};

// `task` may be null (supervised). Unknown keys and bad values are errors naming the key.
TaskConfig parse_task_config(const io::Json* task);

// The model section of a non-supervised task: nn::Autoencoder, nn::VAE or nn::GAN, built from its layer lists
// (input sizes inferred from the data's example shape, and for the decoder from the encoder's output).
nn::ModulePtr build_task_model(const TaskConfig& task, const io::Json& model,
                               const std::vector<int64_t>& example_shape);

// The output shape (without batch) of `m` on an input of shape `in` (without batch), run on zeros in eval mode.
std::vector<int64_t> output_shape(nn::Module& m, const std::vector<int64_t>& in);

}  // namespace strata::tools
