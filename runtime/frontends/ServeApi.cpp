//===- ServeApi.cpp - request parsing, stop strings, response JSON --------===//

#include "ServeApi.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

using json = nlohmann::json;
using namespace xf;
using namespace xf::serve;

namespace {

/// Text for clients: invalid UTF-8 (which the decoder never produces, but a
/// tokenizer's vocabulary is data) becomes U+FFFD instead of an exception.
std::string dump(const json &value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

ApiError invalid(std::string message, std::optional<std::string> param = {},
                 std::optional<std::string> code = {}) {
  ApiError error;
  error.message = std::move(message);
  error.param = std::move(param);
  error.code = std::move(code);
  return error;
}

/// The deepest nesting of arrays and objects in `text`, stopping early past
/// `limit` (nlohmann's parser recurses per level; a 1 MB body of '[' must
/// not reach it).
int nestingDepth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (char c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit)
        return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

/// Reads the fields of one request object; the first refusal wins.
class FieldReader {
public:
  explicit FieldReader(const json &object) : object(object) {}

  std::optional<ApiError> error;

  /// The member `name`, or null when absent or JSON null (optional fields
  /// treat both as "not given"). Every member read is marked as known.
  const json *get(const std::string &name) {
    known.insert(name);
    auto it = object.find(name);
    if (it == object.end() || it->is_null())
      return nullptr;
    return &*it;
  }

  void fail(std::string message, const std::string &param) {
    if (!error)
      error = invalid(std::move(message), param);
  }

  std::optional<std::string> string(const std::string &name) {
    const json *value = get(name);
    if (!value)
      return std::nullopt;
    if (!value->is_string()) {
      fail("'" + name + "' must be a string", name);
      return std::nullopt;
    }
    return value->get_ref<const std::string &>();
  }

  std::optional<bool> boolean(const std::string &name) {
    const json *value = get(name);
    if (!value)
      return std::nullopt;
    if (!value->is_boolean()) {
      fail("'" + name + "' must be a boolean", name);
      return std::nullopt;
    }
    return value->get<bool>();
  }

  /// An integer in [low, high].
  std::optional<int64_t> integer(const std::string &name, int64_t low,
                                 int64_t high) {
    const json *value = get(name);
    if (!value)
      return std::nullopt;
    std::string range =
        " in [" + std::to_string(low) + ", " + std::to_string(high) + "]";
    if (!value->is_number_integer()) {
      fail("'" + name + "' must be an integer" + range, name);
      return std::nullopt;
    }
    if (value->is_number_unsigned() &&
        value->get<uint64_t>() >
            static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail("'" + name + "' must be an integer" + range, name);
      return std::nullopt;
    }
    int64_t number = value->get<int64_t>();
    if (number < low || number > high) {
      fail("'" + name + "' must be an integer" + range + ", got " +
               std::to_string(number),
           name);
      return std::nullopt;
    }
    return number;
  }

  /// A finite number in [low, high] (or (low, high] when `openLow`).
  std::optional<double> number(const std::string &name, double low, double high,
                               bool openLow = false) {
    const json *value = get(name);
    if (!value)
      return std::nullopt;
    std::string range = std::string(openLow ? " in (" : " in [") +
                        json(low).dump() + ", " + json(high).dump() + "]";
    if (!value->is_number()) {
      fail("'" + name + "' must be a number" + range, name);
      return std::nullopt;
    }
    double x = value->get<double>();
    if (!std::isfinite(x) || x < low || x > high || (openLow && x == low)) {
      fail("'" + name + "' must be a number" + range + ", got " + value->dump(),
           name);
      return std::nullopt;
    }
    return x;
  }

  /// A field this server accepts only with the value that means "off"
  /// (n = 1, echo = false, ...): anything else is refused, not ignored.
  void onlyDefault(const std::string &name, const json &allowed,
                   const std::string &why) {
    const json *value = get(name);
    if (value && *value != allowed)
      fail("'" + name + "' is not supported with a value other than " +
               allowed.dump() + " (" + why + ")",
           name);
  }

  /// Refuses members nobody read.
  void rejectUnknown(const std::string &where) {
    for (auto it = object.begin(); it != object.end(); ++it)
      if (!known.count(it.key())) {
        fail("unsupported field '" + it.key() + "'" + where, it.key());
        return;
      }
  }

private:
  const json &object;
  std::set<std::string> known;
};

void readMessages(const json *messages, const RequestLimits &limits,
                  FieldReader &fields, ApiRequest &request) {
  if (!messages) {
    fields.fail("'messages' is required", "messages");
    return;
  }
  if (!messages->is_array() || messages->empty()) {
    fields.fail("'messages' must be a non-empty array", "messages");
    return;
  }
  if (messages->size() > limits.maxMessages) {
    fields.fail("at most " + std::to_string(limits.maxMessages) +
                    " messages are accepted",
                "messages");
    return;
  }
  for (size_t i = 0; i < messages->size() && !fields.error; ++i) {
    const json &message = (*messages)[i];
    std::string where = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) {
      fields.fail("'" + where + "' must be an object", where);
      return;
    }
    FieldReader reader(message);
    ChatMessage chat;
    if (auto role = reader.string("role")) {
      if (*role != "system" && *role != "user" && *role != "assistant")
        reader.fail("role '" + *role +
                        "' is not supported (system, user, assistant)",
                    "role");
      chat.role = *role;
    } else if (!reader.error) {
      reader.fail("'role' is required", "role");
    }
    if (const json *content = reader.get("content")) {
      if (content->is_string()) {
        chat.content = content->get_ref<const std::string &>();
      } else if (content->is_array()) {
        // Content parts: text only.
        for (const json &part : *content) {
          if (!part.is_object() || part.size() != 2 || !part.contains("type") ||
              part["type"] != "text" || !part.contains("text") ||
              !part["text"].is_string()) {
            reader.fail("only text content parts ({\"type\": \"text\", "
                        "\"text\": ...}) are supported",
                        "content");
            break;
          }
          chat.content += part["text"].get_ref<const std::string &>();
        }
      } else {
        reader.fail("'content' must be a string or an array of text parts",
                    "content");
      }
    } else if (!reader.error) {
      reader.fail("'content' is required", "content");
    }
    reader.rejectUnknown(" in a message");
    if (reader.error) {
      ApiError error = *reader.error;
      error.param = where + "." + error.param.value_or("");
      fields.error = error;
      return;
    }
    request.messages.push_back(std::move(chat));
  }
}

void readStop(FieldReader &fields, const RequestLimits &limits,
              ApiRequest &request) {
  const json *stop = fields.get("stop");
  if (!stop)
    return;
  std::vector<std::string> stops;
  if (stop->is_string()) {
    stops.push_back(stop->get<std::string>());
  } else if (stop->is_array()) {
    for (const json &s : *stop) {
      if (!s.is_string()) {
        fields.fail("'stop' must be a string or an array of strings", "stop");
        return;
      }
      stops.push_back(s.get<std::string>());
    }
  } else {
    fields.fail("'stop' must be a string or an array of strings", "stop");
    return;
  }
  if (stops.size() > limits.maxStops) {
    fields.fail("at most " + std::to_string(limits.maxStops) +
                    " stop strings are accepted",
                "stop");
    return;
  }
  for (const std::string &s : stops)
    if (s.empty() || s.size() > limits.maxStopBytes) {
      fields.fail("each stop string must have 1 to " +
                      std::to_string(limits.maxStopBytes) + " bytes",
                  "stop");
      return;
    }
  request.stop = std::move(stops);
}

void readPrompt(FieldReader &fields, ApiRequest &request) {
  const json *prompt = fields.get("prompt");
  if (!prompt) {
    fields.fail("'prompt' is required", "prompt");
    return;
  }
  if (prompt->is_string()) {
    request.prompt = prompt->get<std::string>();
    return;
  }
  if (prompt->is_array() && prompt->size() == 1 && (*prompt)[0].is_string()) {
    request.prompt = (*prompt)[0].get<std::string>();
    return;
  }
  fields.fail("'prompt' must be a string (or an array of one string): "
              "several prompts and token-id prompts are not supported",
              "prompt");
}

} // namespace

