// The `strata` command line: argument parsing, help texts and the four commands. Everything else lives in
// run.cpp, run_config.cpp, model_builder.cpp and diag/summary.cpp.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "strata/core/backends.h"
#include "strata/core/error.h"
#include "strata/core/openmp_wait.h"
#include "strata/core/threading.h"
#include "strata/data/dataloader.h"
#include "strata/diag/profiler.h"
#include "strata/diag/summary.h"
#include "strata/dist/process_group.h"
#include "strata/io/atomic_file.h"
#include "strata/ops/softmax.h"
#include "strata/tools/commands.h"
#include "strata/tools/model_builder.h"
#include "strata/tools/preprocessing.h"
#include "strata/tools/run.h"
#include "strata/train/fit.h"
#include "strata/train/precision.h"
#include "tools/run_folder.h"

namespace strata::tools {

namespace {

const char* kMainHelp = R"(usage: strata <command> [options]

Commands:
  train <config.json>               train a model as the config describes; writes runs/<name>/
  eval <config.json|run dir>        loss, accuracy and per-class precision/recall/F1 on the test set
  predict <config.json|run dir>     write the model's predictions (CSV) to a file or stdout
  summary <config.json>             each layer's output shape and parameters, FLOPs and memory
  tradeoff <config.json>            the model at several widths/depths: accuracy against compute, Pareto front
  lr-find <config.json>             learning-rate range test: loss over an exponential LR sweep, a suggestion
  landscape <run dir>               loss along the line init -> final weights and on a random 2-D slice
  doctor <config.json>              a short run with every monitor on: findings, causes, remedies (--fix)
  profile <config.json>             where a training step's time goes: per op, backward node, optimizer
  sample <run dir>                  generated samples / reconstructions of an autoencoder, VAE or GAN run (PNG)
  embed <run dir>                   an autoencoder's or VAE's bottleneck features for a data split (CSV)
  quantize <run dir>                int8 post-training quantization: model.int8.safetensors, accuracy and size
  lab <number | name>               a concept of the notes at work in under a minute (lab --list lists them)
  --version                         the version of Strata (also `strata version`)

Run `strata <command> --help` for the command's options; docs/cli.md describes the config format.
)";

const char* kTrainHelp = R"(usage: strata train <config.json> [options]

Trains the model of the config with a live progress bar, then evaluates it on the test set. Writes to
<output_dir>/<name>/ (default runs/<name>/): model.safetensors, init.safetensors, checkpoint.safetensors,
config.json, preprocessing.json, log.csv, log.jsonl, results.json, and the training doctor's diagnosis.json and report.html
(each written atomically). The doctor's findings are printed at the end of each epoch (docs/doctor.md).

Options (each overrides the config's key of the same name):
  --epochs N          number of epochs
  --name NAME         run name (the output folder's name)
  --output-dir DIR    parent folder of the run folder
  --seed N            random seed
  --precision P       fp32, bf16 or fp16 (mixed precision; fp16 scales the loss, docs/precision.md)
  --no-loss-scaling   fp16 without loss scaling (small gradients flush to zero)
  --diagnose          the training doctor with anomaly mode on (names the op and layer of a nan/inf)
  --quiet             no progress bar
  --resume            continue the run from the newest valid checkpoint in its run folder, exactly as if it
                      had never stopped (the same config; only "epochs" may change)
  --resume-from FILE  the same from a given checkpoint file (e.g. checkpoint-e0002-b000000.safetensors)
  --help              this text

Checkpoints: checkpoint.safetensors after every epoch, and after every N-th optimizer step with
"checkpoint_every_steps": N; "keep_checkpoints": K keeps the K - 1 before it too. SIGINT (Ctrl-C) or SIGTERM
finishes the current step, writes a checkpoint and exits with 130 or 143; a second Ctrl-C stops at once.

STRATA_PROFILE=1 in the environment prints a per-op time profile of the whole training at the end and writes
it to the run folder's profile.json (docs/performance.md, "Profiling"; `strata profile` profiles a few steps).
)";

const char* kEvalHelp = R"(usage: strata eval <config.json|run dir> [options]

Evaluates trained weights: loss, the config's metrics and, for classification, per-class precision,
recall, F1 and support. Given a run folder, reads its config.json, model.safetensors and preprocessing.json
(feature statistics, classes), so only the evaluated split's data is read.

Options:
  --weights FILE      safetensors weights (default: <run dir>/model.safetensors); a quantized file
                      (strata quantize) is recognised by its metadata
  --int8              the run's int8 model, <run dir>/model.int8.safetensors
  --split NAME        test (default), val or train
  --help              this text
)";

const char* kPredictHelp = R"(usage: strata predict <config.json|run dir> [options]

Writes one CSV row per example: index, prediction (the class, or the value for regression) and, with
--probabilities, the softmax probability of each class.

Options:
  --weights FILE      safetensors weights (default: <run dir>/model.safetensors), float or int8
  --int8              the run's int8 model, <run dir>/model.int8.safetensors (strata quantize)
  --split NAME        test (default), val or train: the config's data
  --input FILE        predict on this file instead: a CSV of feature columns (csv data, no label column,
                      standardised as in training) or an IDX images file (fashion_mnist), preprocessed
                      as the run folder's preprocessing.json says (no training data needed)
  --output FILE       write here (atomically) instead of stdout
  --probabilities     also write class probabilities
  --limit N           only the first N examples (N >= 1)
  --help              this text
)";

