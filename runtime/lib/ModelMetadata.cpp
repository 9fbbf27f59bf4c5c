//===- ModelMetadata.cpp - what xfc records about a compiled model --------===//

#include "xf/ModelMetadata.h"

#include "xf/CommandLine.h"
#include "xf/WeightsFile.h"

#include <limits>

using namespace xf;

namespace {

const char *kInputs = "xf.inputs";
const char *kInputShapes = "xf.input_shapes";
const char *kOutputs = "xf.outputs";
const char *kOutputRanks = "xf.output_ranks";
const char *kKVMemory = "xf.kv_memory";
const char *kKVWindow = "xf.kv_window";
const char *kDraftNgram = "xf.draft_ngram";
const char *kDraftLayers = "xf.draft_layers";
const char *kGramWeightsSuffix = ".weights";
const char *kDraftModel = "xf.draft_model";
/// A part's vocabulary and max context (the file's config holds the main
/// model's).
const char *kVocabSize = "xf.vocab_size";
const char *kMaxContext = "xf.max_context";

/// Every part of `text` between separators, empty ones included (a rank-0
/// input's shape is ""); "" is no part at all.
std::vector<std::string> splitExact(const std::string &text, char separator) {
  std::vector<std::string> parts;
  if (text.empty())
    return parts;
  size_t start = 0;
  for (;;) {
    size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string::npos)
      return parts;
    start = end + 1;
  }
}

template <typename T, typename F>
std::string join(const std::vector<T> &items, F &&toString) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? "," : "") + toString(items[i]);
  return out;
}

/// Reads the metadata of one file, each error naming it and the field.
class Reader {
public:
  Reader(const WeightsFile &file, std::string part)
      : file(file), part(std::move(part)) {}

  ErrorMessage error(const std::string &field, const std::string &what) const {
    return ErrorMessage{file.path() + ": " + part + field + " " + what};
  }

  std::optional<std::string_view> metadata(const char *key) const {
    return file.metadata(part + key);
  }

  Result<std::string> required(const char *key) const {
    auto value = metadata(key);
    if (!value)
      return error(key, "is missing (not made by xfc for this program)");
    return std::string(*value);
  }

  /// A positive integer under `key`, if there is one.
  Result<std::optional<int64_t>> optionalPositive(const char *key) const {
    auto value = metadata(key);
    if (!value)
      return std::optional<int64_t>();
    int64_t number = 0;
    if (!parseInt(*value, number) || number <= 0)
      return error(key, "is not a positive integer: '" + std::string(*value) +
                            "'");
    return std::optional<int64_t>(number);
  }

  Result<std::vector<ModelInput>> inputs() const {
    auto names = required(kInputs);
    if (!names)
      return ErrorMessage{names.error()};
    auto shapes = required(kInputShapes);
    if (!shapes)
      return ErrorMessage{shapes.error()};
    std::vector<std::string> nameList = splitExact(*names, ',');
    std::vector<std::string> shapeList = splitExact(*shapes, ',');
    // One rank-0 input writes an empty list of shapes.
    if (shapeList.empty() && nameList.size() == 1)
      shapeList.emplace_back();
    if (shapeList.size() != nameList.size())
      return error(kInputShapes, "has " + std::to_string(shapeList.size()) +
                                     " shapes for " +
                                     std::to_string(nameList.size()) +
                                     " inputs of xf.inputs");
    std::vector<ModelInput> inputs;
    for (size_t i = 0; i < nameList.size(); ++i) {
      auto shape = parseShapeString(shapeList[i]);
      if (!shape)
        return error(kInputShapes, "has a bad shape '" + shapeList[i] +
                                       "' for input " + nameList[i]);
      inputs.push_back({nameList[i], std::move(*shape)});
    }
    return inputs;
  }

  Result<std::vector<ModelOutput>> outputs() const {
    auto names = required(kOutputs);
    if (!names)
      return ErrorMessage{names.error()};
    auto ranks = required(kOutputRanks);
    if (!ranks)
      return ErrorMessage{ranks.error()};
    std::vector<std::string> nameList = splitExact(*names, ',');
    std::vector<std::string> rankList = splitExact(*ranks, ',');
    if (rankList.size() != nameList.size())
      return error(kOutputRanks, "has " + std::to_string(rankList.size()) +
                                     " ranks for " +
                                     std::to_string(nameList.size()) +
                                     " outputs of xf.outputs");
    std::vector<ModelOutput> outputs;
    for (size_t i = 0; i < nameList.size(); ++i) {
      ModelOutput output{nameList[i], 0};
      if (!parseInt(rankList[i], output.rank) || output.rank < 0)
        return error(kOutputRanks, "has a bad rank '" + rankList[i] +
                                       "' for output " + nameList[i]);
      outputs.push_back(std::move(output));
    }
    return outputs;
  }

private:
  const WeightsFile &file;
  std::string part;
};

} // namespace