std::string xf::serve::errorBody(const ApiError &error) {
  json body = {{"error",
                {{"message", error.message},
                 {"type", error.type},
                 {"param", error.param ? json(*error.param) : json(nullptr)},
                 {"code", error.code ? json(*error.code) : json(nullptr)}}}};
  return dump(body);
}

std::variant<ApiRequest, ApiError>
xf::serve::parseRequest(Endpoint endpoint, std::string_view body,
                        const RequestLimits &limits) {
  if (body.size() > limits.maxBodyBytes) {
    ApiError error = invalid("the request body has more than " +
                             std::to_string(limits.maxBodyBytes) + " bytes");
    error.status = 413;
    return error;
  }
  if (!isValidUtf8(body))
    return invalid("the request body is not valid UTF-8");
  if (nestingDepth(body, limits.maxDepth) > limits.maxDepth)
    return invalid("the request body nests deeper than " +
                   std::to_string(limits.maxDepth) + " levels");
  json root;
  try {
    root = json::parse(body);
  } catch (const json::exception &e) {
    return invalid(std::string("the request body is not valid JSON: ") +
                   e.what());
  }
  if (!root.is_object())
    return invalid("the request body must be a JSON object");

  ApiRequest request;
  request.endpoint = endpoint;
  FieldReader fields(root);
  bool chat = endpoint == Endpoint::ChatCompletions;

  std::optional<std::string> model = fields.string("model");
  if (!model && !fields.error)
    fields.fail("'model' is required", "model");
  if (chat)
    readMessages(fields.get("messages"), limits, fields, request);
  else
    readPrompt(fields, request);

  std::optional<int64_t> maxTokens =
      fields.integer("max_tokens", 1, limits.maxContext);
  if (chat) {
    auto completionTokens =
        fields.integer("max_completion_tokens", 1, limits.maxContext);
    if (completionTokens && maxTokens && *completionTokens != *maxTokens)
      fields.fail("'max_tokens' and 'max_completion_tokens' disagree",
                  "max_completion_tokens");
    if (completionTokens)
      maxTokens = completionTokens;
  }
  request.maxTokens = maxTokens;
  if (auto t = fields.number("temperature", 0, 2))
    request.sampling.temperature = static_cast<float>(*t);
  if (auto p = fields.number("top_p", 0, 1, /*openLow=*/true))
    request.sampling.topP = static_cast<float>(*p);
  if (auto k = fields.integer("top_k", 0, std::numeric_limits<int32_t>::max()))
    request.sampling.topK = static_cast<uint32_t>(*k);
  if (const json *seed = fields.get("seed")) {
    // Any 64-bit integer; negative ones wrap, as the program's --seed.
    if (seed->is_number_unsigned())
      request.seed = seed->get<uint64_t>();
    else if (seed->is_number_integer())
      request.seed = static_cast<uint64_t>(seed->get<int64_t>());
    else
      fields.fail("'seed' must be an integer", "seed");
  }
  readStop(fields, limits, request);
  request.stream = fields.boolean("stream").value_or(false);
  if (const json *options = fields.get("stream_options")) {
    if (!request.stream) {
      fields.fail("'stream_options' is only allowed when 'stream' is true",
                  "stream_options");
    } else if (!options->is_object()) {
      fields.fail("'stream_options' must be an object", "stream_options");
    } else {
      FieldReader reader(*options);
      request.streamUsage = reader.boolean("include_usage").value_or(false);
      reader.rejectUnknown(" in stream_options");
      if (reader.error)
        fields.fail(reader.error->message, "stream_options");
    }
  }
  // Informational only (OpenAI's abuse monitoring); nothing to do with it.
  fields.string("user");
  fields.onlyDefault("n", 1, "one choice per request");
  fields.onlyDefault("frequency_penalty", 0, "no penalties");
  fields.onlyDefault("presence_penalty", 0, "no penalties");
  fields.onlyDefault("logit_bias", json::object(), "no logit bias");
  if (chat) {
    fields.onlyDefault("logprobs", false, "no log probabilities");
    fields.onlyDefault("response_format", {{"type", "text"}},
                       "plain text only");
  } else {
    fields.onlyDefault("logprobs", 0, "no log probabilities");
    fields.onlyDefault("echo", false, "the prompt is not echoed");
    fields.onlyDefault("best_of", 1, "one choice per request");
    fields.onlyDefault("suffix", "", "no suffix");
  }
  fields.rejectUnknown("");
  if (fields.error)
    return *fields.error;

  if (*model != limits.modelId) {
    ApiError error = invalid("the model '" + *model +
                                 "' does not exist; this server runs '" +
                                 limits.modelId + "'",
                             "model", "model_not_found");
    error.status = 404;
    return error;
  }
  request.model = *model;
  return request;
}

