//===- QuantizeWeights.cpp - xf.linear{const f32 weight} -> xf.qlinear ----===//
//
// Quantizes the constant weights of f32 linear layers to int8 or int4 in
// groups along K with the runtime's quantizer (xf::quantizeWeights in
// runtime/include/xf/Kernels.h, so that the packing the compiler writes is
// by construction the one the kernel reads) and rewrites the layers into
// xf.qlinear on new dense-resource constants.
// With calibration statistics, the weights they cover are rounded by GPTQ
// (passes/GPTQ.h) into the same packing.
//
//===----------------------------------------------------------------------===//

#include "passes/GPTQ.h"
#include "passes/LinearWeights.h"
#include "passes/Passes.h"
#include "passes/WeightMemory.h"

#include "xf/Half.h"
#include "xf/Kernels.h"
#include "xf/ThreadPool.h"
#include "xf/WeightsFile.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/DebugLog.h"
#include "llvm/Support/JSON.h"

#include <cmath>
#include <map>
#include <memory>

#define DEBUG_TYPE "xf-quantize-weights"

namespace xf {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "passes/Passes.h.inc"
} // namespace xf

using namespace mlir;
using namespace xf;

namespace {

/// A linear layer's weight as f32 data read [N, K] through strides.
struct WeightSource {
  ONNX::ConstantOp constant;
  ONNX::TransposeOp transpose; // null when the constant is [N, K] itself
  std::string name;
  std::vector<float> inlineData; // for inline dense elements
  const float *data = nullptr;
  int64_t n = 0, k = 0, strideN = 0, strideK = 0;
  /// A resource's bytes as stored (f32, or 16 bits widened into `data`).
  const void *stored = nullptr;
  FloatFormat format = FloatFormat::F32;
};

std::optional<WeightSource> matchWeight(Value weight) {
  WeightSource source;
  if (auto transpose = weight.getDefiningOp<ONNX::TransposeOp>()) {
    std::optional<ArrayAttr> perm = transpose.getPerm();
    if (perm && !(perm->size() == 2 &&
                  cast<IntegerAttr>((*perm)[0]).getInt() == 1 &&
                  cast<IntegerAttr>((*perm)[1]).getInt() == 0))
      return std::nullopt;
    source.transpose = transpose;
    weight = transpose.getData();
  }
  source.constant = weight.getDefiningOp<ONNX::ConstantOp>();
  if (!source.constant)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(weight.getType());
  if (!type || type.getRank() != 2 || !type.hasStaticShape())
    return std::nullopt;
  // 16-bit weights (xf-promote-to-f32 keeps them) are read widened, so
  // they get the codes their f32 upcast would.
  Type element = type.getElementType();
  FloatFormat format = element.isF16()    ? FloatFormat::F16
                       : element.isBF16() ? FloatFormat::BF16
                                          : FloatFormat::F32;
  if (!element.isF32() && format == FloatFormat::F32)
    return std::nullopt;
  size_t elementBytes = format == FloatFormat::F32 ? 4 : 2;
  Attribute value = source.constant.getValue();
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob || blob->getData().size() !=
                     size_t(type.getNumElements()) * elementBytes)
      return std::nullopt;
    source.name = resource.getRawHandle().getKey().str();
    source.stored = blob->getData().data();
    source.format = format;
    if (format == FloatFormat::F32) {
      source.data = reinterpret_cast<const float *>(blob->getData().data());
    } else {
      source.inlineData.resize(type.getNumElements());
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        source.inlineData[i] =
            formatToFloat(format, blob->getData().data(), i);
      source.data = source.inlineData.data();
      // The widened copy is what is read from here on.
      xf::releaseWeightPages(blob->getData().data(), blob->getData().size());
    }
  } else if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    for (APFloat v : dense.getValues<APFloat>())
      source.inlineData.push_back(v.convertToFloat());
    source.data = source.inlineData.data();
    source.name = "weight";
  } else {
    return std::nullopt;
  }
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  if (source.transpose) { // [K, N] read transposed
    source.n = cols;
    source.k = rows;
    source.strideN = 1;
    source.strideK = cols;
  } else {
    source.n = rows;
    source.k = cols;
    source.strideN = cols;
    source.strideK = 1;
  }
  return source;
}

