//===- ServeApiTest.cpp - serve's request parsing, stop strings, JSON -----===//

#include "ServeApi.h"

#include "gtest/gtest.h"

#include <nlohmann/json.hpp>

#include <string>

using namespace xf;
using namespace xf::serve;
using json = nlohmann::json;

namespace {

RequestLimits testLimits() {
  RequestLimits limits;
  limits.modelId = "m";
  limits.maxContext = 128;
  limits.maxBodyBytes = 4096;
  return limits;
}

ApiRequest parseOk(Endpoint endpoint, const std::string &body) {
  auto parsed = parseRequest(endpoint, body, testLimits());
  if (auto *error = std::get_if<ApiError>(&parsed)) {
    ADD_FAILURE() << body << ": " << error->message;
    return {};
  }
  return std::get<ApiRequest>(parsed);
}

ApiError parseError(Endpoint endpoint, const std::string &body) {
  auto parsed = parseRequest(endpoint, body, testLimits());
  if (auto *error = std::get_if<ApiError>(&parsed))
    return *error;
  ADD_FAILURE() << body << ": accepted";
  return {};
}

ApiError chatError(const std::string &body) {
  return parseError(Endpoint::ChatCompletions, body);
}

TEST(ServeApiTest, ChatRequestWithEveryField) {
  ApiRequest r = parseOk(
      Endpoint::ChatCompletions,
      R"({"model": "m", "messages": [{"role": "system", "content": "Be brief."},
          {"role": "user", "content": [{"type": "text", "text": "Hi"},
                                       {"type": "text", "text": " there"}]}],
          "max_tokens": 7, "temperature": 0.5, "top_p": 0.9, "top_k": 40,
          "seed": 42, "stop": ["\n", "END"], "stream": true,
          "stream_options": {"include_usage": true}, "n": 1, "user": "u",
          "presence_penalty": 0, "frequency_penalty": 0.0, "logprobs": false,
          "response_format": {"type": "text"}, "logit_bias": {}})");
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "Hi there");
  EXPECT_EQ(r.maxTokens, 7);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.topP, 0.9f);
  EXPECT_EQ(r.sampling.topK, 40u);
  EXPECT_EQ(r.seed, 42u);
  EXPECT_EQ(r.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.streamUsage);
}

TEST(ServeApiTest, Defaults) {
  ApiRequest r = parseOk(Endpoint::Completions,
                         R"({"model": "m", "prompt": "Once", "seed": null})");
  EXPECT_EQ(r.prompt, "Once");
  EXPECT_FALSE(r.maxTokens);
  EXPECT_FALSE(r.seed);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r.sampling.topP, 1.0f);
  EXPECT_EQ(r.sampling.topK, 0u);
  EXPECT_FALSE(r.stream);
  // One prompt in an array, and a single stop string.
  r = parseOk(Endpoint::Completions,
              R"({"model": "m", "prompt": ["x"], "stop": "y"})");
  EXPECT_EQ(r.prompt, "x");
  EXPECT_EQ(r.stop, std::vector<std::string>{"y"});
  // max_completion_tokens is chat's newer name for max_tokens.
  r = parseOk(Endpoint::ChatCompletions,
              R"({"model": "m", "messages": [{"role": "user", "content": ""}],
                  "max_completion_tokens": 3})");
  EXPECT_EQ(r.maxTokens, 3);
  // Negative and 64-bit seeds are taken as the program's --seed takes them.
  r = parseOk(Endpoint::Completions,
              R"({"model": "m", "prompt": "", "seed": -1})");
  EXPECT_EQ(r.seed, ~uint64_t(0));
  r = parseOk(Endpoint::Completions,
              R"({"model": "m", "prompt": "", "seed": 18446744073709551615})");
  EXPECT_EQ(r.seed, ~uint64_t(0));
}

