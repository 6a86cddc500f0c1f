// Evidence collection cost vs. the raw TPM commands it cannot avoid.
//
// On one swtpm (started here with vouch::testing::SwtpmInstance), for an ECC
// P-256 and an RSA-2048 AK made persistent under the EK, measures:
//   subject:  agent::EvidenceCollector::Collect (active banks, PCR read of
//             PCRs 0-23 in every active bank, quote, pcrDigest check, host
//             facts; no log files) followed by protocol::EncodeEvidence,
//             through the ESAPI TpmDevice
//   baseline: the same TPM work done directly with tpm2-tss ESAPI in this
//             process: Esys_PCR_Read of PCRs 0-23 in sha1 and sha256 in
//             calls of at most 8 digests (the TPM's limit, so 6 calls), then
//             one Esys_Quote over the same selection
// swtpm serves one connection at a time, so each batch opens its own
// connection (outside the timed part) and batches alternate between the two,
// the first of each pair swapping every round, to cancel machine noise.
// Prints the median time per call of each and the median per-round ratio
// subject/baseline (target <= 1.20).
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "agent/evidence_collector.h"
#include "bench/ratio.h"
#include "core/protocol/evidence.h"
#include "core/tpm_device/esys_tpm_device.h"
#include "core/tpm_device/tpm_device.h"
#include "tests/testing/swtpm.h"

namespace {

using vouch::Bytes;

constexpr int kRounds = 11;

void Die(const std::string& what) {
  std::fprintf(stderr, "agent_bench: %s\n", what.c_str());
  std::exit(2);
}

template <typename T>
T Check(vouch::Result<T> r, const char* what) {
  if (!r.has_value()) Die(std::string(what) + ": " + r.error().ToString());
  return std::move(r).value();
}

void CheckRc(TSS2_RC rc, const char* what) {
  if (rc != TSS2_RC_SUCCESS) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%08x", rc);
    Die(std::string(what) + " failed: " + hex);
  }
}

class NoFacts final : public vouch::agent::HostFactsSource {
 public:
  vouch::protocol::HostFacts Facts() override {
    vouch::protocol::HostFacts facts;
    facts.hostname = "bench-host";
    facts.agent_version = "0.1.0";
    return facts;
  }
};

// The baseline: one ESAPI context of its own on the TPM.
class RawEsys {
 public:
  RawEsys(const std::string& tcti, uint32_t ak_handle) {
    CheckRc(Tss2_TctiLdr_Initialize(tcti.c_str(), &tcti_), "Tss2_TctiLdr_Initialize");
    CheckRc(Esys_Initialize(&ctx_, tcti_, nullptr), "Esys_Initialize");
    CheckRc(Esys_TR_FromTPMPublic(ctx_, ak_handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &ak_),
            "Esys_TR_FromTPMPublic");
    all_.count = 2;
    all_.pcrSelections[0].hash = TPM2_ALG_SHA1;
    all_.pcrSelections[1].hash = TPM2_ALG_SHA256;
    for (int b = 0; b < 2; ++b) {
      all_.pcrSelections[b].sizeofSelect = 3;
      std::fill_n(all_.pcrSelections[b].pcrSelect, 3, 0xff);
    }
  }
  ~RawEsys() {
    Esys_Finalize(&ctx_);
    Tss2_TctiLdr_Finalize(&tcti_);
  }
  RawEsys(const RawEsys&) = delete;
  RawEsys& operator=(const RawEsys&) = delete;

  // Reads all 48 PCRs, as many calls as the TPM needs, then quotes them.
  void ReadAndQuote(const TPM2B_DATA& nonce) {
    TPML_PCR_SELECTION remaining = all_;
    size_t values = 0;
    while (values < 48) {
      UINT32 counter = 0;
      TPML_PCR_SELECTION* sel = nullptr;
      TPML_DIGEST* digests = nullptr;
      CheckRc(Esys_PCR_Read(ctx_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining, &counter,
                            &sel, &digests),
              "Esys_PCR_Read");
      if (digests->count == 0) Die("Esys_PCR_Read returned nothing");
      values += digests->count;
      // Clear what was returned from the selection still to read.
      for (UINT32 i = 0; i < sel->count; ++i) {
        for (UINT32 j = 0; j < remaining.count; ++j) {
          if (remaining.pcrSelections[j].hash != sel->pcrSelections[i].hash) continue;
          for (int b = 0; b < 3; ++b) {
            remaining.pcrSelections[j].pcrSelect[b] &=
                static_cast<BYTE>(~sel->pcrSelections[i].pcrSelect[b]);
          }
        }
      }
      Esys_Free(sel);
      Esys_Free(digests);
    }
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;
    TPM2B_ATTEST* attest = nullptr;
    TPMT_SIGNATURE* signature = nullptr;
    CheckRc(Esys_Quote(ctx_, ak_, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &nonce, &scheme,
                       &all_, &attest, &signature),
            "Esys_Quote");
    Esys_Free(attest);
    Esys_Free(signature);
  }

