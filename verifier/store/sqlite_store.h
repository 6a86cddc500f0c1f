// Store on SQLite (SQLiteCpp; the only file that includes it is
// sqlite_store.cc). WAL journal, synchronous=FULL, foreign keys on, busy
// timeout; numbered migrations (schema_version table) run at open, each in
// its own transaction.
#ifndef VOUCH_VERIFIER_STORE_SQLITE_STORE_H_
#define VOUCH_VERIFIER_STORE_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "core/base/status.h"
#include "verifier/store/store.h"

namespace vouch::verifier {

// The schema version this binary creates and migrates to (docs/store.md).
inline constexpr int kSqliteStoreSchemaVersion = 2;

// Opens (creating when missing) the database at `path` and migrates it.
// Unavailable when the file cannot be opened or is locked; DataLoss when it
// is not a Vouch database or its schema is newer than this binary knows
// (the message names the versions); InvalidArgument for an empty path.
// The store holds one connection and serializes every call on a mutex
// (reads included; a write waits for its fsync). Another process may open
// the same file: SQLite's locks and the busy timeout (5 s) coordinate them.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path);

}  // namespace vouch::verifier

#endif  // VOUCH_VERIFIER_STORE_SQLITE_STORE_H_
