// Pictures of generative runs and the GAN sample probe (task_outputs.h).
#include "tools/task_outputs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/data/fashion_mnist.h"
#include "strata/diag/generative.h"
#include "strata/io/image.h"
#include "strata/nn/autoencoder.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/indexing.h"
#include "strata/ops/reduction.h"
#include "strata/ops/views.h"
#include "strata/tools/run.h"

namespace strata::tools {

namespace {

bool is_image(const std::vector<int64_t>& s) { return s.size() == 3 && (s[0] == 1 || s[0] == 3); }

// The first n examples of the test set (else the training set), inputs and targets.
data::Batch first_examples(const Datasets& d, int64_t n) {
  const data::DatasetPtr& ds = d.test ? d.test : d.train;
  n = std::min(n, ds->size());
  return ds->get_batch(arange(static_cast<double>(n), kInt64));
}

class EvalMode {
 public:
  explicit EvalMode(nn::Module& m) : m_(m), was_(m.is_training()) { m_.eval(); }
  ~EvalMode() { m_.train(was_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  nn::Module& m_;
  bool was_;
};

io::Json entry(const std::string& file, const std::string& title, const std::string& caption) {
  return io::Json::object({{"file", file}, {"title", title}, {"caption", caption}});
}

void write_grid(const std::string& path, const Tensor& images, const DataConfig& d, int64_t nrow) {
  io::write_png(path, io::make_grid(pixels_to_unit(images, d).contiguous(), nrow, 2, 1.0));
}

// Rows of `steps` images: from a[i] to b[i] in equal steps of the latent space, decoded.
Tensor interpolate(const Tensor& a, const Tensor& b, int64_t steps,
                   const std::function<Tensor(const Tensor&)>& decode) {
  TensorList rows;
  for (int64_t s = 0; s < steps; ++s) {
    const double t = static_cast<double>(s) / static_cast<double>(steps - 1);
    rows.push_back(add(mul(a, 1.0 - t), mul(b, t)));
  }
  // (steps, R, ...) -> (R, steps, ...) so that each row of the grid is one interpolation.
  Tensor z = stack(rows, 1);
  std::vector<int64_t> flat{z.size(0) * z.size(1)};
  for (int64_t k = 2; k < z.dim(); ++k) flat.push_back(z.size(k));
  return decode(z.reshape(Shape(flat)));
}

}  // namespace

Tensor pixels_to_unit(const Tensor& x, const DataConfig& d) {
  if (d.pixels == "signed") return mul(add(x, 1.0), 0.5);
  if (d.pixels == "standardized") return add(mul(x, data::FashionMNIST::kStd), data::FashionMNIST::kMean);
  return x;
}

Tensor unit_to_pixels(const Tensor& x01, const DataConfig& d) {
  if (d.pixels == "signed") return sub(mul(x01, 2.0), 1.0);
  if (d.pixels == "standardized") return mul(sub(x01, data::FashionMNIST::kMean), 1.0 / data::FashionMNIST::kStd);
  return x01;
}

Tensor scatter_image(const Tensor& real, const Tensor& fake, double extent, int64_t size) {
  Tensor img = ones({3, size, size});
  float* p = img.data_ptr<float>();
  auto draw = [&](const Tensor& pts, float r, float g, float b, int radius) {
    if (!pts.defined()) return;
    STRATA_CHECK(pts.dim() == 2 && pts.size(1) == 2, "[scatter_image] expected points (N, 2), got ", pts.shape());
    const std::vector<double> v = to_dtype(pts, kFloat64).contiguous().to_vector<double>();
    for (size_t i = 0; i + 1 < v.size(); i += 2) {
      const double fx = (v[i] + extent) / (2 * extent), fy = (extent - v[i + 1]) / (2 * extent);
      if (!std::isfinite(fx) || !std::isfinite(fy)) continue;
      const auto cx = static_cast<int64_t>(fx * static_cast<double>(size - 1));
      const auto cy = static_cast<int64_t>(fy * static_cast<double>(size - 1));
      for (int64_t dy = -radius; dy <= radius; ++dy) {
        for (int64_t dx = -radius; dx <= radius; ++dx) {
          const int64_t x = cx + dx, y = cy + dy;
          if (x < 0 || y < 0 || x >= size || y >= size) continue;
          p[y * size + x] = r;
          p[size * size + y * size + x] = g;
          p[2 * size * size + y * size + x] = b;
        }
      }
    }
  };
  draw(real, 0.7F, 0.7F, 0.7F, 1);
  draw(fake, 0.85F, 0.2F, 0.1F, 1);
  return img;
}

io::Json write_task_images(const RunConfig& config, nn::Module& model, const Datasets& data, const std::string& dir,
                           int64_t n, uint64_t seed) {
  io::Json out = io::Json::array();
  NoGradGuard no_grad;
  EvalMode eval(model);
  Generator gen(seed);
  const DataConfig& d = config.data;
  const bool images = is_image(data.example_shape);
  const int64_t nrow = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n)))));
  if (auto* ae = dynamic_cast<nn::Autoencoder*>(&model); ae && images) {
    const data::Batch b = first_examples(data, std::min<int64_t>(n, 16));
    write_grid(dir + "/reconstructions.png", cat({b.input, (*ae)(b.input)}, 0), d, b.input.size(0));
    out.push_back(entry("reconstructions.png", "Reconstructions",
                        "Top: test images. Bottom: the autoencoder's reconstructions through its bottleneck."));
  }
  if (auto* vae = dynamic_cast<nn::VAE*>(&model)) {
    const data::Batch b = first_examples(data, std::min<int64_t>(n, 16));
    if (images) {
      write_grid(dir + "/reconstructions.png", cat({b.input, (*vae)(b.input)}, 0), d, b.input.size(0));
      out.push_back(entry("reconstructions.png", "Reconstructions",
                          "Top: test images. Bottom: decoded from the mean of their latent code."));
      write_grid(dir + "/samples.png", vae->sample(n, &gen), d, nrow);
      out.push_back(entry("samples.png", "Samples", "Decoded from z ~ N(0, I): what the model generates."));
      if (b.input.size(0) >= 2) {
        const int64_t pairs = b.input.size(0) / 2;
        Tensor mu = vae->encode(b.input).first;
        Tensor za = narrow(mu, 0, 0, pairs), zb = narrow(mu, 0, pairs, pairs);
        write_grid(dir + "/interpolation.png", interpolate(za, zb, 10, [&](const Tensor& z) { return vae->decode(z); }),
                   d, 10);
        out.push_back(entry("interpolation.png", "Latent interpolation",
                            "Each row walks in a straight line through the latent space from one test image's code "
                            "to another's."));
      }
      if (vae->latent_dim() == 2) {
        const int64_t k = 16;
        Tensor g = linspace(-2.5, 2.5, k);
        TensorList zs;
        for (int64_t i = 0; i < k; ++i) {  // top row: high z2, as a plot's y axis
          for (int64_t j = 0; j < k; ++j) zs.push_back(stack({g.select(0, j), g.select(0, k - 1 - i)}, 0));
        }
        write_grid(dir + "/latent_map.png", vae->decode(stack(zs, 0)), d, k);
        out.push_back(entry("latent_map.png", "Latent map",
                            "The decoder over the 2-D latent plane, z1 and z2 from -2.5 to 2.5 (16 x 16 grid)."));
      }
    }
    if (vae->latent_dim() == 2) {
      const data::Batch all = first_examples(data, 2000);
      Tensor mu = vae->encode(all.input).first;
      io::write_png(dir + "/latent_scatter.png", scatter_image(Tensor(), mu, 4.0));
      out.push_back(entry("latent_scatter.png", "Latent codes",
                          "The latent means of 2000 test examples over [-4, 4]^2: the encoder's map of the data."));
    }
  }
  if (auto* gan = dynamic_cast<nn::GAN*>(&model)) {
    if (images) {
      write_grid(dir + "/samples.png", gan->sample(n, &gen), d, nrow);
      out.push_back(entry("samples.png", "Samples", "The generator's images from fixed noise."));
      const int64_t rows = 8;
      Tensor za = gan->noise(rows, &gen), zb = gan->noise(rows, &gen);
      write_grid(dir + "/interpolation.png", interpolate(za, zb, 10, [&](const Tensor& z) { return gan->generate(z); }),
                 d, 10);
      out.push_back(entry("interpolation.png", "Noise interpolation",
                          "Each row walks in a straight line from one noise vector to another."));
    } else if (data.example_shape == std::vector<int64_t>{2}) {
      const double extent = d.dataset == "ring" ? d.ring_radius * 1.6 : 4.0;
      const data::Batch real = first_examples(data, 2000);
      io::write_png(dir + "/samples.png", scatter_image(real.input, gan->sample(2000, &gen), extent));
      out.push_back(entry("samples.png", "Samples",
                          "2000 generated points (red) over 2000 real ones (grey): each cluster without red is a "
                          "missed mode."));
    }
  }
  return out;
}

