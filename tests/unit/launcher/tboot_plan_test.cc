// tboot plan: lcp2_mlehash and tb_polgen as Debian ships them (skipped when
// the tboot package or /boot/tboot.gz is absent), the VLP parsed back and
// compared with launcher/drtm's module measurement, the policy control
// digest, the plan JSON and the reference set, expected PCRs from SINIT's
// events.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/crypto/digest.h"
#include "core/eventlog/event_log.h"
#include "core/eventlog/replay.h"
#include "launcher/drtm/emulate_launch.h"
#include "launcher/drtm/tboot_measure.h"
#include "launcher/tboot/plan.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/launcher/tboot_test_util.h"

namespace vouch::launcher::tboot {
namespace {

using test::HaveTool;
using test::RecordingToolRunner;
using test::ScratchDir;
using test::WriteFile;
using ::testing::HasSubstr;
using testing::StatusIs;

constexpr const char* kTbootGz = "/boot/tboot.gz";

bool HaveRealTboot() {
  return HaveTool("lcp2_mlehash") && HaveTool("tb_polgen") &&
         std::filesystem::is_regular_file(kTbootGz);
}

#define REQUIRE_TBOOT_TOOLS()                                                           \
  if (!HaveRealTboot()) {                                                               \
    GTEST_SKIP() << "Debian's tboot package (lcp2_mlehash, tb_polgen, /boot/tboot.gz) " \
                    "not installed";                                                    \
  }

TEST(MleHashText, ParsesTheToolsFormat) {
  ASSERT_OK_AND_ASSIGN(Bytes h, ParseMleHashText("10 b4 13 89 aa b2 ba 21 11 3d 95 c2 8c f1 ec "
                                                 "ed dd 5e 14 76\n",
                                                 HashAlg::kSha1));
  EXPECT_EQ(HexEncode(h), "10b41389aab2ba21113d95c28cf1eceddd5e1476");
}

TEST(MleHashText, RefusesOtherText) {
  EXPECT_THAT(ParseMleHashText("", HashAlg::kSha1), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseMleHashText("10 b4", HashAlg::kSha1),
              StatusIs(Code::kInvalidArgument, HasSubstr("2 bytes, expected 20")));
  EXPECT_THAT(ParseMleHashText("ERROR: not an ELF", HashAlg::kSha1),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseMleHashText("10b4", HashAlg::kSha1), StatusIs(Code::kInvalidArgument));
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "ab ";
  EXPECT_THAT(ParseMleHashText(long_text, HashAlg::kSha256), StatusIs(Code::kInvalidArgument));
}

TEST(MleHash, CommandLineAndFakeRunner) {
  RecordingToolRunner runner;
  runner.answer = [](const std::vector<std::string>&) -> Result<ToolOutput> {
    ToolOutput out;
    out.stdout_text = "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 11 22 33";
    return out;
  };
  ASSERT_OK_AND_ASSIGN(Bytes h,
                       RunMleHash(runner, "/boot/tboot.gz", "logging=serial", HashAlg::kSha1));
  EXPECT_EQ(h.size(), 20u);
  ASSERT_EQ(runner.calls.size(), 1u);
  EXPECT_EQ(runner.calls[0],
            (std::vector<std::string>{"lcp2_mlehash", "--create", "--alg", "sha1", "--cmdline",
                                      "logging=serial", "/boot/tboot.gz"}));
  runner.answer = [](const std::vector<std::string>&) -> Result<ToolOutput> {
    return ToolOutput{1, "", "ERROR: failed to find MLE header\n"};
  };
  EXPECT_THAT(RunMleHash(runner, "x", "", HashAlg::kSha1),
              StatusIs(Code::kFailedPrecondition, HasSubstr("MLE header")));
}

TEST(MleHash, RealToolOnDebiansTboot) {
  REQUIRE_TBOOT_TOOLS();
  auto runner = MakeProcessToolRunner();
  // lcp2_mlehash takes about a second per call here: few calls.
  for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha384}) {
    ASSERT_OK_AND_ASSIGN(Bytes h, RunMleHash(*runner, kTbootGz, "", b));
    EXPECT_EQ(h.size(), DigestSize(b));
  }
  ASSERT_OK_AND_ASSIGN(Bytes h, RunMleHash(*runner, kTbootGz, "", HashAlg::kSha256));
  ASSERT_OK_AND_ASSIGN(Bytes again, RunMleHash(*runner, kTbootGz, "", HashAlg::kSha256));
  EXPECT_EQ(h, again);
  // tboot's command line is part of its MLE.
  ASSERT_OK_AND_ASSIGN(Bytes other,
                       RunMleHash(*runner, kTbootGz, "logging=serial", HashAlg::kSha256));
  EXPECT_NE(h, other);
}