std::optional<std::vector<int64_t>>
xf::parseShapeString(const std::string &text) {
  std::vector<int64_t> shape;
  for (const std::string &dim : splitExact(text, 'x')) {
    int64_t value = -1;
    if (dim != "?" && (!parseInt(dim, value) || value < 0))
      return std::nullopt;
    shape.push_back(value);
  }
  return shape;
}

std::string xf::shapeString(const std::vector<int64_t> &shape) {
  std::string out;
  for (size_t i = 0; i < shape.size(); ++i)
    out += (i ? "x" : "") +
           (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return out;
}

void ModelMetadata::write(WeightsFileWriter &writer,
                          const std::string &part) const {
  auto add = [&](const char *key, std::string value) {
    writer.addMetadata(part + key, std::move(value));
  };
  if (part.empty()) {
    ModelConfig config;
    config.architecture = "onnx";
    config.vocabSize = static_cast<uint32_t>(vocabSize);
    config.maxContext = static_cast<uint32_t>(maxContext);
    writer.setConfig(config);
  } else {
    add(kVocabSize, std::to_string(vocabSize));
    add(kMaxContext, std::to_string(maxContext));
  }
  add(kInputs, join(inputs, [](const ModelInput &input) {
                       return input.name;
                     }));
  add(kInputShapes, join(inputs, [](const ModelInput &input) {
                       return shapeString(input.shape);
                     }));
  add(kOutputs, join(outputs, [](const ModelOutput &output) {
                       return output.name;
                     }));
  add(kOutputRanks, join(outputs, [](const ModelOutput &output) {
                       return std::to_string(output.rank);
                     }));
  if (kvWindow)
    add(kKVWindow, std::to_string(*kvWindow));
  if (kvMemoryBytes)
    add(kKVMemory, std::to_string(*kvMemoryBytes));
  if (draftNgram)
    add(kDraftNgram, std::to_string(*draftNgram));
  if (draftLayers)
    add(kDraftLayers, std::to_string(*draftLayers));
  if (draftModel)
    add(kDraftModel, *draftModel);
  for (const auto &[output, weights] : gramWeights)
    writer.addMetadata(part + output + kGramWeightsSuffix, weights);
}

Result<ModelMetadata> ModelMetadata::read(const WeightsFile &file,
                                          const std::string &part) {
  Reader reader(file, part);
  ModelMetadata metadata;
  auto inputs = reader.inputs();
  if (!inputs)
    return ErrorMessage{inputs.error()};
  metadata.inputs = std::move(*inputs);
  auto outputs = reader.outputs();
  if (!outputs)
    return ErrorMessage{outputs.error()};
  metadata.outputs = std::move(*outputs);
  if (part.empty()) {
    const ModelConfig &config = file.config();
    if (!config.vocabSize || *config.vocabSize == 0)
      return reader.error("config vocab_size", "is missing");
    metadata.vocabSize = *config.vocabSize;
    if (!config.maxContext || *config.maxContext == 0)
      return reader.error("config max_context", "is missing");
    metadata.maxContext = *config.maxContext;
  } else {
    for (auto [key, field] : {std::pair{kVocabSize, &metadata.vocabSize},
                              std::pair{kMaxContext, &metadata.maxContext}}) {
      auto value = reader.optionalPositive(key);
      if (!value)
        return ErrorMessage{value.error()};
      if (!*value)
        return reader.error(key, "is missing");
      *field = **value;
    }
  }
  auto memory = reader.optionalPositive(kKVMemory);
  if (!memory)
    return ErrorMessage{memory.error()};
  metadata.kvMemoryBytes = *memory;
  auto window = reader.optionalPositive(kKVWindow);
  if (!window)
    return ErrorMessage{window.error()};
  metadata.kvWindow = *window;
  auto ngram = reader.optionalPositive(kDraftNgram);
  if (!ngram)
    return ErrorMessage{ngram.error()};
  metadata.draftNgram = *ngram;
  auto layers = reader.optionalPositive(kDraftLayers);
  if (!layers)
    return ErrorMessage{layers.error()};
  metadata.draftLayers = *layers;
  if (auto model = reader.metadata(kDraftModel))
    metadata.draftModel = std::string(*model);
  for (const ModelOutput &output : metadata.outputs)
    if (auto weights = file.metadata(part + output.name + kGramWeightsSuffix))
      metadata.gramWeights[output.name] = std::string(*weights);
  return metadata;
}

int64_t ModelMetadata::inputIndex(const std::string &name) const {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].name == name)
      return i;
  return -1;
}

int64_t ModelMetadata::outputIndex(const std::string &name) const {
  for (size_t i = 0; i < outputs.size(); ++i)
    if (outputs[i].name == name)
      return i;
  return -1;
}

bool ModelMetadata::operator==(const ModelMetadata &other) const {
  return inputs == other.inputs && outputs == other.outputs &&
         vocabSize == other.vocabSize && maxContext == other.maxContext &&
         kvMemoryBytes == other.kvMemoryBytes && kvWindow == other.kvWindow &&
         draftNgram == other.draftNgram && draftLayers == other.draftLayers &&
         draftModel == other.draftModel &&
         gramWeights == other.gramWeights;
}
