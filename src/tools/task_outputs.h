#pragma once
// What the generative tasks show: sample grids, reconstructions, interpolations and latent maps as PNG files
// in the run folder, and the doctor's sample probe that measures a GAN's samples for mode collapse.
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "strata/diag/monitor.h"
#include "strata/io/json.h"
#include "strata/nn/gan.h"
#include "strata/tools/run_config.h"

namespace strata::tools {

// Images of the data's pixel range (data.pixels) mapped to [0, 1], and back.
Tensor pixels_to_unit(const Tensor& x, const DataConfig& data);
Tensor unit_to_pixels(const Tensor& x01, const DataConfig& data);

// A scatter plot of 2-D points as an RGB image (3, size, size): `real` in grey, `fake` in colour, over
// [-extent, extent]^2. Either may be undefined.
Tensor scatter_image(const Tensor& real, const Tensor& fake, double extent, int64_t size = 400);

// Writes the task's pictures into `dir` (reconstructions.png, samples.png, interpolation.png, latent_map.png,
// latent_scatter.png, as the task and the data allow) with `n` images per grid; returns one object per file:
// {"file", "title", "caption"}. Draws noise from Generator(seed), so reruns give the same pictures.
io::Json write_task_images(const RunConfig& config, nn::Module& model, const Datasets& data, const std::string& dir,
                           int64_t n, uint64_t seed);

// The doctor's sample probe for a GAN: at every epoch end, config.task.probe_samples generated samples against
// the data (modes covered for the ring, classes covered when config.task.classifier names a supervised run,
// diversity against as many real examples). The generator is sampled in eval mode with a fixed noise seed. A
// classifier folder without model.safetensors is noted on `out` (if any) and left out.
std::function<diag::SampleCheck()> make_sample_probe(const RunConfig& config, const Datasets& data,
                                                     std::shared_ptr<nn::GAN> gan, std::ostream* out);

}  // namespace strata::tools
