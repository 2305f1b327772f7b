#include "store/channel_pairing_store.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <set>

#include "store/database.hpp"
#include "store/state_database.hpp"
#include "support/temp_dir.hpp"

namespace pincer::store {
namespace {

using pincer::testing::TempDir;
using Metadata = std::map<std::string, std::string>;

constexpr int64_t kT0 = 1'000'000;
constexpr int64_t kTtl = ChannelPairingStore::kTtlMs;

class ChannelPairingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }

  void open() {
    db_.reset();
    auto opened = open_state_database(dir_ / "state.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db_.emplace(std::move(*opened));
  }

  ChannelPairingStore store() { return ChannelPairingStore(*db_); }

  // A request that must succeed and issue or return a code.
  PairingRequestOutcome ask(std::string_view sender, int64_t now_ms,
                            std::string_view account = "default", Metadata metadata = {}) {
    auto outcome = store().request("telegram", account, sender, "Name " + std::string(sender),
                                   metadata, now_ms);
    EXPECT_TRUE(outcome) << outcome.error().describe();
    return outcome ? *outcome : PairingRequestOutcome{};
  }

  TempDir dir_;
  std::optional<Database> db_;
};

// A new sender gets a code that lives for one hour from now.
TEST_F(ChannelPairingStoreTest, NewSenderGetsRequestWithCode) {
  auto outcome = ask("42", kT0, "default", {{"username", "alice"}});
  ASSERT_TRUE(outcome.request);
  EXPECT_TRUE(outcome.created);
  const auto& r = *outcome.request;
  EXPECT_FALSE(r.request_id.empty());
  EXPECT_EQ(r.channel, "telegram");
  EXPECT_EQ(r.account_id, "default");
  EXPECT_EQ(r.sender_id, "42");
  EXPECT_EQ(r.sender_label, "Name 42");
  EXPECT_EQ(r.code.size(), kPairingCodeLength);
  EXPECT_EQ(r.metadata, (Metadata{{"username", "alice"}}));
  EXPECT_EQ(r.created_at_ms, kT0);
  EXPECT_EQ(r.last_seen_at_ms, kT0);
  EXPECT_EQ(r.expires_at_ms, kT0 + kTtl);

  auto stored = store().find_by_id(r.request_id);
  ASSERT_TRUE(stored);
  ASSERT_TRUE(*stored);
  EXPECT_EQ((*stored)->code, r.code);
  EXPECT_EQ((*stored)->metadata, r.metadata);
}

// Writing again while the code is live refreshes last_seen and keeps id, code and expiry.
TEST_F(ChannelPairingStoreTest, LiveRequestIsRefreshedNotReissued) {
  auto first = ask("42", kT0);
  auto again = ask("42", kT0 + 60'000);
  ASSERT_TRUE(first.request && again.request);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.request->request_id, first.request->request_id);
  EXPECT_EQ(again.request->code, first.request->code);
  EXPECT_EQ(again.request->created_at_ms, kT0);
  EXPECT_EQ(again.request->expires_at_ms, kT0 + kTtl);
  EXPECT_EQ(again.request->last_seen_at_ms, kT0 + 60'000);

  auto pending = store().list_pending(std::nullopt, std::nullopt, kT0 + 60'000);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().last_seen_at_ms, kT0 + 60'000);
}

// Once expired, the sender's next message replaces the request with a fresh id and code.
TEST_F(ChannelPairingStoreTest, ExpiredRequestIsReplaced) {
  auto first = ask("42", kT0);
  auto later = ask("42", kT0 + kTtl);  // expiry is exclusive: at expires_at_ms it is dead
  ASSERT_TRUE(first.request && later.request);
  EXPECT_TRUE(later.created);
  EXPECT_NE(later.request->request_id, first.request->request_id);
  EXPECT_EQ(later.request->created_at_ms, kT0 + kTtl);
  EXPECT_EQ(later.request->expires_at_ms, kT0 + 2 * kTtl);
  auto old = store().find_by_id(first.request->request_id);
  ASSERT_TRUE(old);
  EXPECT_FALSE(*old);
}

// Expired requests are not pending, and purge deletes exactly them.
TEST_F(ChannelPairingStoreTest, ExpiredRequestsAreHiddenAndPurged) {
  auto old = ask("1", kT0);
  ask("2", kT0 + kTtl / 2);
  auto pending = store().list_pending(std::nullopt, std::nullopt, kT0 + kTtl);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().sender_id, "2");

  auto purged = store().purge_expired(kT0 + kTtl);
  ASSERT_TRUE(purged);
  EXPECT_EQ(*purged, 1);
  auto gone = store().find_by_id(old.request->request_id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
}

// At most three live requests per account: the fourth sender is ignored until one expires;
// other accounts have their own cap, and existing requesters still refresh.
TEST_F(ChannelPairingStoreTest, PendingRequestsAreCappedPerAccount) {
  ask("1", kT0);
  ask("2", kT0 + 1);
  ask("3", kT0 + 2);
  auto fourth = ask("4", kT0 + 3);
  EXPECT_FALSE(fourth.request);
  EXPECT_FALSE(fourth.created);

  auto refreshed = ask("2", kT0 + 4);
  ASSERT_TRUE(refreshed.request);
  EXPECT_FALSE(refreshed.created);

  auto other_account = ask("4", kT0 + 5, "work");
  ASSERT_TRUE(other_account.request);
  EXPECT_TRUE(other_account.created);

  // Sender 1's request expires; now there is room.
  auto after_expiry = ask("4", kT0 + kTtl);
  ASSERT_TRUE(after_expiry.request);
  EXPECT_TRUE(after_expiry.created);

  auto pending = store().list_pending(std::string("telegram"), std::string("default"), kT0 + kTtl);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ(pending->at(0).sender_id, "2");  // oldest first
  EXPECT_EQ(pending->at(2).sender_id, "4");
}

// Approval moves the request to the allow list; the code is then gone.
TEST_F(ChannelPairingStoreTest, ApproveMovesRequestToAllowList) {
  auto outcome = ask("42", kT0);
  ASSERT_TRUE(outcome.request);
  auto approved = store().approve(outcome.request->request_id, kT0 + 10);
  ASSERT_TRUE(approved) << approved.error().describe();
  ASSERT_TRUE(*approved);
  EXPECT_EQ((*approved)->sender_id, "42");
  EXPECT_EQ((*approved)->sender_label, "Name 42");
  EXPECT_EQ((*approved)->approved_at_ms, kT0 + 10);

  auto allowed = store().is_allowed("telegram", "default", "42");
  ASSERT_TRUE(allowed);
  EXPECT_TRUE(*allowed);
  auto other_account = store().is_allowed("telegram", "work", "42");
  ASSERT_TRUE(other_account);
  EXPECT_FALSE(*other_account);

  auto pending = store().list_pending(std::nullopt, std::nullopt, kT0 + 10);
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());
  auto by_code = store().find_by_code("telegram", outcome.request->code, std::nullopt, kT0 + 10);
  ASSERT_TRUE(by_code);
  EXPECT_FALSE(*by_code);

  auto list = store().list_allowed(std::string("telegram"));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().account_id, "default");
  auto none = store().list_allowed(std::string("discord"));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  auto revoked = store().revoke("telegram", "default", "42");
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(*revoked);
  auto again = store().revoke("telegram", "default", "42");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  allowed = store().is_allowed("telegram", "default", "42");
  ASSERT_TRUE(allowed);
  EXPECT_FALSE(*allowed);
}

