// Lab 175, LSTM: the lag-50 adding problem, which a plain RNN cannot learn and an LSTM can, and the gradient
// of the loss with respect to the hidden state through time for both.
#include <cmath>

#include "labs/kit.h"
#include "labs/sequence_tasks.h"
#include "strata/core/generator.h"
#include "strata/labs/lab.h"

namespace strata::labs {

namespace lstm_lab {

void run(LabRun& lab) {
  using kit::fmt;
  const int64_t T = 50;  // the lag stays 50 in both sizes: the claim is about that lag
  const int64_t hidden = lab.pick<int64_t>(64, 32), batch = lab.pick<int64_t>(64, 32);
  const int64_t steps = lab.pick<int64_t>(1000, 1000);
  const double lr = 2e-2;
  const bool stop_lstm = lab.quick();  // the time budget of the test suite

  Generator test_gen(lab.seed() + 1000);
  kit::XY test = seq::adding_problem(1000, T, test_gen);
  lab.note("Each sequence has " + std::to_string(T) +
           " steps of (value in [0, 1], marker); two steps are marked, one in each half, and the target is the sum "
           "of the two marked values. Predicting the mean always gives MSE 1/6 = 0.167: anything near that has "
           "learned nothing. Both networks (the LSTM's forget-gate bias starts at 1): hidden size " +
           std::to_string(hidden) + ", Adam lr " + fmt(lr) + ", gradient clipping at norm 1, " + std::to_string(steps) +
           " steps of " + std::to_string(batch) + " fresh sequences" +
           (stop_lstm ? " (the LSTM stops early once its mean training loss over 20 steps is below 0.01)." : "."));

  const std::vector<std::string> kinds = {"rnn", "lstm"};
  const std::vector<std::string> names = {"plain RNN (tanh)", "LSTM"};
  std::vector<double> test_mse, secs;
  std::vector<int64_t> solved_at, ran;
  std::vector<std::vector<double>> grads_init, grads_end;
  std::vector<Series> curves;
  for (size_t k = 0; k < kinds.size(); ++k) {
    manual_seed(lab.seed());
    seq::Recurrent model(kinds[k], 2, hidden, 1);
    if (kinds[k] == "lstm") model.set_forget_bias(1.0);
    grads_init.push_back(model.hidden_grad_through_time(kit::rows(test, 0, 200).x, kit::rows(test, 0, 200).y));
    Generator gen(lab.seed());
    // --quick: the LSTM stops once solved (mean training loss of 20 steps under 0.01); the RNN gets every step.
    seq::TrainResult r = seq::train_regressor(
        model, steps, lr, [&] { return seq::adding_problem(batch, T, gen); },
        stop_lstm && kinds[k] == "lstm" ? 0.01 : 0.0);
    grads_end.push_back(model.hidden_grad_through_time(kit::rows(test, 0, 200).x, kit::rows(test, 0, 200).y));
    test_mse.push_back(seq::mse(model, test));
    secs.push_back(r.seconds);
    solved_at.push_back(seq::steps_to_reach(r.loss, 0.05));
    ran.push_back(static_cast<int64_t>(r.loss.size()));
    std::vector<double> smooth;
    double ema = r.loss[0];
    for (double l : r.loss) smooth.push_back(ema = 0.95 * ema + 0.05 * l);
    curves.push_back({names[k], kit::iota(smooth.size(), 1), smooth});
  }
  curves.push_back({"predict the mean (1/6)", {1, static_cast<double>(steps)}, {1.0 / 6, 1.0 / 6}, true});

  lab.heading("Learning the lag-" + std::to_string(T) + " adding problem");
  std::vector<std::vector<std::string>> rows;
  for (size_t k = 0; k < kinds.size(); ++k)
    rows.push_back({names[k], fmt(test_mse[k]), fmt(test_mse[k] / seq::kAddingBaselineMse),
                    solved_at[k] < 0 ? "never" : std::to_string(solved_at[k]), std::to_string(ran[k]),
                    fmt(secs[k], 2) + " s"});
  lab.table("held-out MSE on 1000 sequences",
            {"network", "test MSE", "/ baseline", "steps to loss < 0.05", "steps run", "time"}, rows);
  lab.line_plot({"Training loss (smoothed)", "step", "MSE", false, true}, curves);

  lab.heading("Gradient of the loss (last step) with respect to the hidden state h_t");
  std::vector<Series> gs;
  rows.clear();
  std::vector<double> ratio;
  for (size_t k = 0; k < kinds.size(); ++k) {
    const auto& g = grads_end[k];
    ratio.push_back(g.front() / g.back());
    gs.push_back({names[k] + ", trained", kit::iota(g.size()), g});
    gs.push_back({names[k] + ", at init", kit::iota(grads_init[k].size()), grads_init[k], true});
    rows.push_back({names[k], fmt(grads_init[k].front() / grads_init[k].back()), fmt(g.back()), fmt(g[T / 2]),
                    fmt(g.front()), fmt(ratio.back())});
  }
  lab.table("||dL/dh_t|| (mean over 200 test sequences) after training",
            {"network", "h_0 / h_T at init", "t = T-1", "t = T/2", "t = 0", "h_0 / h_T trained"}, rows);
  lab.line_plot({"Gradient norm through time", "time step t", "||dL/dh_t||", false, true}, gs);

  lab.claim("the LSTM solves the lag-50 adding problem (test MSE < 0.05, baseline 0.167)", test_mse[1] < 0.05,
            "LSTM MSE " + fmt(test_mse[1]));
  lab.claim("the plain RNN does not (test MSE stays above 0.6 x the baseline)",
            test_mse[0] > 0.6 * seq::kAddingBaselineMse, "RNN MSE " + fmt(test_mse[0]));
  std::vector<double> init_ratio;
  for (const auto& g : grads_init) init_ratio.push_back(g.front() / g.back());
  lab.note("At initialisation the RNN's gradient at h_0 is " + fmt(init_ratio[0]) +
           " of its gradient at the last state, the LSTM's " + fmt(init_ratio[1]) +
           ": from the first step of training the RNN gets almost no signal linking the output to the first "
           "marker. After training the RNN's profile differs from run to run (we measured h_0 / h_T from 1e-78 "
           "to 1e-4 over seeds 0-2 at full size, and up to 0.07 with more steps, its MSE at the baseline in every "
           "case); the comparison "
           "at initialisation is the one that held in every run.");
  lab.claim("at initialisation the gradient reaching h_0 (relative to h_T) is over 1000x larger in the LSTM",
            init_ratio[1] > 1000 * init_ratio[0],
            "h_0/h_T: LSTM " + fmt(init_ratio[1]) + ", RNN " + fmt(init_ratio[0]) + " = " +
                kit::times(init_ratio[1] / init_ratio[0]));
}

}  // namespace lstm_lab

Lab lab_lstm() {
  return {175,
          "lstm",
          "LSTM",
          "An LSTM adds a cell state that is carried from step to step by multiplication with a forget gate and "
          "addition of new input, instead of being squashed through a weight matrix and tanh each step. While the "
          "forget gate stays near 1, the gradient flows back along the cell almost unchanged, so the network can "
          "connect an output to an input many steps earlier, which a plain RNN's repeated Jacobians shrink away.",
          "the held-out MSE table: the LSTM falls far below the 0.167 of predicting the mean, the RNN stays there. "
          "Then the log-scale gradient plot: the trained RNN's dL/dh_t collapses within a few steps back from the "
          "end, while the trained LSTM's stays within about two orders of magnitude over all 50 steps.",
          lstm_lab::run};
}

}  // namespace strata::labs
