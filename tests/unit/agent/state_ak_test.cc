// Tests of agent/ak.cc and agent/enroll.cc without a TPM: the AK record
// format, InitAk's reuse/replace/persist decisions and LoadAkFromState, the
// enrollment request, challenge answer and enrollment.json, against a small
// in-memory TPM that models what these decisions depend on (which TPM made a
// blob, persistent handles, object slots).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

#include "agent/ak.h"
#include "agent/enroll.h"
#include "agent/state_dir.h"
#include "core/protocol/enrollment.h"
#include "core/tpm/public.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace vouch::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using tpm_device::AkBlob;
using tpm_device::AkKind;
using tpm_device::EkKind;
using tpm_device::TpmObject;
using ::vouch::testing::IsOk;
using ::vouch::testing::StatusIs;

Bytes ReadData(const std::string& rel) {
  Result<Bytes> data = ::vouch::testing::ReadFileBytes(fs::path(VOUCH_SOURCE_DIR) / rel);
  VOUCH_CHECK(data.has_value());
  return *data;
}

// Real TPM2B_PUBLIC areas of an RSA and an ECC AK (tests/data/quotes).
const Bytes& RsaAkPublic() {
  static const Bytes* const kPub = new Bytes(ReadData("tests/data/quotes/swtpm-rsa/ak.pub"));
  return *kPub;
}
const Bytes& EccAkPublic() {
  static const Bytes* const kPub = new Bytes(ReadData("tests/data/quotes/swtpm-ecc/ak.pub"));
  return *kPub;
}
Bytes NameOf(const Bytes& pub) {
  Result<tpm::TpmPublic> decoded = tpm::TpmPublic::DecodeTpm2b(pub);
  VOUCH_CHECK(decoded.has_value());
  return decoded->name();
}

class FakeClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1795852800));
  }
};
constexpr char kFakeNow[] = "2026-11-28T08:00:00Z";

// An in-memory TPM for the AK lifecycle. A blob's private area names the TPM
// (seed) and EK that made it, so blobs from another TPM fail to load like
// they do on a real one. Every RSA AK created gets a distinct public area
// (a modulus byte varies), so a new AK has a new name. At most 3 transient
// objects may be loaded (swtpm without a resource manager).
class LifecycleTpm final : public tpm_device::TpmDevice {
 public:
  explicit LifecycleTpm(uint8_t seed = 1) : seed_(seed) {}

  int creates = 0;
  int evicts = 0;
  int loaded = 0;  // transient objects loaded now
  int max_loaded = 0;
  std::map<uint32_t, Bytes> persistent;  // handle -> public area
  std::optional<Bytes> ek_cert;
  Bytes activation_secret = ToBytes("0123456789abcdef");

