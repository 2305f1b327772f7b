#pragma once
// One client connection as the rest of the gateway sees it: an identity and a way to send it
// events. The WebSocket transport behind it lives in connection.cpp.
//
// All methods run on the I/O thread. Sending never blocks: frames queue and one writer drains
// them. A client whose queue passes maxBufferedBytes is disconnected ("slow consumer"); memory
// never grows without bound for a reader that does not read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "gateway/frame.hpp"
#include "gateway/principal.hpp"

namespace pincer::gateway {

class Connection {
 public:
  virtual ~Connection() = default;

  virtual const std::string& id() const = 0;
  virtual const PeerInfo& peer() const = 0;
  // Null until the handshake succeeded.
  virtual const Principal* principal() const = 0;

  // Queues an event with this connection's next seq. Dropped silently once closing.
  virtual void send_event(std::string_view event, const boost::json::value& payload,
                          std::optional<StateVersion> state_version = std::nullopt) = 0;
  // Queues an event whose payload is already serialized JSON (broadcasts serialize once).
  virtual void send_event_text(std::string_view event, std::string_view payload_json,
                               std::optional<StateVersion> state_version = std::nullopt) = 0;
  // Closes with a WebSocket close code and a reason the client sees.
  virtual void close(uint16_t code, std::string reason) = 0;
  virtual bool closed() const = 0;

  // Bytes queued but not yet written (for diagnostics and tests).
  virtual std::size_t buffered_bytes() const = 0;
};

}  // namespace pincer::gateway
