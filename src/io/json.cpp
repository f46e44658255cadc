// JSON value, strict parser and writer (see include/strata/io/json.h).
#include "strata/io/json.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "strata/core/error.h"

namespace strata::io {

namespace {

const std::string& empty_string() {
  static const std::string s;
  return s;
}

// Every value keeps its key path for error messages. Capped (keeping the end, the part nearest the value): an
// uncapped path makes memory grow as values x path length, and fuzzing found 150 KB of nested long keys that
// needed 2 GB.
constexpr size_t kMaxPathChars = 256;

std::string capped_path(std::string p) {
  if (p.size() <= kMaxPathChars) return p;
  return "..." + p.substr(p.size() - (kMaxPathChars - 3));
}

std::string child_path(const std::string& parent, const std::string& key) {
  return capped_path(parent.empty() ? key : parent + "." + key);
}

std::string index_path(const std::string& parent, size_t i) {
  return capped_path(parent + "[" + std::to_string(i) + "]");
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Length of the valid UTF-8 sequence starting at s[0] (at most n bytes available), or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
size_t utf8_sequence_length(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return len;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Parser

class JsonParser {
 public:
  JsonParser(std::string_view text, const std::string& source, const JsonParseOptions& options)
      : text_(text), source_(std::make_shared<const std::string>(source)), options_(options) {}

  Json parse() {
    if (text_.size() >= 3 && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    skip_ws();
    if (pos_ >= text_.size()) fail("expected a JSON value, got the end of the input");
    Json v = parse_value(0, "");
    skip_ws();
    if (pos_ < text_.size()) fail("unexpected ", describe_here(), " after the JSON value");
    return v;
  }

 private:
  template <class... Args>
  [[noreturn]] void fail(const Args&... args) const {
    fail_at(pos_, args...);
  }

  template <class... Args>
  [[noreturn]] void fail_at(size_t at, const Args&... args) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    STRATA_FAIL(*source_, ":", line, ":", col, " (byte ", at, "): ", args...);
  }

  std::string describe_here() const {
    if (pos_ >= text_.size()) return "end of the input";
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    std::ostringstream os;
    os << "byte 0x" << std::hex << static_cast<int>(c);
    return os.str();
  }

  void skip_ws() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else {
        break;
      }
    }
  }

  bool consume_literal(std::string_view lit) {
    if (text_.substr(pos_, lit.size()) == lit) {
      pos_ += lit.size();
      return true;
    }
    return false;
  }

  Json parse_value(int depth, const std::string& path) {
    if (pos_ >= text_.size()) fail("expected a JSON value, got the end of the input");
    Json v;
    const char c = text_[pos_];
    if (c == '{') {
      v = parse_object(depth + 1, path);
    } else if (c == '[') {
      v = parse_array(depth + 1, path);
    } else if (c == '"') {
      v.type_ = Json::Type::String;
      v.string_ = parse_string();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v = parse_number();
    } else if (consume_literal("true")) {
      v = Json(true);
    } else if (consume_literal("false")) {
      v = Json(false);
    } else if (consume_literal("null")) {
      v = Json();
    } else {
      fail("expected a JSON value, got ", describe_here());
    }
    v.source_ = source_;
    v.path_ = path;
    return v;
  }

  void check_depth(int depth) const {
    if (depth > options_.max_depth) fail("nesting deeper than ", options_.max_depth, " levels");
  }

  Json parse_object(int depth, const std::string& path) {
    check_depth(depth);
    Json obj = Json::object();
    ++pos_;  // '{'
    skip_ws();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      return obj;
    }
    while (true) {
      skip_ws();
      if (pos_ >= text_.size() || text_[pos_] != '"') fail("expected a string key, got ", describe_here());
      const size_t key_pos = pos_;
      std::string key = parse_string();
      if (obj.index_.count(key)) fail_at(key_pos, "duplicate key ", json_quote(key));
      skip_ws();
      if (pos_ >= text_.size() || text_[pos_] != ':') fail("expected ':' after an object key, got ", describe_here());
      ++pos_;
      skip_ws();
      Json value = parse_value(depth, child_path(path, key));
      obj.index_.emplace(key, obj.items_.size());
      obj.keys_.push_back(std::move(key));
      obj.items_.push_back(std::move(value));
      skip_ws();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return obj;
      }
      fail("expected ',' or '}' in an object, got ", describe_here());
    }
  }

