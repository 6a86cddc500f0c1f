// SwtpmControl: the out-of-band signals of a TPM that are not TPM commands
// (TPM 2.0 Part 3, section 6: _TPM_Hash_Start, _TPM_Hash_Data,
// _TPM_Hash_End, and the locality of the interface), as swtpm offers them
// on its control channel. On real hardware the CPU raises these during a
// dynamic launch (GETSEC[SENTER] writes the locality-4 hash registers); the
// emulated measured launch (emulate_launch.h) raises them through swtpm.
//
// The protocol (swtpm_ioctls(3), "control commands"; swtpm's tpm_ioctl.h):
// every request is a 4-byte big-endian command code followed by the
// command's request structure in big-endian, every response starts with a
// 4-byte big-endian TPM result code (0 = success). Codes used here:
// CMD_SET_LOCALITY 5 (1-byte locality), CMD_HASH_START 6 (no data),
// CMD_HASH_DATA 7 (4-byte length, then at most 4096 bytes), CMD_HASH_END 8
// (no data). swtpm serves one control connection at a time and the swtpm
// TCTI opens its own for locality changes, so the TCP implementation opens a
// connection per command and closes it before returning.
//
// Thread-compatible: one caller at a time.
#ifndef VOUCH_LAUNCHER_DRTM_SWTPM_CONTROL_H_
#define VOUCH_LAUNCHER_DRTM_SWTPM_CONTROL_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/bytes.h"
#include "core/base/status.h"

namespace vouch::launcher {

// Errors of every method: Unavailable when the control channel cannot be
// reached or does not answer in time; FailedPrecondition when swtpm answers
// with a non-zero TPM result (the message carries it in hex, e.g. a hash
// sequence out of order).
class SwtpmControl {
 public:
  virtual ~SwtpmControl() = default;

  // _TPM_Hash_Start: starts the dynamic-launch hash sequence (the TPM resets
  // PCRs 17-22 when it ends).
  virtual Status HashStart() = 0;
  // _TPM_Hash_Data: feeds `data` (any length; sent in pieces of at most
  // 4096 bytes).
  virtual Status HashData(ByteView data) = 0;
  // _TPM_Hash_End: PCRs 17-22 := 0, then PCR 17 := H(0...0 || H(data)) in
  // every bank.
  virtual Status HashEnd() = 0;
  // Sets the locality (0-4) of the TPM commands that follow on any
  // connection. InvalidArgument above 4.
  virtual Status SetLocality(uint8_t locality) = 0;
};

// Where a swtpm's control channel listens: host and port.
struct SwtpmControlEndpoint {
  std::string host;
  uint16_t port = 0;
};

// The control endpoint of the swtpm behind a TCTI string
// "swtpm:host=H,port=P" (either key optional: host 127.0.0.1, port 2321 by
// default, as the swtpm TCTI): H and P + 1, the port the swtpm TCTI itself
// uses for control. InvalidArgument for any other TCTI (a kernel device or
// simulator has no swtpm control channel) or a bad port.
Result<SwtpmControlEndpoint> SwtpmControlEndpointFromTcti(std::string_view tcti);

// The control channel over TCP at `endpoint`. Nothing is connected until a
// method is called; each call connects, sends one command, reads its
// answer (waiting at most `timeout`) and disconnects.
std::unique_ptr<SwtpmControl> MakeTcpSwtpmControl(
    SwtpmControlEndpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_DRTM_SWTPM_CONTROL_H_
