// safetensors: round trips, the byte layout, PyTorch-written golden files, and every validation rule.
#include "strata/io/safetensors.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "io_test_util.h"
#include "strata/io/json.h"
#include "strata/ops/creation.h"
#include "strata/ops/elementwise.h"
#include "strata/ops/linalg.h"

namespace strata::io {
namespace {

using test::error_of;
using ::testing::HasSubstr;

std::string raw_bytes(const Tensor& t) {
  Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()), static_cast<size_t>(c.numel()) * c.itemsize());
}

void expect_same_tensor(const Tensor& a, const Tensor& b, const std::string& name) {
  ASSERT_TRUE(a.defined() && b.defined()) << name;
  EXPECT_EQ(a.dtype(), b.dtype()) << name;
  EXPECT_EQ(a.shape(), b.shape()) << name;
  EXPECT_EQ(raw_bytes(a), raw_bytes(b)) << name;
}

// A safetensors file from a header text and a data section.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

// The Strata-written golden file's contents; tests/golden/make_golden_io.py builds the same tensors in torch.
nn::StateDict strata_golden_state() {
  nn::StateDict sd;
  // Written from a transposed (non-contiguous) view: values [[-1, 0, 1], [-0.5, 0.5, 1.5]].
  sd.insert("layers.0.weight", sub(mul(arange(6.0).reshape({3, 2}), 0.5), 1.0).t());
  sd.insert("layers.0.bias", from_vector<double>({0.1, -0.2}));
  sd.insert("steps", scalar_tensor(123456789012345.0, TensorOptions(kInt64)));
  sd.insert("flags", from_vector<bool>({true, false, true}));
  sd.insert("h", from_vector<float>({1.5f, -0.25f}).to(kFloat16));
  sd.insert("b", from_vector<float>({3.0f, -0.125f}).to(kBFloat16));
  sd.insert("empty", zeros({0}));
  return sd;
}

const Metadata kStrataGoldenMeta = {{"producer", "strata"}, {"note", "golden \"quoted\" \xE2\x82\xAC"}};

std::string golden_path(const std::string& name) { return std::string(STRATA_TEST_DATA_DIR) + "/golden/" + name; }

TEST(Safetensors, RoundTripsEveryDtypeAndLayout) {
  test::ScratchDir dir;
  nn::StateDict sd;
  sd.insert("w", randn({3, 4}).t());  // non-contiguous
  sd.insert("d", randn({2, 3}, TensorOptions(kFloat64)));
  sd.insert("i", from_vector<int64_t>({-(1LL << 62), -1, 0, (1LL << 62) + 1}));
  sd.insert("m", from_vector<bool>({true, false, false, true, true, false}, Shape{2, 3}));
  sd.insert("h", randn({5}).to(kFloat16));
  sd.insert("bf", randn({2, 2}).to(kBFloat16));
  sd.insert("scalar", full({}, 42.5));
  sd.insert("empty", zeros({0, 2}));
  sd.insert("sliced", arange(20.0).reshape({4, 5}).slice(1, 1, 4));
  const Metadata meta = {{"format", "pt"}, {"k\"ey", "v\nal\xC3\xA9"}};
  save_safetensors(dir.file("a.safetensors"), sd, meta);
  EXPECT_FALSE(std::filesystem::exists(dir.file("a.safetensors.tmp." + std::to_string(::getpid()))));

  const SafetensorsFile f = load_safetensors(dir.file("a.safetensors"));
  EXPECT_EQ(f.metadata, meta);
  ASSERT_EQ(f.tensors.size(), sd.size());
  size_t i = 0;
  for (const auto& [name, t] : sd) {
    EXPECT_EQ(f.tensors.items()[i++].first, name);  // file order = insertion order
    expect_same_tensor(f.tensors.at(name), t, name);
    EXPECT_TRUE(f.tensors.at(name).is_contiguous());
  }
  EXPECT_EQ(f.tensors.at("sliced").to_vector<float>(), (std::vector<float>{1, 2, 3, 6, 7, 8, 11, 12, 13, 16, 17, 18}));

  // Overwriting an existing file replaces it.
  nn::StateDict small;
  small.insert("x", full({2}, 7.0));
  save_safetensors(dir.file("a.safetensors"), small);
  const SafetensorsFile g = load_safetensors(dir.file("a.safetensors"));
  EXPECT_TRUE(g.metadata.empty());
  ASSERT_EQ(g.tensors.size(), 1u);
  EXPECT_EQ(g.tensors.at("x").to_vector<float>(), (std::vector<float>{7, 7}));
}