// A minimal tboot-like ELF (32-bit, i386, one PT_LOAD at physical 0) whose
// segment starts with an MLE header (tboot's MLE_HDR_UUID; start 0, end
// the segment's end, command line area [0x100, 0x180)): lcp2_mlehash must
// hash exactly the segment with the command line area zeroed and the given
// command line copied in, which is what the docs say the tool does.
void PutLe(Bytes& b, size_t at, uint32_t v, int n) {
  for (int i = 0; i < n; ++i) b[at + static_cast<size_t>(i)] = static_cast<uint8_t>(v >> (8 * i));
}

Bytes MinimalMleSegment() {
  Bytes seg(0x200);
  for (size_t i = 0; i < seg.size(); ++i) seg[i] = static_cast<uint8_t>(i * 13 + 1);
  const Bytes uuid = *HexDecode("5aac82906f47a7740f5c55a2cb51b642");
  std::copy(uuid.begin(), uuid.end(), seg.begin());
  const uint32_t fields[9] = {0x34, 0x20001, 0x10, 0, 0, 0x200, 0, 0x100, 0x180};
  for (size_t i = 0; i < 9; ++i) PutLe(seg, 16 + 4 * i, fields[i], 4);
  return seg;
}

Bytes MinimalMleElf(const Bytes& seg) {
  Bytes elf(0x60, 0);
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 1, 1, 1};
  std::copy(std::begin(ident), std::end(ident), elf.begin());
  PutLe(elf, 16, 2, 2);                                  // e_type ET_EXEC
  PutLe(elf, 18, 3, 2);                                  // e_machine EM_386
  PutLe(elf, 20, 1, 4);                                  // e_version
  PutLe(elf, 24, 0x10, 4);                               // e_entry
  PutLe(elf, 28, 52, 4);                                 // e_phoff
  PutLe(elf, 40, 52, 2);                                 // e_ehsize
  PutLe(elf, 42, 32, 2);                                 // e_phentsize
  PutLe(elf, 44, 1, 2);                                  // e_phnum
  PutLe(elf, 52, 1, 4);                                  // p_type PT_LOAD
  PutLe(elf, 56, 0x60, 4);                               // p_offset
  PutLe(elf, 60, 0, 4);                                  // p_vaddr
  PutLe(elf, 64, 0, 4);                                  // p_paddr
  PutLe(elf, 68, static_cast<uint32_t>(seg.size()), 4);  // p_filesz
  PutLe(elf, 72, static_cast<uint32_t>(seg.size()), 4);  // p_memsz
  PutLe(elf, 76, 5, 4);                                  // p_flags R+X
  elf.insert(elf.end(), seg.begin(), seg.end());
  return elf;
}

TEST(MleHash, RealToolHashesTheMleRangeOfAMinimalElf) {
  if (!HaveTool("lcp2_mlehash")) GTEST_SKIP() << "lcp2_mlehash (package tboot) not installed";
  ScratchDir dir;
  const Bytes seg = MinimalMleSegment();
  WriteFile(dir / "mini.elf", ToString(MinimalMleElf(seg)));
  const std::string cmdline = "logging=serial,memory";
  Bytes measured = seg;
  std::fill(measured.begin() + 0x100, measured.begin() + 0x180, 0);
  std::copy(cmdline.begin(), cmdline.end(), measured.begin() + 0x100);
  auto runner = MakeProcessToolRunner();
  for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha256}) {
    ASSERT_OK_AND_ASSIGN(Bytes got, RunMleHash(*runner, dir / "mini.elf", cmdline, b));
    ASSERT_OK_AND_ASSIGN(Bytes want, crypto::Digest(b, measured));
    EXPECT_EQ(HexEncode(got), HexEncode(want)) << HashAlgName(b);
  }
}

