// pincer_fake_telegram: the fake Telegram Bot API server as a process, for integration tests that
// run the real `pincer` binary. Driven over HTTP (see fake_telegram_server.hpp); runs until killed.
//   pincer_fake_telegram [--port N] [--port-file PATH] [--token T]

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "fakes/fake_telegram_server.hpp"

int main(int argc, char** argv) {
  int port = 0;
  std::string port_file;
  std::string token = "123456:TEST-token";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view flag = argv[i];
    if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else if (flag == "--port-file") {
      port_file = argv[i + 1];
    } else if (flag == "--token") {
      token = argv[i + 1];
    } else {
      std::cerr << "usage: pincer_fake_telegram [--port N] [--port-file PATH] [--token T]\n";
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::cerr << "usage: pincer_fake_telegram [--port N] [--port-file PATH] [--token T]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server thread starts

  pincer::fakes::FakeTelegramServer server(token, static_cast<std::uint16_t>(port));
  std::cout << server.port() << std::endl;
  if (!port_file.empty()) {
    std::ofstream out(port_file + ".tmp");
    out << server.port() << "\n";
    out.close();
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());  // readers never see half
  }
  int received = 0;
  sigwait(&signals, &received);
  return 0;
}