TEST(Safetensors, WritesTheSpecifiedLayout) {
  test::ScratchDir dir;
  nn::StateDict sd;
  sd.insert("a", from_vector<float>({1.0f, -2.0f}));
  sd.insert("b", from_vector<int64_t>({5}, Shape{1, 1}));
  save_safetensors(dir.file("x.safetensors"), sd, {{"m", "v"}});
  const std::string bytes = test::read_bytes(dir.file("x.safetensors"));
  // The checksums are zlib CRC-32s of the tensors' bytes (values from Python's zlib.crc32).
  const std::string header = R"({"__metadata__":{"m":"v","strata.crc32":"{\"a\":\"c3872656\",\"b\":\"2dc2d10d\"}"},)"
                             R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"I64","shape":[1,1],"data_offsets":[8,16]}})";
  const size_t padded = (header.size() + 7) / 8 * 8;
  ASSERT_EQ(bytes.size(), 8 + padded + 16);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  EXPECT_EQ(n, padded);
  EXPECT_EQ(bytes.substr(8, header.size()), header);
  EXPECT_EQ(bytes.substr(8 + header.size(), padded - header.size()), std::string(padded - header.size(), ' '));
  const float a[2] = {1.0f, -2.0f};
  const int64_t b = 5;
  EXPECT_EQ(bytes.substr(8 + padded, 8), std::string(reinterpret_cast<const char*>(a), 8));
  EXPECT_EQ(bytes.substr(8 + padded + 8, 8), std::string(reinterpret_cast<const char*>(&b), 8));
}