 private:
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR ak_ = ESYS_TR_NONE;
  TPML_PCR_SELECTION all_{};
};

double TimeBaseline(const std::string& tcti, uint32_t handle, int calls) {
  RawEsys esys(tcti, handle);
  TPM2B_DATA nonce{};
  nonce.size = 32;
  std::fill_n(nonce.buffer, 32, 0x5a);
  esys.ReadAndQuote(nonce);  // warm-up: connection and session state
  return vouch::bench::TimePerCallNs(
      [&] {
        ++nonce.buffer[0];
        esys.ReadAndQuote(nonce);
      },
      calls);
}

double TimeSubject(const std::string& tcti, uint32_t handle, int calls) {
  auto device = Check(vouch::tpm_device::OpenEsysTpmDevice(tcti), "open TPM");
  vouch::tpm_device::TpmObject ak = Check(device->LoadPersistent(handle), "load AK");
  vouch::agent::FileEventLogSource logs("", "", "");
  NoFacts facts;
  vouch::agent::EvidenceCollector collector(*device, ak, logs, facts);
  Bytes nonce(32, 0x5a);
  size_t bytes = 0;
  auto one = [&] {
    ++nonce[0];
    auto evidence = Check(collector.Collect(nonce, {}), "collect");
    bytes += Check(vouch::protocol::EncodeEvidence(evidence), "encode").size();
  };
  one();  // warm-up
  const double ns = vouch::bench::TimePerCallNs(one, calls);
  if (bytes == 0) Die("empty evidence");
  return ns;
}

}  // namespace

int main() {
  auto tpm = Check(vouch::testing::SwtpmInstance::Start(), "start swtpm");
  const std::string tcti = tpm->Tcti();
  struct Case {
    vouch::tpm_device::AkKind kind;
    uint32_t handle;
    int calls;
    const char* name;
  };
  const Case cases[] = {
      {vouch::tpm_device::AkKind::kEccP256, 0x81000201, 40, "ECC P-256 ECDSA-SHA256"},
      {vouch::tpm_device::AkKind::kRsa2048, 0x81000202, 15, "RSA-2048 RSASSA-SHA256"},
  };
  std::printf("Evidence collection (Collect + EncodeEvidence) vs raw ESAPI PCR reads + quote\n");
  std::printf("swtpm, sha1+sha256 banks, PCRs 0-23, no logs; median of %d alternating rounds\n",
              kRounds);
  std::printf("%-26s %12s %12s %10s\n", "AK", "esys_ms", "vouch_ms", "ratio");
  bool all_met = true;
  for (const Case& c : cases) {
    {
      auto device = Check(vouch::tpm_device::OpenEsysTpmDevice(tcti), "open TPM");
      auto ek = Check(device->LoadEk(vouch::tpm_device::EkKind::kRsa), "load EK");
      auto blob = Check(device->CreateAk(ek, c.kind), "create AK");
      auto ak = Check(device->LoadAk(ek, blob), "load AK");
      if (vouch::Status s = device->Persist(ak, c.handle); !s.ok()) Die(s.ToString());
    }
    std::vector<double> base, subj, ratio;
    for (int round = 0; round < kRounds; ++round) {
      double b = 0;
      double s = 0;
      if (round % 2 == 0) {
        b = TimeBaseline(tcti, c.handle, c.calls);
        s = TimeSubject(tcti, c.handle, c.calls);
      } else {
        s = TimeSubject(tcti, c.handle, c.calls);
        b = TimeBaseline(tcti, c.handle, c.calls);
      }
      base.push_back(b);
      subj.push_back(s);
      ratio.push_back(s / b);
    }
    const double r = vouch::bench::Median(ratio);
    all_met = all_met && r <= 1.2;
    std::printf("%-26s %12.3f %12.3f %10.3f\n", c.name, vouch::bench::Median(base) / 1e6,
                vouch::bench::Median(subj) / 1e6, r);
    auto device = Check(vouch::tpm_device::OpenEsysTpmDevice(tcti), "open TPM");
    if (vouch::Status s = device->Evict(c.handle); !s.ok()) Die(s.ToString());
  }
  std::printf("target ratio <= 1.20: %s\n", all_met ? "met" : "NOT met");
  return 0;
}
