#include "core/tpm/pcr.h"

#include <string>

namespace vouch::tpm {
namespace {

const std::shared_ptr<const PcrValues::BankMap>& EmptyBanks() {
  static const auto* empty =
      new std::shared_ptr<const PcrValues::BankMap>(std::make_shared<PcrValues::BankMap>());
  return *empty;
}

}  // namespace

PcrValues::PcrValues() : banks_(EmptyBanks()) {}

Status PcrValues::Set(HashAlg bank, uint32_t index, Bytes value) {
  if (index >= kNumPcrs) {
    return InvalidArgumentError("PCR index " + std::to_string(index) + " out of range");
  }
  if (value.size() != DigestSize(bank)) {
    return InvalidArgumentError(
        "PCR " + std::to_string(index) + " " + std::string(HashAlgName(bank)) + ": value has " +
        std::to_string(value.size()) + " bytes, expected " + std::to_string(DigestSize(bank)));
  }
  // Copy-on-write: clone when another PcrValues shares the map. A use_count
  // read racing with another copy's destruction can only overstate sharing,
  // which costs a needless clone, never a shared mutation.
  std::shared_ptr<BankMap> mine = banks_.use_count() == 1 ? std::const_pointer_cast<BankMap>(banks_)
                                                          : std::make_shared<BankMap>(*banks_);
  (*mine)[bank][index] = std::move(value);
  banks_ = std::move(mine);
  return Status();
}

const Bytes* PcrValues::Get(HashAlg bank, uint32_t index) const {
  auto b = banks_->find(bank);
  if (b == banks_->end()) return nullptr;
  auto v = b->second.find(index);
  return v == b->second.end() ? nullptr : &v->second;
}

}  // namespace vouch::tpm
