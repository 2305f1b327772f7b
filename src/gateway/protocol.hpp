#pragma once
// Wire constants of the gateway protocol (the reference's v4, with v3 still accepted).
// Values follow the reference's published client constants so its clients size frames and
// timers the same way against Pincer.

#include <cstdint>
#include <string_view>

namespace pincer::gateway {

inline constexpr int kProtocolVersion = 4;
// Oldest protocol still served. v3 and v4 frames are the same shape; v3 clients only miss
// newer optional connect fields, so refusing them (as the reference did) only hurts users.
inline constexpr int kMinProtocolVersion = 3;

inline constexpr std::size_t kMaxPreauthPayloadBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxPayloadBytes = std::size_t{25} * 1024 * 1024;
inline constexpr std::size_t kMaxBufferedBytes = std::size_t{50} * 1024 * 1024;
inline constexpr int64_t kTickIntervalMs = 15'000;
inline constexpr int64_t kHandshakeTimeoutMs = 15'000;
inline constexpr int64_t kAttachmentMaxBytes = int64_t{20} * 1024 * 1024;
inline constexpr int64_t kAttachmentMaxImageBytes = int64_t{6} * 1024 * 1024;

// Top-level error codes (ErrorShape.code).
namespace error_code {
inline constexpr std::string_view kInvalidRequest = "INVALID_REQUEST";
inline constexpr std::string_view kForbidden = "FORBIDDEN";
inline constexpr std::string_view kNotFound = "NOT_FOUND";
inline constexpr std::string_view kUnavailable = "UNAVAILABLE";
inline constexpr std::string_view kNotPaired = "NOT_PAIRED";
inline constexpr std::string_view kConflict = "CONFLICT";
inline constexpr std::string_view kTimeout = "TIMEOUT";
inline constexpr std::string_view kInternal = "INTERNAL";
}  // namespace error_code

// WebSocket close codes the reference uses.
inline constexpr uint16_t kClosePolicyViolation = 1008;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseTooBig = 1009;
inline constexpr uint16_t kCloseGoingAway = 1001;
inline constexpr uint16_t kCloseServiceRestart = 1012;
inline constexpr uint16_t kCloseTryAgainLater = 1013;

}  // namespace pincer::gateway