// An expired or unknown request cannot be approved.
TEST_F(ChannelPairingStoreTest, ApproveRefusesExpiredAndUnknown) {
  auto outcome = ask("42", kT0);
  auto expired = store().approve(outcome.request->request_id, kT0 + kTtl);
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);
  auto unknown = store().approve("no-such-id", kT0);
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(*unknown);
  auto allowed = store().is_allowed("telegram", "default", "42");
  ASSERT_TRUE(allowed);
  EXPECT_FALSE(*allowed);
}

// Dismissal removes the request without allowing the sender, who may ask again.
TEST_F(ChannelPairingStoreTest, DismissRemovesWithoutAllowing) {
  auto outcome = ask("42", kT0);
  auto dismissed = store().dismiss(outcome.request->request_id);
  ASSERT_TRUE(dismissed);
  ASSERT_TRUE(*dismissed);
  EXPECT_EQ((*dismissed)->sender_id, "42");
  auto twice = store().dismiss(outcome.request->request_id);
  ASSERT_TRUE(twice);
  EXPECT_FALSE(*twice);
  auto allowed = store().is_allowed("telegram", "default", "42");
  ASSERT_TRUE(allowed);
  EXPECT_FALSE(*allowed);
  auto again = ask("42", kT0 + 1);
  EXPECT_TRUE(again.created);
}

