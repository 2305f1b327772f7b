#include "gateway/frame.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace pincer::gateway {
namespace {

namespace json = boost::json;

// A well-formed request keeps its id, method, params and traceparent.
TEST(Frame, ParsesARequest) {
  auto request = parse_request(
      R"({"type":"req","id":"7","method":"health","params":{"a":1},"traceparent":"00-x"})");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->id, "7");
  EXPECT_EQ(request->method, "health");
  EXPECT_EQ(request->params.at("a").as_int64(), 1);
  EXPECT_EQ(request->traceparent, "00-x");
}

// Params are optional; absent params read as null.
TEST(Frame, MissingParamsAreNull) {
  auto request = parse_request(R"({"type":"req","id":"1","method":"status"})");
  ASSERT_TRUE(request.has_value());
  EXPECT_TRUE(request->params.is_null());
}

// Garbage never throws: it yields INVALID_REQUEST saying what was wrong.
TEST(Frame, RejectsNonJsonWithoutAnId) {
  for (std::string_view text : {"", "not json", "{", "[1,2]", "42", "\"req\"", "{\"type\":"}) {
    auto request = parse_request(text);
    ASSERT_FALSE(request.has_value()) << text;
    EXPECT_FALSE(request.error().id.has_value()) << text;
    EXPECT_EQ(request.error().error.code, "INVALID_REQUEST") << text;
  }
}

// When the id is readable the error can be answered on that id.
TEST(Frame, KeepsTheIdOfAMalformedRequest) {
  auto request = parse_request(R"({"type":"req","id":"9","method":42})");
  ASSERT_FALSE(request.has_value());
  ASSERT_TRUE(request.error().id.has_value());
  EXPECT_EQ(*request.error().id, "9");
  EXPECT_NE(request.error().error.message.find("method"), std::string::npos);
}

// Clients may only send requests.
TEST(Frame, RejectsResponsesAndEventsFromClients) {
  EXPECT_FALSE(parse_request(R"({"type":"res","id":"1","ok":true})").has_value());
  EXPECT_FALSE(parse_request(R"({"type":"event","event":"tick"})").has_value());
}

// Ids must be non-empty strings of bounded length; traceparent is capped at 128 characters.
TEST(Frame, BoundsIdsAndTraceparent) {
  EXPECT_FALSE(parse_request(R"({"type":"req","id":"","method":"x"})").has_value());
  EXPECT_FALSE(parse_request(R"({"type":"req","id":5,"method":"x"})").has_value());
  std::string long_id(300, 'a');
  EXPECT_FALSE(
      parse_request(R"({"type":"req","id":")" + long_id + R"(","method":"x"})").has_value());
  std::string long_trace(129, 't');
  EXPECT_FALSE(
      parse_request(R"({"type":"req","id":"1","method":"x","traceparent":")" + long_trace + "\"}")
          .has_value());
}

// Deeply nested input is refused instead of exhausting the stack.
TEST(Frame, RefusesPathologicalNesting) {
  std::string deep = R"({"type":"req","id":"1","method":"x","params":)" + std::string(10000, '[') +
                     std::string(10000, ']') + "}";
  EXPECT_FALSE(parse_request(deep).has_value());
}

// A number beyond a double's range would come back as "Infinity" (not JSON) if echoed; refused.
// Found by the frame fuzzer.
TEST(Frame, RefusesNumbersThatOverflowADouble) {
  auto request = parse_request(R"({"type":"req","id":"6","method":"x","params":[[1e4444]]})");
  ASSERT_FALSE(request.has_value());
  EXPECT_NE(request.error().error.message.find("range"), std::string::npos);
  EXPECT_TRUE(parse_request(R"({"type":"req","id":"6","method":"x","params":[1e300]})"));
}

// Responses and events serialize to the protocol's shapes.
TEST(Frame, SerializesResponsesErrorsAndEvents) {
  auto ok = json::parse(serialize_response("3", json::object{{"x", 1}})).as_object();
  EXPECT_EQ(ok.at("type"), "res");
  EXPECT_EQ(ok.at("id"), "3");
  EXPECT_EQ(ok.at("ok"), true);
  EXPECT_EQ(ok.at("payload").at("x"), 1);

  auto error = json::parse(serialize_error("4", missing_scope("operator.admin"))).as_object();
  EXPECT_EQ(error.at("ok"), false);
  EXPECT_EQ(error.at("error").at("code"), "FORBIDDEN");
  EXPECT_EQ(error.at("error").at("message"), "missing scope: operator.admin");
  EXPECT_EQ(error.at("error").at("details").at("code"), "MISSING_SCOPE");
  EXPECT_EQ(error.at("error").at("details").at("requiredScopes").as_array().size(), 1U);

  auto event = json::parse(serialize_event("tick", json::object{{"ts", 5}}, 12, StateVersion{3, 4}))
                   .as_object();
  EXPECT_EQ(event.at("type"), "event");
  EXPECT_EQ(event.at("event"), "tick");
  EXPECT_EQ(event.at("seq"), 12);
  EXPECT_EQ(event.at("stateVersion").at("presence"), 3);
  EXPECT_FALSE(
      json::parse(serialize_event("x", nullptr, std::nullopt)).as_object().contains("seq"));
}

}  // namespace
}  // namespace pincer::gateway
