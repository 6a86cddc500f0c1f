// libFuzzer target: every core/protocol decoder over the same arbitrary
// bytes (each refuses what is not its document, so one corpus covers all).
// Any crash, leak, hang or sanitizer report is a bug; InvalidArgument is
// expected. One property beyond "no crash": a document a decoder accepts
// must encode again, and that encoding must decode (the encoders and
// decoders apply the same limits), else the target aborts.
//
// Seeds (tests/fuzz/seeds/protocol/): one document of each kind as the
// encoders write it, and the evidence built from the real swtpm quote
// (tests/unit/core/protocol/testdata/).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/protocol/enrollment.h"
#include "core/protocol/evidence.h"

namespace {

template <typename T, typename Encode, typename Decode>
void RoundTrip(const char* what, std::string_view input, Decode decode, Encode encode) {
  vouch::Result<T> decoded = decode(input);
  if (!decoded.has_value()) {
    // Decoders refuse only with InvalidArgument.
    if (decoded.error().code() != vouch::Code::kInvalidArgument) {
      std::fprintf(stderr, "%s: unexpected code: %s\n", what, decoded.error().ToString().c_str());
      std::abort();
    }
    return;
  }
  vouch::Result<std::string> encoded = encode(*decoded);
  if (!encoded.has_value()) {
    std::fprintf(stderr, "%s: accepted but cannot encode: %s\n", what,
                 encoded.error().ToString().c_str());
    std::abort();
  }
  vouch::Result<T> again = decode(*encoded);
  if (!again.has_value()) {
    std::fprintf(stderr, "%s: own encoding refused: %s\n", what, again.error().ToString().c_str());
    std::abort();
  }
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
  return 0;
}
