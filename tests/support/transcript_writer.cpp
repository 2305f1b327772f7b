// pincer_transcript_writer STATE_DB SESSION_KEY [COUNT TAG]: a test-only process that appends to
// one session's transcript through the real TranscriptStore — until it is killed, or, with
// COUNT and TAG, exactly COUNT single-entry appends with content {"writer":TAG,"i":i}, then exits
// 0 (several of these at once prove concurrent processes lose nothing).
//
// Protocol on stdout, one line each, written with write(2) so nothing sits in a stdio buffer
// when SIGKILL lands: "opened <session_id>" once the store is open, then after every append
// whose commit returned, one "<seq> <entry_id>" line per entry. A line is only ever printed
// after its entry is durable, so every printed entry must survive the kill.
//
// Entry i (its seq) carries content_for(i): the reader checks it byte for byte. Batches of 1
// to 3 entries alternate, so a kill also lands between the rows of one transaction.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "sessions/session_store.hpp"
#include "sessions/transcript_store.hpp"
#include "store/state_database.hpp"
#include "support/transcript_writer_content.hpp"

namespace {

void emit(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n <= 0) {
      ::_exit(3);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace pincer;
  if (argc != 3 && argc != 5) {
    std::fprintf(stderr, "usage: pincer_transcript_writer STATE_DB SESSION_KEY [COUNT TAG]\n");
    return 2;
  }
  auto db = store::open_state_database(argv[1]);
  if (!db) {
    std::fprintf(stderr, "open: %s\n", db.error().describe().c_str());
    return 1;
  }
  auto session = sessions::SessionStore(*db).ensure({.key = argv[2], .agent_id = "main"}, 1);
  if (!session) {
    std::fprintf(stderr, "ensure: %s\n", session.error().describe().c_str());
    return 1;
  }
  const std::string& id = session->session.session_id;
  sessions::TranscriptStore transcripts(*db);
  auto last = transcripts.last_seq(id);
  if (!last) {
    std::fprintf(stderr, "last_seq: %s\n", last.error().describe().c_str());
    return 1;
  }
  emit("opened " + id);
  if (argc == 5) {
    int count = std::atoi(argv[3]);
    for (int i = 0; i < count; ++i) {
      sessions::NewTranscriptEntry entry;
      entry.kind = sessions::EntryKind::user;
      entry.role = "user";
      entry.content =
          "{\"writer\":\"" + std::string(argv[4]) + "\",\"i\":" + std::to_string(i) + "}";
      if (auto appended = transcripts.append(id, std::span(&entry, 1), i); !appended) {
        std::fprintf(stderr, "append: %s\n", appended.error().describe().c_str());
        return 1;
      }
    }
    return 0;
  }
  int64_t next = *last + 1;
  for (int round = 0;; ++round) {
    std::vector<sessions::NewTranscriptEntry> batch(static_cast<std::size_t>(round % 3 + 1));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      batch[i].kind = sessions::EntryKind::assistant;
      batch[i].role = "assistant";
      batch[i].content = sessions::testing::content_for(next + static_cast<int64_t>(i));
      batch[i].created_at_ms = next;
    }
    auto appended = transcripts.append(id, batch, next);
    if (!appended) {
      std::fprintf(stderr, "append: %s\n", appended.error().describe().c_str());
      return 1;
    }
    for (const auto& entry : *appended) {
      emit(std::to_string(entry.seq) + " " + entry.entry_id);
    }
    next += static_cast<int64_t>(batch.size());
  }
}
