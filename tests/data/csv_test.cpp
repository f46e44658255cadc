// CSV reader: headers, label columns, delimiters, dtypes, and every malformed-file error.
#include "strata/data/csv.h"

#include <gtest/gtest.h>

#include "data/test_files.h"

namespace strata::data {
namespace {

using strata::testing::TempDir;
using strata::testing::throws_error;
using strata::testing::write_text;

TEST(Csv, HeaderAndLabelByName) {
  TempDir dir;
  write_text(dir.file("a.csv"), "x1, \"x2\",label,x3\r\n1.5,-2,0,3e2\r\n\r\n  4 ,+5.25,2,-0.125\r\n");
  CsvOptions o;
  o.label_column = "label";
  CsvData d = read_csv(dir.file("a.csv"), o);
  EXPECT_EQ(d.features.dtype(), kFloat32);
  EXPECT_EQ(d.features.shape(), Shape({2, 3}));
  EXPECT_EQ(d.features.to_vector<float>(), (std::vector<float>{1.5f, -2, 300, 4, 5.25f, -0.125f}));
  EXPECT_EQ(d.labels.dtype(), kInt64);
  EXPECT_EQ(d.labels.to_vector<int64_t>(), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"x1", "x2", "x3"}));
  EXPECT_EQ(d.label_name, "label");
  auto ds = d.dataset();
  EXPECT_EQ(ds->size(), 2);
  EXPECT_EQ(ds->get(1).target.item<int64_t>(), 2);
}

TEST(Csv, NoHeaderLabelByIndexRegressionAndDelimiter) {
  TempDir dir;
  write_text(dir.file("b.tsv"), "0.5\t1\t2\n1.5\t3\t4\n2.5\t5\t6");  // no final newline
  CsvOptions o;
  o.header = false;
  o.delimiter = '\t';
  o.label_index = 0;
  o.label_dtype = kFloat32;
  CsvData d = read_csv(dir.file("b.tsv"), o);
  EXPECT_EQ(d.features.shape(), Shape({3, 2}));
  EXPECT_EQ(d.features.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(d.labels.dtype(), kFloat32);
  EXPECT_EQ(d.labels.to_vector<float>(), (std::vector<float>{0.5f, 1.5f, 2.5f}));
  EXPECT_EQ(d.feature_names, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(d.label_name, "0");
  // Default label: the last column. No label at all: every column is a feature.
  o.label_index = -1;
  o.label_dtype = kInt64;
  EXPECT_EQ(read_csv(dir.file("b.tsv"), o).labels.to_vector<int64_t>(), (std::vector<int64_t>{2, 4, 6}));
  o.has_label = false;
  CsvData all = read_csv(dir.file("b.tsv"), o);
  EXPECT_EQ(all.features.shape(), Shape({3, 3}));
  EXPECT_FALSE(all.labels.defined());
}

TEST(Csv, GzipAndHeaderOnly) {
  TempDir dir;
  const std::string text = "a;b\n1;2\n3;4\n";
  strata::testing::write_bytes(dir.file("c.csv.gz"),
                               strata::testing::gzip_bytes(std::vector<uint8_t>(text.begin(), text.end())));
  CsvOptions o;
  o.delimiter = ';';
  CsvData d = read_csv(dir.file("c.csv.gz"), o);
  EXPECT_EQ(d.features.to_vector<float>(), (std::vector<float>{1, 3}));
  EXPECT_EQ(d.labels.to_vector<int64_t>(), (std::vector<int64_t>{2, 4}));
  write_text(dir.file("h.csv"), "a,b,c\n");
  CsvData h = read_csv(dir.file("h.csv"));
  EXPECT_EQ(h.features.shape(), Shape({0, 2}));
  EXPECT_EQ(h.labels.shape(), Shape({0}));
}

TEST(Csv, BadNumbers) {
  TempDir dir;
  write_text(dir.file("bad.csv"), "x,y,label\n1,2,0\n3,abc,1\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("bad.csv")); },
                           {"[read_csv]", dir.file("bad.csv"), "line 3", "column 2 ('y')", "bad number 'abc'"}));
  write_text(dir.file("empty_field.csv"), "x,y,label\n1,,0\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("empty_field.csv")); }, {"line 2", "column 2", "bad number ''"}));
  write_text(dir.file("trailing.csv"), "x,y,label\n1,2.5x,0\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("trailing.csv")); }, {"line 2", "bad number '2.5x'"}));
  // A fractional class label.
  write_text(dir.file("frac.csv"), "x,label\n1,0\n2,1.5\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("frac.csv")); },
                           {"line 3", "column 2 ('label')", "label 1.5 is not a whole number", "float32"}));
}

TEST(Csv, RaggedRows) {
  TempDir dir;
  write_text(dir.file("r.csv"), "x,y,label\n1,2,0\n3,4\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("r.csv")); },
                           {"[read_csv]", dir.file("r.csv"), "line 3 has 2 fields, expected 3", "line 1, the header"}));
  write_text(dir.file("r2.csv"), "1,2\n3,4,5\n");
  CsvOptions o;
  o.header = false;
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("r2.csv"), o); }, {"line 2 has 3 fields, expected 2", "line 1)"}));
}

