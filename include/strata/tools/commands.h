#pragma once
// `strata` commands that live outside cli.cpp, and the argument parsing they share with it.
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "strata/core/error.h"

namespace strata::tools {

// A mistake on the command line (unknown option, missing value, bad number, wrong argument count): cli_main
// exits 2 for it, 1 for every other error (docs/cli.md).
class UsageError : public Error {
 public:
  using Error::Error;
};

// Throws UsageError(concat(parts...)) unless `cond`.
template <class... Parts>
void usage_check(bool cond, const Parts&... parts) {
  if (!cond) throw UsageError(detail::concat(parts...));
}

// `strata lr-find cfg.json [...]`: the learning-rate range test (src/tools/lr_find_cmd.cpp).
int lr_find_cmd(const std::vector<std::string>& args, std::ostream& out);
// `strata landscape runs/<name> [...]`: loss along init -> final and on a random plane (landscape_cmd.cpp).
int landscape_cmd(const std::vector<std::string>& args, std::ostream& out);

// `strata doctor cfg.json [--steps N] [--fix]`: a short run with every monitor on (doctor_cmd.cpp).
int doctor_cmd(const std::vector<std::string>& args, std::ostream& out);

// `strata profile cfg.json [--steps N] [--warmup W]`: a per-op time profile of training steps (profile_cmd.cpp).
int profile_cmd(const std::vector<std::string>& args, std::ostream& out);

// `strata sample runs/<name>`: sample grids and pictures of a generative run (generative_cmd.cpp).
int sample_cmd(const std::vector<std::string>& args, std::ostream& out);
// `strata embed runs/<name>`: an autoencoder's / VAE's bottleneck features as CSV (generative_cmd.cpp).
int embed_cmd(const std::vector<std::string>& args, std::ostream& out);
// `strata quantize runs/<name> [--mode dynamic|static]`: int8 model.int8.safetensors (quantize_cmd.cpp).
int quantize_cmd(const std::vector<std::string>& args, std::ostream& out);

// `strata tradeoff cfg.json --widths 32,64 | --depths 1,2 [...]`: compute against accuracy (tradeoff_cmd.cpp).
int tradeoff_cmd(const std::vector<std::string>& args, std::ostream& out);

// `strata lab --list | <number | name> [--quick]`: a concept of the notes at work (lab_cmd.cpp, labs/lab.h).
// Returns 0 when every claim of the lab held, 3 when one failed.
int lab_cmd(const std::vector<std::string>& args, std::ostream& out);

// Parsed command-line arguments (args[0] is the command).
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // "--epochs" -> "3"; flags -> ""
};

// Parses args from index `first`; `with_value` lists the options that take a value, `flags` those that do
// not. Unknown options are errors naming `command`.
Args parse_args(const std::vector<std::string>& args, size_t first, const std::vector<std::string>& with_value,
                const std::vector<std::string>& flags, const std::string& command);
// An integer / a finite number, or an error naming `what`.
int64_t parse_int(const std::string& s, const std::string& what);
double parse_double(const std::string& s, const std::string& what);

}  // namespace strata::tools
