//===- QuantizedOpRaising.cpp - com.microsoft.MatMulNBits -> xf.qlinear ---===//
//
// MatMulNBits (onnxruntime contrib, since 1.17): Y = A x dequant(B)^T with
//
//   B            uint8 [N, n_blocks, blob], blob = block_size * bits / 8:
//                row n's codes along K, two per byte low nibble first (4 bits)
//   scales       [N * n_blocks] (or [N, n_blocks]), A's float type
//   zero_points  optional: uint8 [N * ceil(n_blocks * bits / 8)], packed as
//                B is, or A's float type [N * n_blocks]; default 2^(bits-1)
//   g_idx        optional, act-order group index: refused
//   bias         optional [N]
//   w[n, k] = (q[n, k] - zero_point[n, k / block_size]) * scale[n, ...]
//
// which is xf.qlinear with group_size = block_size, codes [N, ceil(K * bits
// / 8)] (B's rows cut to K), zero points one per byte; without zero points
// the codes are flipped to signed ones (q - 2^(bits-1): the top bit of each
// code inverted) and the layer is symmetric. The codes are repacked at
// compile time, so B, scales and zero points must be constants.
// accuracy_level says how exactly A may be computed: 4 lets onnxruntime round
// it to int8, which xf.qlinear's decode kernels do too (llama.cpp's Q8
// activations); below 4 (0 = unset, f32, f16, bf16) onnxruntime keeps A in
// floating point, and the layer gets `exact_activations`.
//
//===----------------------------------------------------------------------===//

#include "passes/Fusion/Fusion.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/ONNX/IR/QLinearPacking.h"
#include "dialects/XF/IR/XFOps.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstring>

using namespace mlir;
namespace ONNX = xf::ONNX;
namespace XF = xf::XF;

namespace {

struct MatMulNBitsPattern : OpRewritePattern<ONNX::MatMulNBitsOp> {
  MatMulNBitsPattern(MLIRContext *context,
                     std::function<void(Operation *, StringRef)> refuse)
      : OpRewritePattern(context), refuse(std::move(refuse)) {}

  std::function<void(Operation *, StringRef)> refuse;

  LogicalResult fail(ONNX::MatMulNBitsOp op, PatternRewriter &rewriter,
                     const Twine &why) const {
    std::string text = why.str();
    if (refuse)
      refuse(op, text);
    return rewriter.notifyMatchFailure(op, text);
  }

