// CheckAgainstSchema: validates a JSON document against the subset of JSON
// Schema draft 2020-12 that schemas/ uses, for tests.
//
// Supported keywords: $ref (local "#/$defs/..."), type, enum, const,
// required, properties, additionalProperties (boolean or schema),
// propertyNames, items, minItems, maxItems, minProperties, maxProperties,
// uniqueItems, minimum, maximum, minLength,
// maxLength (code points), pattern (ECMAScript, unanchored search), oneOf,
// anyOf. Annotations ($schema, $id, $defs, title, description) are ignored.
// Any other keyword is reported as an error, so a schema cannot silently
// rely on something this checker skips. Not a general validator: no remote
// references, no dynamic scopes, no format assertions.
//
// LoadSchema: reads a published schema from schemas/ (the directory given by
// the VOUCH_SCHEMAS_DIR compile definition of every test target that
// compiles schema_check.cc).
#ifndef VOUCH_TESTS_UNIT_POLICY_SCHEMA_CHECK_H_
#define VOUCH_TESTS_UNIT_POLICY_SCHEMA_CHECK_H_

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vouch::testing {

// Every violation as "<json pointer>: <problem>"; empty when `doc` is valid.
std::vector<std::string> CheckAgainstSchema(const nlohmann::json& schema,
                                            const nlohmann::json& doc);

// schemas/<name>.schema.json, parsed. Adds a GoogleTest failure (EXPECT,
// the test goes on) when the file is missing or does not parse, or when its
// $id is not "https://vouch.dev/schemas/v1/<name>.json" or its $schema not
// draft 2020-12; returns an empty object when it does not parse.
nlohmann::json LoadSchema(const std::string& name);

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_UNIT_POLICY_SCHEMA_CHECK_H_