std::function<diag::SampleCheck()> make_sample_probe(const RunConfig& config, const Datasets& data,
                                                     std::shared_ptr<nn::GAN> gan, std::ostream* out) {
  const int64_t n = config.task.probe_samples;
  const int64_t m = std::min<int64_t>(n, 300);  // pairwise diversity is O(m^2)
  const data::Batch real = first_examples(data, m);
  const double real_div = real.input.size(0) >= 2 ? diag::sample_diversity(real.input) : 0.0;
  Tensor centers;
  double std = 0;
  if (config.data.dataset == "ring") {
    centers = diag::ring_centers(config.data.ring_modes, config.data.ring_radius);
    std = config.data.ring_std;
  }
  std::shared_ptr<nn::Module> classifier;
  DataConfig classifier_data;
  if (!config.task.classifier.empty() && !std::filesystem::exists(config.task.classifier + "/model.safetensors")) {
    if (out) {
      *out << "Note: task.classifier " << config.task.classifier
           << " has no model.safetensors yet, so generated samples are not labelled by class (train a classifier "
              "there first, e.g. strata train examples/lenet/config.json)\n";
    }
  } else if (!config.task.classifier.empty()) {
    const RunConfig cc = load_run_config(config.task.classifier + "/config.json");
    STRATA_CHECK(cc.task.supervised(), config.task.classifier, ": the classifier must be a supervised run, got a ",
                 cc.task.type, " run");
    Datasets cd;
    cd.example_shape = data.example_shape;
    classifier = load_model(cc, cd, config.task.classifier + "/model.safetensors");
    classifier_data = cc.data;
  }
  const int64_t classes = data.num_classes;
  const uint64_t seed = config.seed + 17;
  const DataConfig gan_data = config.data;
  return [=]() {
    diag::SampleCheck c;
    NoGradGuard no_grad;
    Generator gen(seed);
    Tensor fake;
    {
      EvalMode eval(*gan);
      fake = gan->sample(n, &gen);
    }
    c.samples = n;
    if (centers.defined()) {
      const diag::ModeCoverage mc = diag::mode_coverage(fake, centers, std);
      c.modes = mc.num_modes;
      c.modes_covered = mc.modes_covered;
      c.high_quality = mc.high_quality_fraction;
    }
    if (classifier) {
      EvalMode eval(*classifier);
      Tensor x = unit_to_pixels(pixels_to_unit(fake, gan_data), classifier_data);
      const diag::ClassCoverage cc = diag::class_coverage((*classifier)(x), classes);
      c.classes = cc.num_classes;
      c.classes_covered = cc.classes_present;
      c.class_histogram = cc.counts;
    }
    if (real_div > 0 && m >= 2) c.diversity_ratio = diag::sample_diversity(narrow(fake, 0, 0, m)) / real_div;
    return c;
  };
}

}  // namespace strata::tools
