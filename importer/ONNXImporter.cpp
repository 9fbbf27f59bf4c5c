//===- ONNXImporter.cpp - ONNX model -> onnx dialect ----------------------===//
//
// Table-driven on (op_type, since_version): ONNXOpsetVersions.inc gives each
// operator's versions; a node's version is the newest one not above the
// model's opset. Older forms are rewritten into the newest one as the node is
// imported (attribute axes become constant operands, for example), so the
// dialect has one form per operator.
//
//===----------------------------------------------------------------------===//

#include "importer/ONNXImporter.h"
#include "importer/ContribAttentionImport.h"
#include "importer/DequantizeLinearImport.h"
#include "importer/TensorImport.h"

#include "dialects/ONNX/IR/ONNXOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <onnx/onnx_pb.h>

#include <map>

using namespace mlir;
using llvm::StringRef;

namespace xf {
namespace {

//===----------------------------------------------------------------------===//
// Operator versions
//===----------------------------------------------------------------------===//

constexpr int64_t kNewestKnownOpset =
#define XF_ONNX_NEWEST_OPSET(N) N;
#define XF_ONNX_OP(NAME, ...)
#define XF_ONNX_ARITY(NAME, MIN, MAX)
#define XF_ONNX_REQUIRED_ATTR(NAME, ATTR)
#include "importer/ONNXOpsetVersions.inc"
#undef XF_ONNX_NEWEST_OPSET
#undef XF_ONNX_OP
#undef XF_ONNX_ARITY
#undef XF_ONNX_REQUIRED_ATTR

const llvm::StringMap<std::vector<int64_t>> &operatorVersions() {
  static const llvm::StringMap<std::vector<int64_t>> versions = {
#define XF_ONNX_NEWEST_OPSET(N)
#define XF_ONNX_OP(NAME, ...) {NAME, {__VA_ARGS__}},
#define XF_ONNX_ARITY(NAME, MIN, MAX)
#define XF_ONNX_REQUIRED_ATTR(NAME, ATTR)
#include "importer/ONNXOpsetVersions.inc"
#undef XF_ONNX_NEWEST_OPSET
#undef XF_ONNX_OP
#undef XF_ONNX_ARITY
#undef XF_ONNX_REQUIRED_ATTR
  };
  return versions;
}

/// How many inputs the newest version of an operator takes.
std::pair<int64_t, int64_t> inputArity(StringRef opType) {
  static const llvm::StringMap<std::pair<int64_t, int64_t>> arities = {
#define XF_ONNX_NEWEST_OPSET(N)
#define XF_ONNX_OP(NAME, ...)
#define XF_ONNX_ARITY(NAME, MIN, MAX) {NAME, {MIN, MAX}},
#define XF_ONNX_REQUIRED_ATTR(NAME, ATTR)
#include "importer/ONNXOpsetVersions.inc"
#undef XF_ONNX_NEWEST_OPSET
#undef XF_ONNX_OP
#undef XF_ONNX_ARITY
#undef XF_ONNX_REQUIRED_ATTR
  };
  auto it = arities.find(opType);
  return it == arities.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
}

/// The attributes the newest version of an operator requires.
std::vector<StringRef> requiredAttributes(StringRef opType) {
  static const std::vector<std::pair<StringRef, StringRef>> required = {
#define XF_ONNX_NEWEST_OPSET(N)
#define XF_ONNX_OP(NAME, ...)
#define XF_ONNX_ARITY(NAME, MIN, MAX)
#define XF_ONNX_REQUIRED_ATTR(NAME, ATTR) {NAME, ATTR},
#include "importer/ONNXOpsetVersions.inc"
#undef XF_ONNX_NEWEST_OPSET
#undef XF_ONNX_OP
#undef XF_ONNX_ARITY
#undef XF_ONNX_REQUIRED_ATTR
  };
  std::vector<StringRef> result;
  for (auto [op, attr] : required)
    if (op == opType)
      result.push_back(attr);
  return result;
}

/// The since_version of `opType` in `opset`, or 0 if the operator does not
/// exist there.
int64_t sinceVersion(StringRef opType, int64_t opset) {
  auto it = operatorVersions().find(opType);
  if (it == operatorVersions().end())
    return 0;
  int64_t version = 0;
  for (int64_t v : it->second)
    if (v <= opset)
      version = v;
  return version;
}

bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// ONNX Runtime contrib operators that import one to one as onnx dialect
/// ops (raised to xf ops by xf-fuse-onnx-to-xf): the op's name and its
/// operand counts (after ContribAttentionImport's dropped inputs). The
/// GenAI builder writes SimplifiedLayerNormalization in the default domain,
/// where ONNX Runtime registers it; com.microsoft Gelu is ONNX's Gelu with
/// approximate = "none".
struct ContribOperator {
  StringRef domain, opType, opName;
  int64_t minInputs, maxInputs;
  unsigned numOutputs;
};

const ContribOperator *findContribOperator(StringRef domain, StringRef opType) {
  static const ContribOperator table[] = {
      {"", "SimplifiedLayerNormalization", "SimplifiedLayerNormalization", 2,
       2, 2},
      {"com.microsoft", "SkipSimplifiedLayerNormalization",
       "com.microsoft.SkipSimplifiedLayerNormalization", 3, 4, 4},
      {"com.microsoft", "SkipLayerNormalization",
       "com.microsoft.SkipLayerNormalization", 3, 5, 4},
      {"com.microsoft", "FastGelu", "com.microsoft.FastGelu", 1, 2, 1},
      {"com.microsoft", "Gelu", "Gelu", 1, 1, 1},
      {"com.microsoft", "RotaryEmbedding", "com.microsoft.RotaryEmbedding", 4,
       4, 1},
      {"com.microsoft", "MultiHeadAttention",
       "com.microsoft.MultiHeadAttention", 1, 8, 3},
      // Its required inputs (0, 5 and 6) are checked by
      // checkContribAttention: optional ones come between them.
      {"com.microsoft", "GroupQueryAttention",
       "com.microsoft.GroupQueryAttention", 1, 10, 3},
      {"com.microsoft", "MatMulNBits", "com.microsoft.MatMulNBits", 3, 6, 1},
  };
  StringRef normalized = domain == "ai.onnx" ? StringRef() : domain;
  for (const ContribOperator &op : table)
    if (op.domain == normalized && op.opType == opType)
      return &op;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

/// Carries the first error message out of a helper; the importer reports it
/// with the node's location.
struct ImportError {
  std::string message;
};

std::string describeNode(const onnx::NodeProto &node) {
  std::string text = node.op_type();
  if (!node.name().empty())
    text = "'" + node.name() + "' (" + text + ")";
  return "node " + text;
}

//===----------------------------------------------------------------------===//
// The importer
//===----------------------------------------------------------------------===//

class ModelImporter {
public:
  ModelImporter(MLIRContext &context, StringRef displayName,
                std::string modelDir, const ONNXImportOptions &options)
      : context(context), builder(&context), displayName(displayName.str()),
        tensors(context, std::move(modelDir), options.inlineElementLimit) {}

  OwningOpRef<ModuleOp> import(onnx::ModelProto &model);

private:
  LogicalResult checkOpsets(const onnx::ModelProto &model);
  LogicalResult checkOperatorsSupported(const onnx::GraphProto &graph);
  FailureOr<std::vector<const onnx::NodeProto *>>
  sortNodes(const onnx::GraphProto &graph);
  FailureOr<Type> convertValueType(const onnx::ValueInfoProto &info,
                                   SmallVectorImpl<Attribute> *dimParams);
  LogicalResult importNode(const onnx::NodeProto &node);
  LogicalResult importConstantNode(const onnx::NodeProto &node, Location loc);
  /// The values of `node`'s inputs, null for an absent optional one.
  SmallVector<Value> nodeInputs(const onnx::NodeProto &node);
  FailureOr<Operation *> createOp(StringRef opType, ValueRange operands,
                                  ArrayRef<NamedAttribute> attributes,
                                  unsigned numResults, Location loc);
  FailureOr<NamedAttribute> convertAttribute(const onnx::NodeProto &node,
                                             const onnx::AttributeProto &attr);
  Value createI64Constant(ArrayRef<int64_t> values, Location loc,
                          bool scalar = false);

  Location fileLoc() {
    return FileLineColLoc::get(&context, displayName, 0, 0);
  }
  Location nodeLoc(const onnx::NodeProto &node) {
    std::string name = node.name().empty()
                           ? node.op_type() + "#" + std::to_string(nodeIndex)
                           : node.name();
    return NameLoc::get(StringAttr::get(&context, name), fileLoc());
  }
  InFlightDiagnostic error(Location loc) { return emitError(loc); }
  InFlightDiagnostic modelError() { return emitError(fileLoc()); }

  MLIRContext &context;
  OpBuilder builder;
  std::string displayName;
  TensorImporter tensors;
  int64_t opset = 0;
  /// Imported opset version of each domain; "" is the default domain.
  std::map<std::string, int64_t> domainOpsets;
  int64_t nodeIndex = 0;
  /// ONNX value names -> MLIR values; "" (an absent optional input) is not
  /// in the map.
  llvm::StringMap<Value> values;
};

LogicalResult ModelImporter::checkOpsets(const onnx::ModelProto &model) {
  for (const auto &import : model.opset_import()) {
    domainOpsets[isDefaultDomain(import.domain()) ? "" : import.domain()] =
        import.version();
    if (isDefaultDomain(import.domain()))
      opset = import.version();
  }
  if (model.opset_import_size() == 0 && model.ir_version() < 3)
    opset = 1; // Before opset_import existed, the default opset was 1.
  if (opset <= 0)
    return modelError() << "the model imports no version of the default ONNX "
                           "domain (opset_import is missing it)";
  if (opset > kNewestKnownOpset)
    return modelError() << "opset " << opset
                        << " is newer than the newest this importer knows ("
                        << kNewestKnownOpset << ")";
  return success();
}

LogicalResult
ModelImporter::checkOperatorsSupported(const onnx::GraphProto &graph) {
  // Collect every unsupported operator first, so one run lists them all.
  std::vector<std::string> unsupported;
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    bool defaultDomain = isDefaultDomain(node.domain());
    int64_t version = defaultDomain ? sinceVersion(node.op_type(), opset) : 0;
    // An operator the dialect has is imported only if the model's opset
    // defines it: a node's meaning is that of its operator version.
    if (version &&
        RegisteredOperationName::lookup("onnx." + node.op_type(), &context))
      continue;
    if (findContribOperator(node.domain(), node.op_type()) &&
        (defaultDomain || domainOpsets.count(node.domain())))
      continue;
    // DequantizeLinear, expanded (and folded into a MatMul that reads it).
    if (version && node.op_type() == "DequantizeLinear")
      continue;
    std::string line = "  " + node.op_type() + " (domain '" +
                       (defaultDomain ? "ai.onnx" : node.domain()) + "'";
    auto opsetIt = domainOpsets.find(defaultDomain ? "" : node.domain());
    if (opsetIt != domainOpsets.end())
      line += ", opset " + std::to_string(opsetIt->second);
    else
      line += ", a domain the model does not import";
    if (defaultDomain) {
      auto versions = operatorVersions().find(node.op_type());
      if (version)
        line += ", operator version " + std::to_string(version);
      else if (versions != operatorVersions().end())
        line += ", an operator added in opset " +
                std::to_string(versions->second.front());
      else
        line += ", not an ONNX operator";
    }
    line += node.name().empty()
                ? ") at unnamed node #" + std::to_string(index)
                : ") at node '" + node.name() + "'";
    unsupported.push_back(line);
  }
  if (unsupported.empty())
    return success();
  InFlightDiagnostic diag = modelError();
  diag << unsupported.size()
       << " node(s) use operators xfc does not support (or that the model's "
          "opset does not define):";
  for (const std::string &line : unsupported)
    diag << "\n" << line;
  return diag;
}

FailureOr<std::vector<const onnx::NodeProto *>>
ModelImporter::sortNodes(const onnx::GraphProto &graph) {
  // ONNX requires topological order, but some tools write graphs that are
  // not; Kahn's algorithm keeps the given order where it is valid.
  llvm::StringSet<> available;
  for (const auto &init : graph.initializer())
    available.insert(init.name());
  for (const auto &input : graph.input())
    available.insert(input.name());
  std::vector<const onnx::NodeProto *> pending, sorted;
  for (const auto &node : graph.node())
    pending.push_back(&node);
  while (!pending.empty()) {
    std::vector<const onnx::NodeProto *> blocked;
    for (const onnx::NodeProto *node : pending) {
      bool ready = llvm::all_of(node->input(), [&](const std::string &name) {
        return name.empty() || available.contains(name);
      });
      if (!ready) {
        blocked.push_back(node);
        continue;
      }
      sorted.push_back(node);
      for (const std::string &output : node->output())
        if (!output.empty())
          available.insert(output);
    }
    if (blocked.size() == pending.size()) {
      const onnx::NodeProto &node = *blocked.front();
      for (const std::string &name : node.input())
        if (!name.empty() && !available.contains(name))
          return modelError()
                 << describeNode(node) << " uses '" << name
                 << "', which no node, input or initializer defines (or "
                    "the graph has a cycle)";
    }
    pending = std::move(blocked);
  }
  return sorted;
}

FailureOr<Type>
ModelImporter::convertValueType(const onnx::ValueInfoProto &info,
                                SmallVectorImpl<Attribute> *dimParams) {
  if (!info.type().has_tensor_type())
    return modelError() << "graph value '" << info.name()
                        << "' is not a tensor (sequences, maps and optionals "
                           "are not supported)";
  const auto &tensorType = info.type().tensor_type();
  auto elementType = convertONNXElementType(tensorType.elem_type(), context);
  if (!elementType)
    return modelError() << "graph value '" << info.name() << "': "
                        << llvm::toString(elementType.takeError());
  if (!tensorType.has_shape())
    return Type(UnrankedTensorType::get(*elementType));
  SmallVector<int64_t> shape;
  for (const auto &dim : tensorType.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
      if (dimParams)
        dimParams->push_back(StringAttr::get(&context, ""));
    } else {
      // Symbolic (batch, sequence) or unknown: dynamic, name kept.
      shape.push_back(ShapedType::kDynamic);
      if (dimParams)
        dimParams->push_back(StringAttr::get(&context, dim.dim_param()));
    }
  }
  return Type(RankedTensorType::get(shape, *elementType));
}

Value ModelImporter::createI64Constant(ArrayRef<int64_t> values, Location loc,
                                       bool scalar) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      builder.getI64Type());
  return ONNX::ConstantOp::create(builder, loc,
                                  DenseIntElementsAttr::get(type, values));
}