  Status Startup() override { return Status::Ok(); }
  Result<std::vector<HashAlg>> ActiveBanks() override { return Unsupported(); }
  Result<tpm::PcrValues> ReadPcrs(const std::vector<tpm::PcrSelection>&) override {
    return Unsupported();
  }
  Status ExtendPcr(uint32_t, const std::vector<tpm_device::BankDigest>&) override {
    return Unsupported();
  }
  Result<Bytes> ReadPublic(uint32_t) override { return Unsupported(); }
  Result<Bytes> ReadNv(uint32_t index) override {
    if (index == tpm_device::kRsaEkCertNvIndex && ek_cert.has_value()) return *ek_cert;
    return NotFoundError("NV index not defined");
  }
  Result<TpmObject> LoadEk(EkKind kind) override {
    // The EK's "public area" only needs to identify TPM and kind here.
    return Transient(Bytes{0xe0, seed_, static_cast<uint8_t>(kind)});
  }
  Result<AkBlob> CreateAk(const TpmObject& ek, AkKind kind) override {
    ++creates;
    AkBlob blob;
    blob.public_area = kind == AkKind::kRsa2048 ? RsaAkPublic() : EccAkPublic();
    if (kind == AkKind::kRsa2048) blob.public_area[blob.public_area.size() - 2] ^= creates;
    blob.private_area = ek.public_area();  // "made by this TPM under this EK"
    return blob;
  }
  Result<TpmObject> LoadAk(const TpmObject& ek, const AkBlob& blob) override {
    if (blob.private_area != ek.public_area()) {
      return InvalidArgumentError("Esys_Load: tpm:parameter(1):integrity check failed");
    }
    return Transient(blob.public_area);
  }
  Status Persist(const TpmObject& key, uint32_t handle) override {
    if (handle < 0x81000000u || handle > 0x81ffffffu) return InvalidArgumentError("bad handle");
    if (persistent.contains(handle)) return FailedPreconditionError("NV_DEFINED");
    persistent[handle] = key.public_area();
    return Status::Ok();
  }
  Result<TpmObject> LoadPersistent(uint32_t handle) override {
    auto it = persistent.find(handle);
    if (it == persistent.end()) return NotFoundError("no persistent object");
    return TpmObject(handle, it->second, [](uint64_t) {});
  }
  Status Evict(uint32_t handle) override {
    ++evicts;
    if (persistent.erase(handle) == 0) return NotFoundError("no persistent object");
    return Status::Ok();
  }
  Result<tpm_device::TpmQuote> Quote(const TpmObject&, ByteView,
                                     const std::vector<tpm::PcrSelection>&) override {
    return Unsupported();
  }
  Result<Bytes> ActivateCredential(const TpmObject& ak, const TpmObject& ek,
                                   ByteView credential_blob, ByteView) override {
    if (!ak.valid() || !ek.valid()) return InvalidArgumentError("keys not loaded");
    // "good:<AK name hex>" activates for that AK only.
    if (ToString(credential_blob) != "good:" + HexEncode(NameOf(ak.public_area()))) {
      return InvalidArgumentError("Esys_ActivateCredential: integrity check failed");
    }
    return activation_secret;
  }
  Status SetLocality(uint8_t) override { return Unsupported(); }
  Result<tpm_device::LoadedHandleCounts> CountLoadedHandles() override {
    return tpm_device::LoadedHandleCounts{static_cast<uint32_t>(loaded), 0};
  }

 private:
  static Status Unsupported() { return FailedPreconditionError("not in LifecycleTpm"); }
  Result<TpmObject> Transient(Bytes pub) {
    if (loaded == 3) return UnavailableError("TPM_RC_OBJECT_MEMORY");
    ++loaded;
    max_loaded = std::max(max_loaded, loaded);
    return TpmObject(next_id_++, std::move(pub), [this](uint64_t) { --loaded; });
  }
  uint8_t seed_;
  uint64_t next_id_ = 1;
};

class AkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "vouch-ak-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    ASSERT_OK_AND_ASSIGN(StateDir state, StateDir::Open((root_ / "state").string(), true));
    state_.emplace(std::move(state));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  AkRecord SampleRecord(AkStorage storage) const {
    AkRecord r;
    r.kind = storage == AkStorage::kStateFile ? AkKind::kRsa2048 : AkKind::kEccP256;
    r.ek_kind = storage == AkStorage::kStateFile ? EkKind::kRsa : EkKind::kEcc;
    r.storage = storage;
    r.blob.public_area = storage == AkStorage::kStateFile ? RsaAkPublic() : EccAkPublic();
    if (storage == AkStorage::kStateFile) {
      r.blob.private_area = Bytes{1, 2, 3};
    } else {
      r.persistent_handle = 0x81000042;
    }
    r.name = NameOf(r.blob.public_area);
    r.created_at = kFakeNow;
    return r;
  }
  std::string Recorded() const { return ToString(state_->Read(kAkRecordFile).value().value()); }

  fs::path root_;
  std::optional<StateDir> state_;
  FakeClock clock_;
  LifecycleTpm tpm_;
};