TEST(Csv, MissingLabelColumn) {
  TempDir dir;
  write_text(dir.file("m.csv"), "x,y,target\n1,2,0\n");
  CsvOptions o;
  o.label_column = "label";
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("m.csv"), o); },
                           {"[read_csv]", dir.file("m.csv"), "label column 'label' not found", "'x', 'y', 'target'"}));
  o.label_column.clear();
  o.label_index = 3;
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("m.csv"), o); }, {"label column index 3 is out of range for 3"}));
  o.label_column = "target";
  o.header = false;
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("m.csv"), o); }, {"no header"}));
}

// NaN, inf and numbers beyond float32 were accepted and surfaced only as a NaN loss or a JSON error at the end.
TEST(Csv, RejectsNonFiniteAndOutOfRangeCells) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {{"nan", "not a finite number"},
                                                                  {"-inf", "not a finite number"},
                                                                  {"inf", "not a finite number"},
                                                                  {"1e39", "out of float32's range"},
                                                                  {"-1e39", "out of float32's range"}};
  for (const auto& [cell, why] : cases) {
    write_text(dir.file("n.csv"), "x,y,label\n1,2,0\n3," + cell + ",1\n");
    EXPECT_TRUE(throws_error([&] { read_csv(dir.file("n.csv")); }, {dir.file("n.csv") + ":3:2", "column 2 ('y')", why}))
        << cell;
  }
  // A float32 label beyond float32 too; a float64 label may be large.
  write_text(dir.file("r.csv"), "x,y\n1,1e39\n");
  CsvOptions o;
  o.label_dtype = kFloat32;
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("r.csv"), o); }, {":2:2", "out of float32's range"}));
  o.label_dtype = kFloat64;
  EXPECT_EQ(read_csv(dir.file("r.csv"), o).labels.to_vector<double>(), (std::vector<double>{1e39}));
  write_text(dir.file("l.csv"), "x,y\n1,nan\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("l.csv"), o); }, {":2:2", "not a finite number"}));
  // 3.4e38 is still a float32.
  write_text(dir.file("ok.csv"), "x,label\n3.4e38,0\n");
  EXPECT_FLOAT_EQ(read_csv(dir.file("ok.csv")).features.to_vector<float>()[0], 3.4e38f);
}

TEST(Csv, DirectoryAndNonRegularFiles) {
  TempDir dir;
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("")); }, {"[read_csv]", "is a directory"}));
  // A character device is read as a stream (no size to trust): /dev/null is empty, hence no rows.
  EXPECT_TRUE(throws_error([&] { read_csv("/dev/null"); }, {"/dev/null", "no rows"}));
  // An endless one stops at the cap (its size, 0, is not to be trusted either).
  EXPECT_TRUE(throws_error([&] { read_csv("/dev/zero"); }, {"/dev/zero", "is not a regular file", "256 MiB"}));
  // Beyond double: from_chars reports it as a bad number.
  write_text(dir.file("d.csv"), "x,label\n1e400,0\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("d.csv")); }, {"line 2", "bad number '1e400'"}));
}

TEST(Csv, EmptyAndMissingFiles) {
  TempDir dir;
  write_text(dir.file("e.csv"), "\n\n");
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("e.csv")); }, {dir.file("e.csv"), "no rows"}));
  EXPECT_TRUE(throws_error([&] { read_csv(dir.file("none.csv")); }, {"[read_csv]", "cannot open"}));
}

}  // namespace
}  // namespace strata::data
