// `strata sample runs/<name>` and `strata embed runs/<name>`: what a trained autoencoder, VAE or GAN makes of
// noise and of data.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "strata/autograd/grad_mode.h"
#include "strata/core/error.h"
#include "strata/core/generator.h"
#include "strata/io/atomic_file.h"
#include "strata/io/image.h"
#include "strata/nn/autoencoder.h"
#include "strata/nn/gan.h"
#include "strata/ops/creation.h"
#include "strata/ops/views.h"
#include "strata/tools/commands.h"
#include "strata/tools/run.h"
#include "tools/run_folder.h"
#include "tools/task_outputs.h"

namespace strata::tools {

namespace {

const char* kSampleHelp = R"(usage: strata sample <run dir> [options]

Writes what a trained autoencoder, VAE or GAN run makes: for a GAN or VAE a grid of generated samples (from
noise), for an autoencoder its reconstructions of test images, and the run's other pictures (interpolation,
latent map) into the output folder. For a GAN on 2-D data, a scatter plot of generated points over real ones.

Options:
  --n N            images in the sample grid (default 64)
  --seed N         noise seed (default: the run's seed)
  --output DIR     folder for the PNG files (default: the run folder)
  --weights FILE   weights to load (default: <run dir>/model.safetensors)
  --help           this text
)";

const char* kEmbedHelp = R"(usage: strata embed <run dir> [options]

Writes the bottleneck features of an autoencoder or VAE run (the encoder's output; a VAE's latent means) for
every example of a data split, as CSV: index, label, then one column per feature (f0, f1, ...).

Options:
  --split S        test (default), train or val
  --output FILE    the CSV file (default: <run dir>/embeddings_<split>.csv)
  --limit N        only the first N examples
  --weights FILE   weights to load (default: <run dir>/model.safetensors)
  --help           this text
)";

struct Run {
  RunConfig config;
  std::string dir, weights;
  std::string note;  // one line when the weights are a checkpoint's (no model.safetensors)
};

// Parses `strata <command> <run dir> [options]`; false when --help was asked for (and printed).
bool parse_run_command(const std::vector<std::string>& args, const std::vector<std::string>& with_value,
                       const char* help, const std::string& command, std::ostream& out, Args& a) {
  a = parse_args(args, 1, with_value, {"--help"}, command);
  if (a.options.count("--help")) {
    out << help;
    return false;
  }
  usage_check(a.positional.size() == 1, "strata ", command, ": expected one run folder (see strata ", command,
              " --help)");
  return true;
}

Run open_run(const std::string& dir, const Args& a, const std::string& command) {
  STRATA_CHECK(std::filesystem::is_directory(dir), "strata ", command, ": \"", dir,
               "\" is not a run folder (strata train writes runs/<name>/)");
  Run r;
  r.dir = dir;
  r.config = load_run_config(dir + "/config.json");
  r.weights = a.options.count("--weights") ? a.options.at("--weights")
                                           : detail::weights_or_latest_checkpoint(dir + "/model.safetensors", r.note);
  STRATA_CHECK(!r.config.task.supervised(), "strata ", command, ": ", dir,
               " is a supervised run; sample and embed need an autoencoder, vae or gan run (\"task\" in its config)");
  return r;
}

}  // namespace

int sample_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a;
  if (!parse_run_command(args, {"--n", "--seed", "--output", "--weights"}, kSampleHelp, "sample", out, a)) return 0;
  Run r = open_run(a.positional[0], a, "sample");
  out << r.note;
  const int64_t n = a.options.count("--n") ? parse_int(a.options["--n"], "--n") : 64;
  usage_check(n >= 1 && n <= 4096, "strata sample: --n must be in [1, 4096], got ", n);
  const uint64_t seed =
      a.options.count("--seed") ? static_cast<uint64_t>(parse_int(a.options["--seed"], "--seed")) : r.config.seed;
  const std::string dir = a.options.count("--output") ? a.options["--output"] : r.dir;
  std::filesystem::create_directories(dir);
  Datasets d = load_datasets(r.config);
  nn::ModulePtr model = load_task_model(r.config, d, r.weights);
  const io::Json images = write_task_images(r.config, *model, d, dir, n, seed);
  for (const io::Json& i : images.elements())
    out << "Wrote " << dir << "/" << i.at("file").as_string() << ": " << i.at("title").as_string() << "\n";
  return 0;
}

int embed_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a;
  if (!parse_run_command(args, {"--split", "--output", "--limit", "--weights"}, kEmbedHelp, "embed", out, a)) return 0;
  Run r = open_run(a.positional[0], a, "embed");
  out << r.note;
  STRATA_CHECK(r.config.task.type != "gan", "strata embed: ", r.dir,
               " is a GAN run, which has no encoder; embed needs an autoencoder or vae run");
  const std::string split = a.options.count("--split") ? a.options["--split"] : "test";
  Datasets d = load_datasets(r.config);
  data::DatasetPtr ds = split == "test" ? d.test : split == "val" ? d.val : split == "train" ? d.train : nullptr;
  usage_check(split == "test" || split == "val" || split == "train",
              "strata embed: --split must be test, val or train, got \"", split, "\"");
  STRATA_CHECK(ds != nullptr, "strata embed: the run's data has no ", split, " split");
  int64_t limit = ds->size();
  if (a.options.count("--limit")) limit = std::min(limit, parse_int(a.options["--limit"], "--limit"));
  nn::ModulePtr model = load_task_model(r.config, d, r.weights);
  model->eval();
  NoGradGuard no_grad;
  std::ostringstream os;
  int64_t features = 0;
  for (int64_t start = 0; start < limit; start += r.config.eval_batch_size) {
    const int64_t len = std::min(r.config.eval_batch_size, limit - start);
    const data::Batch b =
        ds->get_batch(arange(static_cast<double>(start), static_cast<double>(start + len), 1.0, kInt64));
    Tensor code;
    if (auto* vae = dynamic_cast<nn::VAE*>(model.get())) {
      code = vae->encode(b.input).first;
    } else {
      code = dynamic_cast<nn::Autoencoder&>(*model).encode(b.input);
    }
    code = to_dtype(code.reshape({len, -1}), kFloat64).contiguous();
    features = code.size(1);
    if (start == 0) {
      os << "index,label";
      for (int64_t k = 0; k < features; ++k) os << ",f" << k;
      os << "\n";
    }
    const std::vector<double> v = code.to_vector<double>();
    const std::vector<int64_t> labels = b.target.defined() && b.target.dtype() == kInt64
                                            ? b.target.contiguous().to_vector<int64_t>()
                                            : std::vector<int64_t>();
    char buf[32];
    for (int64_t i = 0; i < len; ++i) {
      os << start + i << ",";
      if (!labels.empty()) os << labels[static_cast<size_t>(i)];
      for (int64_t k = 0; k < features; ++k) {
        std::snprintf(buf, sizeof buf, ",%.7g", v[static_cast<size_t>(i * features + k)]);
        os << buf;
      }
      os << "\n";
    }
  }
  const std::string path =
      a.options.count("--output") ? a.options["--output"] : r.dir + "/embeddings_" + split + ".csv";
  const std::string text = os.str();
  io::AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
  out << "Wrote " << limit << " x " << features << " bottleneck features of the " << split << " split to " << path
      << "\n";
  return 0;
}

}  // namespace strata::tools