void ExpectSameRecord(const AkRecord& a, const AkRecord& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.ek_kind, b.ek_kind);
  EXPECT_EQ(a.storage, b.storage);
  EXPECT_EQ(a.persistent_handle, b.persistent_handle);
  EXPECT_EQ(a.blob.public_area, b.blob.public_area);
  EXPECT_EQ(a.blob.private_area, b.blob.private_area);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.created_at, b.created_at);
}

TEST_F(AkTest, RecordRoundTripsForBothStorages) {
  for (AkStorage storage : {AkStorage::kStateFile, AkStorage::kPersistentHandle}) {
    const AkRecord record = SampleRecord(storage);
    ASSERT_OK_AND_ASSIGN(std::string json, EncodeAkRecord(record));
    ASSERT_OK_AND_ASSIGN(AkRecord decoded, DecodeAkRecord(json));
    ExpectSameRecord(decoded, record);
  }
  ASSERT_OK_AND_ASSIGN(std::string json, EncodeAkRecord(SampleRecord(AkStorage::kStateFile)));
  EXPECT_THAT(json, HasSubstr("\"storage\": \"file\""));
  EXPECT_THAT(json, HasSubstr("\"private\": \"AQID\""));
  EXPECT_THAT(json, HasSubstr("\"name\": \"" + HexEncode(NameOf(RsaAkPublic())) + "\""));
  ASSERT_OK_AND_ASSIGN(json, EncodeAkRecord(SampleRecord(AkStorage::kPersistentHandle)));
  EXPECT_THAT(json, HasSubstr("\"persistent_handle\": \"0x81000042\""));
  EXPECT_THAT(json, Not(HasSubstr("private")));
}

TEST_F(AkTest, EncodeRefusesInconsistentRecord) {
  AkRecord r = SampleRecord(AkStorage::kStateFile);
  r.name.back() ^= 1;
  EXPECT_THAT(EncodeAkRecord(r), StatusIs(Code::kInvalidArgument, HasSubstr("name")));
  r = SampleRecord(AkStorage::kStateFile);
  r.blob.private_area.clear();
  EXPECT_THAT(EncodeAkRecord(r), StatusIs(Code::kInvalidArgument, HasSubstr("private")));
  r.blob.public_area = Bytes{0, 1, 2};
  EXPECT_THAT(EncodeAkRecord(r), StatusIs(Code::kInvalidArgument, HasSubstr("public")));
}

TEST_F(AkTest, DecodeNamesTheCorruptMember) {
  ASSERT_OK_AND_ASSIGN(std::string good_file, EncodeAkRecord(SampleRecord(AkStorage::kStateFile)));
  ASSERT_OK_AND_ASSIGN(std::string good_persistent,
                       EncodeAkRecord(SampleRecord(AkStorage::kPersistentHandle)));
  auto edit = [](std::string text, const std::string& from, const std::string& to) {
    const size_t pos = text.find(from);
    VOUCH_CHECK(pos != std::string::npos);
    return text.replace(pos, from.size(), to);
  };
  const std::string rsa_b64 = Base64Encode(RsaAkPublic());
  const std::string rsa_name = HexEncode(NameOf(RsaAkPublic()));
  struct Case {
    std::string json;
    std::string member;
  };
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"{", "not valid JSON"},
      {"[]", "expected a JSON object"},
      {edit(good_file, "\"version\": 1", "\"version\": 2"), "version"},
      {edit(good_file, "\"version\": 1", "\"versio\": 1"), "version"},
      {edit(good_file, "\"ak_type\": \"rsa\"", "\"ak_type\": \"dsa\""), "ak_type"},
      {edit(good_file, "\"ak_type\": \"rsa\"", "\"ak_type\": 1"), "ak_type: expected a string"},
      {edit(good_file, "\"ek_type\": \"rsa\"", "\"ek_type\": \"x\""), "ek_type"},
      {edit(good_file, "\"storage\": \"file\"", "\"storage\": \"nv\""), "storage"},
      {edit(good_file, "\"private\": \"AQID\"", "\"private\": \"AQ!D\""), "private"},
      {edit(good_file, "\"private\": \"AQID\"", "\"private\": \"\""), "private: empty"},
      {edit(good_file, "\"private\": \"AQID\"", "\"privat\": \"AQID\""), "private: missing"},
      {edit(good_file, rsa_b64, "AAAA"), "public"},
      {edit(good_file, rsa_b64, Base64Encode(EccAkPublic())), "public"},
      {edit(good_file, rsa_name, rsa_name.substr(2) + "00"), "name: does not match"},
      {edit(good_file, rsa_name, "zz"), "name"},
      {edit(good_file, "\"created_at\"", "\"created\""), "created_at: missing"},
      {edit(good_persistent, "0x81000042", "0x01000042"), "persistent_handle"},
      {edit(good_persistent, "0x81000042", "0x8100004"), "persistent_handle"},
      {edit(good_persistent, "\"ak_type\": \"ecc\"", "\"ak_type\": \"rsa\""), "public"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(DecodeAkRecord(c.json), StatusIs(Code::kDataLoss, HasSubstr(c.member))) << c.json;
  }
}

