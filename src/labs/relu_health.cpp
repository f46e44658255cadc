// The dead_relu and leaky_relu labs' shared network, training run and silent-unit measurement (relu_health.h).
#include "labs/relu_health.h"

#include "strata/autograd/grad_mode.h"
#include "strata/nn/activation.h"
#include "strata/nn/init.h"
#include "strata/ops/reduction.h"
#include "strata/optim/adam.h"

namespace strata::labs::relu_health {

nn::ModulePtr make_net(const std::string& activation, double hidden_bias) {
  nn::ModulePtr model = kit::mlp({2, 64, 64, 64, 3}, activation, false, "he");
  auto layers = kit::weight_layers(*model);
  for (size_t i = 0; i + 1 < layers.size(); ++i) nn::init::constant_(layers[i].second->param("bias"), hidden_bias);
  return model;
}

double silent_fraction(nn::Module& model, const Tensor& x) {
  int64_t silent = 0, units = 0;
  std::vector<nn::HookHandle> hooks;
  for (auto& [name, m] : model.named_modules()) {
    if (m->type_name() != "ReLU" && m->type_name() != "LeakyReLU") continue;
    hooks.push_back(m->register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor&) {
      // A unit is silent when its largest input over all rows is <= 0.
      std::vector<double> top = kit::values(amax(in, {0}));
      for (double v : top) silent += v <= 0;
      units += static_cast<int64_t>(top.size());
      return Tensor();
    }));
  }
  kit::predict(model, x);
  for (auto& h : hooks) h.remove();
  return units > 0 ? static_cast<double>(silent) / static_cast<double>(units) : 0.0;
}

double zero_gradient_fraction(nn::Module& model, const kit::XY& d) {
  nn::CrossEntropyLoss loss;
  kit::weight_grad_norms(model, loss, d);  // leaves the gradients in the parameters
  auto layers = kit::weight_layers(model);
  int64_t zero = 0, units = 0;
  for (size_t i = 0; i + 1 < layers.size(); ++i) {
    for (double g : kit::values(layers[i].second->param("bias").grad())) zero += g == 0;
    units += layers[i].second->param("bias").numel();
  }
  model.zero_grad();
  return units > 0 ? static_cast<double>(zero) / static_cast<double>(units) : 0.0;
}

train::History train_net(nn::Module& model, const kit::XY& data, const RunOptions& options, uint64_t seed) {
  nn::CrossEntropyLoss loss;
  optim::Adam opt(model.parameters(), {.lr = options.lr});
  train::FitOptions fo;
  fo.epochs = options.epochs;
  fo.callbacks = options.callbacks;
  return kit::fit(model, loss, opt, data, 32, fo, nullptr, seed);
}

}  // namespace strata::labs::relu_health