// Codes are matched ignoring case and surrounding spaces, within the channel and account.
TEST_F(ChannelPairingStoreTest, FindByCodeIgnoresCase) {
  auto outcome = ask("42", kT0);
  ASSERT_TRUE(outcome.request);
  std::string code = outcome.request->code;
  std::string lower;
  for (char c : code) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto found = store().find_by_code("telegram", " " + lower + "\n", std::nullopt, kT0 + 1);
  ASSERT_TRUE(found);
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->request_id, outcome.request->request_id);

  auto same_account = store().find_by_code("telegram", code, std::string("default"), kT0 + 1);
  ASSERT_TRUE(same_account);
  EXPECT_TRUE(*same_account);
  auto other_account = store().find_by_code("telegram", code, std::string("work"), kT0 + 1);
  ASSERT_TRUE(other_account);
  EXPECT_FALSE(*other_account);
  auto other_channel = store().find_by_code("discord", code, std::nullopt, kT0 + 1);
  ASSERT_TRUE(other_channel);
  EXPECT_FALSE(*other_channel);
  auto empty = store().find_by_code("telegram", "  ", std::nullopt, kT0 + 1);
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty);
}

// A code stops working when its request expires.
TEST_F(ChannelPairingStoreTest, ExpiredCodeIsNotFound) {
  auto outcome = ask("42", kT0);
  auto live = store().find_by_code("telegram", outcome.request->code, std::nullopt, kT0 + kTtl - 1);
  ASSERT_TRUE(live);
  EXPECT_TRUE(*live);
  auto expired = store().find_by_code("telegram", outcome.request->code, std::nullopt, kT0 + kTtl);
  ASSERT_TRUE(expired);
  EXPECT_FALSE(*expired);
}

// Codes are 8 characters from the unambiguous alphabet, and every character gets used.
TEST_F(ChannelPairingStoreTest, CodesUseOnlyTheAlphabet) {
  std::set<char> seen;
  std::set<std::string> codes;
  for (int i = 0; i < 500; ++i) {
    auto code = generate_pairing_code();
    ASSERT_TRUE(code) << code.error().describe();
    ASSERT_EQ(code->size(), kPairingCodeLength);
    for (char c : *code) {
      ASSERT_NE(kPairingCodeAlphabet.find(c), std::string_view::npos) << *code;
      seen.insert(c);
    }
    codes.insert(*code);
  }
  EXPECT_EQ(seen.size(), kPairingCodeAlphabet.size());
  EXPECT_EQ(codes.size(), 500u);
  for (char ambiguous : std::string_view("0O1I")) {
    EXPECT_EQ(kPairingCodeAlphabet.find(ambiguous), std::string_view::npos);
  }
  auto stored = ask("42", kT0);
  for (char c : stored.request->code) {
    EXPECT_NE(kPairingCodeAlphabet.find(c), std::string_view::npos);
  }
}

// Requests and approvals are in the database file, not in memory.
TEST_F(ChannelPairingStoreTest, StateSurvivesReopen) {
  auto pending = ask("1", kT0, "default", {{"chat", "dm"}});
  auto approved = ask("2", kT0);
  ASSERT_TRUE(store().approve(approved.request->request_id, kT0 + 1));

  open();

  auto found = store().find_by_code("telegram", pending.request->code, std::nullopt, kT0 + 2);
  ASSERT_TRUE(found);
  ASSERT_TRUE(*found);
  EXPECT_EQ((*found)->request_id, pending.request->request_id);
  EXPECT_EQ((*found)->metadata, (Metadata{{"chat", "dm"}}));
  auto allowed = store().is_allowed("telegram", "default", "2");
  ASSERT_TRUE(allowed);
  EXPECT_TRUE(*allowed);
  auto refreshed = ask("1", kT0 + 3);
  EXPECT_FALSE(refreshed.created);
  EXPECT_EQ(refreshed.request->code, pending.request->code);
}

}  // namespace
}  // namespace pincer::store
