// Whole-process figures that need precise timing: spawning `pincer --version` and waiting for
// it, which is what every CLI invocation pays before doing any work.

#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string binary() {
  const char* path = std::getenv("PINCER_BINARY");
  return path != nullptr ? path : PINCER_BINARY_PATH;
}

void BM_VersionCommand(benchmark::State& state) {
  std::string path = binary();
  std::string flag = "--version";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", 0x1 /*O_WRONLY*/, 0);
  for (auto _ : state) {
    std::vector<char*> argv{path.data(), flag.data(), nullptr};
    pid_t pid = 0;
    if (posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      state.SkipWithError("cannot spawn pincer");
      break;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      state.SkipWithError("pincer --version failed");
      break;
    }
  }
  posix_spawn_file_actions_destroy(&actions);
}
BENCHMARK(BM_VersionCommand)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
