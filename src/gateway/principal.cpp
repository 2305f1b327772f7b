#include "gateway/principal.hpp"

namespace pincer::gateway {

std::string_view to_string(AuthMethod method) {
  switch (method) {
    case AuthMethod::none:
      return "none";
    case AuthMethod::token:
      return "token";
    case AuthMethod::password:
      return "password";
    case AuthMethod::device_token:
      return "device-token";
    case AuthMethod::trusted_proxy:
      return "trusted-proxy";
  }
  return "none";
}

}  // namespace pincer::gateway
