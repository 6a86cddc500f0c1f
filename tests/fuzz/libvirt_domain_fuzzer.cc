// libFuzzer target: the launch gate's libvirt domain XML parser
// (launcher/gate/libvirt_domain.h) over arbitrary bytes. The XML comes from
// libvirt, whose domain definitions carry names and paths that tenants and
// orchestrators choose, so it is parsed like untrusted input. Any crash,
// leak, hang or sanitizer report is a bug; InvalidArgument is expected.
// Beyond "no crash": an accepted document has a name within its limit and
// only absolute paths, else the target aborts (the gate measures exactly
// those paths). Seeds: tests/data/libvirt/*.xml.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "launcher/gate/libvirt_domain.h"

namespace {

void Require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "libvirt_domain_fuzzer: %s\n", what);
    std::abort();
  }
}

bool Absolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto domain = vouch::launcher::gate::ParseLibvirtDomain(xml);
  if (!domain.has_value()) return 0;
  Require(!domain->name.empty() && domain->name.size() <= 256, "accepted a bad <name>");
  for (const auto& disk : domain->disks) Require(Absolute(disk.path), "relative disk path");
  for (const auto* file : {&domain->kernel, &domain->initrd, &domain->loader}) {
    if (file->has_value()) Require(Absolute(**file), "relative kernel/initrd/loader path");
  }
  return 0;
}
