#pragma once
// The Gemini API ("google-generative-ai": POST {base}/models/{model}:streamGenerateContent?alt=sse,
// key in x-goog-api-key). The conversation goes out as `contents` of user/model turns whose parts
// are text, inline images, function calls and function responses; tools as function declarations
// whose JSON Schemas are cut down to the OpenAPI subset Gemini accepts. The reply streams back as
// whole GenerateContentResponse objects, one per event: parts to accumulate, a finishReason on
// the last, and usageMetadata (the last one counts). Gemini gives function calls no ids, so the
// decoder makes them up; function responses are matched by name. A call's thoughtSignature is
// kept on the ToolCallPart and sent back with it, as Gemini 3 requires.

#include "providers/api_adapter.hpp"

namespace pincer::providers {

const ApiAdapter& gemini_adapter();

}  // namespace pincer::providers
