// Tests of verifier/config/auth.cc (token specs, new tokens, hashing, the
// bearer authenticator) and verifier/config/token_cmd.cc (`token new|hash`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tests/testing/status_matchers.h"
#include "verifier/config/auth.h"
#include "verifier/config/config.h"
#include "verifier/config/token_cmd.h"

namespace vouch::verifier {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;
using ::vouch::testing::StatusIs;

// SHA-256("abc"), FIPS 180-2 appendix B.1.
constexpr std::string_view kAbcSha256 =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

// Deterministic randomness: bytes 0, 1, 2, ... (or a failure).
class CountingRandom final : public crypto::RandomSource {
 public:
  explicit CountingRandom(bool fail = false) : fail_(fail) {}
  Status Fill(std::span<uint8_t> out) override {
    if (fail_) return UnavailableError("no entropy");
    for (uint8_t& b : out) b = next_++;
    return Status::Ok();
  }

 private:
  bool fail_;
  uint8_t next_ = 0;
};

TokenEntry Entry(const std::string& name, Role role, std::string_view token) {
  Result<TokenEntry> e = ParseTokenSpec(name, std::string(RoleName(role)) + ":" + HashToken(token));
  EXPECT_TRUE(e.has_value());
  return *e;
}

TEST(AuthTest, RoleNamesRoundTrip) {
  EXPECT_EQ(RoleName(Role::kReader), "reader");
  EXPECT_EQ(RoleName(Role::kAdmin), "admin");
  EXPECT_EQ(*ParseRole("reader"), Role::kReader);
  EXPECT_EQ(*ParseRole("admin"), Role::kAdmin);
  EXPECT_THAT(ParseRole("Admin"), StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseRole(""), StatusIs(Code::kInvalidArgument));
}

TEST(AuthTest, HashTokenIsSha256Hex) {
  EXPECT_EQ(HashToken("abc"), "sha256:" + std::string(kAbcSha256));
}

TEST(AuthTest, TokenSpecParsesAndPrints) {
  ASSERT_OK_AND_ASSIGN(TokenEntry e,
                       ParseTokenSpec("grafana", "admin:sha256:" + std::string(kAbcSha256)));
  EXPECT_EQ(e.name, "grafana");
  EXPECT_EQ(e.role, Role::kAdmin);
  EXPECT_EQ(HexEncode(e.sha256), kAbcSha256);
  EXPECT_EQ(TokenSpec(e), "admin:sha256:" + std::string(kAbcSha256));
  // Upper-case hex is accepted, printed lower case.
  ASSERT_OK_AND_ASSIGN(TokenEntry upper,
                       ParseTokenSpec("g", "reader:sha256:" + std::string(64, 'F')));
  EXPECT_EQ(TokenSpec(upper), "reader:sha256:" + std::string(64, 'f'));
}

TEST(AuthTest, BadTokenSpecsAreInvalidArgument) {
  const std::string hex(kAbcSha256);
  EXPECT_THAT(ParseTokenSpec("g", "reader:sha512:" + hex),
              StatusIs(Code::kInvalidArgument, HasSubstr("never the token itself")));
  EXPECT_THAT(ParseTokenSpec("g", "owner:sha256:" + hex),
              StatusIs(Code::kInvalidArgument, HasSubstr("reader or admin")));
  EXPECT_THAT(ParseTokenSpec("g", "reader:sha256:0x" + hex.substr(2)),
              StatusIs(Code::kInvalidArgument, HasSubstr("64 hex digits")));
  EXPECT_THAT(ParseTokenSpec("g", "reader:sha256:" + hex + "00"),
              StatusIs(Code::kInvalidArgument, HasSubstr("got 66 characters")));
  EXPECT_THAT(ParseTokenSpec("g", "reader:sha256:" + std::string(64, 'z')),
              StatusIs(Code::kInvalidArgument));
  EXPECT_THAT(ParseTokenSpec("", "reader:sha256:" + hex),
              StatusIs(Code::kInvalidArgument, HasSubstr("token name")));
  EXPECT_THAT(ParseTokenSpec("a:b", "reader:sha256:" + hex), StatusIs(Code::kInvalidArgument));
}

TEST(AuthTest, TokenNames) {
  EXPECT_TRUE(CheckTokenName("grafana").ok());
  EXPECT_TRUE(CheckTokenName("ops-alice.2_b").ok());
  EXPECT_TRUE(CheckTokenName(std::string(64, 'a')).ok());
  EXPECT_FALSE(CheckTokenName(std::string(65, 'a')).ok());
  EXPECT_FALSE(CheckTokenName("").ok());
  EXPECT_FALSE(CheckTokenName(".hidden").ok());
  EXPECT_FALSE(CheckTokenName("a b").ok());
  EXPECT_FALSE(CheckTokenName("caf\xc3\xa9").ok());
}

TEST(AuthTest, NewTokenIsVchAndBase64UrlOf32Bytes) {
  CountingRandom random;
  ASSERT_OK_AND_ASSIGN(std::string token, NewToken(random));
  // base64url(00 01 02 ... 1f) without padding.
  EXPECT_EQ(token, "vch_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
  ASSERT_OK_AND_ASSIGN(std::string a, NewToken());
  ASSERT_OK_AND_ASSIGN(std::string b, NewToken());
  EXPECT_NE(a, b);
  EXPECT_THAT(a, MatchesRegex("vch_[A-Za-z0-9_-]{43}"));
}

TEST(AuthTest, NewTokenUsesUrlSafeAlphabet) {
  class AllOnes final : public crypto::RandomSource {
   public:
    Status Fill(std::span<uint8_t> out) override {
      for (uint8_t& b : out) b = 0xff;
      return Status::Ok();
    }
  } random;
  ASSERT_OK_AND_ASSIGN(std::string token, NewToken(random));
  EXPECT_EQ(token, "vch_" + std::string(42, '_') + "8");
}

TEST(AuthTest, NewTokenFailsWhenRandomFails) {
  CountingRandom broken(/*fail=*/true);
  EXPECT_THAT(NewToken(broken), StatusIs(Code::kUnavailable));
}

TEST(TokenAuthenticatorTest, RightTokenGivesItsPrincipal) {
  TokenAuthenticator auth({Entry("grafana", Role::kReader, "reader-token-0123456789"),
                           Entry("ops", Role::kAdmin, "admin-token-0123456789")});
  EXPECT_FALSE(auth.empty());
  std::optional<Principal> p = auth.Authenticate("Bearer reader-token-0123456789");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "grafana");
  EXPECT_EQ(p->role, Role::kReader);
  p = auth.Authenticate("Bearer admin-token-0123456789");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "ops");
  EXPECT_EQ(p->role, Role::kAdmin);
  // Scheme is case-insensitive; extra spaces around the token are tolerated.
  EXPECT_TRUE(auth.Authenticate("bearer reader-token-0123456789").has_value());
  EXPECT_TRUE(auth.Authenticate("BEARER   admin-token-0123456789 ").has_value());
}

