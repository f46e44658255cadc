#include "strata/diag/profiler.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "strata/core/error.h"
#include "strata/core/profile.h"

namespace strata::diag {

namespace {

struct Stat {
  int64_t calls = 0;
  int64_t ns = 0;
};

struct SvHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using StatMap = std::unordered_map<std::string, Stat, SvHash, std::equal_to<>>;
constexpr size_t kKinds = 4;  // profile::Kind values

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

struct Profiler::State final : profile::Collector {
  ProfilerOptions options;
  std::array<StatMap, kKinds> stats;
  int64_t steps = 0;  // in the window (or in the warm-up while warming)
  bool warming = false;
  bool closed = false;
  int64_t start_ns = 0, end_ns = 0;
  profile::Collector* prev = nullptr;

  void open() {
    for (StatMap& m : stats) m.clear();
    steps = 0;
    closed = false;
    start_ns = profile::now_ns();
  }

  void add(profile::Kind kind, std::string_view name, int64_t ns) override {
    if (closed) return;
    if (!warming) {
      StatMap& m = stats[static_cast<size_t>(kind)];
      auto it = m.find(name);
      if (it == m.end()) it = m.emplace(std::string(name), Stat{}).first;
      ++it->second.calls;
      it->second.ns += ns;
    }
    if (kind != profile::Kind::Optimizer) return;
    ++steps;
    if (warming) {
      if (steps >= options.warmup_steps) {
        warming = false;
        open();
      }
    } else if (options.max_steps > 0 && steps >= options.max_steps) {
      closed = true;
      end_ns = profile::now_ns();
    }
  }
};

Profiler::Profiler(ProfilerOptions options) : state_(std::make_unique<State>()) {
  STRATA_CHECK(!profiler_active(), "[Profiler] a Profiler is already active on this thread (they do not nest)");
  STRATA_CHECK(options.warmup_steps >= 0, "[Profiler] warmup_steps must be >= 0, got ", options.warmup_steps);
  STRATA_CHECK(options.max_steps >= 0, "[Profiler] max_steps must be >= 0, got ", options.max_steps);
  state_->options = options;
  state_->open();
  state_->warming = options.warmup_steps > 0;
  state_->prev = profile::install(state_.get());
}

Profiler::~Profiler() { profile::install(state_->prev); }

void Profiler::reset() {
  state_->warming = false;
  state_->open();
}

bool profiler_active() { return dynamic_cast<Profiler::State*>(profile::active()) != nullptr; }

Profile Profiler::result() const {
  const State& s = *state_;
  Profile p;
  p.steps = s.steps;
  if (s.warming) return p;  // the window has not opened yet
  const int64_t end = s.closed ? s.end_ns : profile::now_ns();
  p.wall_ms = static_cast<double>(end - s.start_ns) * 1e-6;
  auto pct = [&](double ms) { return p.wall_ms > 0 ? 100.0 * ms / p.wall_ms : 0.0; };
  double rows_ms = 0;
  for (size_t k = 0; k < kKinds; ++k) {
    const auto kind = static_cast<profile::Kind>(k);
    for (const auto& [name, st] : s.stats[k]) {
      ProfileRow r{profile::kind_name(kind), name, st.calls, static_cast<double>(st.ns) * 1e-6, 0.0};
      r.percent = pct(r.total_ms);
      if (kind == profile::Kind::Phase) {
        p.phases.push_back(std::move(r));
      } else {
        rows_ms += r.total_ms;
        p.rows.push_back(std::move(r));
      }
    }
  }
  const double rest = std::max(0.0, p.wall_ms - rows_ms);
  p.rows.push_back(ProfileRow{"other", "(outside any row)", 0, rest, pct(rest)});
  auto by_total = [](const ProfileRow& a, const ProfileRow& b) {
    return a.total_ms != b.total_ms ? a.total_ms > b.total_ms : a.name < b.name;
  };
  std::sort(p.rows.begin(), p.rows.end(), by_total);
  std::sort(p.phases.begin(), p.phases.end(), by_total);
  return p;
}

std::string Profile::table(int64_t top) const {
  std::string out = "Profile: " + std::to_string(steps) + " steps, " + fmt("%.1f", wall_ms) + " ms";
  if (steps > 0) out += " (" + fmt("%.2f", step_ms()) + " ms/step)";
  out += "; forward rows are op self time, backward rows one autograd node each\n";
  char line[256];
  auto print = [&](const ProfileRow& r) {
    std::snprintf(line, sizeof line, "  %-9s  %-30s %8lld %10.2f %9.4f %6.1f%%\n", r.kind.c_str(), r.name.c_str(),
                  static_cast<long long>(r.calls), r.total_ms, r.ms_per_call(), r.percent);
    out += line;
  };
  std::snprintf(line, sizeof line, "  %-9s  %-30s %8s %10s %9s %7s\n", "kind", "name", "calls", "total ms", "ms/call",
                "% time");
  out += line;
  ProfileRow rest{"", "(other rows)", 0, 0, 0};
  for (size_t i = 0; i < rows.size(); ++i) {
    if (top > 0 && static_cast<int64_t>(i) >= top) {
      rest.calls += rows[i].calls;
      rest.total_ms += rows[i].total_ms;
      rest.percent += rows[i].percent;
    } else {
      print(rows[i]);
    }
  }
  if (rest.total_ms > 0 || rest.calls > 0) print(rest);
  if (!phases.empty()) {
    out += "Phases (inclusive; they overlap the rows above):\n";
    for (const ProfileRow& r : phases) print(r);
  }
  return out;
}

io::Json Profile::to_json() const {
  auto rows_json = [](const std::vector<ProfileRow>& v) {
    io::Json a = io::Json::array();
    for (const ProfileRow& r : v) {
      a.push_back(io::Json::object({{"kind", r.kind},
                                    {"name", r.name},
                                    {"calls", r.calls},
                                    {"total_ms", r.total_ms},
                                    {"ms_per_call", r.ms_per_call()},
                                    {"percent", r.percent}}));
    }
    return a;
  };
  return io::Json::object({{"steps", steps},
                           {"wall_ms", wall_ms},
                           {"step_ms", step_ms()},
                           {"rows", rows_json(rows)},
                           {"phases", rows_json(phases)}});
}

}  // namespace strata::diag
