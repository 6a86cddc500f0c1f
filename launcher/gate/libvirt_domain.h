// What the launch gate measures of a libvirt domain: the domain XML that
// libvirt's qemu hook receives on stdin (https://libvirt.org/hooks.html,
// https://libvirt.org/formatdomain.html) reduced to the VM's name, UUID and
// the files its guest boots from: every <disk type='file'|'block'
// device='disk'>, and <os><kernel>, <initrd>, <loader>.
//
// Deliberately not measured (each becomes a note the caller logs): cdrom,
// floppy and lun devices, network disks (no local file to hash), <nvram>
// (the guest writes it) and the rest of the XML (devices, CPU, memory: the
// domain XML changes with every libvirt version and would never match a
// reference value). Disks of other types (volume, dir, nvme, vhostuser) are
// refused: their bytes are a local file the gate cannot name, and skipping
// them would start an unmeasured writable disk.
//
// The XML is untrusted input: at most kMaxDomainXmlBytes, parsed by libxml2
// without network access, without loading or honouring any DTD (documents
// with a DOCTYPE are refused, so no entity is ever defined or expanded).
// Pure function; thread-safe.
#ifndef VOUCH_LAUNCHER_GATE_LIBVIRT_DOMAIN_H_
#define VOUCH_LAUNCHER_GATE_LIBVIRT_DOMAIN_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace vouch::launcher::gate {

// libvirt's own domain XML is a few KiB; 1 MiB leaves room for hundreds of
// disks while keeping a hostile input's parse bounded.
inline constexpr size_t kMaxDomainXmlBytes = size_t{1024} * 1024;
// A path the gate passes on (the VM log's limit for [path]).
inline constexpr size_t kMaxDomainPathBytes = 4096;

struct DomainDisk {
  std::string path;    // <source file=..> or <source dev=..>: absolute
  std::string target;  // <target dev='vda'>, may be empty (for messages)
};

struct LibvirtDomain {
  std::string name;                   // <name>, 1..256 bytes
  std::string uuid;                   // <uuid>, may be empty (libvirt always sends one)
  std::vector<DomainDisk> disks;      // measured disks, in document order
  std::optional<std::string> kernel;  // <os><kernel>
  std::optional<std::string> initrd;  // <os><initrd>
  std::optional<std::string> loader;  // <os><loader> (firmware, e.g. OVMF_CODE.fd)
  // One line per element not measured ("disk hdc (cdrom) not measured"), for
  // the caller to log.
  std::vector<std::string> not_measured;
};

// Parses a domain XML document. InvalidArgument naming what is wrong (with
// libxml2's line for syntax errors): input over kMaxDomainXmlBytes, not
// well-formed, a DOCTYPE, a root other than <domain>, a missing or empty
// <name>, a <name>/<uuid> longer than allowed, a measured disk without a
// source, a relative or over-long path, a disk type the gate cannot measure.
Result<LibvirtDomain> ParseLibvirtDomain(std::string_view xml);

}  // namespace vouch::launcher::gate

#endif  // VOUCH_LAUNCHER_GATE_LIBVIRT_DOMAIN_H_
