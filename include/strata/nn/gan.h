#pragma once
// A generative adversarial network: a generator mapping noise z ~ N(0, I) to samples and a discriminator
// scoring samples with one logit (real > 0). state_dict keys: "generator.<...>", "discriminator.<...>".
// Training (the two optimizers, k discriminator steps per generator step, the losses) is train::GANTask.
//
//   nn::GAN gan(generator, discriminator, /*noise_shape=*/{64});
//   Tensor fake = gan.sample(16);           // (16, ...) generator(randn(16, 64))
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "strata/core/generator.h"
#include "strata/nn/module.h"

namespace strata::nn {

class GAN : public Module {
 public:
  // noise_shape: one example's noise without the batch dim ({64}, or {100, 1, 1} for a convolutional generator).
  GAN(ModulePtr generator, ModulePtr discriminator, std::vector<int64_t> noise_shape);
  std::string type_name() const override { return "GAN"; }
  std::string extra_repr() const override;
  // The discriminator's logits for x: (N, ...) -> (N, 1) (or (N)).
  Tensor forward(const Tensor& x) override { return (*discriminator_)(x); }
  // n noise vectors (n, *noise_shape) from `gen` (the default generator when null).
  Tensor noise(int64_t n, Generator* gen = nullptr) const;
  Tensor generate(const Tensor& z) { return (*generator_)(z); }
  Tensor sample(int64_t n, Generator* gen = nullptr) { return generate(noise(n, gen)); }
  Module& generator() { return *generator_; }
  Module& discriminator() { return *discriminator_; }
  ModulePtr generator_ptr() const { return generator_; }
  ModulePtr discriminator_ptr() const { return discriminator_; }
  const std::vector<int64_t>& noise_shape() const { return noise_shape_; }

 private:
  ModulePtr generator_, discriminator_;
  std::vector<int64_t> noise_shape_;
};

}  // namespace strata::nn
