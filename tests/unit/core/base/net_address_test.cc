// IsLoopbackAddress and CheckServiceUrl: plain HTTP only to loopback, and
// loopback decided on the address, never on a prefix of a host name.
#include "core/base/net_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace vouch {
namespace {

using ::testing::HasSubstr;
using testing::StatusIs;

TEST(IsLoopbackAddress, LoopbackLiteralsAndLocalhost) {
  for (const char* host : {"127.0.0.1", "127.255.255.254", "::1", "[::1]", "localhost", "LocalHost",
                           "0:0:0:0:0:0:0:1"}) {
    EXPECT_TRUE(IsLoopbackAddress(host)) << host;
  }
}

TEST(IsLoopbackAddress, EverythingElseIsNot) {
  for (const char* host : {"", "128.0.0.1", "10.0.0.1", "127.1", "127.0.0.1.attacker.example",
                           "127.evil.example", "localhostevil.example", "localhost.example", "::2",
                           "[::1", "0177.0.0.1", "::ffff:127.0.0.1", "verifier.example"}) {
    EXPECT_FALSE(IsLoopbackAddress(host)) << host;
  }
}

TEST(CheckServiceUrl, AcceptsHttpsAnywhereAndHttpToLoopback) {
  for (const char* url :
       {"https://agent.example:9443", "https://10.1.2.3/v1", "http://127.0.0.1:8444",
        "http://localhost:1/x?y=z", "http://[::1]:9443", "https://[2001:db8::1]:443"}) {
    EXPECT_OK(CheckServiceUrl(url, "url")) << url;
  }
}

TEST(CheckServiceUrl, RefusesWhatCouldLeakOrMislead) {
  struct Case {
    const char* url;
    const char* message;
  };
  for (const Case& c : {
           Case{"http://127.0.0.1.attacker.example:80", "must use https"},
           Case{"http://127.evil.example", "must use https"},
           Case{"http://localhostevil.example", "must use https"},
           Case{"http://agent.example", "must use https"},
           Case{"https://user:pw@agent.example", "user info"},
           Case{"ftp://agent.example", "scheme"},
           Case{"agent.example:9443", "no scheme"},
           Case{"https://", "no host"},
           Case{"https://agent.example:0", "port"},
           Case{"https://agent.example:70000", "port"},
           Case{"https://agent.example:", "empty port"},
           Case{"https://[::1", "unterminated"},
           Case{"https://agent example", "space"},
       }) {
    EXPECT_THAT(CheckServiceUrl(c.url, "url"),
                StatusIs(Code::kInvalidArgument, HasSubstr(c.message)))
        << c.url;
  }
  EXPECT_THAT(CheckServiceUrl("https://a.example/" + std::string(2100, 'x'), "url"),
              StatusIs(Code::kInvalidArgument, HasSubstr("2048")));
}

}  // namespace
}  // namespace vouch