  LogicalResult matchAndRewrite(ONNX::MatMulNBitsOp op,
                                PatternRewriter &rewriter) const override {
    int64_t k = op.getK(), n = op.getN(), bits = op.getBits(),
            blockSize = op.getBlockSize();
    if (bits != 4 && bits != 8)
      return fail(op, rewriter,
                  llvm::formatv("{0}-bit weights are not supported (4 and 8 "
                                "are)",
                                bits));
    if (k <= 0 || n <= 0 || blockSize <= 0)
      return fail(op, rewriter, "K, N and block_size must be positive");
    if (op.getGIdx())
      return fail(op, rewriter, "g_idx (act-order groups) is not supported");
    auto aType = dyn_cast<RankedTensorType>(op.getA().getType());
    if (!aType || aType.getRank() < 2 || aType.getShape().back() != k)
      return fail(op, rewriter,
                  llvm::formatv("A must be a float tensor of rank >= 2 with "
                                "K = {0} columns",
                                k));
    Type scaleType = cast<TensorType>(op.getScales().getType()).getElementType();
    if (!scaleType.isF32() && !scaleType.isF16())
      return fail(op, rewriter, "scales must be f32 or f16");

    int64_t groups = (k + blockSize - 1) / blockSize;
    int64_t blob = blockSize * bits / 8;
    int64_t rowBytes = (k * bits + 7) / 8;
    std::optional<std::vector<char>> codes = xf::constantBytes(op.getB());
    std::optional<std::vector<char>> scales = xf::constantBytes(op.getScales());
    if (!codes || !scales)
      return fail(op, rewriter, "B and scales must be initializers");
    int64_t scaleBytes = scaleType.isF32() ? 4 : 2;
    if (int64_t(codes->size()) != n * groups * blob ||
        int64_t(scales->size()) != n * groups * scaleBytes)
      return fail(op, rewriter,
                  llvm::formatv("B has {0} bytes and scales {1} where K = {2}, "
                                "N = {3}, block_size = {4} need {5} and {6}",
                                codes->size(), scales->size(), k, n, blockSize,
                                n * groups * blob, n * groups * scaleBytes));

    // Names for the repacked constants: B's initializer name when it has one.
    std::string base = "matmul_nbits";
    if (auto constant = op.getB().getDefiningOp<ONNX::ConstantOp>())
      if (auto resource =
              dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
        base = resource.getRawHandle().getKey().str();
    base += bits == 4 ? ".q4" : ".q8";

    Location loc = op.getLoc();
    Value zeroPointsIn = op.getZeroPoints();
    bool symmetric = !zeroPointsIn;
    std::vector<int8_t> packed(n * rowBytes);
    for (int64_t j = 0; j < n; ++j)
      std::memcpy(&packed[j * rowBytes], codes->data() + j * groups * blob,
                  rowBytes);
    if (symmetric) {
      // q - 2^(bits-1) in two's complement: the top bit of each code flipped.
      uint8_t flip = bits == 4 ? 0x88 : 0x80;
      for (int8_t &byte : packed)
        byte = int8_t(uint8_t(byte) ^ flip);
    }
    Type i8 = rewriter.getI8Type();
    auto groupType = RankedTensorType::get({n, groups}, scaleType);

    Value zeroPoints;
    if (!symmetric) {
      std::optional<std::vector<char>> zp = xf::constantBytes(zeroPointsIn);
      if (!zp)
        return fail(op, rewriter, "zero_points must be an initializer");
      Type zpType = cast<TensorType>(zeroPointsIn.getType()).getElementType();
      if (isa<FloatType>(zpType)) {
        if (zpType != scaleType ||
            int64_t(zp->size()) != n * groups * scaleBytes)
          return fail(op, rewriter,
                      "float zero_points must have the scales' type and size");
        AsmResourceBlob zpBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
            ArrayRef<char>(*zp), alignof(float));
        zeroPoints = ONNX::ConstantOp::create(
            rewriter, loc,
            DenseResourceElementsAttr::get(groupType, base + ".zero_points",
                                           std::move(zpBlob)));
      } else {
        int64_t zpRowBytes = (groups * bits + 7) / 8;
        if (int64_t(zp->size()) != n * zpRowBytes)
          return fail(op, rewriter,
                      llvm::formatv("zero_points has {0} bytes, not {1}",
                                    zp->size(), n * zpRowBytes));
        std::vector<int8_t> unpacked(n * groups);
        for (int64_t j = 0; j < n; ++j)
          for (int64_t g = 0; g < groups; ++g) {
            const char *row = zp->data() + j * zpRowBytes;
            unpacked[j * groups + g] =
                int8_t(bits == 4 ? xf::packedNibble(row, g) : uint8_t(row[g]));
          }
        zeroPoints = xf::createResourceConstant<int8_t>(
            rewriter, loc, RankedTensorType::get({n, groups}, i8),
            base + ".zero_points", unpacked);
      }
    }

    Value codesValue = xf::createResourceConstant<int8_t>(
        rewriter, loc, RankedTensorType::get({n, rowBytes}, i8), base, packed);
    AsmResourceBlob scaleBlob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        ArrayRef<char>(*scales), alignof(float));
    Value scalesValue = ONNX::ConstantOp::create(
        rewriter, loc,
        DenseResourceElementsAttr::get(groupType, base + ".scales",
                                       std::move(scaleBlob)));
    auto qlinear = XF::QLinearOp::create(
        rewriter, loc, op.getType(), op.getA(), codesValue, scalesValue,
        zeroPoints, op.getBias(), rewriter.getI64IntegerAttr(bits),
        rewriter.getI64IntegerAttr(blockSize),
        symmetric ? rewriter.getUnitAttr() : UnitAttr(),
        /*int8_activations=*/UnitAttr(),
        /*exact_activations=*/op.getAccuracyLevel() < 4 ? rewriter.getUnitAttr()
                                                       : UnitAttr());
    rewriter.replaceOp(op, qlinear.getResult());
    return success();
  }
};

} // namespace

void xf::populateQuantizedOpRaisingPatterns(
    RewritePatternSet &patterns,
    std::function<void(Operation *, StringRef)> refuse) {
  patterns.add<MatMulNBitsPattern>(patterns.getContext(), std::move(refuse));
}
