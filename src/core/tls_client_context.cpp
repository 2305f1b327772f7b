#include "core/tls_client_context.hpp"

namespace pincer::core {

namespace ssl = boost::asio::ssl;

ssl::context& tls_client_context() {
  static ssl::context context = [] {
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    ctx.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                    ssl::context::no_tlsv1_1);
    return ctx;
  }();
  return context;
}

}  // namespace pincer::core
