#include "launcher/tboot/status.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "launcher/drtm/emulate_launch.h"

namespace vouch::launcher::tboot {
namespace {

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s.substr(0, 128);
}

bool AllBytes(const Bytes& b, uint8_t v) {
  return !b.empty() && std::all_of(b.begin(), b.end(), [v](uint8_t x) { return x == v; });
}

std::string Short(const Bytes& b) { return HexEncode(b).substr(0, 16) + ".."; }

}  // namespace

TxtStat InterpretTxtStat(const Result<ToolOutput>& result) {
  TxtStat st;
  if (!result.has_value()) {
    st.detail = "txt-stat: " + result.error().message();
    return st;
  }
  const std::string all = result->stdout_text + result->stderr_text;
  if (result->exit_code != 0) {
    if (all.find("/dev/mem") != std::string::npos) {
      st.detail = "no TXT: txt-stat cannot open /dev/mem (no TXT platform, or not root)";
    } else {
      st.detail = "txt-stat failed (exit " + std::to_string(result->exit_code) + ")";
    }
    return st;
  }
  st.txt_present = true;
  const size_t at = all.find("TXT measured launch:");
  if (at != std::string::npos) {
    const std::string rest = all.substr(at, 40);
    st.measured_launch = rest.find("TRUE") != std::string::npos;
  }
  st.detail = st.measured_launch ? "txt-stat: TXT measured launch: TRUE"
                                 : "txt-stat: TXT present, no measured launch reported";
  return st;
}

HypervisorFacts DetectHypervisor(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  HypervisorFacts f;
  const std::string type = ReadSmallFile(root + "/sys/hypervisor/type");
  if (fs::exists(root + "/proc/xen", ec) || type == "xen") {
    f.kind = "xen";
    const std::string major = ReadSmallFile(root + "/sys/hypervisor/version/major");
    const std::string minor = ReadSmallFile(root + "/sys/hypervisor/version/minor");
    const std::string extra = ReadSmallFile(root + "/sys/hypervisor/version/extra");
    if (!major.empty()) f.version = major + "." + minor + extra;
    return f;
  }
  if (fs::exists(root + "/dev/kvm", ec)) {
    f.kind = "kvm";
    f.version = ReadSmallFile(root + "/proc/sys/kernel/osrelease");
    return f;
  }
  f.kind = "none";
  return f;
}

