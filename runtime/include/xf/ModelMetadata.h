//===- ModelMetadata.h - what xfc records about a compiled model -*- C++ -*-===//
//
// The typed form of the model facts an .xfw carries for the program: the
// compiled function's inputs and outputs (ModelABI.h says how they are
// bound), the vocabulary, the longest sequence, the KV pool's default size
// and window, and a calibration program's Gram outputs. xfc writes it with
// write() and the runtime reads it with read(); nothing else touches these
// keys, so the format has one writer and one reader.
//
// On disk (unchanged from the first xfc that wrote them, so older files
// load): the header's ModelConfig holds architecture "onnx", vocab_size and
// max_context; the metadata holds
//   xf.inputs        comma-separated input names, in argument order
//   xf.input_shapes  comma-separated shapes, dims joined by 'x', '?' for a
//                    dynamic one ("?x?", "?x2x?x16")
//   xf.outputs       comma-separated output names
//   xf.output_ranks  comma-separated output ranks
//   xf.kv_memory     (optional) default bytes of the paged KV pool
//   xf.kv_window     (optional) every layer attends within this many keys
//   xf.draft_ngram   (optional) speculate with prompt lookup of n-grams up
//                    to this length (xfc --draft=ngram:N)
//   xf.draft_layers  (optional) speculate with the compiler-made draft of
//                    this many first layers, xf_draft_packed_main
//                    (xfc --draft=self:layers=N)
//   xf.draft_model   (optional) speculate with the draft model stored in
//                    the same file (xfc --draft=self:int4 or draft.onnx),
//                    named by this value: its metadata is these keys
//                    prefixed with "draft." (with draft.xf.vocab_size and
//                    draft.xf.max_context in place of the config), its
//                    tensors are named "draft/<name>", its entry point is
//                    xf_draft_packed_main
//   OUTPUT.weights   (calibration programs) a JSON array of the weight
//                    names whose inputs the Gram output OUTPUT accumulates
// Files written before this header also carry xf.max_context, a copy of the
// config's max_context; it is no longer written nor read.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_MODELMETADATA_H
#define XF_RUNTIME_INCLUDE_XF_MODELMETADATA_H

#include "xf/Result.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace xf {

class WeightsFile;
class WeightsFileWriter;

/// An input of the compiled function, in argument order.
struct ModelInput {
  std::string name;
  /// -1 for a dynamic dimension.
  std::vector<int64_t> shape;

  bool operator==(const ModelInput &other) const {
    return name == other.name && shape == other.shape;
  }
};

/// An output of the compiled function, in result order.
struct ModelOutput {
  std::string name;
  int64_t rank = 0;

  bool operator==(const ModelOutput &other) const {
    return name == other.name && rank == other.rank;
  }
};

struct ModelMetadata {
  std::vector<ModelInput> inputs;
  std::vector<ModelOutput> outputs;
  int64_t vocabSize = 0;
  /// The longest sequence (prompt and generated tokens) the program accepts.
  int64_t maxContext = 0;
  /// The default size of the paged KV pool (xfc --kv-memory).
  std::optional<int64_t> kvMemoryBytes;
  /// Every layer attends within this many keys (sliding window), so blocks
  /// wholly behind it can be released.
  std::optional<int64_t> kvWindow;
  /// The draft speculative decoding uses by default (at most one is set).
  std::optional<int64_t> draftNgram, draftLayers;
  std::optional<std::string> draftModel;
  /// Calibration programs: Gram output name -> the JSON array of the weight
  /// names it is for, as xfc --calibration reads it back.
  std::map<std::string, std::string> gramWeights;

  /// Records every field in `writer` (its ModelConfig included), or with a
  /// `part` ("draft."), a second model's fields under keys with that prefix.
  void write(WeightsFileWriter &writer, const std::string &part = "") const;
  /// Reads and checks the fields (of `part`); an error names the file and
  /// the field.
  static Result<ModelMetadata> read(const WeightsFile &file,
                                    const std::string &part = "");

  /// The index of the input or output named `name`, or -1.
  int64_t inputIndex(const std::string &name) const;
  int64_t outputIndex(const std::string &name) const;

  bool operator==(const ModelMetadata &other) const;
};

/// "2x?x16" -> {2, -1, 16}; "" -> {} (rank 0). Nullopt on a bad dimension.
std::optional<std::vector<int64_t>> parseShapeString(const std::string &text);
/// The inverse of parseShapeString.
std::string shapeString(const std::vector<int64_t> &shape);

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_MODELMETADATA_H
