#include "golden_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace strata::testing {

GoldenReader GoldenReader::open(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  STRATA_CHECK(f.good(), "[golden] cannot open ", path);
  std::vector<char> data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return GoldenReader(path, std::move(data));
}

std::string GoldenReader::read_string() {
  auto n = read<uint32_t>();
  need(n, "a name");
  std::string s(data_.data() + pos_, n);
  pos_ += n;
  return s;
}

Tensor GoldenReader::read_tensor() {
  auto code = read<uint8_t>();
  if (code == 255) return Tensor();
  DType dt;
  switch (code) {
    case 0: dt = kFloat32; break;
    case 1: dt = kFloat64; break;
    case 2: dt = kInt64; break;
    case 3: dt = kBool; break;
    default: STRATA_FAIL("[golden] ", path_, " offset ", pos_ - 1, ": unknown dtype code ", int(code));
  }
  auto ndim = read<uint32_t>();
  STRATA_CHECK(ndim <= 16, "[golden] ", path_, " offset ", pos_ - 4, ": implausible ndim ", ndim);
  Shape shape;
  for (uint32_t i = 0; i < ndim; ++i) {
    auto s = read<int64_t>();
    STRATA_CHECK(s >= 0 && s < (int64_t{1} << 32), "[golden] ", path_, ": bad size ", s);
    shape.push_back(s);
  }
  Tensor t = empty(shape, TensorOptions(dt));
  size_t nbytes = static_cast<size_t>(t.numel()) * t.itemsize();
  need(nbytes, "tensor data");
  std::memcpy(t.raw_data(), data_.data() + pos_, nbytes);
  pos_ += nbytes;
  return t;
}

void GoldenReader::need(size_t n, const char* what) {
  STRATA_CHECK(pos_ + n <= data_.size(), "[golden] ", path_, " is truncated at offset ", pos_, " (reading ", what, ", ",
               n, " bytes)");
}

std::vector<GoldenRecord> read_golden_file(const std::string& path) {
  GoldenReader r = GoldenReader::open(path);
  char magic[8];
  for (char& c : magic) c = r.read<char>();
  STRATA_CHECK(std::memcmp(magic, "STRATAGD", 8) == 0, "[golden] ", path, " offset 0: bad magic");
  auto version = r.read<uint32_t>();
  STRATA_CHECK(version == 1, "[golden] ", path, ": unsupported version ", version);
  auto count = r.read<uint32_t>();
  std::vector<GoldenRecord> out;
  for (uint32_t i = 0; i < count; ++i) {
    GoldenRecord rec;
    rec.name = r.read_string();
    auto n = r.read<uint32_t>();
    for (uint32_t k = 0; k < n; ++k) rec.inputs.push_back(r.read_tensor());
    rec.output = r.read_tensor();
    rec.grad_output = r.read_tensor();
    for (uint32_t k = 0; k < n; ++k) rec.input_grads.push_back(r.read_tensor());
    out.push_back(std::move(rec));
  }
  STRATA_CHECK(r.done(), "[golden] ", path, ": trailing bytes after offset ", r.pos());
  return out;
}

std::vector<std::string> golden_files() {
  std::vector<std::string> files;
  std::filesystem::path dir = std::filesystem::path(STRATA_TEST_DATA_DIR) / "golden";
  if (!std::filesystem::exists(dir)) return files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".bin") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string golden_mismatch(const Tensor& got, const Tensor& want, double atol, double rtol) {
  if (!got.defined() || !want.defined()) return got.defined() == want.defined() ? "" : "one side undefined";
  if (got.shape() != want.shape()) return "shape " + got.shape().str() + " vs " + want.shape().str();
  const auto g = got.contiguous().to_vector<double>(), w = want.contiguous().to_vector<double>();
  for (size_t i = 0; i < g.size(); ++i) {
    if (!(std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i]))) {
      return "at " + std::to_string(i) + ": " + std::to_string(g[i]) + " vs PyTorch " + std::to_string(w[i]);
    }
  }
  return "";
}

}  // namespace strata::testing
