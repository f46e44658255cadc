// Integrity of the files Strata writes: per-tensor CRC-32 checksums in safetensors metadata (checked on load),
// and the removal of temporary files that killed writers left behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "io_test_util.h"
#include "strata/core/tensor.h"
#include "strata/io/atomic_file.h"
#include "strata/io/checkpoint.h"
#include "strata/io/json.h"
#include "strata/io/safetensors.h"
#include "strata/ops/creation.h"

using namespace strata;
using namespace strata::io;
using strata::testing::error_of;
using ::testing::HasSubstr;

namespace {

Tensor ramp(std::vector<int64_t> shape, float start) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + 0.25f * static_cast<float>(i);
  return from_vector(v, Shape(shape.data(), shape.size()));
}

// The byte offset in the file of tensor `name`'s data, from the file's own header.
uint64_t data_offset(const std::string& path, const std::string& name) {
  const std::string bytes = test::read_bytes(path);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  const Json header = parse_json(bytes.substr(8, n), path);
  return 8 + n + static_cast<uint64_t>(header.at(name).at("data_offsets").at(size_t{0}).as_int());
}

void flip_bit(const std::string& path, uint64_t offset, int bit) {
  std::string bytes = test::read_bytes(path);
  bytes[offset] = static_cast<char>(bytes[offset] ^ (1 << bit));
  test::write_bytes(path, bytes);
}

// A pid that no longer exists: a child that has exited and been reaped.
long dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  return static_cast<long>(child);
}

Checkpoint small_checkpoint() {
  Checkpoint c;
  c.model.insert("fc.weight", ramp({3, 4}, -1.0f));
  c.model.insert("fc.bias", ramp({3}, 0.5f));
  c.optimizer_tensors.insert("state.0.exp_avg", ramp({3, 4}, 2.0f));
  c.epoch = 3;
  c.step = 30;
  return c;
}

}  // namespace

TEST(Checksums, RoundTripStoresOneChecksumPerTensorAndHidesTheKey) {
  test::ScratchDir dir;
  const std::string path = dir.file("w.safetensors");
  nn::StateDict sd;
  sd.insert("a", ramp({2, 3}, 0.0f));
  sd.insert("b", ramp({5}, 1.0f));
  sd.insert("empty", zeros(Shape{0, 2}));
  const Metadata meta{{"format", "pt"}, {"run", "x"}};
  save_safetensors(path, sd, meta);

  // Stored as one string of JSON in __metadata__ (str -> str, as PyTorch's safetensors requires).
  const std::string bytes = test::read_bytes(path);
  EXPECT_THAT(bytes, HasSubstr("\"strata.crc32\":\"{"));
  const SafetensorsFile f = load_safetensors(path);
  EXPECT_EQ(f.metadata, meta);  // the checksum key is the reader's business, not the caller's
  ASSERT_EQ(f.tensors.size(), 3u);
  EXPECT_EQ(f.tensors.at("a").to_vector<float>(), sd.at("a").to_vector<float>());
  EXPECT_EQ(f.tensors.at("b").to_vector<float>(), sd.at("b").to_vector<float>());
  // The caller cannot set the reserved key.
  EXPECT_THAT(error_of([&] {
                save_safetensors(dir.file("r.safetensors"), sd, {{kChecksumKey, "{}"}});
              }),
              HasSubstr("reserved"));
}

TEST(Checksums, FlippedBitInCheckpointDataNamesTheTensor) {
  test::ScratchDir dir;
  const std::string path = dir.file("checkpoint.safetensors");
  save_checkpoint(path, small_checkpoint());
  EXPECT_EQ(load_checkpoint(path).epoch, 3);
  for (const std::string name : {"model.fc.bias", "optimizer.state.0.exp_avg"}) {
    save_checkpoint(path, small_checkpoint());
    flip_bit(path, data_offset(path, name) + 1, 3);  // a mantissa bit: the value stays finite and plausible
    const std::string msg = error_of([&] { load_checkpoint(path); });
    EXPECT_THAT(msg, HasSubstr(path)) << msg;
    EXPECT_THAT(msg, HasSubstr("\"" + name + "\"")) << msg;
    EXPECT_THAT(msg, HasSubstr("checksum mismatch")) << msg;
  }
}

TEST(Checksums, RawEntriesAreCheckedToo) {
  test::ScratchDir dir;
  const std::string path = dir.file("q.safetensors");
  nn::StateDict sd;
  sd.insert("scale", ramp({2}, 1.0f));
  RawTensors raw{{"w.int8", RawTensor{"I8", {2, 2}, {1, 2, 3, 4}}}};
  save_safetensors(path, sd, {}, raw);
  EXPECT_EQ(load_safetensors(path, true).raw.at(0).second.bytes, (std::vector<uint8_t>{1, 2, 3, 4}));
  flip_bit(path, data_offset(path, "w.int8") + 2, 0);
  EXPECT_THAT(error_of([&] { load_safetensors(path, true); }), HasSubstr("tensor \"w.int8\": checksum mismatch"));
}

