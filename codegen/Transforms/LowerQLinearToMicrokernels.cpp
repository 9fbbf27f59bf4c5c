//===- LowerQLinearToMicrokernels.cpp - xf.qlinear -> xfrt_qmatmul_f32 ----===//
//
// Replaces each f32 xf.qlinear (f32 scales, an input of rank >= 2) with a
// call of the runtime's quantized matmul (runtime/include/xf/Kernels.h),
// before bufferization: every operand becomes a buffer through
// `bufferization.to_buffer read_only` (identity layout, so the input's
// leading dimensions are M contiguous rows; arguments and fresh results need
// no copy), the result is a fresh zero-filled [..., N] allocation that the
// call accumulates into, handed back as a tensor by
// `bufferization.to_tensor restrict writable`.
// A bias becomes an onnx.Add after it. Running before bufferization (rather
// than matching the reference lowering's decode-in-the-body linalg.generic
// on buffers afterwards) keeps the match exact and leaves nothing for
// elementwise fusion to fuse into: a call is opaque to it.
//
//===----------------------------------------------------------------------===//

#include "codegen/Passes.h"
#include "codegen/Transforms/Microkernels.h"

#include "dialects/ONNX/IR/ONNXOps.h"
#include "dialects/XF/IR/XFOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-lower-qlinear-to-microkernels"

namespace xf {
#define GEN_PASS_DEF_LOWERQLINEARTOMICROKERNELSPASS
#include "codegen/Passes.h.inc"
} // namespace xf

using namespace mlir;

namespace {
bool isSupported(xf::XF::QLinearOp op) {
  auto input = op.getInput().getType();
  // Float zero points have the scales' type (the verifier checks), so f32.
  return input.getRank() >= 2 && input.getElementType().isF32() &&
         op.getScales().getType().getElementType().isF32();
}

/// A read-only buffer of `tensor` with the identity layout: what
/// one-shot bufferization gives function arguments (xfc bufferizes function
/// boundaries with identity layouts) and fresh results, so no copy then; a
/// buffer of another layout (a strided slice) is copied into a contiguous one.
Value toBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  auto memrefType = MemRefType::get(type.getShape(), type.getElementType());
  return bufferization::ToBufferOp::create(b, loc, memrefType, tensor,
                                           /*read_only=*/true);
}

void lower(xf::XF::QLinearOp op, func::FuncOp kernel) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  Type i64 = b.getI64Type();
  auto toI64 = [&](Value index) -> Value {
    return arith::IndexCastOp::create(b, loc, i64, index);
  };

  // The input [..., K] and result [..., N] as identity-layout buffers: their
  // leading dimensions are one dimension M of contiguous rows. (No reshape:
  // expand-strided-metadata cannot take an expand_shape with two dynamic
  // sizes in one group, as [?, ?, K] has.)
  Value input = op.getInput();
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  auto outType = op.getResult().getType();
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (outType.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(b, loc, input, d));
  if (outType.isDynamicDim(rank - 1))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, op.getWeight(), 0));
  auto resultType = MemRefType::get(outType.getShape(), b.getF32Type());
  Value result = memref::AllocOp::create(b, loc, resultType, dynamicSizes);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
  // The kernel accumulates.
  linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{result});

  // Per operand: the address of its first element and its row stride.
  SmallVector<Value> arguments;
  auto addressAndStride = [&](Value memref, int64_t elementBytes) {
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Value aligned =
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    Value offsetBytes = arith::MulIOp::create(
        b, loc, metadata.getOffset(),
        arith::ConstantIndexOp::create(b, loc, elementBytes));
    arguments.push_back(
        toI64(arith::AddIOp::create(b, loc, aligned, offsetBytes)));
    auto strides = metadata.getStrides();
    arguments.push_back(toI64(strides[strides.size() - 2]));
  };
  Value a = toBuffer(b, loc, input);
  Value m = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t d = 0; d + 1 < rank; ++d)
    m = arith::MulIOp::create(b, loc, m, memref::DimOp::create(b, loc, a, d));
  arguments.push_back(toI64(m));
  arguments.push_back(toI64(memref::DimOp::create(b, loc, result, rank - 1)));
  arguments.push_back(toI64(memref::DimOp::create(b, loc, a, rank - 1)));
  addressAndStride(a, 4);
  addressAndStride(toBuffer(b, loc, op.getWeight()), 1);
  addressAndStride(toBuffer(b, loc, op.getScales()), 4);
  bool floatZeroPoints = false;
  if (TypedValue<RankedTensorType> zeroPoints = op.getZeroPoints()) {
    floatZeroPoints = isa<FloatType>(zeroPoints.getType().getElementType());
    addressAndStride(toBuffer(b, loc, zeroPoints), floatZeroPoints ? 4 : 1);
  } else {
    Value none = arith::ConstantIntOp::create(b, loc, i64, 0);
    arguments.append({none, none});
  }
  arguments.push_back(
      arith::ConstantIntOp::create(b, loc, i64, floatZeroPoints ? 1 : 0));
  arguments.push_back(arith::ConstantIntOp::create(
      b, loc, i64, static_cast<int64_t>(op.getBits())));
  arguments.push_back(arith::ConstantIntOp::create(
      b, loc, i64, static_cast<int64_t>(op.getGroupSize())));
  addressAndStride(result, 4);
  // How A may be rounded (xfrt_qmatmul_f32): 0 in decode only, 1 always,
  // 2 never.
  arguments.push_back(arith::ConstantIntOp::create(
      b, loc, i64,
      op.getInt8Activations() ? 1 : op.getExactActivations() ? 2 : 0));
  assert(arguments.size() == kKernelArguments);
  func::CallOp::create(b, loc, kernel, arguments);

  Value out = bufferization::ToTensorOp::create(
      b, loc, outType, result, /*restrict=*/true, /*writable=*/true);
  if (Value bias = op.getBias())
    out = xf::ONNX::AddOp::create(b, loc, outType, out, bias);
  op.getResult().replaceAllUsesWith(out);
  op.erase();
}

struct LowerQLinearToMicrokernelsPass
    : xf::impl::LowerQLinearToMicrokernelsPassBase<
          LowerQLinearToMicrokernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<xf::XF::QLinearOp> ops;
    module.walk([&](xf::XF::QLinearOp op) {
      if (isSupported(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;
    func::FuncOp kernel =
        xf::getOrInsertMicrokernel(module, xf::Microkernel::QMatmulF32);
    for (xf::XF::QLinearOp op : ops) {
      LDBG() << "calling " << kernel.getSymName() << " for " << op;
      lower(op, kernel);
    }
  }
};
} // namespace