TEST(Safetensors, RejectsUnsavableInput) {
  test::ScratchDir dir;
  nn::StateDict sd;
  sd.insert("__metadata__", zeros({1}));
  EXPECT_THAT(error_of([&] { save_safetensors(dir.file("m.safetensors"), sd); }), HasSubstr("__metadata__"));
  nn::StateDict undef;
  undef.insert("u", Tensor());
  EXPECT_THAT(error_of([&] { save_safetensors(dir.file("u.safetensors"), undef); }),
              HasSubstr("tensor \"u\": undefined tensor"));
  nn::StateDict ok;
  ok.insert("x", zeros({2}));
  EXPECT_THAT(error_of([&] { save_safetensors(dir.file("no/such/dir/x.safetensors"), ok); }),
              HasSubstr("cannot create the temporary file"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.safetensors")));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // no temporary files left behind
}

// A file written by PyTorch tensors (tests/golden/make_golden_io.py; header keys sorted, data ordered by
// dtype size then name, as the reference writer does) loads with the same values, and the Linear layer it
// holds gives torch's output.
TEST(Safetensors, LoadsTorchWrittenGolden) {
  const SafetensorsFile f = load_safetensors(golden_path("io_torch.safetensors"));
  EXPECT_EQ(f.metadata.at("format"), "pt");
  EXPECT_EQ(f.metadata.at("producer"), "make_golden_io.py");
  const auto& t = f.tensors;
  EXPECT_EQ(t.size(), 14u);
  const Tensor w = t.at("fc.weight"), b = t.at("fc.bias"), x = t.at("input"), y = t.at("output");
  EXPECT_EQ(w.shape(), (Shape{3, 4}));
  EXPECT_EQ(w.dtype(), kFloat32);
  const Tensor ours = add(matmul(x, w.t()), b);
  const auto got = ours.to_vector<float>(), want = y.to_vector<float>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;

  EXPECT_EQ(t.at("ramp").to_vector<float>(), (std::vector<float>{-1, -0.75, -0.5, -0.25, 0, 0.25}));
  EXPECT_EQ(t.at("ramp").shape(), (Shape{2, 3}));
  EXPECT_EQ(t.at("f64").to_vector<double>(), (std::vector<double>{0.1, -2.5, 1e-300, 3.0}));
  EXPECT_EQ(t.at("i64").to_vector<int64_t>(), (std::vector<int64_t>{-(1LL << 62), -1, 0, (1LL << 62) + 1}));
  EXPECT_EQ(t.at("mask").dtype(), kBool);
  EXPECT_EQ(t.at("mask").to_vector<bool>(), (std::vector<bool>{true, false, true, false, false, true}));
  EXPECT_EQ(t.at("half").dtype(), kFloat16);
  EXPECT_EQ(t.at("half").to(kFloat32).to_vector<float>(), t.at("half_as_f32").to_vector<float>());
  EXPECT_EQ(t.at("bf16").dtype(), kBFloat16);
  EXPECT_EQ(t.at("bf16").to(kFloat32).to_vector<float>(), t.at("bf16_as_f32").to_vector<float>());
  EXPECT_EQ(t.at("scalar").dim(), 0);
  EXPECT_EQ(t.at("scalar").item(), 42.5);
  EXPECT_EQ(t.at("empty").shape(), (Shape{0, 2}));
}

// The committed Strata-written file (read by tests/golden/make_golden_io.py, which checks it against
// torch tensors) is what the writer produces today. STRATA_UPDATE_GOLDEN=1 rewrites it.
TEST(Safetensors, StrataWrittenGoldenIsCurrent) {
  const std::string path = golden_path("io_strata.safetensors");
  if (std::getenv("STRATA_UPDATE_GOLDEN")) save_safetensors(path, strata_golden_state(), kStrataGoldenMeta);
  test::ScratchDir dir;
  save_safetensors(dir.file("s.safetensors"), strata_golden_state(), kStrataGoldenMeta);
  EXPECT_EQ(test::read_bytes(dir.file("s.safetensors")), test::read_bytes(path))
      << "rerun with STRATA_UPDATE_GOLDEN=1 and then tests/golden/make_golden_io.py";
  const SafetensorsFile f = load_safetensors(path);
  EXPECT_EQ(f.metadata, kStrataGoldenMeta);
  for (const auto& [name, t] : strata_golden_state()) expect_same_tensor(f.tensors.at(name), t, name);
}

// ---- malformed files: each is a strata::Error naming the file, the tensor and the problem ----

class SafetensorsMalformed : public ::testing::Test {
 protected:
  std::string load_error(const std::string& bytes) {
    const std::string path = dir_.file("bad.safetensors");
    test::write_bytes(path, bytes);
    const std::string msg = error_of([&] { load_safetensors(path); });
    EXPECT_THAT(msg, HasSubstr(path));
    return msg;
  }
  std::string header_error(const std::string& header, size_t data_bytes) {
    return load_error(make_file(header, std::string(data_bytes, '\x01')));
  }
  test::ScratchDir dir_;
};

TEST_F(SafetensorsMalformed, ShorterThanEightBytes) {
  EXPECT_THAT(load_error(""), HasSubstr("file too short"));
  EXPECT_THAT(load_error("abc"), HasSubstr("file too short"));
  EXPECT_THAT(load_error(std::string(7, '\0')), HasSubstr("(7 bytes, need 8)"));
}

TEST_F(SafetensorsMalformed, HeaderLengthBeyondTheFile) {
  std::string f = make_file("{}", "");
  f[0] = 3;  // claims 3 bytes, has 2
  EXPECT_THAT(load_error(f), HasSubstr("header length 3 runs past the end of the file (10 bytes)"));
  EXPECT_THAT(load_error(std::string(8, '\xFF') + "{}"), HasSubstr("runs past the end of the file"));
  std::string huge(8, '\0');
  huge[7] = '\x40';  // 2^62
  EXPECT_THAT(load_error(huge), HasSubstr("runs past the end"));
  EXPECT_THAT(load_error(make_file("", "")), HasSubstr("too short for a JSON object"));
}

TEST_F(SafetensorsMalformed, MalformedJson) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", )", 0), HasSubstr("(safetensors header):1:24 (byte 23)"));
  EXPECT_THAT(header_error("{\"a\": 1} trailing", 0), HasSubstr("after the JSON value"));
  EXPECT_THAT(header_error("[1, 2]", 0), HasSubstr("the header must be a JSON object, got array"));
  EXPECT_THAT(header_error(std::string(300, '[') + std::string(300, ']'), 0), HasSubstr("nesting deeper"));
  EXPECT_THAT(header_error(R"({"a": 5})", 0), HasSubstr("tensor \"a\": expected an object"));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1]}})", 4),
              HasSubstr("tensor \"a\": missing field \"data_offsets\""));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 1}})", 4),
              HasSubstr("tensor \"a\": unexpected field \"x\""));
  EXPECT_THAT(header_error(R"({"a": {"dtype": 1, "shape": [1], "data_offsets": [0, 4]}})", 4),
              HasSubstr("tensor \"a\": dtype must be a string"));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": 1, "data_offsets": [0, 4]}})", 4),
              HasSubstr("tensor \"a\": shape must be an array"));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})", 4),
              HasSubstr("tensor \"a\": data_offsets must be two integers"));
  EXPECT_THAT(header_error(R"({"__metadata__": {"k": 1}})", 0), HasSubstr("__metadata__ value \"k\" must be a string"));
  EXPECT_THAT(header_error(R"({"__metadata__": [1]})", 0), HasSubstr("__metadata__ must be an object"));
}

