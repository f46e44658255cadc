// The lab registry: names are unique and name their file, numbers are in 151-200 and unique, every lab has
// the text `strata lab` prints, and lookups by number and name agree.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "strata/core/error.h"
#include "strata/labs/lab.h"
#include "test_util.h"

namespace {

using strata::labs::Lab;
using strata::testing::error_of;

TEST(LabRegistry, NamesAndNumbersAreUniqueAndEachLabHasItsFile) {
  std::set<std::string> names;
  std::set<int> numbers;
  for (const Lab& lab : strata::labs::all_labs()) {
    EXPECT_TRUE(names.insert(lab.name).second) << "duplicate name " << lab.name;
    if (lab.number != 0) {
      EXPECT_TRUE(numbers.insert(lab.number).second) << "duplicate number " << lab.number;
      EXPECT_GE(lab.number, 151);
      EXPECT_LE(lab.number, 200);
    }
    EXPECT_FALSE(lab.title.empty()) << lab.name;
    EXPECT_GT(lab.idea.size(), 40u) << lab.name;
    EXPECT_FALSE(lab.look_at.empty()) << lab.name;
    EXPECT_TRUE(static_cast<bool>(lab.run)) << lab.name;
    std::filesystem::path file = std::filesystem::path(STRATA_SOURCE_DIR) / "src/labs" / (lab.name + ".cpp");
    EXPECT_TRUE(std::filesystem::exists(file)) << lab.name << ": no " << file;
  }
}

TEST(LabRegistry, EveryNumberedConceptOfTheNotesHasALab) {
  std::set<int> numbers;
  for (const Lab& lab : strata::labs::all_labs()) numbers.insert(lab.number);
  for (int n = 151; n <= 200; ++n) EXPECT_TRUE(numbers.count(n)) << "no lab for concept " << n;
  // The worked examples of the other notes.
  for (const char* name : {"cross_entropy", "one_hot_encoding", "exponentially_weighted_averages",
                           "mini_batch_gradient_descent", "training_memory"}) {
    EXPECT_EQ(strata::labs::find_lab(name).number, 0) << name;
  }
}

TEST(LabRegistry, FindsByNumberAndByName) {
  EXPECT_EQ(&strata::labs::find_lab("163"), &strata::labs::find_lab("vanishing_gradient"));
  EXPECT_EQ(strata::labs::find_lab("161").name, "softmax");
}

TEST(LabRegistry, UnknownLabIsAnErrorNamingTheClosest) {
  std::string msg = error_of([] { strata::labs::find_lab("vanishing_gradiant"); });
  EXPECT_HAS(msg, "no lab \"vanishing_gradiant\"");
  EXPECT_HAS(msg, "vanishing_gradient");
  EXPECT_HAS(error_of([] { strata::labs::find_lab("150"); }), "--list");
}

}  // namespace