bool xf::serve::isValidUtf8(std::string_view text) {
  size_t i = 0, n = text.size();
  while (i < n) {
    auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
    uint8_t b = byte(i);
    if (b < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t cp;
    if (b >= 0xC2 && b <= 0xDF)
      length = 2, cp = b & 0x1F;
    else if (b >= 0xE0 && b <= 0xEF)
      length = 3, cp = b & 0x0F;
    else if (b >= 0xF0 && b <= 0xF4)
      length = 4, cp = b & 0x07;
    else
      return false;
    if (i + length > n)
      return false;
    for (size_t k = 1; k < length; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    if ((length == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (length == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += length;
  }
  return true;
}

bool xf::serve::constantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer one is looked at, whatever matches.
  size_t n = std::max(a.size(), b.size());
  unsigned char difference = a.size() != b.size();
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? a[i] : 0;
    unsigned char y = i < b.size() ? b[i] : 0;
    difference |= x ^ y;
  }
  // Keeps the compiler from ending the loop at the first difference.
  volatile unsigned char result = difference;
  return result == 0;
}

StopStringFilter::StopStringFilter(std::vector<std::string> stops)
    : stops(std::move(stops)) {}

std::string StopStringFilter::push(std::string_view text) {
  if (hasStopped)
    return {};
  pending.append(text);
  size_t match = std::string::npos;
  for (const std::string &stop : stops)
    match = std::min(match, pending.find(stop));
  if (match != std::string::npos) {
    hasStopped = true;
    std::string out = pending.substr(0, match);
    pending.clear();
    return out;
  }
  // Hold back the longest tail that begins a stop string.
  size_t hold = 0;
  for (const std::string &stop : stops)
    for (size_t k = std::min(stop.size() - 1, pending.size()); k > hold; --k)
      if (pending.compare(pending.size() - k, k, stop, 0, k) == 0) {
        hold = k;
        break;
      }
  std::string out = pending.substr(0, pending.size() - hold);
  pending.erase(0, pending.size() - hold);
  return out;
}

std::string StopStringFilter::finish() {
  std::string out = hasStopped ? std::string() : std::move(pending);
  pending.clear();
  return out;
}

const char *xf::serve::finishName(Finish finish) {
  return finish == Finish::Stop ? "stop" : "length";
}

namespace {

json usageJson(const Usage &usage) {
  return {{"prompt_tokens", usage.promptTokens},
          {"completion_tokens", usage.completionTokens},
          {"total_tokens", usage.promptTokens + usage.completionTokens}};
}

json headerJson(const ResponseHeader &header, const char *object) {
  return {{"id", header.id},
          {"object", object},
          {"created", header.created},
          {"model", header.model}};
}

} // namespace

std::string xf::serve::responseBody(const ResponseHeader &header,
                                    const std::string &text, Finish finish,
                                    const Usage &usage) {
  bool chat = header.endpoint == Endpoint::ChatCompletions;
  json body = headerJson(header, chat ? "chat.completion" : "text_completion");
  json choice = {{"index", 0},
                 {"logprobs", nullptr},
                 {"finish_reason", finishName(finish)}};
  if (chat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  body["choices"] = json::array({choice});
  body["usage"] = usageJson(usage);
  return dump(body);
}

std::string xf::serve::streamChunk(const ResponseHeader &header,
                                   const std::string &text, bool first,
                                   std::optional<Finish> finish) {
  bool chat = header.endpoint == Endpoint::ChatCompletions;
  json body =
      headerJson(header, chat ? "chat.completion.chunk" : "text_completion");
  json choice = {
      {"index", 0},
      {"logprobs", nullptr},
      {"finish_reason", finish ? json(finishName(*finish)) : json(nullptr)}};
  if (chat) {
    json delta = json::object();
    if (first)
      delta["role"] = "assistant";
    if (!text.empty() || (first && !finish))
      delta["content"] = text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  body["choices"] = json::array({choice});
  return "data: " + dump(body) + "\n\n";
}

std::string xf::serve::streamUsageChunk(const ResponseHeader &header,
                                        const Usage &usage) {
  bool chat = header.endpoint == Endpoint::ChatCompletions;
  json body =
      headerJson(header, chat ? "chat.completion.chunk" : "text_completion");
  body["choices"] = json::array();
  body["usage"] = usageJson(usage);
  return "data: " + dump(body) + "\n\n";
}

std::string xf::serve::modelsBody(const std::string &modelId, int64_t created) {
  json body = {{"object", "list"},
               {"data", json::array({{{"id", modelId},
                                      {"object", "model"},
                                      {"created", created},
                                      {"owned_by", "xfc"}}})}};
  return dump(body);
}