TEST_F(AkTest, InitCreatesOnceThenReuses) {
  ASSERT_OK_AND_ASSIGN(InitResult first, InitAk(tpm_, *state_, AkOptions{}, clock_));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.record.kind, AkKind::kRsa2048);
  EXPECT_EQ(first.record.storage, AkStorage::kStateFile);
  EXPECT_EQ(first.record.name, NameOf(first.record.blob.public_area));
  EXPECT_FALSE(first.record.blob.private_area.empty());
  EXPECT_EQ(first.record.created_at, kFakeNow);
  ASSERT_OK_AND_ASSIGN(AkRecord stored, DecodeAkRecord(Recorded()));
  ExpectSameRecord(stored, first.record);

  ASSERT_OK_AND_ASSIGN(InitResult second, InitAk(tpm_, *state_, AkOptions{}, clock_));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.record.name, first.record.name);
  EXPECT_EQ(tpm_.creates, 1);
  EXPECT_EQ(tpm_.loaded, 0);  // nothing stays loaded
  EXPECT_LE(tpm_.max_loaded, 2);
}

TEST_F(AkTest, InitRefusesOtherKindUnlessForced) {
  ASSERT_OK_AND_ASSIGN(InitResult rsa, InitAk(tpm_, *state_, AkOptions{}, clock_));
  AkOptions ecc;
  ecc.kind = AkKind::kEccP256;
  EXPECT_THAT(InitAk(tpm_, *state_, ecc, clock_),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("holds an rsa AK under the rsa EK, file, not the requested ecc AK "
                                 "under the rsa EK, file; --force")));
  AkOptions other_ek;
  other_ek.ek_kind = EkKind::kEcc;
  EXPECT_THAT(InitAk(tpm_, *state_, other_ek, clock_), StatusIs(Code::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(AkRecord unchanged, DecodeAkRecord(Recorded()));
  EXPECT_EQ(unchanged.name, rsa.record.name);

  ecc.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult replaced, InitAk(tpm_, *state_, ecc, clock_));
  EXPECT_TRUE(replaced.created);
  EXPECT_EQ(replaced.record.kind, AkKind::kEccP256);
  EXPECT_NE(replaced.record.name, rsa.record.name);
  ASSERT_OK_AND_ASSIGN(AkRecord stored, DecodeAkRecord(Recorded()));
  EXPECT_EQ(stored.name, replaced.record.name);
}

TEST_F(AkTest, ForceOnMatchingLoadableAkStillReuses) {
  ASSERT_OK_AND_ASSIGN(InitResult first, InitAk(tpm_, *state_, AkOptions{}, clock_));
  AkOptions force;
  force.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult again, InitAk(tpm_, *state_, force, clock_));
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.record.name, first.record.name);
}