FailureOr<NamedAttribute>
ModelImporter::convertAttribute(const onnx::NodeProto &node,
                                const onnx::AttributeProto &attr) {
  using AP = onnx::AttributeProto;
  Location loc = nodeLoc(node);
  auto fail = [&](const Twine &why) -> FailureOr<NamedAttribute> {
    return error(loc) << node.op_type() << ": attribute '" << attr.name()
                      << "' " << why;
  };
  if (!attr.ref_attr_name().empty())
    return fail("refers to a function attribute, which is only valid inside "
                "a function body");
  auto type = attr.type();
  if (type == AP::UNDEFINED) {
    // Old exporters leave the type out; the field that is set tells it.
    if (attr.has_f()) type = AP::FLOAT;
    else if (attr.has_i()) type = AP::INT;
    else if (attr.has_s()) type = AP::STRING;
    else if (attr.has_t()) type = AP::TENSOR;
    else if (attr.floats_size()) type = AP::FLOATS;
    else if (attr.ints_size()) type = AP::INTS;
    else if (attr.strings_size()) type = AP::STRINGS;
  }
  Attribute value;
  switch (type) {
  case AP::INT:
    value = builder.getI64IntegerAttr(attr.i());
    break;
  case AP::FLOAT:
    value = builder.getF32FloatAttr(attr.f());
    break;
  case AP::STRING:
    value = builder.getStringAttr(attr.s());
    break;
  case AP::INTS:
    value = builder.getI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end()));
    break;
  case AP::FLOATS:
    value = builder.getF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end()));
    break;
  case AP::STRINGS: {
    SmallVector<StringRef> strings(attr.strings().begin(),
                                   attr.strings().end());
    value = builder.getStrArrayAttr(strings);
    break;
  }
  case AP::TENSOR: {
    auto tensor = tensors.convert(*const_cast<onnx::TensorProto *>(&attr.t()));
    if (!tensor)
      return fail("holds a tensor that " + llvm::toString(tensor.takeError()));
    value = *tensor;
    break;
  }
  default:
    return fail("has a type (" + AP::AttributeType_Name(type) +
                ") that xfc does not support");
  }
  return NamedAttribute(builder.getStringAttr(attr.name()), value);
}

