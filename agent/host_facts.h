// Host facts from configuration and the running system: unverified claims
// the agent sends with enrollment and evidence (the verifier trusts only
// what is measured). Nothing here fails: a fact that cannot be read is left
// empty (or "none"), because evidence without it is still evidence.
#ifndef VOUCH_AGENT_HOST_FACTS_H_
#define VOUCH_AGENT_HOST_FACTS_H_

#include <string>

#include "agent/config.h"
#include "agent/evidence_collector.h"
#include "core/protocol/evidence.h"

namespace vouch::agent {

// The agent's version string ("0.1.0"), from the CMake project version.
std::string AgentVersion();

// Facts from `config` where set, else detected: hostname
// (/proc/sys/kernel/hostname, else gethostname(); "localhost" if neither
// works; cut to 253 characters of [A-Za-z0-9._-]), machine id
// (/etc/machine-id when it is 32 hex digits, lower-cased; else empty),
// hypervisor (xen when /proc/xen exists, else kvm when /dev/kvm exists, else
// none; the version, also for a configured kind, from
// /sys/hypervisor/version/{major,minor,extra} for Xen ("4.17.2"), the kernel
// release (/proc/sys/kernel/osrelease, else uname) for KVM; printable ASCII,
// at most 128 characters), measured launch and labels from `config`, the
// agent version. `root` is prepended to every path read (tests pass a
// scratch tree; "" in production). Everything is read once, in the
// constructor; Facts() is then a cheap copy and thread-safe.
class SystemHostFacts final : public HostFactsSource {
 public:
  explicit SystemHostFacts(const AgentConfig& config, const std::string& root = "");
  protocol::HostFacts Facts() override;

 private:
  protocol::HostFacts facts_;  // computed once: facts do not change while running
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_HOST_FACTS_H_