/// A new dense-resource onnx.Constant holding `data`, in the scratch file
/// (passes/WeightMemory.h): every layer's codes stay alive until xfc writes
/// them out, but not resident.
template <typename T>
Value createResourceConstant(OpBuilder &builder, Location loc,
                             RankedTensorType type, StringRef name,
                             ArrayRef<T> data) {
  AsmResourceBlob blob = xf::copyToScratchBlob(
      ArrayRef<char>(reinterpret_cast<const char *>(data.data()),
                     data.size() * sizeof(T)),
      alignof(T));
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  return ONNX::ConstantOp::create(builder, loc, attr);
}

struct Quantized {
  Value codes, scales, zeroPoints;
  QuantScheme scheme = QuantScheme::Symmetric;
  int64_t group = 0;
  /// The weight read [N, K] as stored (resources only: f32, f16 or bf16;
  /// valid until the pass erases dead constants), so that a table equal to
  /// it can share the packing.
  const void *stored = nullptr;
  FloatFormat format = FloatFormat::F32;
  int64_t n = 0, k = 0, strideN = 0, strideK = 0;
  std::string name;
  double relRmsError = 0; // ||W - dequant(quant(W))||_F / ||W||_F
  /// With calibration statistics (GPTQ): the relative output error of the
  /// packing and of rounding to nearest (GPTQ.h's relativeOutputError).
  std::optional<double> relOutputError, relOutputErrorRtn;
  bool gptq = false;    // GPTQ's packing kept for some rows
  int64_t gptqRows = 0; // how many
};

/// ||W - dequant(quant(W))||_F / ||W||_F: how far the packed weight is
/// from the f32 one (0 for a zero weight). Rows in chunks on the thread pool
/// (an 8B model has 7G weights to compare), summed in chunk order, so the
/// result does not depend on the thread count.
double relativeRmsError(const WeightSource &source, const uint8_t *codes,
                        const float *scales, const void *zeroPoints,
                        QuantScheme scheme, int64_t bits, int64_t group) {
  struct Context {
    const WeightSource *source;
    const uint8_t *codes;
    const float *scales;
    const void *zeroPoints;
    QuantScheme scheme;
    int64_t bits, group;
    std::vector<double> error, norm;
  };
  constexpr int64_t kRows = 16;
  int64_t chunks = (source.n + kRows - 1) / kRows;
  Context c{&source, codes, scales, zeroPoints, scheme, bits, group,
            std::vector<double>(chunks), std::vector<double>(chunks)};
  xf::parallelFor(
      chunks,
      [](void *context, int64_t chunk) {
        Context &c = *static_cast<Context *>(context);
        const WeightSource &s = *c.source;
        // The chunk's rows side by side, so that a K x N source (rows N
        // apart) is read a line at a time, not a cache miss per weight.
        int64_t j0 = chunk * kRows, j1 = std::min(s.n, j0 + kRows);
        double rowError[kRows] = {}, rowNorm[kRows] = {};
        for (int64_t p = 0; p < s.k; ++p)
          for (int64_t j = j0; j < j1; ++j) {
            double w = s.data[j * s.strideN + p * s.strideK];
            double d = xf::dequantizeWeight(c.codes, c.scales, c.zeroPoints,
                                            c.scheme, s.k, c.bits, c.group, j,
                                            p) -
                       w;
            rowError[j - j0] += d * d;
            rowNorm[j - j0] += w * w;
          }
        double error = 0, norm = 0;
        for (int64_t j = j0; j < j1; ++j) {
          error += rowError[j - j0];
          norm += rowNorm[j - j0];
        }
        c.error[chunk] = error;
        c.norm[chunk] = norm;
      },
      &c);
  double error = 0, norm = 0;
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    error += c.error[chunk];
    norm += c.norm[chunk];
  }
  return norm > 0 ? std::sqrt(error / norm) : 0;
}

