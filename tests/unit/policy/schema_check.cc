#include "tests/unit/policy/schema_check.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#ifndef VOUCH_SCHEMAS_DIR
#error "a test target compiling schema_check.cc must define VOUCH_SCHEMAS_DIR"
#endif

namespace vouch::testing {
namespace {

using Json = nlohmann::json;

class Checker {
 public:
  explicit Checker(const Json& root) : root_(root) {}

  void Check(const Json& schema, const Json& doc, const std::string& at) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) Fail(at, "no value allowed here");
      return;
    }
    if (!schema.is_object()) {
      Fail(at, "schema is not an object");
      return;
    }
    static const std::set<std::string> kIgnored = {"$schema", "$id",         "$defs",
                                                   "title",   "description", "$comment"};
    for (const auto& [key, value] : schema.items()) {
      if (kIgnored.count(key)) continue;
      if (key == "$ref") {
        Ref(value.get<std::string>(), doc, at);
      } else if (key == "type") {
        Type(value, doc, at);
      } else if (key == "enum") {
        bool found = false;
        for (const Json& v : value) found = found || v == doc;
        if (!found) Fail(at, "value " + doc.dump() + " not in enum");
      } else if (key == "const") {
        if (doc != value) Fail(at, "value differs from const");
      } else if (key == "required") {
        if (!doc.is_object()) continue;
        for (const Json& name : value) {
          if (!doc.contains(name.get<std::string>())) {
            Fail(at, "missing required property " + name.get<std::string>());
          }
        }
      } else if (key == "properties" || key == "additionalProperties" || key == "propertyNames") {
        if (doc.is_object()) ObjectMembers(schema, key, doc, at);
      } else if (key == "items") {
        if (!doc.is_array()) continue;
        for (size_t i = 0; i < doc.size(); ++i) Check(value, doc[i], at + "/" + std::to_string(i));
      } else if (key == "minItems" || key == "maxItems") {
        if (!doc.is_array()) continue;
        bool min = key == "minItems";
        if (min ? doc.size() < value.get<size_t>() : doc.size() > value.get<size_t>()) {
          Fail(at, key + " violated (" + std::to_string(doc.size()) + " items)");
        }
      } else if (key == "minProperties" || key == "maxProperties") {
        if (!doc.is_object()) continue;
        bool min = key == "minProperties";
        if (min ? doc.size() < value.get<size_t>() : doc.size() > value.get<size_t>()) {
          Fail(at, key + " violated (" + std::to_string(doc.size()) + " properties)");
        }
      } else if (key == "uniqueItems") {
        if (!doc.is_array() || !value.get<bool>()) continue;
        for (size_t i = 0; i < doc.size(); ++i) {
          for (size_t j = i + 1; j < doc.size(); ++j) {
            if (doc[i] == doc[j]) Fail(at, "uniqueItems violated: " + doc[i].dump() + " twice");
          }
        }
      } else if (key == "minimum" || key == "maximum") {
        if (!doc.is_number()) continue;
        double v = doc.get<double>();
        double limit = value.get<double>();
        if (key == "minimum" ? v < limit : v > limit) Fail(at, key + " violated: " + doc.dump());
      } else if (key == "minLength" || key == "maxLength") {
        if (!doc.is_string()) continue;
        size_t n = CodePoints(doc.get<std::string>());
        if (key == "minLength" ? n < value.get<size_t>() : n > value.get<size_t>()) {
          Fail(at, key + " violated (" + std::to_string(n) + " characters)");
        }
      } else if (key == "pattern") {
        if (!doc.is_string()) continue;
        if (!std::regex_search(doc.get<std::string>(), std::regex(value.get<std::string>()))) {
          Fail(at, "\"" + doc.get<std::string>() + "\" does not match " + value.dump());
        }
      } else if (key == "oneOf" || key == "anyOf") {
        int matches = 0;
        for (const Json& sub : value) matches += Valid(sub, doc) ? 1 : 0;
        if (key == "oneOf" ? matches != 1 : matches == 0) {
          Fail(at, key + " matched " + std::to_string(matches) + " alternatives");
        }
      } else {
        Fail(at, "schema keyword not supported by this checker: " + key);
      }
    }
  }

  std::vector<std::string> errors;

 private:
  void Fail(const std::string& at, const std::string& what) {
    errors.push_back((at.empty() ? "/" : at) + ": " + what);
  }

  bool Valid(const Json& schema, const Json& doc) {
    Checker sub(root_);
    sub.Check(schema, doc, "");
    return sub.errors.empty();
  }

  void Ref(const std::string& ref, const Json& doc, const std::string& at) {
    if (ref.rfind("#/", 0) != 0) {
      Fail(at, "only local $ref supported: " + ref);
      return;
    }
    Json::json_pointer pointer(ref.substr(1));
    if (!root_.contains(pointer)) {
      Fail(at, "unresolved $ref " + ref);
      return;
    }
    Check(root_.at(pointer), doc, at);
  }

  void Type(const Json& type, const Json& doc, const std::string& at) {
    auto is = [&doc](const std::string& t) {
      if (t == "object") return doc.is_object();
      if (t == "array") return doc.is_array();
      if (t == "string") return doc.is_string();
      if (t == "boolean") return doc.is_boolean();
      if (t == "null") return doc.is_null();
      if (t == "number") return doc.is_number();
      if (t == "integer") {
        return doc.is_number_integer() ||
               (doc.is_number_float() &&
                doc.get<double>() == static_cast<int64_t>(doc.get<double>()));
      }
      return false;
    };
    bool ok = false;
    if (type.is_string()) {
      ok = is(type.get<std::string>());
    } else {
      for (const Json& t : type) ok = ok || is(t.get<std::string>());
    }
    if (!ok) Fail(at, "expected type " + type.dump() + ", got " + doc.type_name());
  }

  // properties / additionalProperties / propertyNames: each runs once per
  // schema, keyed on the first of them present.
  void ObjectMembers(const Json& schema, const std::string& key, const Json& doc,
                     const std::string& at) {
    const Json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
    for (const auto& [name, value] : doc.items()) {
      std::string where = at + "/" + name;
      bool listed = props != nullptr && props->contains(name);
      if (key == "properties" && listed) Check((*props)[name], value, where);
      if (key == "additionalProperties" && !listed) {
        Check(schema["additionalProperties"], value, where);
      }
      if (key == "propertyNames") Check(schema["propertyNames"], Json(name), where);
    }
  }

  static size_t CodePoints(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  }

  const Json& root_;
};

}  // namespace

std::vector<std::string> CheckAgainstSchema(const nlohmann::json& schema,
                                            const nlohmann::json& doc) {
  Checker checker(schema);
  checker.Check(schema, doc, "");
  return std::move(checker.errors);
}

nlohmann::json LoadSchema(const std::string& name) {
  std::ifstream in(std::string(VOUCH_SCHEMAS_DIR) + "/" + name + ".schema.json");
  EXPECT_TRUE(in.is_open()) << name << ".schema.json cannot be opened";
  std::stringstream text;
  text << in.rdbuf();
  Json schema = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(schema.is_object()) << name << " does not parse";
  if (!schema.is_object()) return Json::object();
  EXPECT_EQ(schema.value("$id", ""), "https://vouch.dev/schemas/v1/" + name + ".json");
  EXPECT_EQ(schema.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema");
  return schema;
}

}  // namespace vouch::testing