const char* kSummaryHelp = R"(usage: strata summary <config.json> [options]

Builds the config's model and prints each layer's output shape, parameter count (trainable and total)
and FLOPs for one forward pass, with totals, the parameters' memory and the activation memory for training
(every output kept) and for inference (peak of live outputs). docs/tradeoff.md explains each number.

Options:
  --input-shape D,..  one example's shape without the batch dim (default: the data's, e.g. 1,28,28)
  --batch N           batch size of the forward pass (default 1)
  --latency           also measure each layer's forward and backward time (fastest of --repeats passes)
  --repeats N         timed passes for --latency (default 5, after one warm-up)
  --help              this text
)";

}  // namespace

// Parses args after the command; `with_value` lists the options that take a value.
Args parse_args(const std::vector<std::string>& args, size_t first, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags, const std::string& command) {
  Args a;
  for (size_t i = first; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s.rfind("--", 0) == 0) {
      std::string key = s, value;
      const size_t eq = s.find('=');
      if (eq != std::string::npos) {
        key = s.substr(0, eq);
        value = s.substr(eq + 1);
      }
      const bool takes = std::find(with_value.begin(), with_value.end(), key) != with_value.end();
      const bool flag = std::find(flags.begin(), flags.end(), key) != flags.end();
      usage_check(takes || flag, "strata ", command, ": unknown option ", key, " (see strata ", command, " --help)");
      if (takes && eq == std::string::npos) {
        usage_check(i + 1 < args.size(), "strata ", command, ": option ", key, " needs a value");
        value = args[++i];
      }
      usage_check(!flag || eq == std::string::npos, "strata ", command, ": option ", key, " takes no value");
      a.options[key] = value;
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

int64_t parse_int(const std::string& s, const std::string& what) {
  size_t pos = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  usage_check(pos == s.size() && !s.empty(), what, ": expected an integer, got \"", s, "\"");
  return v;
}

double parse_double(const std::string& s, const std::string& what) {
  size_t pos = 0;
  double v = 0;
  try {
    v = std::stod(s, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  usage_check(pos == s.size() && !s.empty() && std::isfinite(v), what, ": expected a number, got \"", s, "\"");
  return v;
}

namespace {

// A config path, or a run folder holding config.json; the default weights path.
struct Resolved {
  RunConfig config;
  std::string dir;  // the run folder
  std::string weights;
  std::string note;  // one line for the user when the weights are not the run's model.safetensors
};

Resolved resolve(const std::string& target, const Args& a) {
  Resolved r;
  if (std::filesystem::is_directory(target)) {
    r.config = load_run_config(target + "/config.json");
    r.dir = target;
  } else {
    r.config = load_run_config(target);
    r.dir = r.config.run_dir();
  }
  r.weights = r.dir + "/model.safetensors";
  // A run killed during its final save has checkpoints but no model.safetensors: use the newest valid checkpoint.
  if (!a.options.count("--int8") && !a.options.count("--weights"))
    r.weights = detail::weights_or_latest_checkpoint(r.weights, r.note);
  if (a.options.count("--int8")) {
    usage_check(!a.options.count("--weights"), "--int8 and --weights are exclusive");
    r.weights = std::filesystem::path(r.weights).parent_path().string() + "/model.int8.safetensors";
  }
  if (auto it = a.options.find("--weights"); it != a.options.end()) r.weights = it->second;
  STRATA_CHECK(!std::filesystem::is_directory(r.weights), r.weights, ": is a directory, not a weights file");
  return r;
}

// The run folder's preprocessing.json. A folder trained before strata saved it gets nullopt and a note: its
// statistics are then recomputed from the training data, as they were then.
std::optional<Preprocessing> saved_preprocessing(const Resolved& r, std::ostream& notes) {
  std::optional<Preprocessing> p = load_preprocessing(r.dir);
  if (!p && std::filesystem::is_directory(r.dir)) {
    notes << "Note: " << r.dir
          << " has no preprocessing.json (an older run folder): recomputing the preprocessing from the training data\n";
  }
  return p;
}

// The config's data with the run folder's preprocessing (when saved), reading the training file only when the
// split needs it.
Datasets run_datasets(const Resolved& r, const std::optional<Preprocessing>& p, const Args& a) {
  DatasetOptions o;
  o.preprocessing = p ? &*p : nullptr;
  const auto it = a.options.find("--split");
  o.train = !p || (it != a.options.end() && it->second != "test");
  return load_datasets(r.config, o);
}

data::DatasetPtr pick_split(const Datasets& d, const Args& a, const std::string& command) {
  const auto it = a.options.find("--split");
  const std::string split = it == a.options.end() ? "test" : it->second;
  data::DatasetPtr ds;
  if (split == "test") {
    ds = d.test;
  } else if (split == "val") {
    ds = d.val;
  } else if (split == "train") {
    ds = d.train;
  } else {
    throw UsageError(
        strata::detail::concat("strata ", command, ": --split must be test, val or train, got \"", split, "\""));
  }
  STRATA_CHECK(ds != nullptr, "strata ", command, ": the config's data has no ", split, " split");
  return ds;
}

int train_cmd(const std::vector<std::string>& args, std::ostream& rank_out) {
  // Under mpirun every rank trains; rank 0 alone prints and writes the run folder (docs/distributed.md).
  std::ostream silent(nullptr);
  std::ostream& out = dist::is_main() ? rank_out : silent;
  Args a = parse_args(args, 1, {"--epochs", "--name", "--output-dir", "--seed", "--precision", "--resume-from"},
                      {"--quiet", "--diagnose", "--no-loss-scaling", "--resume", "--help"}, "train");
  if (a.options.count("--help")) {
    out << kTrainHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata train: expected one config file (see strata train --help)");
  const std::string& path = a.positional[0];
  io::Json j = io::load_json_file(path);
  STRATA_CHECK(j.is_object(), path, ": expected a JSON object");
  // Overrides land in the config itself, so the run folder's config.json records what ran.
  if (a.options.count("--epochs")) j.set("epochs", parse_int(a.options["--epochs"], "--epochs"));
  if (a.options.count("--seed")) j.set("seed", parse_int(a.options["--seed"], "--seed"));
  if (a.options.count("--name")) j.set("name", a.options["--name"]);
  if (a.options.count("--output-dir")) j.set("output_dir", a.options["--output-dir"]);
  if (a.options.count("--precision")) {
    try {
      j.set("precision", train::precision_name(train::parse_precision(a.options["--precision"], "--precision")));
    } catch (const UsageError&) {
      throw;
    } catch (const Error& e) {
      throw UsageError(e.what());  // a bad option value is a usage mistake
    }
  }
  if (a.options.count("--no-loss-scaling")) j.set("loss_scaling", false);
  j.annotate(path);
  RunConfig cfg = parse_run_config(j, path);
  RunOptions ro;
  ro.out = a.options.count("--quiet") || !dist::is_main() ? nullptr : &out;
  ro.write_files = dist::is_main();
  ro.diagnose = a.options.count("--diagnose") > 0;
  usage_check(!(a.options.count("--resume") && a.options.count("--resume-from")),
              "strata train: give --resume or --resume-from FILE, not both");
  if (a.options.count("--resume")) ro.resume = "latest";
  if (a.options.count("--resume-from")) ro.resume = a.options["--resume-from"];
  ro.handle_signals = true;
  const char* profile_env = std::getenv("STRATA_PROFILE");
  std::optional<diag::Profiler> profiler;
  if (profile_env != nullptr && std::string(profile_env) == "1") profiler.emplace();
  RunResult r = run_training(cfg, ro);
  if (profiler) {
    const diag::Profile p = profiler->result();
    profiler.reset();
    out << p.table();
    if (!r.run_dir.empty()) {
      const std::string file = (std::filesystem::path(r.run_dir) / "profile.json").string();
      const std::string text = p.to_json().dump(2) + "\n";
      io::AtomicFile f(file);
      f.write(text.data(), text.size());
      f.commit();
      out << "Profile written to " << file << "\n";
    }
  }
  if (r.interrupted != 0) {
    if (!ro.out) {
      out << "Interrupted; " << (r.checkpoint.empty() ? "no checkpoint was written" : "checkpoint " + r.checkpoint)
          << ". Resume with: strata train " << path << " --resume\n";
    }
    return 128 + r.interrupted;  // as a shell reports a process ended by the signal
  }
  if (!ro.out && r.test) out << format_evaluation(*r.test, {});
  if (!ro.out) {  // --quiet silences the doctor's printout, not its errors (a diverging loss, nan/inf)
    for (const diag::Finding& f : r.findings) {
      if (f.severity == "error")
        out << "Doctor: [error] " << f.id << " at step " << f.step << ": " << f.evidence << "\n";
    }
  }
  STRATA_CHECK(r.failure.empty(), cfg.source, ": ", r.failure);  // exit 1, with the reason even under --quiet
  return 0;
}

int eval_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--weights", "--split"}, {"--help", "--int8"}, "eval");
  if (a.options.count("--help")) {
    out << kEvalHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata eval: expected one config file or run folder (see --help)");
  Resolved r = resolve(a.positional[0], a);
  out << r.note;
  const std::optional<Preprocessing> prep = saved_preprocessing(r, out);
  Datasets d = run_datasets(r, prep, a);
  data::DatasetPtr ds = pick_split(d, a, "eval");
  if (!r.config.task.supervised()) {
    Evaluation e = evaluate_task_model(r.config, load_task_model(r.config, d, r.weights), ds);
    out << r.weights << " on " << (a.options.count("--split") ? a.options["--split"] : std::string("test")) << " set, "
        << format_evaluation(e, {});
    return 0;
  }
  auto model = load_model(r.config, d, r.weights);
  Evaluation e = evaluate_model(*model, r.config, d, ds);
  out << r.weights << " on " << (a.options.count("--split") ? a.options["--split"] : std::string("test")) << " set, "
      << format_evaluation(e, d.class_names);
  return 0;
}

int predict_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--weights", "--split", "--input", "--output", "--limit"},
                      {"--probabilities", "--help", "--int8"}, "predict");
  if (a.options.count("--help")) {
    out << kPredictHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata predict: expected one config file or run folder (see --help)");
  Resolved r = resolve(a.positional[0], a);
  std::cerr << r.note;  // not on stdout, which may carry the predictions
  const std::optional<Preprocessing> prep = saved_preprocessing(r, std::cerr);
  const bool from_file = a.options.count("--input") != 0;
  // --input needs no data of the config's: the run folder says how to preprocess it.
  Datasets d = from_file && prep ? datasets_of(*prep) : run_datasets(r, prep, a);
  auto model = load_model(r.config, d, r.weights);
  data::DatasetPtr ds;
  if (from_file) {
    // Older run folders: the preprocessing of the config's data, recomputed (csv statistics from the training file).
    const Preprocessing p = prep ? *prep : preprocessing_of(r.config, d);
    ds = std::make_shared<data::TensorDataset>(read_inputs(p, a.options["--input"]));
  } else {
    ds = pick_split(d, a, "predict");
  }
  if (a.options.count("--limit")) {
    // 0 is refused rather than written as an empty file: it is more likely a mistake than a wish.
    const int64_t n = parse_int(a.options["--limit"], "--limit");
    usage_check(n >= 1, "strata predict: --limit must be at least 1, got ", n);
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < std::min(n, ds->size()); ++i) idx.push_back(i);
    ds = std::make_shared<data::Subset>(ds, idx);
  }
  data::DataLoader loader(ds, r.config.eval_batch_size, /*shuffle=*/false);
  Tensor y = train::predict(*model, loader).contiguous();
  const bool probs = a.options.count("--probabilities") != 0;
  std::ostringstream os;
  os << "index,prediction";
  if (d.classification) {
    if (probs) {
      for (int64_t c = 0; c < y.size(1); ++c) os << ",p" << c;
    }
    os << "\n";
    Tensor p = softmax(y, 1).contiguous();
    const float* pp = p.data_ptr<float>();
    const int64_t n = y.size(0), c = y.size(1);
    char buf[32];
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < c; ++k) {
        if (pp[i * c + k] > pp[i * c + best]) best = k;
      }
      os << i << "," << best;
      if (probs) {
        for (int64_t k = 0; k < c; ++k) {
          std::snprintf(buf, sizeof buf, ",%.6g", static_cast<double>(pp[i * c + k]));
          os << buf;
        }
      }
      os << "\n";
    }
  } else {
    os << "\n";
    const float* py = y.data_ptr<float>();
    const int64_t n = y.size(0), k = y.numel() / std::max<int64_t>(n, 1);
    char buf[32];
    for (int64_t i = 0; i < n; ++i) {
      os << i;
      for (int64_t j = 0; j < k; ++j) {
        std::snprintf(buf, sizeof buf, ",%.6g", static_cast<double>(py[i * k + j]));
        os << buf;
      }
      os << "\n";
    }
  }
  if (a.options.count("--output")) {
    const std::string text = os.str();
    io::AtomicFile f(a.options["--output"]);
    f.write(text.data(), text.size());
    f.commit();
    out << "Wrote " << y.size(0) << " predictions to " << a.options["--output"] << "\n";
  } else {
    out << os.str();
  }
  return 0;
}

int summary_cmd(const std::vector<std::string>& args, std::ostream& out) {
  Args a = parse_args(args, 1, {"--input-shape", "--batch", "--repeats"}, {"--help", "--latency"}, "summary");
  if (a.options.count("--help")) {
    out << kSummaryHelp;
    return 0;
  }
  usage_check(a.positional.size() == 1, "strata summary: expected one config file (see --help)");
  Resolved r = resolve(a.positional[0], a);
  std::vector<int64_t> shape;
  if (a.options.count("--input-shape")) {
    std::stringstream ss(a.options["--input-shape"]);
    std::string item;
    while (std::getline(ss, item, ',')) {
      shape.push_back(parse_int(item, "--input-shape"));
      usage_check(shape.back() >= 1, "strata summary: --input-shape sizes must be at least 1, got ",
                  a.options["--input-shape"]);
    }
    usage_check(!shape.empty(), "strata summary: --input-shape is empty");
  } else if (r.config.data.dataset == "fashion_mnist") {
    shape = {1, 28, 28};  // no need to read the data for its shape
  } else if (r.config.data.dataset == "ring") {
    shape = {2};
  } else if (const auto p = load_preprocessing(r.dir)) {
    shape = p->input_shape;  // a run folder knows its input shape without reading the data
  } else {
    shape = load_datasets(r.config).example_shape;
  }
  manual_seed(r.config.seed);
  // A task's model is summarised through its forward: reconstruction for autoencoders and VAEs, the
  // discriminator for a GAN (its generator is printed as part of the module tree).
  nn::ModulePtr model = r.config.task.supervised() ? nn::ModulePtr(build_model(r.config.model, shape))
                                                   : build_task_model(r.config.task, r.config.model, shape);
  std::vector<int64_t> full{a.options.count("--batch") ? parse_int(a.options["--batch"], "--batch") : 1};
  usage_check(full[0] >= 1, "strata summary: --batch must be at least 1, got ", full[0]);
  full.insert(full.end(), shape.begin(), shape.end());
  diag::SummaryOptions so;
  so.latency = a.options.count("--latency") != 0;
  if (a.options.count("--repeats")) {
    so.latency_repeats = static_cast<int>(parse_int(a.options["--repeats"], "--repeats"));
    usage_check(so.latency_repeats >= 1, "strata summary: --repeats must be at least 1, got ", so.latency_repeats);
  }
  out << diag::summarize(*model, Shape(full), so).to_string();
  return 0;
}

}  // namespace

int cli_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    (args.empty() ? err : out) << kMainHelp;
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version" || args[0] == "version") {
    out << "strata " << STRATA_VERSION << "\n";
    out << "threads: " << get_num_threads() << " (OpenMP; waiting: " << openmp_wait_description()
        << "), GEMM: " << gemm_backend() << "\n";
    out << "data-parallel: " << (dist::built_with_mpi() ? "MPI" : "not built (no MPI)");
    if (dist::world_size() > 1) out << ", rank " << dist::rank() << " of " << dist::world_size();
    out << "\n";
    std::string why;
    const int gpus = cuda_device_count(&why);
    out << "devices: cpu, ref; cuda: ";
    if (!device_built(DeviceType::CUDA)) {
      out << "not built";
    } else if (gpus > 0) {
      out << gpus << " device" << (gpus == 1 ? "" : "s");
    } else {
      out << "built, no usable device (" << why << ")";
    }
    out << "\n";
    return 0;
  }
  const std::string& cmd = args[0];
  try {
    if (cmd == "train") return train_cmd(args, out);
    if (cmd == "eval") return eval_cmd(args, out);
    if (cmd == "predict") return predict_cmd(args, out);
    if (cmd == "summary") return summary_cmd(args, out);
    if (cmd == "lr-find") return lr_find_cmd(args, out);
    if (cmd == "landscape") return landscape_cmd(args, out);
    if (cmd == "doctor") return doctor_cmd(args, out);
    if (cmd == "profile") return profile_cmd(args, out);
    if (cmd == "sample") return sample_cmd(args, out);
    if (cmd == "embed") return embed_cmd(args, out);
    if (cmd == "quantize") return quantize_cmd(args, out);
    if (cmd == "tradeoff") return tradeoff_cmd(args, out);
    if (cmd == "lab") return lab_cmd(args, out);
    err << "strata: unknown command \"" << cmd << "\"\n\n" << kMainHelp;
    return 2;
  } catch (const UsageError& e) {
    out.flush();
    err << "strata " << cmd << ": usage error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    out.flush();
    err << "strata " << cmd << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace strata::tools
