#include "launcher/drtm/tboot_measure.h"

#include <algorithm>
#include <string>

#include "core/crypto/digest.h"

namespace vouch::launcher {

namespace {

// H(first || second) without building the concatenation.
Result<Bytes> HashPair(HashAlg bank, ByteView first, ByteView second) {
  VOUCH_ASSIGN_OR_RETURN(crypto::Hasher hasher, crypto::Hasher::Create(bank));
  hasher.Update(first);
  hasher.Update(second);
  return hasher.Final();
}

Status CheckBanks(const std::vector<HashAlg>& banks) {
  if (banks.empty()) return InvalidArgumentError("no PCR bank to measure for");
  for (size_t i = 0; i < banks.size(); ++i) {
    if (std::find(banks.begin(), banks.begin() + static_cast<std::ptrdiff_t>(i), banks[i]) !=
        banks.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidArgumentError("bank " + std::string(HashAlgName(banks[i])) + " listed twice");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Bytes> TbootModuleDigest(HashAlg bank, ByteView image, std::string_view cmdline) {
  VOUCH_ASSIGN_OR_RETURN(Bytes cmdline_hash, crypto::Digest(bank, AsBytes(cmdline)));
  VOUCH_ASSIGN_OR_RETURN(Bytes image_hash, crypto::Digest(bank, image));
  return HashPair(bank, cmdline_hash, image_hash);
}

Result<std::vector<tpm_device::BankDigest>> TbootModuleDigests(const std::vector<HashAlg>& banks,
                                                               ByteView image,
                                                               std::string_view cmdline) {
  VOUCH_RETURN_IF_ERROR(CheckBanks(banks));
  std::vector<tpm_device::BankDigest> out;
  out.reserve(banks.size());
  for (HashAlg bank : banks) {
    VOUCH_ASSIGN_OR_RETURN(Bytes d, TbootModuleDigest(bank, image, cmdline));
    out.push_back(tpm_device::BankDigest{bank, std::move(d)});
  }
  return out;
}

Result<Bytes> TbootPolicyDigest(HashAlg bank, uint32_t policy_control, ByteView vlp) {
  const uint8_t control[4] = {
      static_cast<uint8_t>(policy_control), static_cast<uint8_t>(policy_control >> 8),
      static_cast<uint8_t>(policy_control >> 16), static_cast<uint8_t>(policy_control >> 24)};
  if ((policy_control & kTbootPolicyControlExtendPcr17) == 0) {
    // tboot hashes zeros in place of the policy when the bit is clear.
    if (!crypto::IsDigestSupported(bank)) {
      return InvalidArgumentError("bank " + std::string(HashAlgName(bank)) + " not supported");
    }
    const Bytes zeros(DigestSize(bank), 0);
    return HashPair(bank, ByteView(control, sizeof(control)), zeros);
  }
  VOUCH_ASSIGN_OR_RETURN(Bytes vlp_hash, crypto::Digest(bank, vlp));
  return HashPair(bank, ByteView(control, sizeof(control)), vlp_hash);
}

Result<std::vector<tpm_device::BankDigest>> TbootPolicyDigests(const std::vector<HashAlg>& banks,
                                                               uint32_t policy_control,
                                                               ByteView vlp) {
  VOUCH_RETURN_IF_ERROR(CheckBanks(banks));
  std::vector<tpm_device::BankDigest> out;
  out.reserve(banks.size());
  for (HashAlg bank : banks) {
    VOUCH_ASSIGN_OR_RETURN(Bytes d, TbootPolicyDigest(bank, policy_control, vlp));
    out.push_back(tpm_device::BankDigest{bank, std::move(d)});
  }
  return out;
}

}  // namespace vouch::launcher