LogicalResult ModelImporter::importConstantNode(const onnx::NodeProto &node,
                                                Location loc) {
  if (node.attribute_size() != 1 || node.output_size() != 1)
    return error(loc) << node.op_type()
                      << ": needs exactly one value attribute and one output";
  const onnx::AttributeProto &attr = node.attribute(0);
  ElementsAttr value;
  auto i64 = builder.getI64Type();
  auto f32 = builder.getF32Type();
  if (attr.name() == "value") {
    auto tensor =
        tensors.convert(*const_cast<onnx::TensorProto *>(&attr.t()));
    if (!tensor)
      return error(loc) << node.op_type() << ": its value "
                        << llvm::toString(tensor.takeError());
    value = *tensor;
  } else if (attr.name() == "value_int") {
    value = DenseIntElementsAttr::get(RankedTensorType::get({}, i64),
                                      {attr.i()});
  } else if (attr.name() == "value_ints") {
    SmallVector<int64_t> ints(attr.ints().begin(), attr.ints().end());
    value = DenseIntElementsAttr::get(
        RankedTensorType::get({(int64_t)ints.size()}, i64), ints);
  } else if (attr.name() == "value_float") {
    value = DenseFPElementsAttr::get(RankedTensorType::get({}, f32),
                                     {attr.f()});
  } else if (attr.name() == "value_floats") {
    SmallVector<float> floats(attr.floats().begin(), attr.floats().end());
    value = DenseFPElementsAttr::get(
        RankedTensorType::get({(int64_t)floats.size()}, f32), floats);
  } else {
    return error(loc) << node.op_type() << ": attribute '" << attr.name()
                      << "' is not supported (strings and sparse tensors "
                         "have no MLIR tensor form here)";
  }
  values[node.output(0)] = ONNX::ConstantOp::create(builder, loc, value);
  return success();
}