TEST_F(SafetensorsMalformed, UnknownDtype) {
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}})", 4),
              HasSubstr("tensor \"w\": unknown dtype \"F99\""));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}})", 4),
              HasSubstr("tensor \"w\": dtype I32 is not supported"));
}

TEST_F(SafetensorsMalformed, ShapeDoesNotMatchByteCount) {
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}})", 12),
              HasSubstr("tensor \"w\": shape [2,2] x 4 bytes (F32) = 16 bytes, but data_offsets [0,12] hold 12 bytes"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "BF16", "shape": [], "data_offsets": [0, 4]}})", 4),
              HasSubstr("= 2 bytes, but data_offsets [0,4] hold 4 bytes"));
}

TEST_F(SafetensorsMalformed, NegativeHugeAndNonIntegerDims) {
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}})", 8),
              HasSubstr("tensor \"w\": shape [-1,2] has a negative dim"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 8]}})", 8),
              HasSubstr("tensor \"w\": shape [4611686018427387904,4] has more elements than fit in int64"));
  // numel fits in int64 but numel * itemsize overflows.
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F64", "shape": [4611686018427387904], "data_offsets": [0, 8]}})", 8),
              HasSubstr("tensor \"w\": shape [4611686018427387904] is too large"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})", 8),
              HasSubstr("has a non-integer dim 2.5"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [1e30], "data_offsets": [0, 8]}})", 8),
              HasSubstr("has a non-integer dim"));
  // Zero-sized dims are fine.
  test::write_bytes(dir_.file("ok.safetensors"),
                    make_file(R"({"w": {"dtype": "F32", "shape": [0, 1000000000000], "data_offsets": [0, 0]}})", ""));
  EXPECT_EQ(load_safetensors(dir_.file("ok.safetensors")).tensors.at("w").numel(), 0);
}