TEST(TokenAuthenticatorTest, AnythingElseIsRefused) {
  TokenAuthenticator auth({Entry("grafana", Role::kReader, "reader-token-0123456789")});
  EXPECT_EQ(auth.Authenticate(""), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer "), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer wrong-token-0123456789"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer reader-token-012345678"), std::nullopt);    // prefix
  EXPECT_EQ(auth.Authenticate("Bearer reader-token-01234567890"), std::nullopt);  // longer
  EXPECT_EQ(auth.Authenticate("Basic reader-token-0123456789"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearerreader-token-0123456789"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("reader-token-0123456789"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer reader-token-0123456789 extra"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer\treader-token-0123456789"), std::nullopt);
  EXPECT_EQ(auth.Authenticate("Bearer " + std::string(100000, 'a')), std::nullopt);
  // The configured hash itself is not a token.
  EXPECT_EQ(auth.Authenticate("Bearer " + HashToken("reader-token-0123456789")), std::nullopt);
}

TEST(TokenAuthenticatorTest, NoTokensAdmitsNobody) {
  TokenAuthenticator none({});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.Authenticate("Bearer anything-at-all-123"), std::nullopt);
}

TEST(TokenAuthenticatorTest, WorksWithTokensFromTheConfiguration) {
  CountingRandom random;
  ASSERT_OK_AND_ASSIGN(std::string token, NewToken(random));
  ASSERT_OK_AND_ASSIGN(VerifierConfig config,
                       ParseVerifierConfig("token.ci = admin:" + HashToken(token) + "\n"));
  TokenAuthenticator auth(config.tokens);
  std::optional<Principal> p = auth.Authenticate("Bearer " + token);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->name, "ci");
  EXPECT_EQ(p->role, Role::kAdmin);
}

TEST(TokenCmdTest, NewPrintsTokenAndConfigLine) {
  CountingRandom random;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunTokenNew("grafana", "reader", random, out, err), kExitOk);
  const std::string token = "vch_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  EXPECT_EQ(out.str(), token + "\ntoken.grafana = reader:" + HashToken(token) + "\n");
  EXPECT_THAT(err.str(), HasSubstr("not shown again"));
  // The printed line is a valid configuration line for that token.
  const std::string line = out.str().substr(out.str().find('\n') + 1);
  ASSERT_OK_AND_ASSIGN(VerifierConfig config, ParseVerifierConfig(line));
  EXPECT_TRUE(TokenAuthenticator(config.tokens).Authenticate("Bearer " + token).has_value());
}