/// An input that older versions of an operator took as an attribute (a list
/// of ints): up to `newestVersionWithAttribute` the attribute becomes a
/// constant operand at `operandIndex`.
struct LegacyOperand {
  StringRef attribute;
  unsigned operandIndex;
  int64_t newestVersionWithAttribute;
};

ArrayRef<LegacyOperand> legacyOperandsOf(StringRef opType) {
  static const llvm::StringMap<SmallVector<LegacyOperand, 1>> forms = {
      {"Reshape", {{"shape", 1, 1}}},
      {"Slice", {{"starts", 1, 1}, {"ends", 2, 1}, {"axes", 3, 1}}},
      {"Squeeze", {{"axes", 1, 11}}},
      {"Unsqueeze", {{"axes", 1, 11}}},
      {"ReduceSum", {{"axes", 1, 11}}},
      {"ReduceMean", {{"axes", 1, 13}}},
      {"ReduceMax", {{"axes", 1, 13}}},
      {"Split", {{"split", 1, 11}}},
  };
  auto it = forms.find(opType);
  if (it == forms.end())
    return {};
  return it->second;
}

LogicalResult ModelImporter::importNode(const onnx::NodeProto &node) {
  Location loc = nodeLoc(node);
  StringRef opType = node.op_type();
  int64_t version = sinceVersion(opType, opset);
  if (isDefaultDomain(node.domain()) &&
      (opType == "DequantizeLinear" || opType == "MatMul")) {
    SmallVector<Value> inputs = nodeInputs(node);
    if (opType == "DequantizeLinear") {
      auto create = [&](StringRef type, ValueRange operands,
                        ArrayRef<NamedAttribute> attributes,
                        unsigned numResults) {
        return createOp(type, operands, attributes, numResults, loc);
      };
      FailureOr<Value> result =
          expandDequantizeLinear(node, inputs, builder, loc, create);
      if (failed(result))
        return failure();
      values[node.output(0)] = *result;
      return success();
    }
    if (inputs.size() == 2 && inputs[0] && inputs[1])
      if (Value qlinear =
              importDequantizedMatMul(inputs[0], inputs[1], builder, loc)) {
        values[node.output(0)] = qlinear;
        return success();
      }
  }
  if (opType == "Constant")
    return importConstantNode(node, loc);
  // The dialect op: onnx.<op_type>, or a contrib operator's own name.
  const ContribOperator *contrib =
      isDefaultDomain(node.domain()) && version
          ? nullptr
          : findContribOperator(node.domain(), opType);
  std::string opName = contrib ? contrib->opName.str() : opType.str();
  ContribAttentionForm dropped;
  if (contrib && isContribAttention(node.domain(), opType)) {
    FailureOr<ContribAttentionForm> form = checkContribAttention(node, loc);
    if (failed(form))
      return failure();
    dropped = std::move(*form);
  }
  if (!contrib && opType == "Attention" && version < 24 &&
      node.input_size() > 6 && !node.input(6).empty())
    return error(loc) << node.op_type()
                      << ": input 6 (nonpad_kv_seqlen) needs Attention-24";

  // Operands, with absent optional inputs as gaps.
  SmallVector<Value> operands;
  SmallVector<bool> present;
  for (auto [index, name] : llvm::enumerate(node.input())) {
    if (llvm::is_contained(dropped.droppedInputs, index))
      continue;
    if (name.empty()) {
      operands.push_back(nullptr);
      present.push_back(false);
      continue;
    }
    operands.push_back(values.lookup(name));
    present.push_back(true);
  }

  // Attributes, with older forms moved into operands.
  SmallVector<NamedAttribute> attributes;
  ArrayRef<LegacyOperand> legacyOperands = legacyOperandsOf(opType);
  for (const onnx::AttributeProto &attr : node.attribute()) {
    if (llvm::is_contained(dropped.droppedAttributes, attr.name()))
      continue;
    const LegacyOperand *legacy =
        llvm::find_if(legacyOperands, [&](const LegacyOperand &form) {
          return version <= form.newestVersionWithAttribute &&
                 attr.name() == form.attribute;
        });
    if (legacy != legacyOperands.end()) {
      if (attr.type() != onnx::AttributeProto::INTS &&
          !(attr.type() == onnx::AttributeProto::UNDEFINED &&
            attr.ints_size() > 0))
        return error(loc) << node.op_type() << ": attribute '" << attr.name()
                          << "' of " << opType << "-" << version
                          << " must be a list of ints";
      if (legacy->operandIndex < present.size() &&
          present[legacy->operandIndex])
        return error(loc) << node.op_type() << ": attribute '" << attr.name()
                          << "' and input " << legacy->operandIndex
                          << " both give the same value";
      Value operand = createI64Constant(
          SmallVector<int64_t>(attr.ints().begin(), attr.ints().end()), loc);
      operands.resize(std::max<size_t>(operands.size(),
                                       legacy->operandIndex + 1));
      present.resize(operands.size());
      operands[legacy->operandIndex] = operand;
      present[legacy->operandIndex] = true;
      continue;
    }
    if (opType == "Cast" && attr.name() == "to") {
      auto type = convertONNXElementType(attr.i(), context);
      if (!type)
        return error(loc) << node.op_type() << ": Cast "
                          << llvm::toString(type.takeError());
      attributes.push_back(builder.getNamedAttr("to", TypeAttr::get(*type)));
      continue;
    }
    auto converted = convertAttribute(node, attr);
    if (failed(converted))
      return failure();
    attributes.push_back(*converted);
  }

  if (opType == "Softmax" && version < 13) {
    // Before opset 13, Softmax flattened the input at `axis` (default 1);
    // that equals opset 13's Softmax only when `axis` is the last dim.
    int64_t axis = 1;
    for (NamedAttribute &attr : attributes)
      if (attr.getName() == "axis")
        axis = cast<IntegerAttr>(attr.getValue()).getInt();
    auto type = operands.empty() || !operands[0]
                    ? RankedTensorType()
                    : dyn_cast<RankedTensorType>(operands[0].getType());
    if (!type || (axis != -1 && axis != type.getRank() - 1))
      return error(loc) << node.op_type() << ": Softmax-" << version
                        << " with axis " << axis
                        << " that is not the last dimension is not supported";
  }

  // Result type inference reads operands by position: check their count
  // (after older forms were rewritten) against the newest schema first.
  auto [minInputs, maxInputs] =
      contrib ? std::pair(contrib->minInputs, contrib->maxInputs)
              : inputArity(opType);
  int64_t lastPresent = 0;
  for (auto [i, isPresent] : llvm::enumerate(present))
    if (isPresent)
      lastPresent = i + 1;
  int64_t numRequiredPresent = 0;
  for (int64_t i = 0; i < std::min<int64_t>(minInputs, present.size()); ++i)
    numRequiredPresent += present[i];
  if (lastPresent > maxInputs || numRequiredPresent < minInputs)
    return error(loc) << node.op_type() << " has " << lastPresent
                      << " input(s); " << opType << "-" << version
                      << " takes " << minInputs
                      << (maxInputs == minInputs
                              ? std::string()
                              : " to " + (maxInputs > 1000
                                              ? std::string("any number")
                                              : std::to_string(maxInputs)))
                      << " (required inputs must not be empty)";
  present.resize(lastPresent);
  operands.resize(lastPresent);

  OperationName name("onnx." + opName, &context);
  auto registered = name.getRegisteredInfo();
  // Validate attribute names against the op's definition.
  ArrayRef<StringAttr> known = registered->getAttributeNames();
  for (NamedAttribute attr : attributes)
    if (!llvm::is_contained(known, attr.getName()))
      return error(loc) << node.op_type() << ": attribute '"
                        << attr.getName().getValue()
                        << "' is not supported for " << opType << "-"
                        << version;

  // Result type inference reads attributes through typed accessors: check
  // that required ones exist and that every one has the type the op expects.
  for (StringRef attrName : requiredAttributes(opType))
    if (!llvm::any_of(attributes, [&](NamedAttribute a) {
          return a.getName() == attrName;
        }))
      return error(loc) << opType << "-" << version
                        << " requires attribute '" << attrName << "'";
  NamedAttrList attributeList(attributes);
  if (failed(registered->verifyInherentAttrs(attributeList, [&]() {
        return error(loc) << opType << "-" << version << ": ";
      })))
    return failure();

  // Operand list: ops with several optional operands record which are there.
  SmallVector<Value> presentOperands;
  for (auto [value, isPresent] : llvm::zip(operands, present))
    if (isPresent)
      presentOperands.push_back(value);
  if (registered->hasTrait<OpTrait::AttrSizedOperandSegments>() &&
      opType != "Slice") {
    // Optional inputs anywhere (contrib norms' beta and bias): segment
    // sizes record which are there.
    SmallVector<int32_t> segments;
    for (int64_t i = 0; i < maxInputs; ++i)
      segments.push_back(i < static_cast<int64_t>(present.size()) && present[i]
                             ? 1
                             : 0);
    attributes.push_back(builder.getNamedAttr(
        "operandSegmentSizes", builder.getDenseI32ArrayAttr(segments)));
  } else if (opType == "Slice") {
    SmallVector<int32_t> segments;
    for (unsigned i = 0; i < 5; ++i)
      segments.push_back(i < present.size() && present[i] ? 1 : 0);
    if (segments[0] == 0 || segments[1] == 0 || segments[2] == 0)
      return error(loc) << node.op_type()
                        << ": data, starts and ends are required";
    attributes.push_back(builder.getNamedAttr(
        "operandSegmentSizes", builder.getDenseI32ArrayAttr(segments)));
  } else {
    // Elsewhere only trailing inputs are optional; a gap would shift them.
    bool seenGap = false;
    for (bool isPresent : present) {
      if (!isPresent)
        seenGap = true;
      else if (seenGap)
        return error(loc) << node.op_type()
                          << ": an absent optional input is followed by a "
                             "present one, which "
                          << opType << " does not allow";
    }
  }

  unsigned numResults = 1;
  if (contrib)
    numResults = contrib->numOutputs;
  else if (opType == "Split")
    numResults = node.output_size();
  else if (opType == "LayerNormalization")
    numResults = 3;
  else if (opType == "Attention")
    numResults = 4;
  if (static_cast<unsigned>(node.output_size()) > numResults)
    return error(loc) << node.op_type() << " has " << node.output_size()
                      << " outputs; " << opType << " has " << numResults;
  FailureOr<Operation *> op =
      createOp(opName, presentOperands, attributes, numResults, loc);
  if (failed(op))
    return failure();
  for (auto [index, output] : llvm::enumerate(node.output()))
    if (!output.empty())
      values[output] = (*op)->getResult(index);
  return success();
}

