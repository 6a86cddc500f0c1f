// Helpers of the launcher/vm unit tests: a temporary directory, files with
// pseudo-random content, and a TpmDevice wrapper that makes FakeTpmDevice
// safe to share between the threads of the concurrent-writer tests.
#ifndef VOUCH_TESTS_UNIT_LAUNCHER_VM_TEST_UTIL_H_
#define VOUCH_TESTS_UNIT_LAUNCHER_VM_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::launcher::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/vouch-vm-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline Bytes RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

inline void WriteFile(const std::string& path, ByteView data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Serialises every call to a TpmDevice (which is thread-compatible only).
class LockedTpmDevice final : public tpm_device::TpmDevice {
 public:
  explicit LockedTpmDevice(tpm_device::TpmDevice& inner) : inner_(inner) {}
  Status Startup() override {
    std::lock_guard l(mu_);
    return inner_.Startup();
  }
  Result<std::vector<HashAlg>> ActiveBanks() override {
    std::lock_guard l(mu_);
    return inner_.ActiveBanks();
  }
  Result<tpm::PcrValues> ReadPcrs(const std::vector<tpm::PcrSelection>& s) override {
    std::lock_guard l(mu_);
    return inner_.ReadPcrs(s);
  }
  Status ExtendPcr(uint32_t pcr, const std::vector<tpm_device::BankDigest>& d) override {
    std::lock_guard l(mu_);
    return inner_.ExtendPcr(pcr, d);
  }
  Result<Bytes> ReadPublic(uint32_t h) override {
    std::lock_guard l(mu_);
    return inner_.ReadPublic(h);
  }
  Result<Bytes> ReadNv(uint32_t i) override {
    std::lock_guard l(mu_);
    return inner_.ReadNv(i);
  }
  Result<tpm_device::TpmObject> LoadEk(tpm_device::EkKind k) override {
    std::lock_guard l(mu_);
    return inner_.LoadEk(k);
  }
  Result<tpm_device::AkBlob> CreateAk(const tpm_device::TpmObject& ek,
                                      tpm_device::AkKind k) override {
    std::lock_guard l(mu_);
    return inner_.CreateAk(ek, k);
  }
  Result<tpm_device::TpmObject> LoadAk(const tpm_device::TpmObject& ek,
                                       const tpm_device::AkBlob& b) override {
    std::lock_guard l(mu_);
    return inner_.LoadAk(ek, b);
  }
  Status Persist(const tpm_device::TpmObject& k, uint32_t h) override {
    std::lock_guard l(mu_);
    return inner_.Persist(k, h);
  }
  Result<tpm_device::TpmObject> LoadPersistent(uint32_t h) override {
    std::lock_guard l(mu_);
    return inner_.LoadPersistent(h);
  }
  Status Evict(uint32_t h) override {
    std::lock_guard l(mu_);
    return inner_.Evict(h);
  }
  Result<tpm_device::TpmQuote> Quote(const tpm_device::TpmObject& ak, ByteView nonce,
                                     const std::vector<tpm::PcrSelection>& s) override {
    std::lock_guard l(mu_);
    return inner_.Quote(ak, nonce, s);
  }
  Result<Bytes> ActivateCredential(const tpm_device::TpmObject& ak, const tpm_device::TpmObject& ek,
                                   ByteView blob, ByteView secret) override {
    std::lock_guard l(mu_);
    return inner_.ActivateCredential(ak, ek, blob, secret);
  }
  Status SetLocality(uint8_t locality) override {
    std::lock_guard l(mu_);
    return inner_.SetLocality(locality);
  }
  Result<tpm_device::LoadedHandleCounts> CountLoadedHandles() override {
    std::lock_guard l(mu_);
    return inner_.CountLoadedHandles();
  }

 private:
  tpm_device::TpmDevice& inner_;
  std::mutex mu_;
};

}  // namespace vouch::launcher::testing

#endif  // VOUCH_TESTS_UNIT_LAUNCHER_VM_TEST_UTIL_H_
