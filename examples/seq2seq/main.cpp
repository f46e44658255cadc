// Seq2seq with attention: converting dates written in six formats ("12 March 1987", "March 12, 1987",
// "12 Mar 1987", "Mar 12 1987", "12/03/1987", "12.03.87") to ISO 8601 ("1987-03-12"). A bidirectional GRU
// encoder, a GRU decoder with Luong attention (seq2seq_model.h), teacher forcing, greedy decoding, exact-match
// accuracy on held-out dates, and one example's attention matrix. See README.md.
//
//   build/examples/seq2seq [--steps 1500] [--batch 64] [--hidden 128] [--train 20000] [--test 1000] ...
#include <chrono>
#include <cstdio>
#include <iostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "../common/char_corpus.h"
#include "seq2seq_model.h"
#include "strata/core/openmp_wait.h"
#include "strata/strata.h"

using namespace strata;
using examples::kEos;
using examples::kPad;
using examples::kSos;

namespace {

const char* const kMonths[12] = {"January", "February", "March",     "April",   "May",      "June",
                                 "July",    "August",   "September", "October", "November", "December"};

// Ids 0..2 are PAD, SOS, EOS; then these characters (both sides share the vocabulary).
const std::string kChars = " ,./-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int64_t char_id(char c) { return 3 + static_cast<int64_t>(kChars.find(c)); }
char id_char(int64_t id) { return id >= 3 ? kChars[static_cast<size_t>(id - 3)] : '?'; }

std::string two(int v) {
  return std::string(1, static_cast<char>('0' + v / 10 % 10)) + static_cast<char>('0' + v % 10);
}

// A random date from 1950-01-01 to 2049-12-31 in a random written format, and its ISO form.
std::pair<std::string, std::string> random_date(Generator& gen) {
  static const int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int year = 1950 + static_cast<int>(gen.random() % 100), month = 1 + static_cast<int>(gen.random() % 12);
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  const int days = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  const int day = 1 + static_cast<int>(gen.random() % static_cast<uint32_t>(days));
  const std::string name = kMonths[month - 1], abbr = name.substr(0, 3), y = std::to_string(year);
  std::string src;
  switch (gen.random() % 6) {
    case 0: src = std::to_string(day) + " " + name + " " + y; break;
    case 1: src = name + " " + std::to_string(day) + ", " + y; break;
    case 2: src = std::to_string(day) + " " + abbr + " " + y; break;
    case 3: src = abbr + " " + std::to_string(day) + " " + y; break;
    case 4: src = two(day) + "/" + two(month) + "/" + y; break;
    default: src = two(day) + "." + two(month) + "." + two(year % 100); break;  // 50..99 -> 19xx, else 20xx
  }
  return {src, y + "-" + two(month) + "-" + two(day)};
}

struct Batch {
  Tensor src;     // (B, S) int64, padded
  Tensor tgt_in;  // (B, T) int64: SOS + target
  Tensor tgt;     // (B, T) int64: target + EOS
};

Batch make_batch(const std::vector<std::pair<std::string, std::string>>& pairs, size_t begin, size_t count) {
  size_t S = 0, T = 0;
  for (size_t i = begin; i < begin + count; ++i) {
    S = std::max(S, pairs[i].first.size());
    T = std::max(T, pairs[i].second.size() + 1);
  }
  const auto B = static_cast<int64_t>(count);
  std::vector<int64_t> src(count * S, kPad), tin(count * T, kPad), tout(count * T, kPad);
  for (size_t b = 0; b < count; ++b) {
    const auto& [s, t] = pairs[begin + b];
    for (size_t j = 0; j < s.size(); ++j) src[b * S + j] = char_id(s[j]);
    tin[b * T] = kSos;
    for (size_t j = 0; j < t.size(); ++j) tin[b * T + j + 1] = tout[b * T + j] = char_id(t[j]);
    tout[b * T + t.size()] = kEos;
  }
  const auto s64 = static_cast<int64_t>(S), t64 = static_cast<int64_t>(T);
  return {from_vector(src, {B, s64}), from_vector(tin, {B, t64}), from_vector(tout, {B, t64})};
}

std::string decode(const std::vector<int64_t>& ids, size_t row, size_t width) {
  std::string s;
  for (size_t j = 0; j < width; ++j) {
    const int64_t id = ids[row * width + j];
    if (id == kEos || id == kPad) break;
    s += id_char(id);
  }
  return s;
}

// Exact-match accuracy of greedy decoding over `pairs`; fills `wrong` with a few mistakes.
double accuracy(examples::Seq2Seq& model, const std::vector<std::pair<std::string, std::string>>& pairs,
                std::vector<std::string>* wrong) {
  model.eval();
  size_t correct = 0;
  for (size_t i = 0; i < pairs.size(); i += 256) {
    const size_t n = std::min<size_t>(256, pairs.size() - i);
    examples::GreedyResult r = model.greedy(make_batch(pairs, i, n).src, 12);
    const std::vector<int64_t> ids = r.tokens.to_vector<int64_t>();
    const auto width = static_cast<size_t>(r.tokens.size(1));
    for (size_t b = 0; b < n; ++b) {
      const std::string got = decode(ids, b, width);
      if (got == pairs[i + b].second) ++correct;
      else if (wrong != nullptr && wrong->size() < 5)
        wrong->push_back(pairs[i + b].first + " -> " + got + " (want " + pairs[i + b].second + ")");
    }
  }
  model.train();
  return static_cast<double>(correct) / static_cast<double>(pairs.size());
}

}  // namespace