// lcp2_mlehash needs an ELF image with an MLE header; a file without one is
// refused by the tool, and that failure reaches the caller with its exit.
TEST(MleHash, RealToolRefusesANonTbootFile) {
  REQUIRE_TBOOT_TOOLS();
  ScratchDir dir;
  WriteFile(dir / "not-tboot", "this is not an ELF image");
  auto runner = MakeProcessToolRunner();
  EXPECT_THAT(RunMleHash(*runner, dir / "not-tboot", "", HashAlg::kSha256),
              StatusIs(Code::kFailedPrecondition, HasSubstr("lcp2_mlehash")));
}

// The tb_polgen policy format (tboot's tb_policy.h): version, type, hash
// alg, le32 control, le32 reserved, num_entries; entries: mod_num, pcr,
// hash_type, le32 nv_index, num_hashes, hashes.
struct VlpEntry {
  uint8_t mod_num;
  uint8_t pcr;
  uint8_t hash_type;
  std::vector<Bytes> hashes;
};
struct Vlp {
  uint8_t version;
  uint8_t type;
  uint8_t alg;
  uint32_t control;
  std::vector<VlpEntry> entries;
};

std::optional<Vlp> ParseVlp(const Bytes& b, size_t hash_size) {
  if (b.size() < 12) return std::nullopt;
  Vlp v{b[0],
        b[1],
        b[2],
        static_cast<uint32_t>(b[3] | b[4] << 8 | b[5] << 16 | static_cast<uint32_t>(b[6]) << 24),
        {}};
  size_t at = 12;
  for (int i = 0; i < b[11]; ++i) {
    if (at + 8 > b.size()) return std::nullopt;
    VlpEntry e{b[at], b[at + 1], b[at + 2], {}};
    const uint8_t n = b[at + 7];
    at += 8;
    for (int j = 0; j < n; ++j) {
      if (at + hash_size > b.size()) return std::nullopt;
      e.hashes.emplace_back(b.begin() + static_cast<std::ptrdiff_t>(at),
                            b.begin() + static_cast<std::ptrdiff_t>(at + hash_size));
      at += hash_size;
    }
    v.entries.push_back(std::move(e));
  }
  if (at != b.size()) return std::nullopt;
  return v;
}

PlanInputs ScratchInputs(const ScratchDir& dir) {
  WriteFile(dir / "boot/xen.gz", "xen hypervisor image bytes");
  WriteFile(dir / "boot/vmlinuz", std::string(70000, 'k'));
  WriteFile(dir / "boot/initrd.img", "initrd bytes");
  PlanInputs in;
  in.tboot_path = kTbootGz;
  in.tboot_cmdline = "logging=memory";
  in.modules = {{dir / "boot/xen.gz", "dom0_mem=2048M"},
                {dir / "boot/vmlinuz", "root=/dev/sda1 ro console=hvc0"},
                {dir / "boot/initrd.img", ""}};
  return in;
}

TEST(Vlp, TbPolgenPolicyHoldsLaunchersModuleMeasurements) {
  REQUIRE_TBOOT_TOOLS();
  ScratchDir dir;
  const PlanInputs in = ScratchInputs(dir);
  auto runner = MakeProcessToolRunner();
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSha1, HashAlg::kSha384}) {
    PlanInputs inputs = in;
    inputs.vlp_alg = alg;
    ASSERT_OK_AND_ASSIGN(Bytes vlp, BuildVlp(*runner, inputs, dir.path()));
    const std::optional<Vlp> parsed = ParseVlp(vlp, DigestSize(alg));
    ASSERT_TRUE(parsed.has_value()) << HexEncode(vlp);
    EXPECT_EQ(parsed->version, 2);
    EXPECT_EQ(parsed->control, 1u);
    ASSERT_EQ(parsed->entries.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      const VlpEntry& e = parsed->entries[i];
      EXPECT_EQ(e.mod_num, i);
      EXPECT_EQ(e.pcr, i == 0 ? 0xFF : 17);  // module 0: TB_POL_PCR_NONE
      EXPECT_EQ(e.hash_type, 1);             // TB_HTYPE_IMAGE
      ASSERT_EQ(e.hashes.size(), 1u);
      const std::string image = test::ReadFile(inputs.modules[i].path);
      ASSERT_OK_AND_ASSIGN(Bytes want,
                           TbootModuleDigest(alg, AsBytes(image), inputs.modules[i].cmdline));
      EXPECT_EQ(e.hashes[0], want) << "module " << i << " " << HashAlgName(alg);
    }
  }
}

