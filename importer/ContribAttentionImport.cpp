//===- ContribAttentionImport.cpp - com.microsoft attention nodes ---------===//
//
// The schemas are ONNX Runtime's (onnxruntime/core/graph/contrib_ops/
// bert_defs.cc); GroupQueryAttention's inputs 11 to 15 and several
// attributes differ between ONNX Runtime versions, so they are named here
// by what they mean.
//
//===----------------------------------------------------------------------===//

#include "importer/ContribAttentionImport.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

#include <onnx/onnx_pb.h>

using namespace mlir;
using llvm::StringRef;

namespace xf {
namespace {

/// An attribute the op has no attribute for: accepted (and dropped) when it
/// holds `off`, refused otherwise with `meaning`.
struct OffAttribute {
  StringRef name;
  StringRef off; // an int, or a string in quotes
  StringRef meaning;
};

/// A node input or output, by index and what it is.
struct Port {
  unsigned index;
  StringRef name;
};

struct ContribSchema {
  StringRef opType;
  llvm::ArrayRef<Port> required;
  llvm::ArrayRef<Port> inputs;
  llvm::ArrayRef<OffAttribute> attributes;
  llvm::ArrayRef<Port> outputs;
};

constexpr Port kMHAInputs[] = {
    {8, "past_sequence_length (a shared KV buffer)"},
    {9, "cache_indirection (beam search)"}};
constexpr Port kMHAOutputs[] = {{3, "qk"}};

constexpr Port kMHARequired[] = {{0, "query"}};
constexpr Port kGQARequired[] = {
    {0, "query"}, {5, "seqlens_k"}, {6, "total_sequence_length"}};
constexpr Port kGQAInputs[] = {
    {9, "position_ids"},  {11, "head_sink"},     {12, "k_scale"},
    {13, "v_scale"},      {14, "q_norm_weight"}, {15, "k_norm_weight"}};
constexpr OffAttribute kGQAAttributes[] = {
    {"smooth_softmax", "0", "smooth softmax (a sink added to the softmax)"},
    {"qk_output", "0", "the QK output"},
    {"causal", "1", "bidirectional attention"},
    {"sliding_window_cache", "0", "a sliding-window cache buffer"},
    {"k_quant_type", "\"NONE\"", "a quantized key cache"},
    {"v_quant_type", "\"NONE\"", "a quantized value cache"},
    // Read only with the inputs and attributes refused above, or never by
    // the CPU kernel.
    {"kv_cache_bit_width", "*", ""},
    {"qk_norm_epsilon", "*", ""},
    {"mask_filter_value", "*", ""},
};
constexpr Port kGQAOutputs[] = {{3, "output_qk"}};

constexpr ContribSchema kSchemas[] = {
    {"MultiHeadAttention", kMHARequired, kMHAInputs, {}, kMHAOutputs},
    {"GroupQueryAttention", kGQARequired, kGQAInputs, kGQAAttributes,
     kGQAOutputs},
};

/// The attribute's value as `OffAttribute::off` spells it.
std::string spell(const onnx::AttributeProto &a) {
  if (a.type() == onnx::AttributeProto::STRING ||
      (a.type() == onnx::AttributeProto::UNDEFINED && a.has_s()))
    return "\"" + a.s() + "\"";
  if (a.type() == onnx::AttributeProto::INT ||
      (a.type() == onnx::AttributeProto::UNDEFINED && a.has_i()))
    return std::to_string(a.i());
  return "?";
}

} // namespace

bool isContribAttention(StringRef domain, StringRef opType) {
  return domain == "com.microsoft" &&
         (opType == "MultiHeadAttention" || opType == "GroupQueryAttention");
}

FailureOr<ContribAttentionForm>
checkContribAttention(const onnx::NodeProto &node, Location loc) {
  const ContribSchema *schema = llvm::find_if(
      kSchemas, [&](const ContribSchema &s) { return s.opType == node.op_type(); });
  auto fail = [&]() {
    return emitError(loc) << "com.microsoft." << node.op_type() << ": ";
  };
  ContribAttentionForm form;
  for (Port input : schema->required)
    if (input.index >= static_cast<unsigned>(node.input_size()) ||
        node.input(input.index).empty())
      return fail() << "input " << input.index << " (" << input.name
                    << ") is required";
  for (Port input : schema->inputs) {
    if (input.index < static_cast<unsigned>(node.input_size()) &&
        !node.input(input.index).empty())
      return fail() << "input " << input.index << " (" << input.name
                    << ") is not supported";
    form.droppedInputs.push_back(input.index);
  }
  for (Port output : schema->outputs)
    if (output.index < static_cast<unsigned>(node.output_size()) &&
        !node.output(output.index).empty())
      return fail() << "output " << output.index << " (" << output.name
                    << ") is not supported";
  for (const onnx::AttributeProto &a : node.attribute()) {
    const OffAttribute *off = llvm::find_if(
        schema->attributes, [&](const OffAttribute &o) { return o.name == a.name(); });
    if (off == schema->attributes.end())
      continue;
    // "*": whatever it holds, it does not change the result here.
    if (off->off != "*" && spell(a) != off->off)
      return fail() << "attribute " << a.name() << " = " << spell(a) << " ("
                    << off->meaning << ") is not supported";
    form.droppedAttributes.push_back(a.name());
  }
  return form;
}

} // namespace xf