TEST(ServeApiTest, UnsupportedFieldsAndValuesAreRefused) {
  const char *user = R"("messages": [{"role": "user", "content": "x"}])";
  struct Case {
    std::string fields, param;
  };
  const Case cases[] = {
      {R"("n": 2)", "n"},
      {R"("logprobs": true)", "logprobs"},
      {R"("tools": [])", "tools"},
      {R"("presence_penalty": 0.5)", "presence_penalty"},
      {R"("logit_bias": {"1": 5})", "logit_bias"},
      {R"("response_format": {"type": "json_object"})", "response_format"},
      {R"("best_of": 1)", "best_of"}, // a completions field
      {R"("frobnicate": true)", "frobnicate"},
      {R"("temperature": 2.5)", "temperature"},
      {R"("temperature": -0.1)", "temperature"},
      {R"("temperature": "hot")", "temperature"},
      {R"("top_p": 0)", "top_p"},
      {R"("top_p": 1.5)", "top_p"},
      {R"("top_k": -1)", "top_k"},
      {R"("top_k": 1.5)", "top_k"},
      {R"("max_tokens": 0)", "max_tokens"},
      {R"("max_tokens": 129)", "max_tokens"},
      {R"("max_tokens": 1e300)", "max_tokens"},
      {R"("max_tokens": 99999999999999999999999)", "max_tokens"},
      {R"("max_tokens": "5")", "max_tokens"},
      {R"("max_tokens": 5, "max_completion_tokens": 6)",
       "max_completion_tokens"},
      {R"("seed": 1.5)", "seed"},
      {R"("seed": "1")", "seed"},
      {R"("stream": 1)", "stream"},
      {R"("stream_options": {"include_usage": true})", "stream_options"},
      {R"("stream": true, "stream_options": {"x": 1})", "stream_options"},
      {R"("stop": ["a", "b", "c", "d", "e"])", "stop"},
      {R"("stop": [""])", "stop"},
      {R"("stop": [1])", "stop"},
      {R"("stop": {})", "stop"},
  };
  for (const Case &c : cases) {
    ApiError error = chatError(R"({"model": "m", )" + std::string(user) + ", " +
                               c.fields + "}");
    EXPECT_EQ(error.status, 400) << c.fields;
    EXPECT_EQ(error.param, c.param) << c.fields << ": " << error.message;
  }
}

TEST(ServeApiTest, MessagesAreChecked) {
  struct Case {
    std::string messages, param;
  };
  const Case cases[] = {
      {"[]", "messages"},
      {"{}", "messages"},
      {R"(["hi"])", "messages[0]"},
      {R"([{"content": "x"}])", "messages[0].role"},
      {R"([{"role": "tool", "content": "x"}])", "messages[0].role"},
      {R"([{"role": "user"}])", "messages[0].content"},
      {R"([{"role": "user", "content": null}])", "messages[0].content"},
      {R"([{"role": "user", "content": 5}])", "messages[0].content"},
      {R"([{"role": "user", "content": [{"type": "image_url"}]}])",
       "messages[0].content"},
      {R"([{"role": "user", "content": "x", "name": "bob"}])",
       "messages[0].name"},
  };
  for (const Case &c : cases) {
    ApiError error =
        chatError(R"({"model": "m", "messages": )" + c.messages + "}");
    EXPECT_EQ(error.status, 400) << c.messages;
    EXPECT_EQ(error.param, c.param) << c.messages << ": " << error.message;
  }
  EXPECT_EQ(
      chatError(R"({"messages": [{"role": "user", "content": "x"}]})").param,
      "model");
  EXPECT_EQ(parseError(Endpoint::Completions, R"({"model": "m"})").param,
            "prompt");
  EXPECT_EQ(parseError(Endpoint::Completions,
                       R"({"model": "m", "prompt": ["a", "b"]})")
                .param,
            "prompt");
  EXPECT_EQ(
      parseError(Endpoint::Completions, R"({"model": "m", "prompt": [1, 2]})")
          .param,
      "prompt");
}

TEST(ServeApiTest, UnknownModelIs404) {
  ApiError error =
      parseError(Endpoint::Completions, R"({"model": "gpt-4", "prompt": "x"})");
  EXPECT_EQ(error.status, 404);
  EXPECT_EQ(error.code, "model_not_found");
}

TEST(ServeApiTest, MalformedBodies) {
  const std::string bodies[] = {
      "",
      "{",
      "[1, 2]",
      "null",
      R"({"model": "m", "prompt": "x",})",
      "{\"model\": \"m\", \"prompt\": \"\xff\"}",         // invalid UTF-8
      "{\"model\": \"m\", \"prompt\": \"\xc0\xaf\"}",     // overlong
      "{\"model\": \"m\", \"prompt\": \"\xed\xa0\x80\"}", // surrogate
      R"({"model": "m", "prompt": "\ud800"})",            // lone escape
      R"({"model": "m", "prompt": "x", "max_tokens": 1e400})",
      std::string(100, '[') + std::string(100, ']'),
      R"({"model": "m", "prompt": "x"} trailing)",
  };
  for (const std::string &body : bodies) {
    ApiError error = parseError(Endpoint::Completions, body);
    EXPECT_EQ(error.status, 400) << body;
    EXPECT_FALSE(error.message.empty());
  }
  ApiError tooBig =
      parseError(Endpoint::Completions, std::string(5000, ' ') + "{}");
  EXPECT_EQ(tooBig.status, 413);
}