TEST_F(AkTest, InitRefusesRecordFromAnotherTpmUnlessForced) {
  LifecycleTpm other(/*seed=*/2);
  ASSERT_OK_AND_ASSIGN(InitResult theirs, InitAk(other, *state_, AkOptions{}, clock_));
  EXPECT_THAT(InitAk(tpm_, *state_, AkOptions{}, clock_),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("does not load in this TPM (invalid_argument: Esys_Load")));
  EXPECT_THAT(
      LoadAkFromState(tpm_, *state_),
      StatusIs(Code::kInvalidArgument, HasSubstr("load the AK of " + state_->FilePath("ak.json"))));
  AkOptions force;
  force.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult mine, InitAk(tpm_, *state_, force, clock_));
  EXPECT_TRUE(mine.created);
  EXPECT_NE(mine.record.blob.private_area, theirs.record.blob.private_area);
  EXPECT_THAT(LoadAkFromState(tpm_, *state_), IsOk());
}

TEST_F(AkTest, InitRefusesCorruptRecordUnlessForced) {
  ASSERT_OK(state_->WriteAtomic(kAkRecordFile, AsBytes("{\"version\": 1}")));
  EXPECT_THAT(InitAk(tpm_, *state_, AkOptions{}, clock_),
              StatusIs(Code::kDataLoss, HasSubstr("ak_type: missing")));
  EXPECT_THAT(LoadAkFromState(tpm_, *state_),
              StatusIs(Code::kDataLoss, HasSubstr(state_->FilePath("ak.json"))));
  AkOptions force;
  force.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult r, InitAk(tpm_, *state_, force, clock_));
  EXPECT_TRUE(r.created);
}

TEST_F(AkTest, PersistentStoragePersistsAndReuses) {
  AkOptions options;
  options.kind = AkKind::kEccP256;
  options.storage = AkStorage::kPersistentHandle;
  options.persistent_handle = 0x81000100;
  ASSERT_OK_AND_ASSIGN(InitResult first, InitAk(tpm_, *state_, options, clock_));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.record.persistent_handle, 0x81000100u);
  EXPECT_THAT(first.record.blob.private_area, IsEmpty());
  ASSERT_TRUE(tpm_.persistent.contains(0x81000100));
  EXPECT_EQ(tpm_.persistent[0x81000100], first.record.blob.public_area);

  ASSERT_OK_AND_ASSIGN(InitResult second, InitAk(tpm_, *state_, options, clock_));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(tpm_.creates, 1);

  ASSERT_OK_AND_ASSIGN(LoadedAk loaded, LoadAkFromState(tpm_, *state_));
  EXPECT_EQ(loaded.ak.public_area(), first.record.blob.public_area);
  EXPECT_EQ(loaded.record.storage, AkStorage::kPersistentHandle);

  // Someone else's key at the handle makes the record unusable.
  tpm_.persistent[0x81000100] = RsaAkPublic();
  EXPECT_THAT(LoadAkFromState(tpm_, *state_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("holds another key")));
  EXPECT_THAT(InitAk(tpm_, *state_, options, clock_), StatusIs(Code::kFailedPrecondition));
}

TEST_F(AkTest, TakenHandleIsRefusedUnlessForcedWhichEvicts) {
  tpm_.persistent[0x81000200] = RsaAkPublic();  // not ours
  AkOptions options;
  options.storage = AkStorage::kPersistentHandle;
  options.persistent_handle = 0x81000200;
  EXPECT_THAT(InitAk(tpm_, *state_, options, clock_),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("persistent handle 0x81000200 already holds a key")));
  EXPECT_EQ(tpm_.creates, 0);  // refused before creating anything
  EXPECT_FALSE(state_->Read(kAkRecordFile).value().has_value());

  options.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult r, InitAk(tpm_, *state_, options, clock_));
  EXPECT_TRUE(r.created);
  EXPECT_EQ(tpm_.persistent[0x81000200], r.record.blob.public_area);
  EXPECT_NE(r.record.blob.public_area, RsaAkPublic());
}