TEST(Vlp, CommandsFollowTbPolgensSyntax) {
  PlanInputs in;
  in.modules = {{"/boot/xen.gz", "a b"}, {"/boot/initrd", ""}};
  in.policy_type = "halt";
  in.policy_control = 0;
  const auto cmds = VlpCommands(in, "/w/vl.pol");
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(JoinCommand(cmds[0]), "tb_polgen --create --type halt --alg sha256 --ctrl 0 /w/vl.pol");
  EXPECT_EQ(JoinCommand(cmds[1]),
            "tb_polgen --add --num 0 --pcr none --hash image --cmdline 'a b' --image /boot/xen.gz "
            "/w/vl.pol");
  EXPECT_EQ(JoinCommand(cmds[2]),
            "tb_polgen --add --num 1 --pcr 17 --hash image --cmdline '' --image /boot/initrd "
            "/w/vl.pol");
}

TEST(TbootPolicyDigestRule, ZerosWhenTheExtendBitIsClear) {
  const Bytes vlp = ToBytes("some policy");
  for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}) {
    Bytes buf(4 + DigestSize(b), 0);
    ASSERT_OK_AND_ASSIGN(Bytes zeros, crypto::Digest(b, buf));
    ASSERT_OK_AND_ASSIGN(Bytes without, TbootPolicyDigest(b, 0, vlp));
    EXPECT_EQ(without, zeros);
  }
}

TEST(Plan, WholePlanWithRealTools) {
  REQUIRE_TBOOT_TOOLS();
  ScratchDir dir;
  const PlanInputs in = ScratchInputs(dir);
  auto runner = MakeProcessToolRunner();
  ASSERT_OK_AND_ASSIGN(TbootPlan plan, MakeTbootPlan(*runner, in, dir.path()));
  ASSERT_EQ(plan.modules.size(), 3u);
  EXPECT_EQ(plan.modules[0].kind, policy::ReferenceKind::kHypervisor);
  EXPECT_EQ(plan.modules[1].kind, policy::ReferenceKind::kKernel);
  EXPECT_EQ(plan.modules[2].kind, policy::ReferenceKind::kInitrd);
  EXPECT_EQ(plan.mle_hash.size(), 3u);
  ASSERT_OK_AND_ASSIGN(Bytes mle,
                       RunMleHash(*runner, kTbootGz, "logging=memory", HashAlg::kSha256));
  EXPECT_EQ(plan.mle_hash.at(HashAlg::kSha256), mle);
  for (HashAlg b : in.banks) {
    ASSERT_OK_AND_ASSIGN(Bytes pol, TbootPolicyDigest(b, 1, plan.vlp));
    EXPECT_EQ(plan.policy_digest.at(b), pol);
  }
  const std::vector<PlannedEvent> events = PlannedEvents(plan);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].type, kEvTxtMleHash);
  EXPECT_EQ(events[1].pcr, 17u);
  EXPECT_EQ(events[2].pcr, 18u);
  EXPECT_EQ(events[3].digests, plan.modules[0].measurement);
  EXPECT_EQ(events[5].digests, plan.modules[2].measurement);

  // JSON round trip.
  ASSERT_OK_AND_ASSIGN(std::string text, EncodePlanJson(plan));
  ASSERT_OK_AND_ASSIGN(TbootPlan back, DecodePlanJson(text));
  EXPECT_EQ(back.mle_hash, plan.mle_hash);
  EXPECT_EQ(back.vlp, plan.vlp);
  EXPECT_EQ(back.policy_digest, plan.policy_digest);
  ASSERT_EQ(back.modules.size(), 3u);
  EXPECT_EQ(back.modules[1].measurement, plan.modules[1].measurement);
  EXPECT_EQ(back.modules[1].cmdline, "root=/dev/sda1 ro console=hvc0");

  // Reference set for the verifier, through policy/model's codec.
  ASSERT_OK_AND_ASSIGN(policy::ReferenceSetDocument set, PlanReferences(plan, "tboot-test"));
  ASSERT_OK_AND_ASSIGN(std::string set_json, policy::EncodeReferenceSet(set));
  ASSERT_OK_AND_ASSIGN(policy::ReferenceSetDocument decoded, policy::DecodeReferenceSet(set_json));
  ASSERT_EQ(decoded.entries.size(), 5u);
  EXPECT_EQ(decoded.entries[0].kind, policy::ReferenceKind::kTboot);
  EXPECT_EQ(decoded.entries[0].digests, plan.mle_hash);
  EXPECT_EQ(decoded.entries[1].kind, policy::ReferenceKind::kTbootPolicy);
  EXPECT_EQ(decoded.entries[2].kind, policy::ReferenceKind::kHypervisor);
  EXPECT_EQ(decoded.entries[3].kind, policy::ReferenceKind::kKernel);
  EXPECT_EQ(decoded.entries[4].kind, policy::ReferenceKind::kInitrd);
  EXPECT_EQ(decoded.entries[4].digests, plan.modules[2].measurement);
}

