// JSON parser, writer and typed accessors.
#include "strata/io/json.h"

#include <cmath>
#include <limits>

#include "io_test_util.h"

namespace strata::io {
namespace {

using test::error_of;
using ::testing::HasSubstr;

TEST(Json, ParsesScalars) {
  EXPECT_TRUE(parse_json("null").is_null());
  EXPECT_TRUE(parse_json(" true ").as_bool());
  EXPECT_FALSE(parse_json("false").as_bool());
  EXPECT_EQ(parse_json("0").as_int(), 0);
  EXPECT_EQ(parse_json("-17").as_int(), -17);
  EXPECT_DOUBLE_EQ(parse_json("2.5").as_double(), 2.5);
  EXPECT_DOUBLE_EQ(parse_json("-1.25e-3").as_double(), -1.25e-3);
  EXPECT_DOUBLE_EQ(parse_json("1E2").as_double(), 100.0);
  EXPECT_EQ(parse_json("\"hi\"").as_string(), "hi");
}

TEST(Json, KeepsInt64Exact) {
  const Json big = parse_json("9223372036854775807");
  ASSERT_TRUE(big.is_int());
  EXPECT_EQ(big.as_int(), std::numeric_limits<int64_t>::max());
  const Json small = parse_json("-9223372036854775808");
  ASSERT_TRUE(small.is_int());
  EXPECT_EQ(small.as_int(), std::numeric_limits<int64_t>::min());
  // 2^53 + 1 is not representable as a double; it must survive a round trip exactly.
  const Json odd = parse_json("9007199254740993");
  EXPECT_EQ(odd.as_int(), 9007199254740993LL);
  EXPECT_EQ(odd.dump(), "9007199254740993");
  // Beyond int64: a double.
  const Json huge = parse_json("9223372036854775808");
  EXPECT_FALSE(huge.is_int());
  EXPECT_DOUBLE_EQ(huge.as_double(), 9223372036854775808.0);
  EXPECT_THAT(error_of([&] { huge.as_int(); }), HasSubstr("expected an integer"));
  // Integral doubles convert to int; fractional ones do not.
  EXPECT_EQ(parse_json("3.0").as_int(), 3);
  EXPECT_THAT(error_of([] { parse_json("3.5").as_int(); }), HasSubstr("expected an integer, got 3.5"));
}

TEST(Json, DoublesRoundTripShortest) {
  for (double d : {0.1, 1.0 / 3.0, 1e-300, 5e-324, 1.7976931348623157e308, -2.0, 1e21, 123456.789}) {
    const Json j(d);
    const std::string text = j.dump();
    const Json back = parse_json(text);
    EXPECT_FALSE(back.is_int()) << text;
    EXPECT_EQ(back.as_double(), d) << text;
  }
  EXPECT_EQ(Json(0.1).dump(), "0.1");
  EXPECT_EQ(Json(2.0).dump(), "2.0");
  EXPECT_THAT(error_of([] { Json(std::nan("")).dump(); }), HasSubstr("not finite"));
  EXPECT_THAT(error_of([] { Json(HUGE_VAL).dump(); }), HasSubstr("not finite"));
}

TEST(Json, NumberEdgeCases) {
  EXPECT_EQ(parse_json("1e-400").as_double(), 0.0);  // underflow rounds to zero
  EXPECT_THAT(error_of([] { parse_json("1e400"); }), HasSubstr("out of range"));
  EXPECT_THAT(error_of([] { parse_json("01"); }), HasSubstr("leading zeros"));
  EXPECT_THAT(error_of([] { parse_json("+1"); }), HasSubstr("expected a JSON value"));
  EXPECT_THAT(error_of([] { parse_json("1."); }), HasSubstr("after the decimal point"));
  EXPECT_THAT(error_of([] { parse_json(".5"); }), HasSubstr("expected a JSON value"));
  EXPECT_THAT(error_of([] { parse_json("1e"); }), HasSubstr("exponent"));
  EXPECT_THAT(error_of([] { parse_json("-"); }), HasSubstr("expected a digit"));
  EXPECT_THAT(error_of([] { parse_json("NaN"); }), HasSubstr("expected a JSON value"));
  EXPECT_THAT(error_of([] { parse_json("Infinity"); }), HasSubstr("expected a JSON value"));
}

TEST(Json, StringEscapesAndUnicode) {
  EXPECT_EQ(parse_json(R"("a\"b\\c\/d\b\f\n\r\t")").as_string(), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(parse_json(R"("\u0041\u00e9\u20AC")").as_string(), "A\xC3\xA9\xE2\x82\xAC");  // A é €
  // U+1F600 as a surrogate pair, and as raw UTF-8.
  EXPECT_EQ(parse_json(R"("\ud83d\ude00")").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_json("\"\xF0\x9F\x98\x80\"").as_string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(parse_json(R"("\u0000")").as_string(), std::string(1, '\0'));
  EXPECT_THAT(error_of([] { parse_json(R"("\ud83d")"); }), HasSubstr("unpaired high surrogate"));
  EXPECT_THAT(error_of([] { parse_json(R"("\ud83dx")"); }), HasSubstr("unpaired high surrogate"));
  EXPECT_THAT(error_of([] { parse_json(R"("\ud83d\u0041")"); }), HasSubstr("not followed by a low surrogate"));
  EXPECT_THAT(error_of([] { parse_json(R"("\ude00")"); }), HasSubstr("unpaired low surrogate"));
  EXPECT_THAT(error_of([] { parse_json(R"("\u12G4")"); }), HasSubstr("invalid hex digit"));
  EXPECT_THAT(error_of([] { parse_json(R"("\u12")"); }), HasSubstr("\\u escape"));
  EXPECT_THAT(error_of([] { parse_json(R"("\x")"); }), HasSubstr("invalid escape"));
  EXPECT_THAT(error_of([] { parse_json("\"a\nb\""); }), HasSubstr("control character"));
  EXPECT_THAT(error_of([] { parse_json("\"abc"); }), HasSubstr("unterminated string"));
  EXPECT_THAT(error_of([] { parse_json("\"\xC3\""); }), HasSubstr("invalid UTF-8"));
  EXPECT_THAT(error_of([] { parse_json("\"\xC0\xAF\""); }), HasSubstr("invalid UTF-8"));      // overlong '/'
  EXPECT_THAT(error_of([] { parse_json("\"\xED\xA0\x80\""); }), HasSubstr("invalid UTF-8"));  // raw surrogate
  // Writing escapes control characters and round-trips every byte sequence it produced.
  const std::string s = std::string("q\"\\\n\x01\x1f\x7f") + "\xE2\x82\xAC" + std::string(1, '\0');
  EXPECT_EQ(Json(s).dump(), "\"q\\\"\\\\\\n\\u0001\\u001f\\u007f\xE2\x82\xAC\\u0000\"");
  EXPECT_EQ(parse_json(Json(s).dump()).as_string(), s);
}

TEST(Json, ObjectsKeepInsertionOrderAndRejectDuplicates) {
  const Json j = parse_json(R"({"z": 1, "a": [true, null, "x"], "m": {"k": 2.5}})");
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.keys(), (std::vector<std::string>{"z", "a", "m"}));
  EXPECT_EQ(j.size(), 3u);
  EXPECT_EQ(j.at("a").size(), 3u);
  EXPECT_TRUE(j.at("a").at(size_t{1}).is_null());
  EXPECT_DOUBLE_EQ(j.at("m").at("k").as_double(), 2.5);
  EXPECT_EQ(j.dump(), R"({"z":1,"a":[true,null,"x"],"m":{"k":2.5}})");
  EXPECT_THAT(error_of([] { parse_json(R"({"a": 1, "a": 2})", "h.json"); }),
              HasSubstr("h.json:1:10 (byte 9): duplicate key \"a\""));
}

TEST(Json, PrettyPrintsAndReparses) {
  Json j = Json::object(
      {{"name", "lenet"}, {"layers", Json::array({1, 2})}, {"empty", Json::object()}, {"none", Json::array()}});
  const std::string pretty = j.dump(2);
  EXPECT_EQ(pretty,
            "{\n  \"name\": \"lenet\",\n  \"layers\": [\n    1,\n    2\n  ],\n  \"empty\": {},\n  \"none\": []\n}");
  EXPECT_EQ(parse_json(pretty), j);
}

TEST(Json, BuildsAndMutates) {
  Json j;
  j["optimizer"]["lr"] = 0.1;
  j["optimizer"]["name"] = "sgd";
  j["epochs"] = 3;
  j.set("epochs", 5);  // replaces in place
  EXPECT_EQ(j.keys(), (std::vector<std::string>{"optimizer", "epochs"}));
  EXPECT_EQ(j.dump(), R"({"optimizer":{"lr":0.1,"name":"sgd"},"epochs":5})");
  Json a;
  a.push_back(1);
  a.push_back("two");
  EXPECT_EQ(a.dump(), R"([1,"two"])");
  EXPECT_EQ(Json(size_t{7}).as_int(), 7);
  EXPECT_EQ(Json(uint64_t{1} << 63).dump(), "9223372036854775808.0");  // beyond int64: a double
  EXPECT_THAT(error_of([] { Json::object({{"a", 1}, {"a", 2}}); }), HasSubstr("duplicate key \"a\""));
  EXPECT_TRUE(Json(1) == Json(1.0));
  EXPECT_FALSE(Json("1") == Json(1));
}

TEST(Json, ParseErrorsNameSourceLineColumnAndByte) {
  const std::string text = "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}";
  const std::string msg = error_of([&] { parse_json(text, "config.json"); });
  EXPECT_THAT(msg, HasSubstr("config.json:3:14 (byte 25): expected a JSON value, got ','"));
  EXPECT_THAT(error_of([] { parse_json("", "e.json"); }), HasSubstr("e.json:1:1 (byte 0): expected a JSON value"));
  EXPECT_THAT(error_of([] { parse_json("{\"a\" 1}"); }), HasSubstr("expected ':'"));
  EXPECT_THAT(error_of([] { parse_json("{\"a\": 1"); }), HasSubstr("expected ',' or '}'"));
  EXPECT_THAT(error_of([] { parse_json("{\"a\": 1,}"); }), HasSubstr("expected a string key"));
  EXPECT_THAT(error_of([] { parse_json("{1: 2}"); }), HasSubstr("expected a string key"));
  EXPECT_THAT(error_of([] { parse_json("[1 2]"); }), HasSubstr("expected ',' or ']'"));
  EXPECT_THAT(error_of([] { parse_json("[1,]"); }), HasSubstr("expected a JSON value, got ']'"));
  EXPECT_THAT(error_of([] { parse_json("[1] x"); }), HasSubstr("unexpected 'x' after the JSON value"));
  EXPECT_THAT(error_of([] { parse_json("tru"); }), HasSubstr("expected a JSON value"));
  EXPECT_THAT(error_of([] { parse_json("nul"); }), HasSubstr("expected a JSON value"));
  EXPECT_THAT(error_of([] { parse_json(std::string("[1]\0", 4)); }), HasSubstr("byte 0x0"));
  // A UTF-8 byte order mark is skipped.
  EXPECT_EQ(parse_json("\xEF\xBB\xBF[1]").at(size_t{0}).as_int(), 1);
}

TEST(Json, DepthLimitPreventsStackExhaustion) {
  const std::string deep(100000, '[');
  EXPECT_THAT(error_of([&] { parse_json(deep, "deep.json"); }), HasSubstr("nesting deeper than 256 levels"));
  std::string ok = std::string(200, '[') + std::string(200, ']');
  EXPECT_NO_THROW(parse_json(ok));
  JsonParseOptions opts;
  opts.max_depth = 3;
  EXPECT_NO_THROW(parse_json("[[[1]]]", "<json>", opts));
  EXPECT_THAT(error_of([&] { parse_json("[[[[1]]]]", "x", opts); }), HasSubstr("x:1:4 (byte 3): nesting deeper"));
  EXPECT_THAT(error_of([&] { parse_json("{\"a\":{\"b\":{\"c\":{}}}}", "x", opts); }), HasSubstr("nesting deeper"));
}

TEST(Json, TypedAccessorsNameSourceAndKeyPath) {
  const Json cfg = parse_json(R"({"optimizer": {"lr": "0.1", "betas": [0.9, "x"]}, "epochs": 3})", "config.json");
  const Json& opt = cfg.at("optimizer");
  EXPECT_EQ(error_of([&] { opt.at("lr").as_double(); }),
            "config.json: key \"optimizer.lr\": expected a number, got string");
  EXPECT_EQ(error_of([&] { opt.at("betas").at(size_t{1}).as_double(); }),
            "config.json: key \"optimizer.betas[1]\": expected a number, got string");
  EXPECT_EQ(error_of([&] { opt.at("momentum"); }), "config.json: key \"optimizer.momentum\" is missing");
  EXPECT_EQ(error_of([&] { cfg.at("epochs").as_string(); }),
            "config.json: key \"epochs\": expected a string, got number");
  EXPECT_EQ(error_of([&] { cfg.as_bool(); }), "config.json: top-level value: expected a bool, got object");
  EXPECT_THAT(error_of([&] { cfg.at("epochs").as_int(5, 10); }),
              HasSubstr("key \"epochs\": expected an integer in [5, 10], got 3"));
  EXPECT_THAT(error_of([&] { opt.at("betas").at(size_t{2}); }), HasSubstr("index 2 out of range"));
  EXPECT_EQ(cfg.get_or("epochs", 1), 3);
  EXPECT_EQ(cfg.get_or("batch_size", 64), 64);
  EXPECT_DOUBLE_EQ(cfg.get_or("lr", 0.5), 0.5);
  EXPECT_EQ(cfg.get_or("name", "run"), "run");
  EXPECT_FALSE(cfg.get_or("shuffle", false));
  EXPECT_THAT(error_of([&] { opt.get_or("lr", 0.5); }), HasSubstr("\"optimizer.lr\": expected a number"));
  EXPECT_NO_THROW(cfg.check_keys({"optimizer", "epochs", "seed"}));
  EXPECT_EQ(error_of([&] {
              opt.check_keys({"lr", "name"});
            }),
            "config.json: unknown key \"optimizer.betas\" (expected one of: lr, name)");
  // Values built in code have no source.
  EXPECT_EQ(error_of([] { Json(1).as_string(); }), "JSON value: expected a string, got number");
  Json annotated = Json::object({{"a", Json::array({1})}});
  annotated.annotate("built", "root");
  EXPECT_EQ(error_of([&] { annotated.at("a").at(size_t{0}).as_bool(); }),
            "built: key \"root.a[0]\": expected a bool, got number");
}

// Every prefix of a valid document and every single-byte corruption of it parses or throws strata::Error:
// never a crash or an out-of-bounds read (run under ASan with STRATA_SANITIZE=ON).
TEST(Json, TruncationsAndCorruptionsNeverCrash) {
  const std::string doc = R"({"a": [1, -2.5e3, true, null], "b\u00e9\ud83d\ude00": {"c": "x\ny"}, "d": 0})";
  EXPECT_NO_THROW(parse_json(doc));
  for (size_t n = 0; n < doc.size(); ++n) {
    EXPECT_THROW(parse_json(doc.substr(0, n)), strata::Error) << n;
  }
  for (size_t pos = 0; pos < doc.size(); ++pos) {
    for (char c : {'\0', '"', '\\', '{', '[', ']', '}', ',', ':', 'u', '0', 'e', '-', '\xC3', '\xFF'}) {
      std::string bad = doc;
      bad[pos] = c;
      try {
        const Json j = parse_json(bad);
        (void)j.dump();
      } catch (const strata::Error&) {
      }
    }
  }
}

TEST(Json, LoadsFiles) {
  test::ScratchDir dir;
  test::write_bytes(dir.file("c.json"), "{\"a\": [1, 2]}");
  const Json j = load_json_file(dir.file("c.json"));
  EXPECT_EQ(j.at("a").at(size_t{1}).as_int(), 2);
  EXPECT_THAT(error_of([&] { j.at("a").as_string(); }), HasSubstr(dir.file("c.json") + ": key \"a\""));
  EXPECT_THAT(error_of([&] { load_json_file(dir.file("missing.json")); }), HasSubstr("cannot open"));
  test::write_bytes(dir.file("bad.json"), "{\"a\": }");
  EXPECT_THAT(error_of([&] { load_json_file(dir.file("bad.json")); }),
              HasSubstr(dir.file("bad.json") + ":1:7 (byte 6)"));
}

// A directory gave "expected a JSON value" and /dev/zero read until bad_alloc.
TEST(Json, LoadRejectsDirectoriesAndHugeFiles) {
  test::ScratchDir dir;
  EXPECT_THAT(error_of([&] { load_json_file(dir.file("")); }), HasSubstr("is a directory"));
  EXPECT_THAT(error_of([&] { load_json_file("/dev/zero"); }), HasSubstr("/dev/zero: larger than 64 MiB"));
}

}  // namespace
}  // namespace strata::io
