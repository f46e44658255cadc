#include "strata/core/generator.h"

#include <cmath>
#include <numbers>
#include <sstream>

#include "strata/core/error.h"

namespace strata {

Generator::Generator(uint64_t seed) { manual_seed(seed); }

void Generator::manual_seed(uint64_t seed) {
  seed_ = seed;
  engine_.seed(static_cast<uint32_t>(seed & 0xffffffffu));
  has_next_normal_ = false;
}

uint32_t Generator::random() { return static_cast<uint32_t>(engine_()); }

uint64_t Generator::random64() {
  uint64_t hi = random();
  uint64_t lo = random();
  return (hi << 32) | lo;
}

float Generator::uniform_float() {
  return static_cast<float>(random() & ((1u << 24) - 1)) * (1.0f / static_cast<float>(1u << 24));
}

double Generator::uniform_double() {
  return static_cast<double>(random64() & ((uint64_t{1} << 53) - 1)) * (1.0 / static_cast<double>(uint64_t{1} << 53));
}

double Generator::normal_double() {
  if (has_next_normal_) {
    has_next_normal_ = false;
    return next_normal_;
  }
  double u1 = uniform_double();
  double u2 = uniform_double();
  double r = std::sqrt(-2.0 * std::log(1.0 - u2));
  double theta = 2.0 * std::numbers::pi * u1;
  next_normal_ = r * std::sin(theta);
  has_next_normal_ = true;
  return r * std::cos(theta);
}

std::string Generator::get_state() const {
  std::ostringstream os;
  os << seed_ << ' ' << has_next_normal_ << ' ';
  os.precision(17);
  os << next_normal_ << ' ' << engine_;
  return os.str();
}

void Generator::set_state(const std::string& state) {
  std::istringstream is(state);
  uint64_t seed = 0;
  bool has = false;
  double next = 0;
  std::mt19937 eng;
  is >> seed >> has >> next >> eng;
  STRATA_CHECK(!is.fail(), "[Generator::set_state] malformed generator state (", state.size(), " bytes)");
  seed_ = seed;
  has_next_normal_ = has;
  next_normal_ = next;
  engine_ = eng;
}

Generator& default_generator() {
  static Generator gen;
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace strata
