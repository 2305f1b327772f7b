#include "gateway/scopes.hpp"

#include <gtest/gtest.h>

namespace pincer::gateway {
namespace {

// Unknown names are dropped, duplicates merged, implied scopes added, the result sorted.
TEST(Scopes, NormalizesRequestedScopes) {
  std::vector<std::string> requested{" operator.write", "operator.write", "root",
                                     "operator.pairing"};
  EXPECT_EQ(normalize_scopes(requested),
            (std::vector<std::string>{"operator.pairing", "operator.read", "operator.write"}));
  std::vector<std::string> admin{"operator.admin"};
  EXPECT_EQ(normalize_scopes(admin),
            (std::vector<std::string>{"operator.admin", "operator.read", "operator.write"}));
}

// admin satisfies everything; write satisfies read and talk; nothing else is implied.
TEST(Scopes, ChecksImplications) {
  std::vector<std::string> admin{"operator.admin"};
  std::vector<std::string> write{"operator.write"};
  std::vector<std::string> read{"operator.read"};
  EXPECT_TRUE(scope_satisfied(admin, scope::kPairing));
  EXPECT_TRUE(scope_satisfied(write, scope::kRead));
  EXPECT_TRUE(scope_satisfied(write, scope::kTalk));
  EXPECT_FALSE(scope_satisfied(write, scope::kAdmin));
  EXPECT_FALSE(scope_satisfied(read, scope::kWrite));
  EXPECT_FALSE(scope_satisfied({}, scope::kRead));
}

}  // namespace
}  // namespace pincer::gateway
