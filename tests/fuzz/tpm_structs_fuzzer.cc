// libFuzzer target: TPM structure decoding (TPMS_ATTEST, TPMT_SIGNATURE,
// TPM2B_PUBLIC) and quote verification over arbitrary bytes. The first byte
// picks the decoder so one corpus covers all of them.
#include <cstddef>
#include <cstdint>

#include "core/tpm/attest.h"
#include "core/tpm/public.h"
#include "core/tpm/quote.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  vouch::ByteView input(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto a = vouch::tpm::DecodeAttest(input);
      (void)a;
      break;
    }
    case 1: {
      auto s = vouch::tpm::DecodeSignature(input);
      (void)s;
      break;
    }
    case 2: {
      auto p = vouch::tpm::TpmPublic::DecodeTpm2b(input);
      (void)p;
      break;
    }
    default: {
      // A TPM2B_PUBLIC followed by attest and signature, split by 2-byte
      // big-endian lengths, through the whole verification.
      if (input.size() < 4) return 0;
      size_t a = (size_t{input[0]} << 8) | input[1];
      size_t b = (size_t{input[2]} << 8) | input[3];
      vouch::ByteView rest = input.subspan(4);
      if (a + b > rest.size()) return 0;
      auto ak = vouch::tpm::TpmPublic::DecodeTpm2b(rest.subspan(0, a));
      if (!ak.has_value()) return 0;
      vouch::tpm::QuoteEvidence ev;
      ev.attest.assign(rest.begin() + a, rest.begin() + a + b);
      ev.signature.assign(rest.begin() + a + b, rest.end());
      auto v = vouch::tpm::VerifyQuote(*ak, ev, vouch::ByteView());
      (void)v;
      break;
    }
  }
  return 0;
}