TEST(ServeApiTest, ErrorBodyIsOpenAIs) {
  ApiError error;
  error.message = "bad \"n\"";
  error.param = "n";
  json body = json::parse(errorBody(error));
  EXPECT_EQ(body["error"]["message"], "bad \"n\"");
  EXPECT_EQ(body["error"]["type"], "invalid_request_error");
  EXPECT_EQ(body["error"]["param"], "n");
  EXPECT_TRUE(body["error"]["code"].is_null());
}

TEST(ServeApiTest, Utf8) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xc3"));             // truncated
  EXPECT_FALSE(isValidUtf8("\xe0\x80\x80"));     // overlong
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80")); // above U+10FFFF
  EXPECT_FALSE(isValidUtf8("\x80"));
}

TEST(ServeApiTest, ConstantTimeEquals) {
  EXPECT_TRUE(constantTimeEquals("secret", "secret"));
  EXPECT_FALSE(constantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(constantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(constantTimeEquals("", "x"));
  EXPECT_TRUE(constantTimeEquals("", ""));
}

/// Pushes `pieces` through a filter; returns what came out, "|" between
/// the outputs of successive pushes, and whether it stopped.
std::pair<std::string, bool> filterPieces(std::vector<std::string> stops,
                                          std::vector<std::string> pieces) {
  StopStringFilter filter(std::move(stops));
  std::string out;
  for (const std::string &piece : pieces)
    out += filter.push(piece) + "|";
  out += filter.finish();
  return {out, filter.stopped()};
}

TEST(ServeApiTest, StopStringFilter) {
  // No stops: everything passes at once.
  EXPECT_EQ(filterPieces({}, {"ab", "c"}),
            std::make_pair(std::string("ab|c|"), false));
  // A stop inside one piece.
  EXPECT_EQ(filterPieces({"END"}, {"abENDcd", "more"}),
            std::make_pair(std::string("ab||"), true));
  // A stop across pieces: its start is held back, never sent.
  EXPECT_EQ(filterPieces({"END"}, {"abE", "N", "Dx"}),
            std::make_pair(std::string("ab|||"), true));
  // A false start is released when it can no longer match.
  EXPECT_EQ(filterPieces({"END"}, {"abE", "Nx"}),
            std::make_pair(std::string("ab|ENx|"), false));
  // Held back at the end of the generation: sent by finish().
  EXPECT_EQ(filterPieces({"END"}, {"abEN"}),
            std::make_pair(std::string("ab|EN"), false));
  // The earliest of several stops wins.
  EXPECT_EQ(filterPieces({"cd", "b"}, {"abcd"}),
            std::make_pair(std::string("a|"), true));
  // Overlapping prefixes: the longest possible start is held.
  EXPECT_EQ(filterPieces({"aab"}, {"xaa", "aab"}),
            std::make_pair(std::string("x|aa|"), true));
  // Multi-byte stop strings are held whole.
  EXPECT_EQ(filterPieces({"\xc3\xa9!"}, {"caf\xc3\xa9", "!"}),
            std::make_pair(std::string("caf||"), true));
}

TEST(ServeApiTest, ResponsesParseAsOpenAIs) {
  ResponseHeader header{Endpoint::ChatCompletions, "chatcmpl-1", 7, "m"};
  json chat = json::parse(responseBody(header, "hi\xff", Finish::Stop, {3, 2}));
  EXPECT_EQ(chat["object"], "chat.completion");
  EXPECT_EQ(chat["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(chat["choices"][0]["message"]["content"], "hi\xef\xbf\xbd");
  EXPECT_EQ(chat["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(chat["usage"]["total_tokens"], 5);

  std::string first = streamChunk(header, "", true, std::nullopt);
  ASSERT_EQ(first.rfind("data: ", 0), 0u);
  ASSERT_EQ(first.substr(first.size() - 2), "\n\n");
  json chunk = json::parse(first.substr(6));
  EXPECT_EQ(chunk["object"], "chat.completion.chunk");
  EXPECT_EQ(chunk["choices"][0]["delta"]["role"], "assistant");
  EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
  json last =
      json::parse(streamChunk(header, "", false, Finish::Length).substr(6));
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  json usage = json::parse(streamUsageChunk(header, {3, 2}).substr(6));
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 2);

  header.endpoint = Endpoint::Completions;
  json text = json::parse(responseBody(header, "x", Finish::Length, {1, 1}));
  EXPECT_EQ(text["object"], "text_completion");
  EXPECT_EQ(text["choices"][0]["text"], "x");
  json models = json::parse(modelsBody("m", 7));
  EXPECT_EQ(models["data"][0]["id"], "m");
}

} // namespace
