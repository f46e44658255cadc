// io::parse_json on arbitrary bytes (it parses untrusted safetensors headers). On success the value must
// dump, parse back to an equal value, and answer the typed accessors with a value or a strata::Error.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "strata/io/json.h"

namespace {

using strata::io::Json;

// Every accessor either answers or throws strata::Error; the results are discarded.
void touch(const Json& v, int depth) {
  (void)v.where();
  (void)v.type_name();
  try {
    (void)v.as_int();
  } catch (const strata::Error&) {
  }
  try {
    (void)v.as_int(-5, 5);
  } catch (const strata::Error&) {
  }
  try {
    (void)v.as_double();
  } catch (const strata::Error&) {
  }
  try {
    (void)v.as_bool();
  } catch (const strata::Error&) {
  }
  try {
    (void)v.as_string();
  } catch (const strata::Error&) {
  }
  try {
    (void)v.find("a");
  } catch (const strata::Error&) {
  }
  try {
    (void)v.get_or("a", int64_t{1});
  } catch (const strata::Error&) {
  }
  try {
    (void)v.get_or("a", std::string("x"));
  } catch (const strata::Error&) {
  }
  try {
    v.check_keys({"a", "b"});
  } catch (const strata::Error&) {
  }
  if (depth > 8) return;
  if (v.is_array()) {
    for (const Json& e : v.elements()) touch(e, depth + 1);
  } else if (v.is_object()) {
    for (const std::string& k : v.keys()) touch(v.at(k), depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Json value;
  try {
    value = strata::io::parse_json(text, "fuzz.json");
  } catch (const strata::Error&) {
    return 0;
  }
  touch(value, 0);
  std::string compact;
  std::string pretty;
  try {
    compact = value.dump();
    pretty = value.dump(2);
  } catch (const strata::Error&) {
    return 0;  // a non-finite double (e.g. 1e999) cannot be written: documented
  }
  // What we write must read back as the same value.
  const Json again = strata::io::parse_json(compact, "compact");
  const Json again_pretty = strata::io::parse_json(pretty, "pretty");
  if (!(again == value) || !(again_pretty == value) || again.dump() != compact) std::abort();
  return 0;
}
