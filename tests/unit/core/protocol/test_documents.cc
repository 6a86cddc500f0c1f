#include "tests/unit/core/protocol/test_documents.h"

#include <cstdlib>
#include <iostream>

namespace vouch::protocol::testing {
namespace {

Bytes Pattern(size_t size, uint8_t seed) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i * 7);
  return out;
}

void SetOrDie(tpm::PcrValues& pcrs, HashAlg bank, uint32_t index, Bytes value) {
  Status s = pcrs.Set(bank, index, std::move(value));
  if (!s.ok()) {
    std::cerr << "test setup: " << s.ToString() << "\n";
    std::abort();
  }
}

}  // namespace

HostFacts SampleHost() {
  HostFacts host;
  host.hostname = "node-17.rack3.example";
  host.machine_id = "0123456789abcdef0123456789abcdef";
  host.agent_version = "0.3.0";
  host.hypervisor = HypervisorKind::kXen;
  host.hypervisor_version = "4.17.2";
  host.measured_launch = MeasuredLaunch::kTxt;
  host.labels = {{"rack", "3"}, {"site/zone", "eu-west-1"}, {"owner.team", "platform \u00e9"}};
  return host;
}

Evidence FullEvidence() {
  Evidence e;
  e.nonce = Pattern(32, 0x10);
  e.quote_attest = Pattern(145, 0x20);
  e.quote_signature = Pattern(262, 0x30);
  e.ak_public = Pattern(280, 0x40);
  for (uint32_t i = 0; i < tpm::kNumPcrs; ++i) {
    SetOrDie(e.pcrs, HashAlg::kSha256, i, Pattern(32, static_cast<uint8_t>(i)));
  }
  for (uint32_t i : {0u, 7u, 17u}) {
    SetOrDie(e.pcrs, HashAlg::kSha1, i, Pattern(20, static_cast<uint8_t>(100 + i)));
  }
  SetOrDie(e.pcrs, HashAlg::kSha384, 10, Pattern(48, 1));
  SetOrDie(e.pcrs, HashAlg::kSha512, 23, Pattern(64, 2));
  e.srtm_log = Pattern(4096, 0x50);
  e.drtm_log = Pattern(1000, 0x60);
  e.vm_log = Bytes();  // present but empty is distinct from absent
  e.reset_count = 4294967295u;
  e.restart_count = 0;
  e.host = SampleHost();
  return e;
}

Evidence MinimalEvidence() {
  Evidence e;
  e.nonce = Pattern(8, 0x01);
  e.quote_attest = Pattern(1, 0x02);
  e.quote_signature = Pattern(2, 0x03);
  e.ak_public = Pattern(3, 0x04);
  SetOrDie(e.pcrs, HashAlg::kSha256, 0, Pattern(32, 0));
  e.host.hostname = "h";
  return e;
}

EnrollmentRequest FullEnrollmentRequest() {
  EnrollmentRequest r;
  r.ek_public = Pattern(314, 0x70);
  r.ek_certificate = Pattern(1200, 0x71);
  r.ek_intermediates = {Pattern(900, 0x72), Pattern(800, 0x73)};
  r.ak_public = Pattern(280, 0x74);
  r.host = SampleHost();
  return r;
}

EnrollmentChallenge SampleEnrollmentChallenge() {
  EnrollmentChallenge c;
  c.enrollment_id = "enr_0123-abc";
  c.credential_blob = Pattern(68, 0x80);
  c.encrypted_secret = Pattern(258, 0x81);
  c.expires_at = "2026-11-28T09:00:00Z";
  return c;
}

bool SameHost(const HostFacts& a, const HostFacts& b) {
  return a.hostname == b.hostname && a.machine_id == b.machine_id &&
         a.agent_version == b.agent_version && a.hypervisor == b.hypervisor &&
         a.hypervisor_version == b.hypervisor_version && a.measured_launch == b.measured_launch &&
         a.labels == b.labels;
}

bool SameEvidence(const Evidence& a, const Evidence& b) {
  return a.nonce == b.nonce && a.quote_attest == b.quote_attest &&
         a.quote_signature == b.quote_signature && a.ak_public == b.ak_public && a.pcrs == b.pcrs &&
         a.srtm_log == b.srtm_log && a.drtm_log == b.drtm_log && a.vm_log == b.vm_log &&
         a.reset_count == b.reset_count && a.restart_count == b.restart_count &&
         SameHost(a.host, b.host);
}

bool SameEnrollmentRequest(const EnrollmentRequest& a, const EnrollmentRequest& b) {
  return a.ek_public == b.ek_public && a.ek_certificate == b.ek_certificate &&
         a.ek_intermediates == b.ek_intermediates && a.ak_public == b.ak_public &&
         SameHost(a.host, b.host);
}

std::string Edit(const std::string& json, const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    std::cerr << "test setup: cannot parse " << json << "\n";
    std::abort();
  }
  edit(doc);
  return doc.dump();
}

}  // namespace vouch::protocol::testing