  Json parse_array(int depth, const std::string& path) {
    check_depth(depth);
    Json arr = Json::array();
    ++pos_;  // '['
    skip_ws();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      return arr;
    }
    while (true) {
      skip_ws();
      arr.items_.push_back(parse_value(depth, index_path(path, arr.items_.size())));
      skip_ws();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        return arr;
      }
      fail("expected ',' or ']' in an array, got ", describe_here());
    }
  }

  uint32_t parse_hex4() {
    if (pos_ + 4 > text_.size()) fail_at(pos_, "truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        fail_at(pos_ + i, "invalid hex digit in a \\u escape");
      }
    }
    pos_ += 4;
    return v;
  }

  std::string parse_string() {
    const size_t start = pos_;
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail_at(start, "unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20)
        fail("control character (byte 0x", std::hex, static_cast<int>(c), std::dec, ") in a string; escape it");
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) fail_at(start, "unterminated string");
        const char e = text_[pos_ + 1];
        const size_t esc_pos = pos_;
        pos_ += 2;
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            uint32_t cp = parse_hex4();
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (pos_ + 1 < text_.size() && text_[pos_] == '\\' && text_[pos_ + 1] == 'u') {
                pos_ += 2;
                const uint32_t lo = parse_hex4();
                if (lo < 0xDC00 || lo > 0xDFFF) fail_at(esc_pos, "high surrogate not followed by a low surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                fail_at(esc_pos, "unpaired high surrogate in a \\u escape");
              }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
              fail_at(esc_pos, "unpaired low surrogate in a \\u escape");
            }
            append_utf8(out, cp);
            break;
          }
          default: fail_at(esc_pos, "invalid escape '\\", e, "' in a string");
        }
        continue;
      }
      if (c < 0x80) {
        out += static_cast<char>(c);
        ++pos_;
        continue;
      }
      const size_t len =
          utf8_sequence_length(reinterpret_cast<const unsigned char*>(text_.data() + pos_), text_.size() - pos_);
      if (len == 0) fail("invalid UTF-8 in a string");
      out.append(text_.data() + pos_, len);
      pos_ += len;
    }
  }

  Json parse_number() {
    const size_t start = pos_;
    bool integral = true;
    if (text_[pos_] == '-') ++pos_;
    auto digit = [&](size_t i) { return i < text_.size() && text_[i] >= '0' && text_[i] <= '9'; };
    if (!digit(pos_)) fail("expected a digit in a number");
    if (text_[pos_] == '0') {
      ++pos_;
      if (digit(pos_)) fail_at(start, "leading zeros are not allowed in a number");
    } else {
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (!digit(pos_)) fail("expected a digit after the decimal point");
      while (digit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!digit(pos_)) fail("expected a digit in the exponent");
      while (digit(pos_)) ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(first, last, v);
      if (ec == std::errc() && p == last) return Json(static_cast<long long>(v));
      // Out of int64 range: fall through to double.
    }
    double d = 0;
    auto [p, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) {
      // Underflow rounds to zero (or a denormal); overflow to infinity is not representable.
      d = std::strtod(std::string(first, last).c_str(), nullptr);
      if (std::isinf(d)) fail_at(start, "number out of range for a double");
    } else if (ec != std::errc() || p != last) {
      fail_at(start, "malformed number");
    }
    return Json(d);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::shared_ptr<const std::string> source_;
  JsonParseOptions options_;
};

Json parse_json(std::string_view text, const std::string& source_name, const JsonParseOptions& options) {
  return JsonParser(text, source_name, options).parse();
}

Json load_json_file(const std::string& path, const JsonParseOptions& options) {
  // A config is small: the cap turns /dev/zero or a mistaken data file into an error instead of bad_alloc.
  constexpr size_t kMaxBytes = size_t{64} << 20;
  std::error_code ec;
  STRATA_CHECK(!std::filesystem::is_directory(path, ec), path, ": is a directory, not a JSON file");
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in.good(), path, ": cannot open the file");
  std::string text;
  std::vector<char> chunk(1 << 16);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    STRATA_CHECK(text.size() + got <= kMaxBytes, path, ": larger than ", kMaxBytes >> 20,
                 " MiB, too large for a JSON file");
    text.append(chunk.data(), got);
  }
  STRATA_CHECK(!in.bad(), path, ": read error");
  return parse_json(text, path, options);
}

// ---------------------------------------------------------------------------------------------------
// Construction and access

Json Json::array(std::vector<Json> items) {
  Json j;
  j.type_ = Type::Array;
  j.items_ = std::move(items);
  return j;
}

Json Json::object() {
  Json j;
  j.type_ = Type::Object;
  return j;
}

