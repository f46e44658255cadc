// Lab 174, RNN: a plain recurrent network learns to repeat its input a few steps later (short memory), and the
// gradient of a loss at the last step with respect to the hidden state shrinks step by step back in time.
#include <cmath>

#include "labs/kit.h"
#include "labs/sequence_tasks.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"

namespace strata::labs {

namespace rnn_lab {

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t T = 40, hidden = 32, batch = 32, long_T = 60;
  const int64_t steps = lab.pick<int64_t>(2000, 500);
  const double lr = 1e-2;
  const std::vector<int64_t> delays = {3, 10, 30};

  lab.note("Delay task: a sequence of " + std::to_string(T) +
           " values drawn from U(-1, 1); at every step the network must output the value it saw `delay` steps "
           "earlier (0 before the sequence starts). Outputting 0 everywhere gives MSE (T - delay) / T x 1/3, the "
           "'baseline' below. A one-layer tanh RNN with " +
           std::to_string(hidden) + " units and a linear read-out, Adam lr " + fmt(lr) + ", " + std::to_string(steps) +
           " steps of " + std::to_string(batch) + " fresh sequences, for each delay.");

  lab.heading("How far back can a plain RNN remember?");
  std::vector<double> test_mse, baseline;
  std::vector<Series> curves;
  std::vector<std::vector<std::string>> rows;
  std::shared_ptr<seq::Recurrent> short_model;
  for (int64_t delay : delays) {
    manual_seed(lab.seed());
    auto model = std::make_shared<seq::Recurrent>("rnn", 1, hidden, 1, true);
    Generator gen(lab.seed());
    seq::TrainResult r = seq::train_regressor(*model, steps, lr, [&] { return seq::delay_task(batch, T, delay, gen); });
    Generator test_gen(lab.seed() + 1000);
    test_mse.push_back(seq::mse(*model, seq::delay_task(500, T, delay, test_gen)));
    baseline.push_back(static_cast<double>(T - delay) / static_cast<double>(T) / 3);
    rows.push_back({std::to_string(delay), fmt(test_mse.back()), fmt(baseline.back()),
                    kit::pct(test_mse.back() / baseline.back(), 2), fmt(r.seconds, 2) + " s"});
    std::vector<double> smooth;
    double ema = r.loss[0];
    for (double l : r.loss) smooth.push_back(ema = 0.95 * ema + 0.05 * l);
    curves.push_back({"delay " + std::to_string(delay), kit::iota(smooth.size(), 1), smooth});
    if (delay == 3) short_model = model;
  }
  lab.table("held-out MSE (500 sequences)", {"delay", "test MSE", "baseline", "/ baseline", "time"}, rows);
  lab.line_plot({"Training loss (smoothed)", "step", "MSE", false, true}, curves);

  lab.heading("Gradient through time on a sequence of " + std::to_string(long_T) + " steps");
  Generator long_gen(lab.seed() + 2000);
  kit::XY long_seq = seq::delay_task(200, long_T, 3, long_gen);
  std::vector<double> g = short_model->hidden_grad_through_time(long_seq.x, long_seq.y);
  manual_seed(lab.seed());
  seq::Recurrent fresh("rnn", 1, hidden, 1, true);
  std::vector<double> g0 = fresh.hidden_grad_through_time(long_seq.x, long_seq.y);
  lab.note(
      "The loss is the error of the last output only; ||dL/dh_t|| (mean over 200 sequences) says how much "
      "the hidden state at step t can still change it. Each step back multiplies by the transposed "
      "recurrent weights and tanh's derivative (at most 1).");
  rows.clear();
  for (int64_t t : {long_T - 1, long_T - 4, long_T - 11, long_T - 21, long_T - 41, int64_t{0}})
    rows.push_back({std::to_string(t), fmt(g[static_cast<size_t>(t)]), fmt(g0[static_cast<size_t>(t)])});
  lab.table("||dL/dh_t||", {"step t", "trained (delay 3)", "at initialisation"}, rows);
  lab.line_plot(
      {"Gradient norm through time", "time step t", "||dL/dh_t||", false, true},
      {{"trained on delay 3", kit::iota(g.size()), g}, {"at initialisation", kit::iota(g0.size()), g0, true}});

  const double ratio = g.front() / g.back();
  lab.claim("the RNN learns the delay-3 task (test MSE under 5% of its baseline)", test_mse[0] < 0.05 * baseline[0],
            "MSE " + fmt(test_mse[0]) + " = " + kit::pct(test_mse[0] / baseline[0], 2) + " of the baseline");
  lab.claim("the same RNN learns nothing at delay 30 (test MSE above 80% of its baseline)",
            test_mse[2] > 0.8 * baseline[2],
            "MSE " + fmt(test_mse[2]) + " = " + kit::pct(test_mse[2] / baseline[2]) + " of the baseline");
  lab.claim("dL/dh_0 is over 10^6 times smaller than dL/dh_T on a 60-step sequence", ratio < 1e-6,
            "||dL/dh_0|| " + fmt(g.front()) + ", ||dL/dh_T|| " + fmt(g.back()) + ", ratio " + fmt(ratio));
}

}  // namespace rnn_lab

Lab lab_rnn() {
  return {174,
          "rnn",
          "Recurrent neural network",
          "A recurrent network reads a sequence one step at a time and keeps a hidden state h_t = tanh(W x_t + U "
          "h_{t-1} + b), the same weights at every step, so it can use what it saw earlier. Training backpropagates "
          "through time: the gradient reaching an early state is a product of one Jacobian per step, and with "
          "tanh and modest weights that product shrinks geometrically, so the plain RNN's memory is short.",
          "the MSE table: delays 3 and 10 are learned, delay 30 not at all. Then the log-scale gradient plot: "
          "||dL/dh_t|| falls by orders of magnitude within a few dozen steps back from the end.",
          rnn_lab::run};
}

}  // namespace strata::labs
