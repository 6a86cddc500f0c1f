// The measuring step of the launch gate, as an interface: the gate asks a
// VmMeasurer to measure a VM's components (hash every file in every active
// bank, append the VM log records, extend the VM PCR) and gets back what was
// measured, which it then shows the verifier. The real implementation is
// launcher/vm's (TPM, VM log); tests use a fake. Nothing here touches a TPM.
#ifndef VOUCH_LAUNCHER_GATE_VM_MEASURER_H_
#define VOUCH_LAUNCHER_GATE_VM_MEASURER_H_

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/protocol/decision.h"
#include "core/protocol/vm_log.h"

namespace vouch::launcher::gate {

// One file to measure and the kind of reference value its digest must match.
struct VmComponentSpec {
  protocol::VmComponent component = protocol::VmComponent::kDisk;
  std::string path;  // absolute or relative to the working directory
  friend bool operator==(const VmComponentSpec&, const VmComponentSpec&) = default;
};

// A VM about to start: its id (libvirt UUID, or the launcher's), its name and
// its components in measurement order.
struct VmSpec {
  std::string id;    // 1..128 chars ([vm.id])
  std::string name;  // 1..256 chars ([vm.name])
  std::vector<VmComponentSpec> components;
  friend bool operator==(const VmSpec&, const VmSpec&) = default;
};

class VmMeasurer {
 public:
  virtual ~VmMeasurer() = default;
  // Measures every component of `vm` in order and records it (VM log + PCR
  // extend in the real implementation). Returns one LaunchMeasurement per
  // component, in the same order, with the digests actually extended. An
  // error means the VM must be treated as unmeasured (some components may
  // have been recorded already: the log and PCR stay consistent).
  // InvalidArgument for an unreadable or unsuitable file (naming it); the
  // TPM's or the log's error otherwise.
  virtual Result<std::vector<protocol::LaunchMeasurement>> Measure(const VmSpec& vm) = 0;
};

}  // namespace vouch::launcher::gate

#endif  // VOUCH_LAUNCHER_GATE_VM_MEASURER_H_
