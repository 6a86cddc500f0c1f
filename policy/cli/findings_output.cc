#include "policy/cli/findings_output.h"

#include <string>

#include "core/base/hash_alg.h"

namespace vouch::cli {

std::string FindingLine(const Finding& f) {
  std::string line =
      std::string(f.severity == Severity::kError ? "FAIL " : "NOTE ") + f.id + ": " + f.message;
  if (f.pcr || f.bank) {
    line += " (";
    if (f.pcr) line += "pcr " + std::to_string(*f.pcr);
    if (f.pcr && f.bank) line += ", ";
    if (f.bank) line += "bank " + std::string(HashAlgName(*f.bank));
    line += ")";
  }
  if (!f.expected.empty() || !f.actual.empty()) {
    line += "\n     expected " + (f.expected.empty() ? "-" : f.expected) + "\n     actual   " +
            (f.actual.empty() ? "-" : f.actual);
  }
  return line;
}

}  // namespace vouch::cli