TEST(Plan, RefusesBadInputs) {
  RecordingToolRunner runner;
  PlanInputs in;
  in.tboot_path = "/boot/tboot.gz";
  EXPECT_THAT(MakeTbootPlan(runner, in, "/tmp"),
              StatusIs(Code::kInvalidArgument, HasSubstr("--hypervisor")));
  in.modules = {{"/nonexistent/xen.gz", ""}};
  EXPECT_THAT(MakeTbootPlan(runner, in, "/tmp"),
              StatusIs(Code::kInvalidArgument, HasSubstr("/nonexistent/xen.gz")));
  in.policy_control = 3;
  EXPECT_THAT(MakeTbootPlan(runner, in, "/tmp"),
              StatusIs(Code::kInvalidArgument, HasSubstr("--policy-control")));
  in.policy_control = 1;
  in.policy_type = "lenient";
  EXPECT_THAT(MakeTbootPlan(runner, in, "/tmp"),
              StatusIs(Code::kInvalidArgument, HasSubstr("--policy-type")));
  EXPECT_TRUE(runner.calls.empty());
}

TEST(Plan, KvmModuleKinds) {
  EXPECT_EQ(ModuleKind(HypervisorKind::kKvm, 0), policy::ReferenceKind::kKernel);
  EXPECT_EQ(ModuleKind(HypervisorKind::kKvm, 1), policy::ReferenceKind::kInitrd);
  EXPECT_EQ(ModuleKind(HypervisorKind::kXen, 0), policy::ReferenceKind::kHypervisor);
  EXPECT_EQ(ModuleKind(HypervisorKind::kXen, 1), policy::ReferenceKind::kKernel);
}