Json Json::object(std::initializer_list<std::pair<std::string, Json>> members) {
  Json j = object();
  for (const auto& [k, v] : members) {
    STRATA_CHECK(!j.contains(k), "[Json::object] duplicate key ", json_quote(k));
    j.set(k, v);
  }
  return j;
}

const char* Json::type_name() const {
  switch (type_) {
    case Type::Null: return "null";
    case Type::Bool: return "bool";
    case Type::Int:
    case Type::Double: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "?";
}

const std::string& Json::source() const { return source_ ? *source_ : empty_string(); }

std::string Json::where() const {
  std::string s = source_ ? *source_ + ": " : std::string();
  if (!path_.empty()) return s + "key " + json_quote(path_);
  if (source_) return s + "top-level value";
  return "JSON value";
}

void Json::type_error(const char* expected) const {
  STRATA_FAIL(where(), ": expected ", expected, ", got ", type_name());
}

bool Json::as_bool() const {
  if (type_ != Type::Bool) type_error("a bool");
  return bool_;
}

int64_t Json::as_int() const {
  if (type_ == Type::Int) return int_;
  if (type_ == Type::Double) {
    // 2^63 is exactly representable; anything at or above it does not fit.
    if (std::isfinite(double_) && std::floor(double_) == double_ && double_ >= -9223372036854775808.0 &&
        double_ < 9223372036854775808.0) {
      return static_cast<int64_t>(double_);
    }
    STRATA_FAIL(where(), ": expected an integer, got ", dump());
  }
  type_error("an integer");
}

int64_t Json::as_int(int64_t lo, int64_t hi) const {
  const int64_t v = as_int();
  STRATA_CHECK(v >= lo && v <= hi, where(), ": expected an integer in [", lo, ", ", hi, "], got ", v);
  return v;
}

double Json::as_double() const {
  if (type_ == Type::Double) return double_;
  if (type_ == Type::Int) return static_cast<double>(int_);
  type_error("a number");
}

const std::string& Json::as_string() const {
  if (type_ != Type::String) type_error("a string");
  return string_;
}

size_t Json::size() const {
  if (type_ != Type::Array && type_ != Type::Object) type_error("an array or an object");
  return items_.size();
}

const Json& Json::at(size_t index) const {
  if (type_ != Type::Array) type_error("an array");
  STRATA_CHECK(index < items_.size(), where(), ": index ", index, " out of range for an array of ", items_.size(),
               " elements");
  return items_[index];
}

Json& Json::at(size_t index) { return const_cast<Json&>(static_cast<const Json&>(*this).at(index)); }

const std::vector<Json>& Json::elements() const {
  if (type_ != Type::Array) type_error("an array");
  return items_;
}

void Json::push_back(Json value) {
  if (type_ == Type::Null) type_ = Type::Array;
  if (type_ != Type::Array) type_error("an array");
  items_.push_back(std::move(value));
}

const Json* Json::find_member(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &items_[it->second];
}

bool Json::contains(const std::string& key) const {
  if (type_ != Type::Object) type_error("an object");
  return index_.count(key) != 0;
}

const Json* Json::find(const std::string& key) const {
  if (type_ != Type::Object) type_error("an object");
  return find_member(key);
}

const Json& Json::at(const std::string& key) const {
  if (type_ != Type::Object) type_error("an object");
  const Json* v = find_member(key);
  if (!v) {
    const std::string s = source_ ? *source_ + ": " : std::string();
    STRATA_FAIL(s, "key ", json_quote(child_path(path_, key)), " is missing");
  }
  return *v;
}

Json& Json::at(const std::string& key) { return const_cast<Json&>(static_cast<const Json&>(*this).at(key)); }

void Json::set(const std::string& key, Json value) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) type_error("an object");
  auto it = index_.find(key);
  if (it != index_.end()) {
    items_[it->second] = std::move(value);
    return;
  }
  index_.emplace(key, items_.size());
  keys_.push_back(key);
  items_.push_back(std::move(value));
}

Json& Json::operator[](const std::string& key) {
  if (type_ == Type::Null) type_ = Type::Object;
  if (type_ != Type::Object) type_error("an object");
  auto it = index_.find(key);
  if (it != index_.end()) return items_[it->second];
  set(key, Json());
  return items_.back();
}

const std::vector<std::string>& Json::keys() const {
  if (type_ != Type::Object) type_error("an object");
  return keys_;
}

bool Json::get_or(const std::string& key, bool fallback) const {
  const Json* v = find(key);
  return v ? v->as_bool() : fallback;
}

int64_t Json::get_or(const std::string& key, int64_t fallback) const {
  const Json* v = find(key);
  return v ? v->as_int() : fallback;
}