FailureOr<Operation *>
ModelImporter::createOp(StringRef opType, ValueRange operands,
                        ArrayRef<NamedAttribute> attributes,
                        unsigned numResults, Location loc) {
  OperationState state(loc, OperationName("onnx." + opType.str(), &context));
  state.addOperands(operands);
  state.addAttributes(attributes);
  state.addTypes(SmallVector<Type>(numResults, builder.getNoneType()));
  Operation *op = builder.create(state);

  auto fail = [&]() -> FailureOr<Operation *> {
    op->erase();
    return failure();
  };
  SmallVector<Type> resultTypes;
  auto inference = dyn_cast<ONNX::ResultTypeInferenceOpInterface>(op);
  if (!inference)
    return fail();
  if (failed(inference.inferResultTypes(resultTypes)))
    return fail();
  for (auto [result, type] : llvm::zip(op->getResults(), resultTypes))
    result.setType(type);
  if (failed(mlir::verify(op, /*verifyRecursively=*/false)))
    return fail();
  return op;
}

SmallVector<Value> ModelImporter::nodeInputs(const onnx::NodeProto &node) {
  SmallVector<Value> inputs;
  for (const std::string &name : node.input())
    inputs.push_back(name.empty() ? Value() : values.lookup(name));
  return inputs;
}

