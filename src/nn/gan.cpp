// The GAN container: generator, discriminator and the noise they share.
#include "strata/nn/gan.h"

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/shape.h"
#include "strata/ops/creation.h"

namespace strata::nn {

GAN::GAN(ModulePtr generator, ModulePtr discriminator, std::vector<int64_t> noise_shape)
    : generator_(std::move(generator)), discriminator_(std::move(discriminator)), noise_shape_(std::move(noise_shape)) {
  STRATA_CHECK(generator_ && discriminator_, "[GAN] the generator and the discriminator must not be null");
  STRATA_CHECK(!noise_shape_.empty(), "[GAN] the noise shape must not be empty");
  for (int64_t d : noise_shape_) STRATA_CHECK(d >= 1, "[GAN] bad noise shape ", Shape(noise_shape_));
  register_module("generator", generator_);
  register_module("discriminator", discriminator_);
}

std::string GAN::extra_repr() const { return "noise_shape=" + Shape(noise_shape_).str(); }

Tensor GAN::noise(int64_t n, Generator* gen) const {
  STRATA_CHECK(n >= 1, "[GAN] noise: n must be >= 1, got ", n);
  std::vector<int64_t> s{n};
  s.insert(s.end(), noise_shape_.begin(), noise_shape_.end());
  const std::vector<Tensor> p = generator_->parameters();
  NoGradGuard no_grad;
  return randn(Shape(s), p.empty() ? TensorOptions(kFloat32) : TensorOptions(p[0].dtype()).with_device(p[0].device()),
               gen);
}

}  // namespace strata::nn