TEST(TokenCmdTest, NewWithSystemRandom) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunTokenNew("ops", "admin", out, err), kExitOk);
  EXPECT_THAT(out.str(),
              MatchesRegex("vch_[A-Za-z0-9_-]{43}\ntoken\\.ops = admin:sha256:[0-9a-f]{64}\n"));
}

TEST(TokenCmdTest, NewRefusesBadArguments) {
  CountingRandom random;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunTokenNew("bad name", "reader", random, out, err), kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr("--name"));
  EXPECT_EQ(RunTokenNew("ok", "root", random, out, err), kExitUsage);
  EXPECT_THAT(err.str(), HasSubstr("--role: role must be reader or admin"));
  EXPECT_THAT(out.str(), IsEmpty());
  CountingRandom broken(/*fail=*/true);
  EXPECT_EQ(RunTokenNew("ok", "admin", broken, out, err), kExitInternal);
  EXPECT_THAT(out.str(), IsEmpty());
}

int Hash(const std::string& input, std::string& out_text, std::string& err_text) {
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  const int rc = RunTokenHash(in, out, err);
  out_text = out.str();
  err_text = err.str();
  return rc;
}

TEST(TokenCmdTest, HashPrintsSha256OfTheFirstLine) {
  std::string out;
  std::string err;
  const std::string token = "vch_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
  EXPECT_EQ(Hash(token + "\n", out, err), kExitOk);
  EXPECT_EQ(out, HashToken(token) + "\n");
  EXPECT_THAT(err, IsEmpty());
  EXPECT_EQ(Hash(token, out, err), kExitOk);
  EXPECT_EQ(out, HashToken(token) + "\n");
  EXPECT_EQ(Hash(token + "\r\n", out, err), kExitOk);
  EXPECT_EQ(out, HashToken(token) + "\n");
}

TEST(TokenCmdTest, HashRefusesBadInput) {
  std::string out;
  std::string err;
  EXPECT_EQ(Hash("", out, err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("expected a token"));
  EXPECT_EQ(Hash("\n", out, err), kExitUsage);
  EXPECT_EQ(Hash("short\n", out, err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("16-1024 characters (got 5)"));
  EXPECT_EQ(Hash("a-long-enough-token\nsecond-line-here\n", out, err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("one line"));
  EXPECT_EQ(Hash("a long enough token with spaces\n", out, err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("printable ASCII"));
  EXPECT_EQ(Hash(std::string(1025, 'a'), out, err), kExitUsage);
  EXPECT_EQ(Hash(std::string(5000, 'a'), out, err), kExitUsage);
  EXPECT_THAT(err, HasSubstr("longer than 4096 bytes"));
  EXPECT_THAT(out, IsEmpty());
  EXPECT_EQ(Hash(std::string(1024, 'a'), out, err), kExitOk);
  EXPECT_EQ(Hash(std::string(16, 'a'), out, err), kExitOk);
}

}  // namespace
}  // namespace vouch::verifier
