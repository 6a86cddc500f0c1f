// What tboot measures into PCRs 17/18 on TPM 2.0 (details/authorities PCR
// mapping), computed offline: the digest of each launched module and of the
// launch-policy control value. The emulated measured launch
// (emulate_launch.h) extends exactly these, and `vouch-launcher tboot plan`
// (issue 5) predicts a real launch's PCR 17 events with them, so reference
// values for a hypervisor can be made before it is ever launched.
//
// Definitions (tboot's verified launch, as tb_polgen writes them into a
// launch policy; ../shared/PLATFORM.md "Emulating an Intel TXT / tboot
// measured launch"), per PCR bank with that bank's hash H:
//   module      H( H(cmdline) || H(image) )
//               cmdline: the module's command line WITHOUT its file name
//               (what follows "module2 /boot/xen.gz" in GRUB, what
//               `tb_polgen --cmdline` takes), bytes as given, no NUL;
//               image: the file as the boot loader loads it (a .gz is
//               hashed compressed).
//   policy      H( policy_control || H(VLP) )
//               policy_control: tboot's 32-bit policy control field,
//               little-endian (x86 memory order); VLP: the verified launch
//               policy as stored in its TPM NV index (0x01c10131).
// Not here: parsing tboot policies, finding the MLE inside tboot.gz
// (lcp2_mlehash does that), SM3 (not supported by core/crypto).
//
// Pure functions over bytes; thread-safe.
#ifndef VOUCH_LAUNCHER_DRTM_TBOOT_MEASURE_H_
#define VOUCH_LAUNCHER_DRTM_TBOOT_MEASURE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/base/bytes.h"
#include "core/base/hash_alg.h"
#include "core/base/status.h"
#include "core/tpm_device/tpm_device.h"

namespace vouch::launcher {

// tboot's policy control bit "extend PCR 17 with the policy"
// (TB_POLCTL_EXTEND_PCR17), set in the policies tb_polgen makes by default.
inline constexpr uint32_t kTbootPolicyControlExtendPcr17 = 0x1;

// H(H(cmdline) || H(image)) in `bank`. InvalidArgument for a bank this build
// cannot hash (SM3).
Result<Bytes> TbootModuleDigest(HashAlg bank, ByteView image, std::string_view cmdline);

// The same in every bank of `banks`, in that order (one TPM2_PCR_Extend's
// worth). InvalidArgument as above, or for an empty or repeated bank list.
Result<std::vector<tpm_device::BankDigest>> TbootModuleDigests(const std::vector<HashAlg>& banks,
                                                               ByteView image,
                                                               std::string_view cmdline);

// tboot's policy-control digest in `bank`: H(le32(policy_control) || H(vlp))
// when bit 0 (kTbootPolicyControlExtendPcr17) is set, else
// H(le32(policy_control) || zeros(DigestSize(bank))), as tboot computes it.
// InvalidArgument for a bank this build cannot hash.
Result<Bytes> TbootPolicyDigest(HashAlg bank, uint32_t policy_control, ByteView vlp);

// The same in every bank of `banks`, in that order; errors as
// TbootModuleDigests.
Result<std::vector<tpm_device::BankDigest>> TbootPolicyDigests(const std::vector<HashAlg>& banks,
                                                               uint32_t policy_control,
                                                               ByteView vlp);

}  // namespace vouch::launcher

#endif  // VOUCH_LAUNCHER_DRTM_TBOOT_MEASURE_H_