Result<LaunchCheck> CheckLaunch(const tpm::PcrValues& pcrs, const std::optional<Bytes>& drtm_log,
                                const std::optional<TbootPlan>& plan) {
  LaunchCheck check;
  std::vector<HashAlg> tpm_banks;
  for (HashAlg b : kAllHashAlgs) {
    if (pcrs.Get(b, 17) != nullptr) tpm_banks.push_back(b);
  }
  if (tpm_banks.empty()) return InvalidArgumentError("PCR 17: not read in any bank");
  bool all_ones = true;
  for (HashAlg b : tpm_banks) {
    if (!AllBytes(*pcrs.Get(b, 17), 0xFF)) all_ones = false;
  }
  if (all_ones) {
    check.problems.push_back(
        "no measured launch: PCR 17 is all ones (0xFF..FF) in every bank read, its value before "
        "any dynamic launch");
    return check;
  }
  check.launched = true;
  check.notes.push_back("PCR 17 is not all ones: a dynamic launch reset and extended it");
  if (!drtm_log.has_value()) {
    check.problems.push_back("no D-RTM event log: cannot tell what was launched");
    return check;
  }
  check.log_present = true;
  auto parsed = eventlog::ParseEventLog(*drtm_log);
  if (!parsed.has_value()) {
    check.problems.push_back("D-RTM log does not parse: " + parsed.error().message());
    return check;
  }
  // Replay 17/18 from zero in every bank the log and the TPM both have.
  std::map<std::pair<HashAlg, uint32_t>, Bytes> replayed;
  size_t compared = 0;
  for (HashAlg b : parsed->banks()) {
    if (pcrs.Get(b, 17) == nullptr || !crypto::IsDigestSupported(b)) continue;
    for (uint32_t pcr : {17u, 18u}) replayed[{b, pcr}] = Bytes(DigestSize(b), 0);
    for (const eventlog::Event& ev : parsed->EventsUnverifiedForDebug()) {
      if ((ev.pcr != 17 && ev.pcr != 18) || ev.type == eventlog::kEvNoAction) continue;
      const ByteView* d = ev.DigestFor(b);
      if (d == nullptr) continue;
      VOUCH_ASSIGN_OR_RETURN(crypto::Hasher h, crypto::Hasher::Create(b));
      Bytes& v = replayed[{b, ev.pcr}];
      h.Update(v);
      h.Update(*d);
      v = h.Final();
    }
    for (uint32_t pcr : {17u, 18u}) {
      const Bytes* actual = pcrs.Get(b, pcr);
      if (actual == nullptr) continue;
      ++compared;
      if (*actual != replayed[{b, pcr}]) {
        check.problems.push_back("D-RTM log does not replay to PCR " + std::to_string(pcr) + " " +
                                 std::string(HashAlgName(b)) + ": TPM " + HexEncode(*actual) +
                                 ", log " + HexEncode(replayed[{b, pcr}]));
      }
    }
  }
  if (compared == 0) {
    check.problems.push_back("D-RTM log: no bank in common with the TPM");
    return check;
  }
  check.log_replays = check.problems.empty();
  if (check.log_replays) {
    check.notes.push_back("D-RTM log replays to PCR 17/18 in " + std::to_string(compared / 2) +
                          " bank(s)");
  }
  if (plan.has_value()) {
    // The log's MLE_HASH and tboot events, in log order.
    std::vector<const eventlog::Event*> tboot_events;
    const eventlog::Event* mle = nullptr;
    for (const eventlog::Event& ev : parsed->EventsUnverifiedForDebug()) {
      if (ev.type == kEvTxtMleHash && ev.pcr == 17 && mle == nullptr) mle = &ev;
      if (ev.type == kEvTxtHashStart && ToString(ev.data) == kEmulatedSinitName) {
        check.emulated = true;
      }
      if (ev.type == kEvTbootHash && (ev.pcr == 17 || ev.pcr == 18)) tboot_events.push_back(&ev);
    }
    std::vector<PlannedEvent> planned = PlannedEvents(*plan);
    auto compare = [&](const eventlog::Event& ev, const PlannedEvent& want) {
      size_t banks = 0;
      for (const eventlog::EventDigest& d : ev.digests) {
        auto it = want.digests.find(d.alg);
        if (it == want.digests.end()) continue;
        ++banks;
        if (ToBytes(d.digest) != it->second) {
          check.problems.push_back(want.what + " (PCR " + std::to_string(want.pcr) + ", " +
                                   std::string(HashAlgName(d.alg)) + "): log " +
                                   Short(ToBytes(d.digest)) + ", plan " + Short(it->second));
        }
      }
      if (banks == 0) {
        check.problems.push_back(want.what + ": the log records no bank the plan has");
      }
    };
    if (check.emulated) {
      check.notes.push_back(
          "emulated launch (stand-in SINIT \"" + std::string(kEmulatedSinitName) +
          "\"): its MLE_HASH is the emulation's, not compared with lcp2_mlehash's");
    } else if (mle == nullptr) {
      check.problems.push_back("D-RTM log has no EVTYPE_MLE_HASH on PCR 17 (tboot's MLE)");
    } else {
      compare(*mle, planned[0]);
    }
    const size_t want_count = planned.size() - 1;
    if (tboot_events.size() != want_count) {
      check.problems.push_back("D-RTM log has " + std::to_string(tboot_events.size()) +
                               " tboot events (EV_TBOOT_HASH), the plan " +
                               std::to_string(want_count) + " (policy on 17 and 18, " +
                               std::to_string(plan->modules.size()) + " module(s))");
    }
    // Compare in PCR order: the log may interleave 17 and 18 differently
    // from the plan's list, so match per PCR sequence.
    for (uint32_t pcr : {17u, 18u}) {
      std::vector<const eventlog::Event*> got;
      std::vector<const PlannedEvent*> want;
      for (const eventlog::Event* ev : tboot_events) {
        if (ev->pcr == pcr) got.push_back(ev);
      }
      for (size_t i = 1; i < planned.size(); ++i) {
        if (planned[i].pcr == pcr) want.push_back(&planned[i]);
      }
      for (size_t i = 0; i < std::min(got.size(), want.size()); ++i) compare(*got[i], *want[i]);
    }
    if (check.problems.empty()) {
      check.notes.push_back("tboot MLE, policy and " + std::to_string(plan->modules.size()) +
                            " module measurement(s) match the plan");
    }
  }
  check.consistent = check.launched && check.log_replays && check.problems.empty();
  return check;
}

}  // namespace vouch::launcher::tboot