namespace {

int run(int argc, char** argv) {
  examples::Args args(argc, argv,
                      {"steps", "batch", "embed", "hidden", "lr", "clip", "train", "test", "eval-every", "seed"});
  if (args.help()) {
    std::cout << "usage: seq2seq [--steps 1500] [--batch 64] [--embed 32] [--hidden 128] [--lr 0.002] [--clip 1.0]\n"
                 "  [--train 20000] [--test 1000] [--eval-every 250] [--seed 1]\n";
    return 2;
  }
  const int64_t steps = args.integer("steps", 1500), B = args.integer("batch", 64),
                eval_every = args.integer("eval-every", 250);
  Generator gen(static_cast<uint64_t>(args.integer("seed", 1)));

  // Held-out test dates are strings that never occur in the training set.
  std::vector<std::pair<std::string, std::string>> train, test;
  std::set<std::string> seen;
  while (static_cast<int64_t>(train.size()) < args.integer("train", 20000)) {
    auto p = random_date(gen);
    seen.insert(p.first);
    train.push_back(p);
  }
  while (static_cast<int64_t>(test.size()) < args.integer("test", 1000)) {
    auto p = random_date(gen);
    if (seen.insert(p.first).second) test.push_back(p);
  }
  std::cout << "dates: " << train.size() << " training pairs, " << test.size() << " held-out, e.g. \"" << train[0].first
            << "\" -> \"" << train[0].second << "\"\n";

  const auto V = static_cast<int64_t>(3 + kChars.size());
  examples::Seq2Seq model(V, V, args.integer("embed", 32), args.integer("hidden", 128), &gen);
  optim::AdamOptions ao;
  ao.lr = args.real("lr", 2e-3);
  optim::Adam opt(model.parameters(), ao);
  std::cout << "model: " << model.num_parameters() << " parameters, " << steps << " steps of batch " << B << "\n";

  train::Stepper stepper(model, opt, {.clip_grad_norm = args.real("clip", 1.0)});
  const auto t0 = std::chrono::steady_clock::now();
  double loss_sum = 0;
  size_t cursor = train.size();
  for (int64_t s = 1; s <= steps; ++s) {
    if (cursor + static_cast<size_t>(B) > train.size()) {  // reshuffle each pass
      for (size_t i = train.size() - 1; i > 0; --i) std::swap(train[i], train[gen.random64() % (i + 1)]);
      cursor = 0;
    }
    Batch b = make_batch(train, cursor, static_cast<size_t>(B));
    cursor += static_cast<size_t>(B);
    const int64_t T = b.tgt.size(1);
    loss_sum +=
        stepper([&] {
          Tensor logits = model.forward(b.src, b.tgt_in);  // teacher forcing; (B, T, V)
          return cross_entropy(logits.reshape({B * T, V}), b.tgt.reshape({B * T}), Tensor(), Reduction::Mean, kPad);
        }).loss;
    if (s % eval_every == 0 || s == steps) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("step %5lld  train loss %.4f  held-out exact match %.1f%%  %.0f s\n", static_cast<long long>(s),
                  loss_sum / static_cast<double>(s % eval_every == 0 ? eval_every : s % eval_every),
                  100 * accuracy(model, test, nullptr), secs);
      std::cout.flush();
      loss_sum = 0;
    }
  }

  std::vector<std::string> wrong;
  const double acc = accuracy(model, test, &wrong);
  std::printf("final held-out exact-match accuracy: %.2f%% (%zu dates)\n", 100 * acc, test.size());
  for (const auto& w : wrong) std::cout << "  wrong: " << w << "\n";

  // One held-out example: the greedy output and its attention matrix (rows: output characters, columns: input
  // characters), weights in percent.
  model.eval();
  const auto& ex = test[0];
  examples::GreedyResult r = model.greedy(make_batch(test, 0, 1).src, 12);
  const std::string got = decode(r.tokens.to_vector<int64_t>(), 0, static_cast<size_t>(r.tokens.size(1)));
  std::cout << "\nattention of \"" << ex.first << "\" -> \"" << got << "\" (percent)\n    ";
  for (char c : ex.first) std::printf("%4c", c);
  std::printf("\n");
  const std::vector<float> a = r.attention.to_vector<float>();
  const auto S = static_cast<size_t>(r.attention.size(2));
  for (size_t t = 0; t <= got.size() && t < static_cast<size_t>(r.attention.size(1)); ++t) {
    std::printf("%-4s", t < got.size() ? std::string(1, got[t]).c_str() : "EOS");
    for (size_t j = 0; j < ex.first.size(); ++j) std::printf("%4.0f", 100 * a[t * S + j]);
    std::printf("\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  strata::apply_openmp_wait_policy(argv);  // passive OpenMP waiting on a busy machine (docs/performance.md)
  return examples::run_main([&] { return run(argc, argv); });
}
