// Trains the four imbalanced configs (plain cross-entropy, balanced class weights, focal loss without and with
// balanced alpha) and prints
// their per-class test recall side by side as a Markdown table.
//   build/examples/imbalanced_compare [examples/imbalanced]
#include <cstdio>
#include <string>
#include <vector>

#include "strata/data/fashion_mnist.h"
#include "strata/tools/run.h"

using namespace strata;

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "examples/imbalanced";
  const std::vector<std::string> variants = {"plain", "balanced", "focal", "focal_balanced"};
  std::vector<tools::Evaluation> results;
  try {
    for (const std::string& v : variants) {
      tools::RunConfig cfg = tools::load_run_config(dir + "/" + v + ".json");
      std::printf("== %s\n", cfg.name.c_str());
      std::fflush(stdout);
      tools::RunResult r = tools::run_training(cfg);
      results.push_back(*r.test);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imbalanced_compare: %s\n", e.what());
    return 1;
  }
  std::printf(
      "\n| class (test recall) | plain CE | balanced weights | focal (gamma 2) | focal + balanced alpha |\n"
      "|---|---|---|---|---|\n");
  for (size_t c = 0; c < data::FashionMNIST::kClasses.size(); ++c) {
    const bool kept_10pct = c == 2 || c == 6;
    std::printf("| %s%s |", data::FashionMNIST::kClasses[c], kept_10pct ? " (10%)" : "");
    for (const auto& e : results) std::printf(" %.3f |", e.report.recall[c]);
    std::printf("\n");
  }
  std::printf("| accuracy |");
  for (const auto& e : results) std::printf(" %.4f |", e.report.accuracy);
  std::printf("\n| macro F1 |");
  for (const auto& e : results) std::printf(" %.4f |", e.report.macro_f1);
  std::printf("\n");
  return 0;
}
