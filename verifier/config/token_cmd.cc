#include "verifier/config/token_cmd.h"

#include <string>

#include "verifier/config/auth.h"

namespace vouch::verifier {

int RunTokenNew(std::string_view name, std::string_view role, crypto::RandomSource& random,
                std::ostream& out, std::ostream& err) {
  if (Status s = CheckTokenName(name); !s.ok()) {
    err << "vouch-verifier token new: --name: " << s.message() << "\n";
    return kExitUsage;
  }
  Result<Role> parsed_role = ParseRole(role);
  if (!parsed_role.has_value()) {
    err << "vouch-verifier token new: --role: " << parsed_role.status().message() << "\n";
    return kExitUsage;
  }
  Result<std::string> token = NewToken(random);
  if (!token.has_value()) {
    err << "vouch-verifier token new: " << token.status().ToString() << "\n";
    return kExitInternal;
  }
  out << *token << "\n"
      << "token." << name << " = " << RoleName(*parsed_role) << ":" << HashToken(*token) << "\n";
  out.flush();
  err << "Keep the token (first line) now: it is not shown again and the verifier stores only "
         "its hash.\nAdd the second line to the verifier's configuration and restart it.\n";
  return kExitOk;
}

int RunTokenNew(std::string_view name, std::string_view role, std::ostream& out,
                std::ostream& err) {
  crypto::OpenSslRandom random;
  return RunTokenNew(name, role, random, out, err);
}

int RunTokenHash(std::istream& in, std::ostream& out, std::ostream& err) {
  constexpr size_t kMaxInput = 4096;
  std::string input(kMaxInput + 1, '\0');
  in.read(input.data(), static_cast<std::streamsize>(input.size()));
  input.resize(static_cast<size_t>(in.gcount()));
  if (input.size() > kMaxInput) {
    err << "vouch-verifier token hash: input longer than 4096 bytes; expected one token\n";
    return kExitUsage;
  }
  std::string_view token = input;
  if (token.ends_with('\n')) token.remove_suffix(1);
  if (token.ends_with('\r')) token.remove_suffix(1);
  if (token.empty()) {
    err << "vouch-verifier token hash: expected a token on standard input\n";
    return kExitUsage;
  }
  if (token.find('\n') != std::string_view::npos) {
    err << "vouch-verifier token hash: expected one token on one line\n";
    return kExitUsage;
  }
  for (char c : token) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      err << "vouch-verifier token hash: the token must be printable ASCII without spaces\n";
      return kExitUsage;
    }
  }
  if (token.size() < kMinTokenChars || token.size() > kMaxTokenChars) {
    err << "vouch-verifier token hash: the token must have 16-1024 characters (got " << token.size()
        << "); make one with 'vouch-verifier token new'\n";
    return kExitUsage;
  }
  out << HashToken(token) << "\n";
  out.flush();
  return kExitOk;
}

}  // namespace vouch::verifier
