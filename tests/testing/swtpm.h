// SwtpmInstance: a software TPM 2.0 (swtpm) for integration tests, reachable
// through the TCTI string "swtpm:host=127.0.0.1,port=P".
//
// Each instance lives in its own temporary directory (under $TMPDIR, /tmp by
// default) holding:
//   ca/      the instance's local CA (swtpm_localca state: root and
//            intermediate certificates and their private keys)
//   trust/   only the root certificate, ready for crypto::CaStore::LoadDirectory
//   state/   the TPM state, the EK certificates swtpm_setup wrote (DER) and
//            swtpm's pid file
//   work/    scratch space for the test (tpm2-tools context files, quotes)
// Provisioning runs swtpm_setup with a per-instance swtpm_setup.conf and
// swtpm-localca.conf, so nothing under /etc or /var is read or written. The
// TPM has SHA-1 and SHA-256 PCR banks, an RSA-2048 EK at 0x81010001 (cert in
// NV 0x01c00002), an ECC P-384 EK at 0x81010016 (cert in NV 0x01c00016) and a
// platform certificate (NV 0x01c08000).
//
// Provisioning takes about 1.5 s, so by default one provisioned state (TPM
// state plus its CA) is made per test process and copied for each instance
// (~60 ms); such instances share the EK, its certificate and the CA. Ask for
// SwtpmOptions::fresh to get a TPM with its own EK and CA.
//
// The instance listens on 127.0.0.1 only, on a free port P for commands and
// P+1 for control (the swtpm TCTI hard-codes ctrl = P+1). It runs as a daemon
// and is stopped by the PID in its pid file when the instance is destroyed;
// the directory is then removed. There is no resource manager: tests flush
// transient objects and sessions themselves (the TPM has 3 object slots).
//
// Missing swtpm tools make Start() fail with FailedPrecondition naming the
// tool and the package (swtpm, swtpm-tools); tests report that message as
// their failure. The only environment variable read here is TMPDIR.
// Thread-safe: Start() may be called from several threads; one instance is
// used by one thread at a time.
#ifndef VOUCH_TESTS_TESTING_SWTPM_H_
#define VOUCH_TESTS_TESTING_SWTPM_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/status.h"
#include "tests/testing/process.h"

namespace vouch::testing {

struct SwtpmOptions {
  // Provision a new TPM with its own EK and CA instead of copying the state
  // cached for this test process.
  bool fresh = false;
};

class SwtpmInstance {
 public:
  // Provisions (or copies the cached state), picks free ports, starts swtpm
  // and waits until it answers a TPM command. Errors: FailedPrecondition when
  // a swtpm tool is missing or fails (message includes its stderr);
  // Unavailable when no free port pair was found or swtpm did not answer.
  static Result<std::unique_ptr<SwtpmInstance>> Start(const SwtpmOptions& options = {});

  // Stops swtpm (SIGTERM, then SIGKILL after 2 s) and removes the directory.
  ~SwtpmInstance();
  SwtpmInstance(const SwtpmInstance&) = delete;
  SwtpmInstance& operator=(const SwtpmInstance&) = delete;

  // "swtpm:host=127.0.0.1,port=P".
  std::string Tcti() const;
  uint16_t port() const { return port_; }
  uint16_t ctrl_port() const { return static_cast<uint16_t>(port_ + 1); }

  // The instance's temporary directory and its parts (see the file comment).
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path StateDir() const { return dir_ / "state"; }
  std::filesystem::path WorkDir() const { return dir_ / "work"; }
  std::filesystem::path CaDir() const { return dir_ / "ca"; }
  std::filesystem::path TrustDir() const { return dir_ / "trust"; }
  // The local CA's self-signed root (PEM) and the intermediate that signs EK
  // and platform certificates (PEM).
  std::filesystem::path RootCertPath() const;
  std::filesystem::path IntermediateCertPath() const;
  // EK certificates as swtpm_setup --write-ek-cert-files wrote them (DER).
  std::filesystem::path RsaEkCertPath() const;
  std::filesystem::path EcEkCertPath() const;

  // TPM reset, as a reboot does: swtpm_ioctl -i on the control port. The TPM
  // then needs Startup(CLEAR) before anything else: call StartupClear() or
  // run tpm2_startup -c. Afterwards PCRs 0-16 and 23 are zero, 17-22 all
  // ones, and resetCount has grown by one.
  Status Reboot();
  // Sends TPM2_Startup(CLEAR). OK also when the TPM was already started.
  Status StartupClear();

  // Environment for tpm2-tools children: TPM2TOOLS_TCTI=Tcti() and
  // TSS2_LOG=all+none.
  std::vector<std::pair<std::string, std::string>> ToolEnv() const;
  // Runs a tpm2-tools command against this TPM in WorkDir() (FailedPrecondition
  // on a non-zero exit, with the command and its stderr), then flushes
  // transient objects, as tpm2-tools leaves them loaded.
  Result<ProcessResult> RunTool(const std::vector<std::string>& argv);
  // Like RunTool, but a non-zero exit is returned, not turned into an error.
  Result<ProcessResult> RunToolAllowFailure(const std::vector<std::string>& argv);

  // Sends one raw TPM command (a marshaled command buffer) on the command
  // port and returns the raw response. Unavailable when the TPM does not
  // answer.
  Result<Bytes> SendCommand(ByteView command);

  // Stops swtpm now (idempotent); the destructor calls it.
  Status Stop();

 private:
  SwtpmInstance(std::filesystem::path dir, uint16_t port) : dir_(std::move(dir)), port_(port) {}

  std::filesystem::path dir_;
  uint16_t port_ = 0;
  pid_t pid_ = 0;  // the daemon, read from its pid file at start
  bool running_ = false;
};

}  // namespace vouch::testing

#endif  // VOUCH_TESTS_TESTING_SWTPM_H_
