#include "core/tpm/pcr.h"

#include <string>

namespace vouch::tpm {

Status PcrValues::Set(HashAlg bank, uint32_t index, Bytes value) {
  if (index >= kNumPcrs) {
    return InvalidArgumentError("PCR index " + std::to_string(index) + " out of range");
  }
  if (value.size() != DigestSize(bank)) {
    return InvalidArgumentError("PCR " + std::to_string(index) + " " +
                                std::string(HashAlgName(bank)) + ": value has " +
                                std::to_string(value.size()) + " bytes, expected " +
                                std::to_string(DigestSize(bank)));
  }
  banks_[bank][index] = std::move(value);
  return Status();
}

const Bytes* PcrValues::Get(HashAlg bank, uint32_t index) const {
  auto b = banks_.find(bank);
  if (b == banks_.end()) return nullptr;
  auto v = b->second.find(index);
  return v == b->second.end() ? nullptr : &v->second;
}

}  // namespace vouch::tpm