TEST_F(SafetensorsMalformed, OffsetsOutOfBounds) {
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8),
              HasSubstr("tensor \"w\": data_offsets [0,16] run past the data section (8 bytes)"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})", 8),
              HasSubstr("tensor \"w\": data_offsets [8,4] end before they begin"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", 8),
              HasSubstr("tensor \"w\": negative data_offsets"));
  EXPECT_THAT(header_error(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 1e40]}})", 8),
              HasSubstr("data_offsets must be two integers"));
  EXPECT_THAT(
      header_error(
          R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551612, 18446744073709551616]}})", 8),
      HasSubstr("data_offsets must be two integers"));
}

TEST_F(SafetensorsMalformed, OverlappingData) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                           R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                           12),
              HasSubstr("tensor \"b\": data [4, 12) overlaps tensor \"a\" [0, 8)"));
  // The same region twice.
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                           R"( "b": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})",
                           8),
              HasSubstr("overlaps tensor"));
}

TEST_F(SafetensorsMalformed, HolesAndUncoveredBytes) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                           R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                           12),
              HasSubstr("tensor \"b\": data starts at 8 but the previous tensor \"a\" ends at 4 (a hole of 4 bytes"));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", 8),
              HasSubstr("tensor \"a\": data starts at 4 but the previous tensor ends at 0"));
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", 8),
              HasSubstr("the tensors cover 4 bytes of the 8-byte data section (4 trailing bytes"));
  EXPECT_THAT(header_error("{}", 3), HasSubstr("cover 0 bytes of the 3-byte data section"));
}

TEST_F(SafetensorsMalformed, DuplicateKeys) {
  EXPECT_THAT(header_error(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                           R"( "a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                           8),
              HasSubstr("duplicate key \"a\""));
}

TEST_F(SafetensorsMalformed, BoolBytesMustBeZeroOrOne) {
  EXPECT_THAT(load_error(make_file(R"({"m": {"dtype": "BOOL", "shape": [3], "data_offsets": [0, 3]}})",
                                   std::string("\x01\x00\x02", 3))),
              HasSubstr("tensor \"m\": BOOL element 2 has byte value 2"));
}

TEST_F(SafetensorsMalformed, MissingFile) {
  EXPECT_THAT(error_of([&] { load_safetensors(dir_.file("nope.safetensors")); }), HasSubstr("cannot open"));
  EXPECT_THAT(error_of([&] { load_safetensors(dir_.path()); }), HasSubstr("not a regular file"));
}

// Every truncation of a valid file is an error, and corrupting any header byte is either still a valid
// file or an error: never a crash or an out-of-bounds read (run under ASan with STRATA_SANITIZE=ON).
TEST_F(SafetensorsMalformed, TruncationsAndCorruptionsNeverCrash) {
  nn::StateDict sd;
  sd.insert("a", from_vector<float>({1, 2, 3}));
  sd.insert("m", from_vector<bool>({true, false}));
  sd.insert("i", from_vector<int64_t>({7}, Shape{1, 1}));
  const std::string good_path = dir_.file("good.safetensors");
  save_safetensors(good_path, sd, {{"k", "v"}});
  const std::string good = test::read_bytes(good_path);
  const std::string path = dir_.file("cut.safetensors");
  for (size_t n = 0; n < good.size(); ++n) {
    test::write_bytes(path, good.substr(0, n));
    EXPECT_THROW(load_safetensors(path), strata::Error) << "truncated to " << n;
  }
  uint64_t header_len = 0;
  for (int i = 0; i < 8; ++i) header_len |= static_cast<uint64_t>(static_cast<unsigned char>(good[i])) << (8 * i);
  const size_t header_end = 8 + static_cast<size_t>(header_len);
  for (size_t pos = 0; pos < header_end; ++pos) {
    for (unsigned char v : {0x00, 0x22, 0x30, 0x39, 0x5b, 0x7d, 0xff}) {
      std::string bad = good;
      bad[pos] = static_cast<char>(v);
      test::write_bytes(path, bad);
      try {
        load_safetensors(path);
      } catch (const strata::Error&) {
      }
    }
  }
}

}  // namespace
}  // namespace strata::io
