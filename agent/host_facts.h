// Host facts from configuration and the running system.
#ifndef VOUCH_AGENT_HOST_FACTS_H_
#define VOUCH_AGENT_HOST_FACTS_H_

#include <string>

#include "agent/config.h"
#include "agent/evidence_collector.h"
#include "core/protocol/evidence.h"

namespace vouch::agent {

// The agent's version string ("0.1.0"), from the CMake project version.
std::string AgentVersion();

// Facts from `config` where set, else detected: hostname (gethostname), machine
// id (/etc/machine-id when it is 32 hex digits), hypervisor (xen when
// /proc/xen exists, kvm when /dev/kvm exists, else none; version from
// /sys/hypervisor/version/* for Xen, the kernel release for KVM). `root` is
// prepended to every path read (tests pass a scratch tree; "" in production).
class SystemHostFacts final : public HostFactsSource {
 public:
  explicit SystemHostFacts(const AgentConfig& config, std::string root = "");
  protocol::HostFacts Facts() override;

 private:
  protocol::HostFacts facts_;  // computed once: facts do not change while running
};

}  // namespace vouch::agent

#endif  // VOUCH_AGENT_HOST_FACTS_H_
