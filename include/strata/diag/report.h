#pragma once
// The training report: one self-contained HTML file (runs/<name>/report.html) with loss and metric curves, the
// learning rate, per-layer gradient flow, update ratios, activation statistics and histograms, dead and
// saturated fractions, the doctor's findings, the model summary, a confusion matrix, the LR-finder curve and
// the loss landscape. Plots are plain inline SVG made here (no scripts, fonts or styles from the network); a
// ten-line inline script only counts the plots for the browser self-check (body data-plots="with data/total").
//
//   io::Json data = io::Json::object();
//   data["title"] = "lenet";
//   data["epochs"] = io::Json::array({io::Json::object({{"epoch", 1}, {"loss", 0.61}, {"val_loss", 0.48}})});
//   diag::write_report(data, "runs/lenet/report.html");
//
// Input (an object; every key optional, every section whose keys are absent is left out; numbers may be null
// for non-finite values, which leave gaps in the plots):
//   "title", "subtitle": text
//   "epochs": [{"epoch": 1, "loss": .., "val_loss": .., "<metric>": .., "val_<metric>": .., "lr": ..}, ...]
//   "steps": {"step": [..], "loss": [..], "lr": [..]}
//   "layers": [{"name", "type", "step": [..], "grad_norm", "update_ratio", "weight_norm", "act_mean", "act_std",
//               "dead_fraction", "saturated_fraction": [..] (one per step), "histogram": {"edges", "counts"}}]
//   "findings": [{"id", "severity": "error"|"warning"|"info", "layers": [..], "evidence", "cause", "remedy",
//                 "step"}], "healthy_note": text shown when findings is present and empty
//   "summary": text (shown monospaced)
//   "confusion": {"classes": [..], "matrix": [[..], ..]}          (rows: true class, columns: predicted)
//   "lr_find": {"lr": [..], "loss": [..], "smoothed": [..], "suggested_lr": x}
//   "landscape": {"line": {"alpha": [..], "loss": [..]}, "surface": {"a": [nx], "b": [ny], "loss": [ny][nx]},
//                 "note": text}
//   "tradeoff": {"metric", "axis", "models": [{"metric", "params", "flops", "latency_b1_ms", "train_memory_bytes",
//                "front": {"params": bool, ...}}]}   (strata tradeoff's results.json: a scatter per cost, front joined)
//   "lab": {"concept", "look_at": text, "claims": [{"text", "holds": bool, "measured"}], "seconds",
//           "blocks": [{"type": "heading"|"text", "text"} | {"type": "value", "name", "text"} |
//                      {"type": "table", "title", "columns": [..], "rows": [[..], ..]} |
//                      {"type": "line", "title", "x_label", "y_label", "log_x", "log_y",
//                       "series": [{"name", "x", "y", "dashed", "markers_only"}]} |
//                      {"type": "bar", ..., "labels": [..], "values": [..]} |
//                      {"type": "heatmap", ..., "z": [[..], ..], "values": bool, "col_labels", "row_labels"}]}
//           (a concept lab's page, labs/lab.h: the idea, the claims and the experiment's blocks in order)
// A value of the wrong type (a string where a list belongs) is a strata::Error naming the key.
#include <string>

#include "strata/io/json.h"

namespace strata::diag {

// The report's HTML text.
std::string render_report(const io::Json& data);

// render_report, written atomically to `path` (io::AtomicFile): a reader never sees half a report.
void write_report(const io::Json& data, const std::string& path);

}  // namespace strata::diag
