#pragma once
// A small JSON value type with a strict parser (RFC 8259) and a writer, for safetensors headers,
// checkpoint metadata and the CLI's config files. Objects keep insertion order and reject duplicate
// keys. Integers that fit in int64 stay exact; other numbers are doubles. Parse errors name the source,
// line, column and byte offset; typed accessors name the source and the dotted key path:
//   config.json: key "optimizer.lr": expected a number, got string
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace strata::io {

class Json {
 public:
  enum class Type : uint8_t { Null, Bool, Int, Double, String, Array, Object };

  Json() = default;
  Json(std::nullptr_t) {}                                              // NOLINT(google-explicit-constructor)
  Json(bool b) : type_(Type::Bool), bool_(b) {}                        // NOLINT(google-explicit-constructor)
  Json(int v) : type_(Type::Int), int_(v) {}                           // NOLINT(google-explicit-constructor)
  Json(long v) : type_(Type::Int), int_(v) {}                          // NOLINT(google-explicit-constructor)
  Json(long long v) : type_(Type::Int), int_(v) {}                     // NOLINT(google-explicit-constructor)
  Json(unsigned v) : type_(Type::Int), int_(v) {}                      // NOLINT(google-explicit-constructor)
  Json(unsigned long v) { set_unsigned(v); }                           // NOLINT(google-explicit-constructor)
  Json(unsigned long long v) { set_unsigned(v); }                      // NOLINT(google-explicit-constructor)
  Json(double v) : type_(Type::Double), double_(v) {}                  // NOLINT(google-explicit-constructor)
  Json(const char* s) : type_(Type::String), string_(s) {}             // NOLINT(google-explicit-constructor)
  Json(std::string s) : type_(Type::String), string_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Json(std::string_view s) : type_(Type::String), string_(s) {}        // NOLINT(google-explicit-constructor)

  static Json array(std::vector<Json> items = {});
  static Json object();
  // {{"a", 1}, {"b", "x"}}; a repeated key is an error.
  static Json object(std::initializer_list<std::pair<std::string, Json>> members);

  // ---- type ----
  Type type() const { return type_; }
  // "null", "bool", "number", "string", "array" or "object".
  const char* type_name() const;
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Double; }
  bool is_int() const { return type_ == Type::Int; }  // an integer literal that fits in int64
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // ---- typed access: a wrong type is a strata::Error naming where the value came from ----
  bool as_bool() const;
  // Integers; a double is accepted only when it is integral and in range (3.0 -> 3).
  int64_t as_int() const;
  // as_int() checked against [lo, hi].
  int64_t as_int(int64_t lo, int64_t hi) const;
  double as_double() const;  // any number
  const std::string& as_string() const;

  // ---- arrays and objects ----
  size_t size() const;  // elements of an array, members of an object; an error for other types
  const Json& at(size_t index) const;
  Json& at(size_t index);
  const std::vector<Json>& elements() const;  // array elements
  void push_back(Json value);

  bool contains(const std::string& key) const;
  // The member or an error naming the missing key ("config.json: key \"optimizer.lr\" is missing").
  const Json& at(const std::string& key) const;
  Json& at(const std::string& key);
  // The member, or nullptr when absent (an error if this is not an object).
  const Json* find(const std::string& key) const;
  // Inserts or replaces (in place, keeping the original position).
  void set(const std::string& key, Json value);
  // Mutable member access; inserts null when absent. A null value becomes an empty object first.
  Json& operator[](const std::string& key);
  const std::vector<std::string>& keys() const;  // object keys in insertion order
  // Member `key` or `fallback` when absent; present but of the wrong type is an error.
  bool get_or(const std::string& key, bool fallback) const;
  int64_t get_or(const std::string& key, int64_t fallback) const;
  int64_t get_or(const std::string& key, int fallback) const { return get_or(key, int64_t{fallback}); }
  double get_or(const std::string& key, double fallback) const;
  std::string get_or(const std::string& key, const std::string& fallback) const;
  std::string get_or(const std::string& key, const char* fallback) const { return get_or(key, std::string(fallback)); }
  // Fails on the first key that is not in `allowed`, naming it ("unknown key \"optimzer\"").
  void check_keys(std::initializer_list<std::string_view> allowed) const;
  void check_keys(const std::vector<std::string>& allowed) const;

  // ---- text ----
  // indent < 0: compact on one line; otherwise pretty-printed with that many spaces per level.
  // Non-finite doubles cannot be written (an error). Doubles print as the shortest text that reads back
  // to the same value, always with a '.', 'e' or exponent so that they parse back as doubles.
  std::string dump(int indent = -1) const;

  // Where this value came from, for error messages: "config.json: key \"optimizer.lr\"". Set by parse()
  // on every value; values built in code say "JSON value" unless annotated.
  std::string where() const;
  const std::string& source() const;
  const std::string& path() const { return path_; }
  // Sets the source name and key path of this value and (recursively) of its members.
  void annotate(const std::string& source, const std::string& path = "");

  // Structural equality; numbers compare by value (1 == 1.0); source and path are ignored.
  bool operator==(const Json& o) const;
  bool operator!=(const Json& o) const { return !(*this == o); }

 private:
  void set_unsigned(unsigned long long v) {
    if (v <= static_cast<unsigned long long>(INT64_MAX)) {
      type_ = Type::Int;
      int_ = static_cast<int64_t>(v);
    } else {
      type_ = Type::Double;
      double_ = static_cast<double>(v);
    }
  }
  [[noreturn]] void type_error(const char* expected) const;
  void annotate_shared(const std::shared_ptr<const std::string>& source, const std::string& path);
  const Json* find_member(const std::string& key) const;
  friend class JsonParser;

  Type type_ = Type::Null;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0.0;
  std::string string_;
  std::vector<Json> items_;        // array elements or object values
  std::vector<std::string> keys_;  // object keys, parallel to items_
  std::unordered_map<std::string, size_t> index_;
  std::shared_ptr<const std::string> source_;
  std::string path_;
};

struct JsonParseOptions {
  // Nesting deeper than this (arrays/objects) is an error instead of a stack overflow.
  int max_depth = 256;
};

// Parses one JSON document (surrounding whitespace allowed; a UTF-8 BOM is skipped). Malformed input is a
// strata::Error: "<source_name>:<line>:<column> (byte <offset>): <what was expected>".
Json parse_json(std::string_view text, const std::string& source_name = "<json>", const JsonParseOptions& options = {});
// Reads and parses a file; the path is the source name.
Json load_json_file(const std::string& path, const JsonParseOptions& options = {});

// Escapes a string as a JSON string literal (with the quotes).
std::string json_quote(std::string_view s);

}  // namespace strata::io