TEST_F(AkTest, ReplacingPersistentAkEvictsTheOldOne) {
  AkOptions persistent;
  persistent.storage = AkStorage::kPersistentHandle;
  persistent.persistent_handle = 0x81000300;
  ASSERT_OK(InitAk(tpm_, *state_, persistent, clock_).status());
  AkOptions file;
  file.force = true;
  ASSERT_OK_AND_ASSIGN(InitResult r, InitAk(tpm_, *state_, file, clock_));
  EXPECT_TRUE(r.created);
  EXPECT_FALSE(tpm_.persistent.contains(0x81000300));

  // Moving to another handle frees the old handle too.
  persistent.force = true;
  ASSERT_OK(InitAk(tpm_, *state_, persistent, clock_).status());
  persistent.persistent_handle = 0x81000301;
  ASSERT_OK(InitAk(tpm_, *state_, persistent, clock_).status());
  EXPECT_FALSE(tpm_.persistent.contains(0x81000300));
  EXPECT_TRUE(tpm_.persistent.contains(0x81000301));
}

TEST_F(AkTest, InitRejectsHandleOutsideRange) {
  AkOptions options;
  options.storage = AkStorage::kPersistentHandle;
  options.persistent_handle = 0x80000001;
  EXPECT_THAT(InitAk(tpm_, *state_, options, clock_),
              StatusIs(Code::kInvalidArgument, HasSubstr("0x80000001")));
}

TEST_F(AkTest, LoadWithoutRecordSaysRunInit) {
  EXPECT_THAT(LoadAkFromState(tpm_, *state_),
              StatusIs(Code::kFailedPrecondition, HasSubstr("run vouch-agent init")));
}

TEST_F(AkTest, LoadFromStateHoldsEkAndAk) {
  ASSERT_OK(InitAk(tpm_, *state_, AkOptions{}, clock_).status());
  {
    ASSERT_OK_AND_ASSIGN(LoadedAk loaded, LoadAkFromState(tpm_, *state_));
    EXPECT_TRUE(loaded.ek.valid());
    EXPECT_TRUE(loaded.ak.valid());
    EXPECT_EQ(loaded.ak.public_area(), loaded.record.blob.public_area);
    EXPECT_EQ(tpm_.loaded, 2);
  }
  EXPECT_EQ(tpm_.loaded, 0);
}

// --- enrollment, agent side ---

TEST_F(AkTest, EnrollmentRequestCarriesEkAkAndCertificate) {
  ASSERT_OK(InitAk(tpm_, *state_, AkOptions{}, clock_).status());
  ASSERT_OK_AND_ASSIGN(LoadedAk ak, LoadAkFromState(tpm_, *state_));
  protocol::HostFacts facts;
  facts.hostname = "h1";
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest no_cert,
                       BuildEnrollmentRequest(tpm_, ak, facts));
  EXPECT_EQ(no_cert.ek_public, ak.ek.public_area());
  EXPECT_EQ(no_cert.ak_public, ak.record.blob.public_area);
  EXPECT_FALSE(no_cert.ek_certificate.has_value());
  EXPECT_EQ(no_cert.host.hostname, "h1");

  tpm_.ek_cert = Bytes{0x30, 0x82};
  ASSERT_OK_AND_ASSIGN(protocol::EnrollmentRequest with_cert,
                       BuildEnrollmentRequest(tpm_, ak, facts));
  EXPECT_EQ(with_cert.ek_certificate, tpm_.ek_cert);
  tpm_.ek_cert = Bytes(protocol::kMaxCertificateBytes + 1, 1);
  EXPECT_THAT(BuildEnrollmentRequest(tpm_, ak, facts),
              StatusIs(Code::kFailedPrecondition, HasSubstr("0x01c00002")));
}