OwningOpRef<ModuleOp> ModelImporter::import(onnx::ModelProto &model) {
  if (!model.has_graph())
    return modelError() << "the model has no graph", nullptr;
  if (failed(checkOpsets(model)))
    return nullptr;
  onnx::GraphProto &graph = *model.mutable_graph();
  if (failed(checkOperatorsSupported(graph)))
    return nullptr;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  module->getOperation()->setAttr(
      "onnx.opset", builder.getI64IntegerAttr(opset));
  if (!model.producer_name().empty())
    module->getOperation()->setAttr(
        "onnx.producer",
        builder.getStringAttr(
            model.producer_version().empty()
                ? model.producer_name()
                : model.producer_name() + " " + model.producer_version()));

  // Graph inputs that are not initializers become function arguments.
  llvm::StringSet<> initializerNames;
  for (const auto &init : graph.initializer())
    initializerNames.insert(init.name());
  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<std::string> argNames;
  for (const auto &input : graph.input()) {
    if (initializerNames.contains(input.name()))
      continue;
    SmallVector<Attribute> dimParams;
    FailureOr<Type> type = convertValueType(input, &dimParams);
    if (failed(type))
      return nullptr;
    argTypes.push_back(*type);
    argNames.push_back(input.name());
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("onnx.name", builder.getStringAttr(input.name()))};
    if (llvm::any_of(dimParams, [](Attribute a) {
          return !cast<StringAttr>(a).getValue().empty();
        }))
      attrs.push_back(builder.getNamedAttr("onnx.dim_params",
                                           builder.getArrayAttr(dimParams)));
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
  }

  auto func = func::FuncOp::create(builder, fileLoc(), "main",
                                   builder.getFunctionType(argTypes, {}));
  module->push_back(func);
  Block *body = func.addEntryBlock();
  for (auto [i, attrs] : llvm::enumerate(argAttrs))
    func.setArgAttrs(i, attrs);
  for (auto [name, arg] : llvm::zip(argNames, body->getArguments()))
    values[name] = arg;
  builder.setInsertionPointToStart(body);

  for (onnx::TensorProto &init : *graph.mutable_initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc());
    auto value = tensors.convert(init);
    if (!value)
      return modelError() << "initializer '" << init.name() << "' "
                          << llvm::toString(value.takeError()),
             nullptr;
    values[init.name()] = ONNX::ConstantOp::create(builder, loc, *value);
  }

  auto sorted = sortNodes(graph);
  if (failed(sorted))
    return nullptr;
  for (const onnx::NodeProto *node : *sorted) {
    if (failed(importNode(*node)))
      return nullptr;
    ++nodeIndex;
  }

  SmallVector<Value> results;
  SmallVector<DictionaryAttr> resultAttrs;
  for (const auto &output : graph.output()) {
    Value value = values.lookup(output.name());
    if (!value)
      return modelError() << "graph output '" << output.name()
                          << "' is not produced by any node, input or "
                             "initializer",
             nullptr;
    // The declared output type may be more static than inference got; it
    // must not contradict it.
    if (output.type().has_tensor_type() &&
        output.type().tensor_type().elem_type() !=
            onnx::TensorProto::UNDEFINED) {
      FailureOr<Type> declared = convertValueType(output, nullptr);
      if (failed(declared))
        return nullptr;
      if (!ONNX::isCompatibleRefinement(*declared, value.getType()))
        return modelError() << "graph output '" << output.name()
                            << "' is declared as " << *declared
                            << " but its value has type " << value.getType(),
               nullptr;
    }
    results.push_back(value);
    resultAttrs.push_back(builder.getDictionaryAttr(builder.getNamedAttr(
        "onnx.name", builder.getStringAttr(output.name()))));
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  func.setType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, attrs] : llvm::enumerate(resultAttrs))
    func.setResultAttrs(i, attrs);
  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

