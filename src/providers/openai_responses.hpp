#pragma once
// The OpenAI Responses API ("openai-responses": POST {base}/responses). The conversation goes
// out as `instructions` plus typed input items (messages, function_call, function_call_output);
// the reply streams back as semantic events (output items, text and reasoning-summary deltas,
// function-call argument deltas) and ends with response.completed, response.incomplete or
// response.failed. Requests use store:false, so nothing is kept server-side and every call carries
// the whole conversation; reasoning items are not sent back (their summaries are for display).

#include "providers/api_adapter.hpp"

namespace pincer::providers {

const ApiAdapter& openai_responses_adapter();

}  // namespace pincer::providers