double Json::get_or(const std::string& key, double fallback) const {
  const Json* v = find(key);
  return v ? v->as_double() : fallback;
}

std::string Json::get_or(const std::string& key, const std::string& fallback) const {
  const Json* v = find(key);
  return v ? v->as_string() : fallback;
}

void Json::check_keys(std::initializer_list<std::string_view> allowed) const {
  if (type_ != Type::Object) type_error("an object");
  for (const auto& k : keys_) {
    bool ok = false;
    for (auto a : allowed) ok |= (a == k);
    if (!ok) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      const std::string s = source_ ? *source_ + ": " : std::string();
      STRATA_FAIL(s, "unknown key ", json_quote(child_path(path_, k)), " (expected one of: ", list, ")");
    }
  }
}

void Json::check_keys(const std::vector<std::string>& allowed) const {
  if (type_ != Type::Object) type_error("an object");
  for (const auto& k : keys_) {
    bool ok = false;
    for (const auto& a : allowed) ok |= (a == k);
    if (!ok) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      const std::string s = source_ ? *source_ + ": " : std::string();
      STRATA_FAIL(s, "unknown key ", json_quote(child_path(path_, k)), " (expected one of: ", list, ")");
    }
  }
}

void Json::annotate(const std::string& source, const std::string& path) {
  annotate_shared(std::make_shared<const std::string>(source), path);
}

void Json::annotate_shared(const std::shared_ptr<const std::string>& source, const std::string& path) {
  source_ = source;
  path_ = path;
  if (type_ == Type::Object) {
    for (size_t i = 0; i < items_.size(); ++i) items_[i].annotate_shared(source, child_path(path, keys_[i]));
  } else if (type_ == Type::Array) {
    for (size_t i = 0; i < items_.size(); ++i) items_[i].annotate_shared(source, index_path(path, i));
  }
}

bool Json::operator==(const Json& o) const {
  if (is_number() && o.is_number()) {
    if (type_ == Type::Int && o.type_ == Type::Int) return int_ == o.int_;
    return as_double() == o.as_double();
  }
  if (type_ != o.type_) return false;
  switch (type_) {
    case Type::Null: return true;
    case Type::Bool: return bool_ == o.bool_;
    case Type::String: return string_ == o.string_;
    case Type::Array: return items_ == o.items_;
    case Type::Object:
      if (items_.size() != o.items_.size()) return false;
      for (size_t i = 0; i < items_.size(); ++i) {
        const Json* other = o.find_member(keys_[i]);
        if (!other || !(items_[i] == *other)) return false;
      }
      return true;
    default: return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Writer

std::string json_quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

namespace {

void dump_value(const Json& v, std::string& out, int indent, int level);

void newline(std::string& out, int indent, int level) {
  if (indent < 0) return;
  out += '\n';
  out.append(static_cast<size_t>(indent * level), ' ');
}

void dump_double(const Json& v, double d, std::string& out) {
  STRATA_CHECK(std::isfinite(d), v.where(), ": cannot write ", d, " as JSON (not finite)");
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  STRATA_CHECK(ec == std::errc(), "[Json::dump] cannot format a double");
  std::string_view s(buf, static_cast<size_t>(p - buf));
  out += s;
  if (s.find_first_of(".eE") == std::string_view::npos) out += ".0";
}

void dump_value(const Json& v, std::string& out, int indent, int level) {
  switch (v.type()) {
    case Json::Type::Null: out += "null"; return;
    case Json::Type::Bool: out += v.as_bool() ? "true" : "false"; return;
    case Json::Type::Int: out += std::to_string(v.as_int()); return;
    case Json::Type::Double: dump_double(v, v.as_double(), out); return;
    case Json::Type::String: out += json_quote(v.as_string()); return;
    case Json::Type::Array: {
      const auto& items = v.elements();
      if (items.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ',';
        newline(out, indent, level + 1);
        dump_value(items[i], out, indent, level + 1);
      }
      newline(out, indent, level);
      out += ']';
      return;
    }
    case Json::Type::Object: {
      const auto& keys = v.keys();
      if (keys.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < keys.size(); ++i) {
        if (i) out += ',';
        newline(out, indent, level + 1);
        out += json_quote(keys[i]);
        out += indent < 0 ? ":" : ": ";
        dump_value(v.at(keys[i]), out, indent, level + 1);
      }
      newline(out, indent, level);
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string Json::dump(int indent) const {
  std::string out;
  dump_value(*this, out, indent, 0);
  return out;
}

}  // namespace strata::io