TEST_F(AkTest, AnswerChallengeProvesPossessionForThisAkOnly) {
  ASSERT_OK(InitAk(tpm_, *state_, AkOptions{}, clock_).status());
  ASSERT_OK_AND_ASSIGN(LoadedAk ak, LoadAkFromState(tpm_, *state_));
  protocol::EnrollmentChallenge challenge;
  challenge.enrollment_id = "enr_01-A";
  challenge.credential_blob = ToBytes("good:" + HexEncode(ak.record.name));
  challenge.encrypted_secret = Bytes{1};
  ASSERT_OK_AND_ASSIGN(protocol::ActivationRequest answer, AnswerChallenge(tpm_, ak, challenge));
  ASSERT_OK_AND_ASSIGN(Bytes expected, protocol::ComputeActivationProof(
                                           tpm_.activation_secret, "enr_01-A", ak.record.name));
  EXPECT_EQ(answer.proof, expected);
  EXPECT_EQ(answer.proof.size(), protocol::kActivationProofBytes);

  protocol::EnrollmentChallenge other = challenge;
  other.credential_blob = ToBytes("good:000b00");
  EXPECT_THAT(
      AnswerChallenge(tpm_, ak, other),
      StatusIs(Code::kInvalidArgument, HasSubstr("not made for this TPM's EK and this AK")));
  other = challenge;
  other.enrollment_id = "bad/id";
  EXPECT_THAT(AnswerChallenge(tpm_, ak, other),
              StatusIs(Code::kInvalidArgument, HasSubstr("enrollment_id")));
  other.enrollment_id = std::string(65, 'a');
  EXPECT_THAT(AnswerChallenge(tpm_, ak, other), StatusIs(Code::kInvalidArgument));
  other = challenge;
  other.encrypted_secret.clear();
  EXPECT_THAT(AnswerChallenge(tpm_, ak, other), StatusIs(Code::kInvalidArgument));
}

TEST_F(AkTest, EnrollmentStateRoundTrips) {
  ASSERT_OK_AND_ASSIGN(std::optional<EnrollmentState> none, LoadEnrollment(*state_));
  EXPECT_FALSE(none.has_value());
  EnrollmentState e{"host_42", "https://verifier.example:8443", kFakeNow, NameOf(RsaAkPublic())};
  ASSERT_OK(SaveEnrollment(*state_, e));
  ASSERT_OK_AND_ASSIGN(std::optional<EnrollmentState> loaded, LoadEnrollment(*state_));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->host_id, e.host_id);
  EXPECT_EQ(loaded->verifier_url, e.verifier_url);
  EXPECT_EQ(loaded->enrolled_at, e.enrolled_at);
  EXPECT_EQ(loaded->ak_name, e.ak_name);
  ASSERT_OK_AND_ASSIGN(std::optional<Bytes> raw, state_->Read(kEnrollmentFile));
  EXPECT_THAT(ToString(*raw), HasSubstr("\"ak_name\": \"" + HexEncode(e.ak_name) + "\""));
}

TEST_F(AkTest, EnrollmentStateRejectsBadValuesAndCorruptFiles) {
  EnrollmentState e{"host/42", "", "", Bytes{1}};
  EXPECT_THAT(SaveEnrollment(*state_, e), StatusIs(Code::kInvalidArgument, HasSubstr("host_id")));
  e.host_id = "h";
  e.ak_name.clear();
  EXPECT_THAT(SaveEnrollment(*state_, e), StatusIs(Code::kInvalidArgument, HasSubstr("ak_name")));

  for (const auto& [text, member] : std::vector<std::pair<std::string, std::string>>{
           {"not json", "not a JSON object"},
           {"{}", "host_id: missing"},
           {R"({"host_id": "a/b"})", "host_id"},
           {R"({"host_id": "a", "verifier_url": 1})", "verifier_url: expected a string"},
           {R"({"host_id": "a", "verifier_url": "", "enrolled_at": ""})", "ak_name: missing"},
           {R"({"host_id": "a", "verifier_url": "", "enrolled_at": "", "ak_name": "xyz"})",
            "ak_name"},
       }) {
    ASSERT_OK(state_->WriteAtomic(kEnrollmentFile, AsBytes(text)));
    EXPECT_THAT(LoadEnrollment(*state_), StatusIs(Code::kDataLoss, HasSubstr(member))) << text;
  }
}

}  // namespace
}  // namespace vouch::agent
