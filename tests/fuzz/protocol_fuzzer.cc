// libFuzzer target: every core/protocol decoder over the same arbitrary
// bytes (each refuses what is not its document, so one corpus covers all).
// Any crash, leak, hang or sanitizer report is a bug; InvalidArgument is
// expected. One property beyond "no crash": a document a decoder accepts
// must encode again, and that encoding must decode (the encoders and
// decoders apply the same limits), else the target aborts.
//
// The VM log (vm_log.h) gets stronger checks, because the launcher, the
// agent and the verifier all read the same file: a record that decodes
// re-encodes to a line that decodes to the same record, and ParseVmLog
// accounts for every line of the input exactly once, with offsets inside the
// input, at most one torn line (the last), and each record's own line
// decoding to that record. The parsed records are replayed too.
//
// Seeds (tests/fuzz/seeds/protocol/): one document of each kind as the
// encoders write it, the evidence built from the real swtpm quote
// (tests/unit/core/protocol/testdata/), and VM logs (vm-log-*.jsonl: valid,
// torn tail, malformed and CRLF lines).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/protocol/decision.h"
#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"
#include "core/protocol/vm_log.h"

namespace {

[[noreturn]] void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s: %s\n", what, detail.c_str());
  std::abort();
}

template <typename T, typename Encode, typename Decode>
void RoundTrip(const char* what, std::string_view input, Decode decode, Encode encode) {
  vouch::Result<T> decoded = decode(input);
  if (!decoded.has_value()) {
    // Decoders refuse only with InvalidArgument.
    if (decoded.error().code() != vouch::Code::kInvalidArgument) {
      Fail(what, "unexpected code: " + decoded.error().ToString());
    }
    return;
  }
  vouch::Result<std::string> encoded = encode(*decoded);
  if (!encoded.has_value()) Fail(what, "accepted but cannot encode: " + encoded.error().ToString());
  vouch::Result<T> again = decode(*encoded);
  if (!again.has_value()) Fail(what, "own encoding refused: " + again.error().ToString());
}

// The encoder refuses a decision that contradicts its reasons, which the
// decoder accepts on purpose (decision.h): only consistent ones must
// round-trip.
void LaunchDecisionRoundTrip(std::string_view input) {
  namespace p = vouch::protocol;
  vouch::Result<p::LaunchDecision> decoded = p::DecodeLaunchDecision(input);
  if (decoded.has_value() &&
      (decoded->decision == p::LaunchVerdict::kAllow) == vouch::HasErrors(decoded->reasons)) {
    return;
  }
  RoundTrip<p::LaunchDecision>("launch_decision", input, p::DecodeLaunchDecision,
                               p::EncodeLaunchDecision);
}

void VmLogRecordRoundTrip(std::string_view input) {
  namespace p = vouch::protocol;
  RoundTrip<p::VmLogRecord>("vm_log_record", input, p::DecodeVmLogRecord, p::EncodeVmLogRecord);
  vouch::Result<p::VmLogRecord> decoded = p::DecodeVmLogRecord(input);
  if (!decoded.has_value()) return;
  vouch::Result<p::VmLogRecord> again = p::DecodeVmLogRecord(*p::EncodeVmLogRecord(*decoded));
  if (!(*again == *decoded)) Fail("vm_log_record", "re-encoded record decodes differently");
}

void VmLogParse(std::string_view input) {
  namespace p = vouch::protocol;
  vouch::Result<p::ParsedVmLog> parsed = p::ParseVmLog(vouch::AsBytes(input));
  if (!parsed.has_value()) {
    if (input.size() <= vouch::protocol::kMaxVmLogBytes) Fail("vm_log", "refused a log in limits");
    return;
  }
  if (parsed->records.size() != parsed->offsets.size()) Fail("vm_log", "offsets not parallel");
  // Walk the lines again and match each to exactly one record or defect.
  size_t record = 0;
  size_t defect = 0;
  size_t offset = 0;
  while (offset < input.size()) {
    const size_t newline = input.find('\n', offset);
    const size_t end = newline == std::string_view::npos ? input.size() : newline;
    if (record < parsed->records.size() && parsed->offsets[record] == offset) {
      vouch::Result<p::VmLogRecord> own = p::DecodeVmLogRecord(input.substr(offset, end - offset));
      if (!own.has_value() || !(*own == parsed->records[record])) {
        Fail("vm_log", "record does not come from its line");
      }
      ++record;
    } else if (defect < parsed->defects.size() && parsed->defects[defect].offset == offset) {
      const p::VmLogDefect& d = parsed->defects[defect];
      if (d.length != end - offset) Fail("vm_log", "defect length");
      if ((d.kind == p::VmLogDefect::Kind::kTorn) != (newline == std::string_view::npos)) {
        Fail("vm_log", "torn iff the last line has no newline");
      }
      ++defect;
    } else {
      Fail("vm_log", "a line is neither a record nor a defect");
    }
    offset = end + 1;
  }
  if (record != parsed->records.size() || defect != parsed->defects.size()) {
    Fail("vm_log", "more records or defects than lines");
  }
  if (parsed->ends_with_newline != (input.empty() || input.back() == '\n')) {
    Fail("vm_log", "ends_with_newline");
  }
  vouch::tpm::PcrValues pcrs = p::ReplayVmLog(
      parsed->records, {vouch::HashAlg::kSha1, vouch::HashAlg::kSha256, vouch::HashAlg::kSha384,
                        vouch::HashAlg::kSha512, vouch::HashAlg::kSm3_256});
  if (pcrs.banks().count(vouch::HashAlg::kSm3_256) != 0) Fail("vm_log", "replayed SM3");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace p = vouch::protocol;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  RoundTrip<p::Evidence>("evidence", input, p::DecodeEvidence, p::EncodeEvidence);
  RoundTrip<p::EnrollmentRequest>("enrollment_request", input, p::DecodeEnrollmentRequest,
                                  p::EncodeEnrollmentRequest);
  RoundTrip<p::EnrollmentChallenge>("enrollment_challenge", input, p::DecodeEnrollmentChallenge,
                                    p::EncodeEnrollmentChallenge);
  RoundTrip<p::ActivationRequest>("activation_request", input, p::DecodeActivationRequest,
                                  p::EncodeActivationRequest);
  RoundTrip<p::ActivationResult>("activation_result", input, p::DecodeActivationResult,
                                 p::EncodeActivationResult);
  RoundTrip<p::Challenge>("challenge", input, p::DecodeChallenge, p::EncodeChallenge);
  RoundTrip<p::EvidenceRequest>("evidence_request", input, p::DecodeEvidenceRequest,
                                p::EncodeEvidenceRequest);
  RoundTrip<p::LaunchDecisionRequest>("launch_decision_request", input,
                                      p::DecodeLaunchDecisionRequest,
                                      p::EncodeLaunchDecisionRequest);
  LaunchDecisionRoundTrip(input);
  VmLogRecordRoundTrip(input);
  VmLogParse(input);
  return 0;
}