// Files written elsewhere (PyTorch) have no checksums and load as before; a checksum list that does not match the
// tensors (a name changed by corruption) is an error.
TEST(Checksums, FilesWithoutChecksumsLoadAndMismatchedListsFail) {
  test::ScratchDir dir;
  auto write_file = [&](const std::string& name, const std::string& header) {
    std::string h = header;
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(h.size() >> (8 * i));
    const float v[2] = {1.5f, -2.0f};
    bytes += h + std::string(reinterpret_cast<const char*>(v), sizeof v);
    test::write_bytes(dir.file(name), bytes);
    return dir.file(name);
  };
  const std::string plain =
      write_file("plain.safetensors", R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],)"
                                      R"("data_offsets":[0,8]}})");
  const SafetensorsFile f = load_safetensors(plain);
  EXPECT_EQ(f.tensors.at("a").to_vector<float>(), (std::vector<float>{1.5f, -2.0f}));
  EXPECT_EQ(f.metadata.at("format"), "pt");

  // A list that names a tensor the file lacks, and a wrong checksum.
  const std::string other =
      write_file("other.safetensors", R"({"__metadata__":{"strata.crc32":"{\"b\":\"00000000\"}"},"a":{"dtype":"F32",)"
                                      R"("shape":[2],"data_offsets":[0,8]}})");
  EXPECT_THAT(error_of([&] { load_safetensors(other); }), HasSubstr("checksum for tensor \"b\""));
  const std::string bad =
      write_file("bad.safetensors", R"({"__metadata__":{"strata.crc32":"{\"a\":\"00000000\"}"},"a":{"dtype":"F32",)"
                                    R"("shape":[2],"data_offsets":[0,8]}})");
  EXPECT_THAT(error_of([&] { load_safetensors(bad); }), HasSubstr("tensor \"a\": checksum mismatch"));
}

TEST(StaleTempFiles, RemovesDeadWritersTempFilesOnly) {
  test::ScratchDir dir;
  const std::string target = dir.file("model.safetensors");
  const std::string dead = target + ".tmp." + std::to_string(dead_pid());
  const std::string live_other = target + ".tmp." + std::to_string(static_cast<long>(::getppid()));
  const std::string live_self = target + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  const std::string not_a_pid = target + ".tmp.12ab";
  const std::string other_target = dir.file("init.safetensors.tmp." + std::to_string(dead_pid()));
  for (const auto& p : {dead, live_other, live_self, not_a_pid, other_target}) test::write_bytes(p, "partial");

  EXPECT_EQ(remove_stale_temp_files(target), 1);
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live_other));
  EXPECT_TRUE(std::filesystem::exists(live_self));
  EXPECT_TRUE(std::filesystem::exists(not_a_pid));
  EXPECT_TRUE(std::filesystem::exists(other_target));  // another target's leftovers wait for its own writer
  EXPECT_EQ(remove_stale_temp_files(target), 0);
}

TEST(StaleTempFiles, AnAtomicFileForTheTargetRemovesThem) {
  test::ScratchDir dir;
  const std::string target = dir.file("checkpoint.safetensors");
  const std::string dead = target + ".tmp." + std::to_string(dead_pid());
  const std::string live = target + ".tmp." + std::to_string(static_cast<long>(::getppid()));
  test::write_bytes(dead, "partial");
  test::write_bytes(live, "partial");
  save_checkpoint(target, small_checkpoint());
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_EQ(load_checkpoint(target).step, 30);
}

TEST(LatestCheckpoint, NewestValidOneWins) {
  test::ScratchDir dir;
  EXPECT_EQ(find_latest_checkpoint(dir.path()), "");
  Checkpoint c = small_checkpoint();
  save_checkpoint(dir.file("checkpoint.safetensors"), c);
  c.epoch = 4;
  save_checkpoint(dir.file("checkpoint.step40.safetensors"), c);
  test::write_bytes(dir.file("notes.safetensors"), "x");  // not a checkpoint name: ignored
  namespace fs = std::filesystem;
  const auto now = fs::file_time_type::clock::now();
  fs::last_write_time(dir.file("checkpoint.safetensors"), now - std::chrono::seconds(20));
  fs::last_write_time(dir.file("checkpoint.step40.safetensors"), now - std::chrono::seconds(10));
  EXPECT_EQ(find_latest_checkpoint(dir.path()), dir.file("checkpoint.step40.safetensors"));

  // The newest one corrupt: skipped, with its error reported; the older valid one is used.
  flip_bit(dir.file("checkpoint.step40.safetensors"),
           data_offset(dir.file("checkpoint.step40.safetensors"), "model.fc.weight"), 0);
  std::vector<std::string> skipped;
  EXPECT_EQ(find_latest_checkpoint(dir.path(), &skipped), dir.file("checkpoint.safetensors"));
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_THAT(skipped[0], HasSubstr("checksum mismatch"));
  EXPECT_EQ(load_checkpoint(find_latest_checkpoint(dir.path())).epoch, 3);
}
