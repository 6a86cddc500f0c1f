#include "policy/cli/findings_output.h"

#include <string>

#include "core/base/hash_alg.h"

namespace vouch::cli {

std::string_view SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "error";
}

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

nlohmann::json FindingJson(const Finding& f) {
  nlohmann::json j = {{"id", f.id}, {"severity", SeverityName(f.severity)}, {"message", f.message}};
  if (f.pcr) j["pcr"] = *f.pcr;
  if (f.bank) j["bank"] = HashAlgName(*f.bank);
  if (!f.expected.empty()) j["expected"] = f.expected;
  if (!f.actual.empty()) j["actual"] = f.actual;
  return j;
}

}  // namespace vouch::cli