std::string parentDirectory(StringRef path) {
  StringRef dir = llvm::sys::path::parent_path(path);
  return dir.empty() ? "." : dir.str();
}

} // namespace

void loadONNXImportDialects(MLIRContext &context) {
  context.loadDialect<ONNX::ONNXDialect, func::FuncDialect>();
}

OwningOpRef<ModuleOp> importONNXModelBytes(StringRef bytes, StringRef modelDir,
                                           StringRef displayName,
                                           MLIRContext &context,
                                           const ONNXImportOptions &options) {
  loadONNXImportDialects(context);
  Location loc = FileLineColLoc::get(&context, displayName, 0, 0);
  if (bytes.empty())
    return emitError(loc) << "the file is empty", nullptr;
  onnx::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.data()),
      static_cast<int>(std::min<size_t>(bytes.size(), INT32_MAX)));
  stream.SetTotalBytesLimit(INT32_MAX);
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage())
    return emitError(loc) << "not an ONNX model (the protobuf is malformed "
                             "or truncated)",
           nullptr;
  if (!model.has_graph() && model.ir_version() == 0)
    return emitError(loc) << "not an ONNX model (no ir_version and no graph)",
           nullptr;
  ModelImporter importer(context, displayName, modelDir.str(), options);
  return importer.import(model);
}

OwningOpRef<ModuleOp> importONNXModelFile(StringRef path, MLIRContext &context,
                                          const ONNXImportOptions &options) {
  loadONNXImportDialects(context);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(FileLineColLoc::get(&context, path, 0, 0))
               << "cannot read '" << path << "': "
               << buffer.getError().message(),
           nullptr;
  return importONNXModelBytes((*buffer)->getBuffer(), parentDirectory(path),
                              path, context, options);
}

} // namespace xf
