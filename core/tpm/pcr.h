// PCR selections and values, and the trusted wrapper VerifiedPcrs.
//
// PcrValues is plain data: values claimed by a host, computed from a log or
// read from a file; nothing about it is trusted. VerifiedPcrs can only be
// produced by quote verification (core/tpm/quote.h), so code that takes
// VerifiedPcrs knows the values were signed by an attestation key over a
// fresh nonce. Thread-compatible value types.
#ifndef VOUCH_CORE_TPM_PCR_H_
#define VOUCH_CORE_TPM_PCR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"

namespace vouch::tpm {

inline constexpr uint32_t kNumPcrs = 24;

// One bank's selected PCR indices, ascending, each < kNumPcrs.
struct PcrSelection {
  HashAlg bank;
  std::vector<uint32_t> pcrs;
  friend bool operator==(const PcrSelection&, const PcrSelection&) = default;
};

// PCR values by bank then index. Each value is DigestSize(bank) bytes
// (enforced by Set). Copies share their storage until one of them is
// modified (copy-on-write), so copying is O(1): quote verification copies the
// claimed values into VerifiedPcrs on every quote.
class PcrValues {
 public:
  using BankMap = std::map<HashAlg, std::map<uint32_t, Bytes>>;

  PcrValues();
  // Copying shares the storage. There are no move operations on purpose: a
  // move is a copy, so a moved-from PcrValues stays a valid (unchanged) value.
  PcrValues(const PcrValues&) = default;
  PcrValues& operator=(const PcrValues&) = default;

  // InvalidArgument if index >= kNumPcrs or value has the wrong size.
  Status Set(HashAlg bank, uint32_t index, Bytes value);
  // nullptr when absent. The pointer is valid until this object is modified
  // or destroyed.
  const Bytes* Get(HashAlg bank, uint32_t index) const;
  bool empty() const { return banks_->empty(); }
  const BankMap& banks() const { return *banks_; }
  friend bool operator==(const PcrValues& a, const PcrValues& b) {
    return a.banks_ == b.banks_ || *a.banks_ == *b.banks_;
  }

 private:
  // Never null; shared between copies, cloned by Set when shared.
  std::shared_ptr<const BankMap> banks_;
};

// PCR values that a verified quote covers. Only quote verification creates
// them (and tests, through ForTest).
class VerifiedPcrs {
 public:
  const PcrValues& values() const { return values_; }
  const Bytes* Get(HashAlg bank, uint32_t index) const { return values_.Get(bank, index); }

  static VerifiedPcrs CreateForTest(PcrValues values) { return VerifiedPcrs(std::move(values)); }

 private:
  friend class QuoteVerifierAccess;
  explicit VerifiedPcrs(PcrValues values) : values_(std::move(values)) {}
  PcrValues values_;
};

}  // namespace vouch::tpm

#endif  // VOUCH_CORE_TPM_PCR_H_
