// Valid sample documents for the protocol tests, and field-wise equality
// (the protocol structs have no operator== of their own).
#ifndef VOUCH_TESTS_UNIT_CORE_PROTOCOL_TEST_DOCUMENTS_H_
#define VOUCH_TESTS_UNIT_CORE_PROTOCOL_TEST_DOCUMENTS_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"

namespace vouch::protocol::testing {

// Every optional member set: two banks, three logs, counters, labels.
Evidence FullEvidence();
// Only the required members: one bank, no logs, no counters, no labels.
Evidence MinimalEvidence();
HostFacts SampleHost();
EnrollmentRequest FullEnrollmentRequest();
EnrollmentChallenge SampleEnrollmentChallenge();

bool SameHost(const HostFacts& a, const HostFacts& b);
bool SameEvidence(const Evidence& a, const Evidence& b);
bool SameEnrollmentRequest(const EnrollmentRequest& a, const EnrollmentRequest& b);

// `json` parsed, changed by `edit`, dumped again: for building invalid
// documents from valid ones. The parse must succeed (test bug otherwise).
std::string Edit(const std::string& json, const std::function<void(nlohmann::json&)>& edit);

}  // namespace vouch::protocol::testing

#endif  // VOUCH_TESTS_UNIT_CORE_PROTOCOL_TEST_DOCUMENTS_H_