struct QuantizeWeightsPass
    : xf::impl::QuantizeWeightsPassBase<QuantizeWeightsPass> {
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    if (bits != 8 && bits != 4) {
      getOperation().emitError() << "xf-quantize-weights: bits must be 8 or 4, not "
                                 << bits;
      return signalPassFailure();
    }
    if (headBits != 0 && headBits != 8 && headBits != 4) {
      getOperation().emitError()
          << "xf-quantize-weights: head-bits must be 0, 8 or 4, not " << headBits;
      return signalPassFailure();
    }
    if (groupSize < 0) {
      getOperation().emitError() << "xf-quantize-weights: group-size must be positive";
      return signalPassFailure();
    }
    if (scheme != "auto" && scheme != "symmetric" && scheme != "asymmetric") {
      getOperation().emitError() << "xf-quantize-weights: scheme must be auto, "
                                    "symmetric or asymmetric, not '"
                                 << scheme << "'";
      return signalPassFailure();
    }
    for (const std::string &kept : keepFp32)
      if (kept != "embeddings" && kept != "lm_head") {
        getOperation().emitError() << "xf-quantize-weights: keep-fp32 takes "
                                      "embeddings and lm_head, not '"
                                   << kept << "'";
        return signalPassFailure();
      }
    if (!calibration.empty() && failed(loadStatistics()))
      return signalPassFailure();
    SmallVector<XF::LinearOp> linears;
    getOperation().walk([&](XF::LinearOp op) { linears.push_back(op); });
    // One packed copy per weight value, however many layers read it.
    llvm::DenseMap<std::pair<Value, int64_t>, Quantized> done;
    SmallVector<Operation *> maybeDead;
    unsigned count = 0;
    for (XF::LinearOp op : linears) {
      if (!op.getInput().getType().getElementType().isF32())
        continue;
      Value weight = op.getWeight();
      // The LM head: its result is returned (the logits).
      bool isHead = llvm::any_of(op.getResult().getUsers(), [](Operation *user) {
        return isa<func::ReturnOp>(user);
      });
      if (isHead && llvm::is_contained(keepFp32, "lm_head"))
        continue;
      int64_t opBits = isHead && headBits ? headBits : bits;
      StringRef name = linearWeightName(weight);
      if (!name.empty() && llvm::is_contained(int8Weights, name))
        opBits = 8;
      int64_t group = groupSize > 0 ? groupSize : opBits == 8 ? 128 : 32;
      auto it = done.find({weight, opBits});
      if (it == done.end()) {
        std::optional<WeightSource> source = matchWeight(weight);
        if (!source)
          continue;
        it = done.try_emplace({weight, opBits},
                              quantize(*source, opBits, group))
                 .first;
        if (source->transpose)
          maybeDead.push_back(source->transpose);
        maybeDead.push_back(source->constant);
      }
      const Quantized &q = it->second;
      OpBuilder builder(op);
      auto qlinear = XF::QLinearOp::create(
          builder, op.getLoc(), op.getResult().getType(), op.getInput(),
          q.codes, q.scales, q.zeroPoints, op.getBias(),
          builder.getI64IntegerAttr(opBits), builder.getI64IntegerAttr(group),
          q.scheme == QuantScheme::Symmetric ? builder.getUnitAttr()
                                             : UnitAttr(),
          /*int8_activations=*/builder.getUnitAttr());
      SmallVector<NamedAttribute> info = {
          builder.getNamedAttr("weight", builder.getStringAttr(q.name)),
          builder.getNamedAttr("rel_rms_error",
                               builder.getF64FloatAttr(q.relRmsError))};
      if (q.relOutputError) {
        info.push_back(builder.getNamedAttr(
            "rel_output_error", builder.getF64FloatAttr(*q.relOutputError)));
        info.push_back(builder.getNamedAttr(
            "rel_output_error_rtn",
            builder.getF64FloatAttr(*q.relOutputErrorRtn)));
        info.push_back(
            builder.getNamedAttr("gptq", builder.getBoolAttr(q.gptq)));
        info.push_back(builder.getNamedAttr(
            "gptq_rows", builder.getI64IntegerAttr(q.gptqRows)));
      }
      qlinear->setAttr("xf.quantization", builder.getDictionaryAttr(info));
      op.getResult().replaceAllUsesWith(qlinear.getResult());
      op.erase();
      ++count;
    }
    unsigned tables = 0;
    if (!llvm::is_contained(keepFp32, "embeddings"))
      tables = quantizeEmbeddings(done, maybeDead);
    // The f32 weights nothing reads any more (a table kept f32 for a gather
    // stays).
    // Until none is left (a constant is dead only once the transposes that
    // read it are gone), each op erased once.
    SmallVector<Operation *> dead =
        llvm::SetVector<Operation *>(maybeDead.begin(), maybeDead.end())
            .takeVector();
    for (bool erased = true; erased;) {
      erased = false;
      for (Operation *&op : dead)
        if (op && op->use_empty()) {
          op->erase();
          op = nullptr;
          erased = true;
        }
    }
    LDBG() << "quantized " << count << " linear layers (" << calibrated
           << " with GPTQ) and " << tables << " embedding lookups";
    statistics.reset();
    gramsOf.clear();
    factors.clear();
  }

  /// Reads `calibration`: its xf.gram.* tensors, [K, K] f32 each, and the
  /// weights each one is for (metadata "<tensor>.weights", a JSON array).
  LogicalResult loadStatistics() {
    auto opened = xf::WeightsFile::open(calibration);
    if (!opened)
      return getOperation().emitError()
             << "xf-quantize-weights: calibration statistics: "
             << opened.error();
    // Each Gram matrix is read once (hessianOf), then its pages dropped; the
    // last copy of the pass to let go of the file unregisters it.
    statistics = std::shared_ptr<xf::WeightsFile>(
        new xf::WeightsFile(std::move(*opened)), [](xf::WeightsFile *file) {
          xf::unregisterFileBackedRange(file->fileData());
          delete file;
        });
    xf::registerFileBackedRange(statistics->fileData(),
                                statistics->fileSize());
    for (const xf::TensorView &tensor : statistics->tensors()) {
      StringRef name(tensor.name.data(), tensor.name.size());
      if (!name.starts_with("xf.gram."))
        continue;
      auto weights = statistics->metadata(std::string(name) + ".weights");
      std::optional<llvm::json::Value> parsed;
      if (weights) {
        auto value =
            llvm::json::parse(StringRef(weights->data(), weights->size()));
        if (value)
          parsed = std::move(*value);
        else
          consumeError(value.takeError());
      }
      const llvm::json::Array *array = parsed ? parsed->getAsArray() : nullptr;
      if (!array || tensor.dtype != xf::DType::F32 ||
          tensor.shape.size() != 2 || tensor.shape[0] != tensor.shape[1])
        return getOperation().emitError()
               << "xf-quantize-weights: " << calibration << ": " << name
               << " is not an f32 [K, K] matrix with a JSON array of weight "
                  "names in metadata '"
               << name << ".weights'";
      for (const llvm::json::Value &weight : *array)
        if (auto weightName = weight.getAsString())
          gramsOf[*weightName].push_back(&tensor);
    }
    return success();
  }

  // Shared: passes are copied, a mapped file is not.
  std::shared_ptr<xf::WeightsFile> statistics;
  llvm::StringMap<SmallVector<const xf::TensorView *>> gramsOf;
  std::map<std::string, std::optional<std::vector<float>>> factors;
  unsigned calibrated = 0;

  static bool sameWeight(const Quantized &q, const WeightSource &source) {
    if (!q.stored || !source.stored || q.n != source.n || q.k != source.k)
      return false;
    // One initializer read the same way (a tied table and head).
    if (q.stored == source.stored && q.format == source.format &&
        q.strideN == source.strideN && q.strideK == source.strideK)
      return true;
    // A copy (exporters untie tied weights into a transposed initializer).
    for (int64_t j = 0; j < q.n; ++j)
      for (int64_t p = 0; p < q.k; ++p)
        if (formatToFloat(q.format, q.stored, j * q.strideN + p * q.strideK) !=
            formatToFloat(source.format, source.stored,
                          j * source.strideN + p * source.strideK))
          return false;
    return true;
  }

  QuantScheme schemeFor(int64_t width) const {
    if (scheme == "symmetric" || (scheme == "auto" && width == 8))
      return QuantScheme::Symmetric;
    return QuantScheme::FloatZeroPoint;
  }

  /// Token embedding lookups, row gathers from a constant f32 [V, D] table
  /// (onnx.Gather on axis 0, xf.embedding) by ids that are a function
  /// argument (so not, say, a rope table read at computed positions) ->
  /// xf.qembedding on the table packed as the LM head is (its width and
  /// group size), reusing the head's packing when the table is tied to it.
  /// Returns how many were rewritten.
  unsigned quantizeEmbeddings(
      llvm::DenseMap<std::pair<Value, int64_t>, Quantized> &done,
      SmallVector<Operation *> &maybeDead) {
    int64_t width = headBits ? headBits : bits;
    int64_t group = groupSize > 0 ? groupSize : width == 8 ? 128 : 32;
    SmallVector<std::tuple<Operation *, Value, Value>> lookups;
    getOperation().walk([&](Operation *op) {
      if (auto gather = dyn_cast<ONNX::GatherOp>(op)) {
        auto ids = dyn_cast<RankedTensorType>(gather.getIndices().getType());
        if (gather.getAxis() == 0 && ids &&
            isa<IntegerType>(ids.getElementType())) {
          // A 16-bit table's rows widened by a Cast (xf-promote-to-f32):
          // the Cast is the f32 lookup.
          auto widen = gather->hasOneUse()
                           ? dyn_cast<ONNX::CastOp>(*gather->user_begin())
                           : ONNX::CastOp();
          if (widen && !getElementTypeOrSelf(gather.getType()).isF32()) {
            lookups.push_back({widen, gather.getData(), gather.getIndices()});
            maybeDead.push_back(gather);
          } else {
            lookups.push_back({op, gather.getData(), gather.getIndices()});
          }
        }
      } else if (auto embedding = dyn_cast<XF::EmbeddingOp>(op)) {
        lookups.push_back({op, embedding.getTable(), embedding.getIds()});
      }
    });
    unsigned count = 0;
    for (auto [op, table, ids] : lookups) {
      if (!isa<BlockArgument>(ids))
        continue;
      auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!resultType || !resultType.getElementType().isF32())
        continue;
      auto it = done.find({table, width});
      if (it == done.end()) {
        // A table stored transposed (Gather(Transpose(W [D, V])), the GenAI
        // builder's tied embedding) is read through its strides.
        std::optional<WeightSource> source = matchWeight(table);
        if (!source)
          continue;
        // An LM head stored as its own copy of the table (exporters untie
        // tied weights into a transposed initializer) shares its packing.
        it = llvm::find_if(done, [&](const auto &entry) {
          return entry.first.second == width &&
                 entry.second.group == group && sameWeight(entry.second, *source);
        });
        if (it == done.end())
          it = done.try_emplace({table, width},
                                quantize(*source, width, group))
                   .first;
        maybeDead.push_back(source->constant);
      }
      const Quantized &q = it->second;
      OpBuilder builder(op);
      auto lookup = XF::QEmbeddingOp::create(
          builder, op->getLoc(), resultType, ids, q.codes, q.scales,
          q.zeroPoints, builder.getI64IntegerAttr(width),
          builder.getI64IntegerAttr(group),
          q.scheme == QuantScheme::Symmetric ? builder.getUnitAttr()
                                             : UnitAttr());
      op->getResult(0).replaceAllUsesWith(lookup.getResult());
      op->erase();
      if (auto transpose = table.getDefiningOp<ONNX::TransposeOp>()) {
        maybeDead.push_back(transpose);
        if (Operation *constant = transpose.getData().getDefiningOp())
          maybeDead.push_back(constant);
      }
      ++count;
    }
    return count;
  }

  /// The summed Gram matrix of the inputs of `source` in the calibration
  /// statistics (empty without any, or when their K differs).
  std::vector<double> hessianOf(const WeightSource &source) const {
    auto it = gramsOf.find(source.name);
    if (it == gramsOf.end())
      return {};
    std::vector<double> hessian(source.k * source.k, 0.0);
    for (const xf::TensorView *gram : it->second) {
      if (gram->shape[0] != source.k)
        return {};
      const float *data = reinterpret_cast<const float *>(gram->data);
      for (int64_t i = 0; i < source.k * source.k; ++i)
        hessian[i] += data[i];
      xf::releaseWeightPages(gram->data, gram->length);
    }
    return hessian;
  }

  /// GPTQ's factor of `hessian`, computed once for the layers that share
  /// their inputs (q/k/v, gate/up).
  const std::optional<std::vector<float>> &
  factorOf(StringRef weight, const std::vector<double> &hessian, int64_t k) {
    std::string key;
    for (const xf::TensorView *gram : gramsOf.find(weight)->second)
      key += std::string(gram->name) + ";";
    auto it = factors.find(key);
    if (it == factors.end())
      it = factors.emplace(key, xf::gptqFactor(hessian.data(), k)).first;
    return it->second;
  }

  Quantized quantize(WeightSource &source, int64_t bits, int64_t group) {
    QuantScheme opScheme = schemeFor(bits);
    bool symmetric = opScheme == QuantScheme::Symmetric;
    OpBuilder builder(source.constant);
    Location loc = source.constant.getLoc();
    int64_t rowBytes = xf::quantizedRowBytes(source.k, bits);
    int64_t groups = (source.k + group - 1) / group;
    std::vector<uint8_t> codes(source.n * rowBytes);
    std::vector<float> scales(source.n * groups);
    std::vector<float> zeroPoints(symmetric ? 0 : source.n * groups);
    xf::quantizeWeights(source.data, source.strideN, source.strideK, source.n,
                        source.k, bits, group, opScheme, codes.data(),
                        scales.data(), symmetric ? nullptr : zeroPoints.data());
    Quantized q;
    if (std::vector<double> hessian = hessianOf(source); !hessian.empty()) {
      const std::optional<std::vector<float>> &factor =
          factorOf(source.name, hessian, source.k);
      if (factor) {
        // Output errors per row, a_j^T H a_j with a_j = row j of dW, by
        // rounding to nearest (the codes above) and by GPTQ; each row keeps
        // the packing of lower error (rows are independent in both).
        int64_t n = source.n, k = source.k, groups = (k + group - 1) / group;
        std::vector<float> h(hessian.begin(), hessian.end()), weight(n * k),
            delta(n * k);
        for (int64_t j = 0; j < n; ++j)
          for (int64_t p = 0; p < k; ++p)
            weight[j * k + p] =
                source.data[j * source.strideN + p * source.strideK];
        auto rowErrors = [&](const std::vector<uint8_t> &c,
                             const std::vector<float> &s,
                             const std::vector<float> &z) {
          for (int64_t j = 0; j < n; ++j)
            for (int64_t p = 0; p < k; ++p)
              delta[j * k + p] =
                  xf::dequantizeWeight(c.data(), s.data(),
                                       symmetric ? nullptr : z.data(),
                                       opScheme, k, bits, group, j, p) -
                  weight[j * k + p];
          return xf::gramWeightedRowNorms(delta.data(), n, k, h.data());
        };
        std::vector<double> rtn = rowErrors(codes, scales, zeroPoints);
        std::vector<uint8_t> gptqCodes(codes.size());
        std::vector<float> gptqScales(scales.size()),
            gptqZeroPoints(zeroPoints.size());
        xf::quantizeWeightsGPTQ(weight.data(), k, 1, n, k, bits, group,
                                opScheme, *factor, gptqCodes.data(),
                                gptqScales.data(),
                                symmetric ? nullptr : gptqZeroPoints.data());
        std::vector<double> gptq =
            rowErrors(gptqCodes, gptqScales, gptqZeroPoints);
        // GPTQ is greedy: rounding to nearest can be better, as for weights
        // already on the grid (a model converted from a Q4_1 file).
        double norm = 0, errorRtn = 0, error = 0;
        std::vector<double> norms =
            xf::gramWeightedRowNorms(weight.data(), n, k, h.data());
        for (int64_t j = 0; j < n; ++j) {
          norm += norms[j];
          errorRtn += rtn[j];
          if (!(gptq[j] < rtn[j])) {
            error += rtn[j];
            continue;
          }
          error += gptq[j];
          ++q.gptqRows;
          std::copy_n(&gptqCodes[j * rowBytes], rowBytes, &codes[j * rowBytes]);
          std::copy_n(&gptqScales[j * groups], groups, &scales[j * groups]);
          if (!symmetric)
            std::copy_n(&gptqZeroPoints[j * groups], groups,
                        &zeroPoints[j * groups]);
        }
        auto relative = [&](double e) {
          return norm > 0 ? std::sqrt(std::max(e, 0.0) / norm) : 0.0;
        };
        q.relOutputErrorRtn = relative(errorRtn);
        q.relOutputError = relative(error);
        q.gptq = q.gptqRows > 0;
        ++calibrated;
      } else {
        source.constant.emitWarning()
            << "xf-quantize-weights: the calibration inputs of " << source.name
            << " give no positive definite Gram matrix; rounding to nearest";
      }
    }
    q.name = source.name;
    q.scheme = opScheme;
    q.group = group;
    if (source.stored) {
      q.stored = source.stored;
      q.format = source.format;
      q.n = source.n;
      q.k = source.k;
      q.strideN = source.strideN;
      q.strideK = source.strideK;
    }
    q.relRmsError = relativeRmsError(source, codes.data(), scales.data(),
                                     symmetric ? nullptr : zeroPoints.data(),
                                     opScheme, bits, group);
    // Read for the last time, unless a tied table is compared with it
    // (16-bit sources were released once widened).
    if (source.format == FloatFormat::F32 && source.stored)
      xf::releaseWeightPages(source.data, source.n * source.k * sizeof(float));
    Type i8 = builder.getI8Type();
    auto asI8 = [](const std::vector<uint8_t> &v) {
      return ArrayRef<int8_t>(reinterpret_cast<const int8_t *>(v.data()),
                              v.size());
    };
    std::string base = source.name + (bits == 8 ? ".q8" : ".q4");
    q.codes = createResourceConstant<int8_t>(
        builder, loc, RankedTensorType::get({source.n, rowBytes}, i8), base,
        asI8(codes));
    q.scales = createResourceConstant<float>(
        builder, loc,
        RankedTensorType::get({source.n, groups}, builder.getF32Type()),
        base + ".scales", scales);
    if (!symmetric)
      q.zeroPoints = createResourceConstant<float>(
          builder, loc,
          RankedTensorType::get({source.n, groups}, builder.getF32Type()),
          base + ".zero_points", zeroPoints);
    return q;
  }
};

} // namespace