TEST(PlanJson, RefusesBrokenDocuments) {
  EXPECT_THAT(DecodePlanJson("not json"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(DecodePlanJson("{\"format\":\"other\"}"),
              StatusIs(Code::kInvalidArgument, HasSubstr("plan.format")));
  const std::string base =
      R"({"format":"vouch-tboot-plan","version":1,"kind":"xen",)"
      R"("tboot":{"path":"/boot/tboot.gz","cmdline":"","mle_hash":{"sha1":"00"}},)"
      R"("policy":{"control":1,"type":"nonfatal","alg":"sha256","vlp":"00","digests":{}},)"
      R"("modules":[]})";
  EXPECT_THAT(DecodePlanJson(base),
              StatusIs(Code::kInvalidArgument, HasSubstr("plan.tboot.mle_hash.sha1")));
}

// A plan equal to what the emulation measures (MLE hash = H(mle bytes)):
// ExpectedPcrs over the emulated log's SINIT events gives the log's replay.
TEST(ExpectedPcrs, FromSinitEventsOfAnEmulatedLaunch) {
  const std::vector<HashAlg> banks = {HashAlg::kSha1, HashAlg::kSha256};
  LaunchInputs li;
  li.modules.push_back({"xen.gz", ToBytes("xen"), "dom0_mem=1G"});
  li.modules.push_back({"vmlinuz", ToBytes("kernel"), "ro"});
  li.mle = ToBytes("tboot mle bytes");
  li.vlp = ToBytes("vlp bytes");
  ASSERT_OK_AND_ASSIGN(std::vector<DrtmEvent> events, PlanDrtmLaunch(banks, li));
  ASSERT_OK_AND_ASSIGN(Bytes log, EncodeDrtmLog(banks, events));
  TbootPlan plan;
  plan.inputs.policy_control = 1;
  plan.vlp = *li.vlp;
  for (HashAlg b : banks) {
    ASSERT_OK_AND_ASSIGN(plan.mle_hash[b], crypto::Digest(b, *li.mle));
    ASSERT_OK_AND_ASSIGN(plan.policy_digest[b], TbootPolicyDigest(b, 1, plan.vlp));
  }
  for (size_t i = 0; i < li.modules.size(); ++i) {
    PlannedModule m;
    m.index = i;
    for (HashAlg b : banks) {
      ASSERT_OK_AND_ASSIGN(m.measurement[b],
                           TbootModuleDigest(b, li.modules[i].image, li.modules[i].cmdline));
    }
    plan.modules.push_back(m);
  }
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues expected, ExpectedPcrs(plan, log));
  ASSERT_OK_AND_ASSIGN(eventlog::UnverifiedEventLog parsed, eventlog::ParseEventLog(log));
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues replayed, eventlog::ComputePcrs(parsed));
  for (HashAlg b : banks) {
    for (uint32_t pcr : {17u, 18u}) {
      ASSERT_NE(expected.Get(b, pcr), nullptr);
      EXPECT_EQ(*expected.Get(b, pcr), *replayed.Get(b, pcr)) << pcr << " " << HashAlgName(b);
    }
  }
  // Another module 1 changes PCR 17 only.
  plan.modules[1].measurement[HashAlg::kSha256][0] ^= 1;
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues other, ExpectedPcrs(plan, log));
  EXPECT_NE(*other.Get(HashAlg::kSha256, 17), *replayed.Get(HashAlg::kSha256, 17));
  EXPECT_EQ(*other.Get(HashAlg::kSha256, 18), *replayed.Get(HashAlg::kSha256, 18));
}

// The real TXT log's SINIT events (the isecl fixture) as the SINIT part.
TEST(ExpectedPcrs, WithTheRealTxtLogsSinitEvents) {
  VOUCH_REQUIRE_FIXTURES(fixtures);
  ASSERT_OK_AND_ASSIGN(
      Bytes log, testing::ReadFileBytes(fixtures / "eventlogs/isecl__txt_heap_info.eventlog.bin"));
  TbootPlan plan;
  for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}) {
    plan.mle_hash[b] = Bytes(DigestSize(b), 0x11);
    plan.policy_digest[b] = Bytes(DigestSize(b), 0x22);
  }
  PlannedModule m;
  for (HashAlg b : {HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384}) {
    m.measurement[b] = Bytes(DigestSize(b), 0x33);
  }
  plan.modules.push_back(m);
  ASSERT_OK_AND_ASSIGN(tpm::PcrValues expected, ExpectedPcrs(plan, log));
  EXPECT_NE(expected.Get(HashAlg::kSha1, 17), nullptr);
  EXPECT_NE(expected.Get(HashAlg::kSha256, 18), nullptr);
  EXPECT_EQ(expected.Get(HashAlg::kSha384, 17), nullptr);  // the log has no sha384
  EXPECT_THAT(ExpectedPcrs(plan, ToBytes("garbage")), StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace vouch::launcher::tboot
