// `vouch-verifier token new|hash`: the logic of the subcommands, so main.cc
// only parses flags and dispatches. Also the exit codes every vouch-verifier
// command uses (docs/verifier.md, "Exit codes").
#ifndef VOUCH_VERIFIER_CONFIG_TOKEN_CMD_H_
#define VOUCH_VERIFIER_CONFIG_TOKEN_CMD_H_

#include <istream>
#include <ostream>
#include <string_view>

#include "core/crypto/random.h"

namespace vouch::verifier {

// vouch-verifier's exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;        // bad flags or arguments
inline constexpr int kExitBadConfig = 3;    // the configuration does not parse or validate
inline constexpr int kExitCannotStart = 4;  // a file, the database or the port cannot be used
inline constexpr int kExitInternal = 5;     // a bug or a failed system facility (RNG)

// Tokens given to `token hash` must be 16-1024 printable ASCII characters
// without spaces: a shorter token would be guessable from its hash, and
// anything else cannot travel in an Authorization header.
inline constexpr size_t kMinTokenChars = 16;
inline constexpr size_t kMaxTokenChars = 1024;

// `token new --name NAME --role reader|admin`: makes a random token and
// writes to `out` two lines: the token (shown only now; the verifier keeps
// only its hash) and the configuration line to add, "token.NAME =
// ROLE:sha256:HEX". A reminder goes to `err`. kExitUsage with a message on
// `err` for a bad name or role; kExitInternal when the RNG fails.
int RunTokenNew(std::string_view name, std::string_view role, std::ostream& out, std::ostream& err);
// The same with the randomness passed in (tests).
int RunTokenNew(std::string_view name, std::string_view role, crypto::RandomSource& random,
                std::ostream& out, std::ostream& err);

// `token hash`: reads one token from `in` (its first line; a trailing "\r"
// or "\n" is dropped, at most 4 KiB read) and writes "sha256:HEX\n" to
// `out`. kExitUsage with a message on `err` when the input is empty, has
// more than one line, or is not a valid token (see kMinTokenChars).
int RunTokenHash(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_CONFIG_TOKEN_CMD_H_
