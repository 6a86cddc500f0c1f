// Hashing a VM component (disk image, kernel, initrd, firmware, config) once
// for every active PCR bank: the file is read sequentially in large buffers
// (posix_fadvise SEQUENTIAL) by the calling thread while one worker thread
// per bank hashes each buffer, so a read overlaps the hashing of the previous
// buffers and the banks run in parallel on as many cores as there are. The
// digests are those of crypto::Digest over the whole file (what `sha256sum`
// prints), not a tree or chunked hash. Holes of sparse files (SEEK_DATA)
// are hashed from a zero buffer instead of being read.
//
// What it does not do: decide what to measure (measure_vm.h), or follow a
// disk image's backing chain (qcow2 backing files are separate components the
// caller lists).
//
// Thread-safe: each call owns its buffers and threads; the progress callback
// runs on the calling thread.
#ifndef VOUCH_LAUNCHER_VM_MULTI_HASHER_H_
#define VOUCH_LAUNCHER_VM_MULTI_HASHER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"

namespace vouch::launcher {

struct HashFileOptions {
  // Bytes per read. 256 KiB, 1 MiB and 4 MiB measured alike on a 2-core VM
  // (bench/vm_hash_bench --buffer-kib); 1 MiB keeps the 8 buffers in flight
  // within a typical L3 cache shared by the bank threads.
  size_t buffer_bytes = size_t{1} << 20;
  // Buffers in flight between the reader and the slowest bank (>= 2).
  size_t buffers = 8;
  // Hash every bank on the calling thread instead (no worker threads), for
  // the benchmark's comparison.
  bool single_thread = false;
  // Called on the calling thread after each buffer read with the bytes read
  // so far and the file's size at open (0 for an empty file). Optional.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct FileDigests {
  uint64_t size = 0;  // bytes hashed (the file's length when it was read)
  std::map<HashAlg, Bytes> digests;
};

// Hashes the file at `path` in every bank of `banks` (at least one, no
// duplicates, each supported by crypto: sha1, sha256, sha384, sha512).
// Errors: InvalidArgument naming the path when it does not exist, is not a
// regular file or cannot be opened (permission); InvalidArgument for bad
// `banks`; Unavailable naming the path on a read error.
Result<FileDigests> HashFile(const std::string& path, const std::vector<HashAlg>& banks,
                             const HashFileOptions& options = {});

// The same over an open regular file or block device, from the
// descriptor's current offset to EOF (with pread: the offset is not moved;
// the descriptor is not closed). Holes of a sparse file are hashed as the
// zeros they read as, without reading them. `name` names it in errors;
// InvalidArgument when the descriptor is not seekable.
Result<FileDigests> HashFd(int fd, const std::string& name, const std::vector<HashAlg>& banks,
                           const HashFileOptions& options = {});

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_VM_MULTI_HASHER_H_
