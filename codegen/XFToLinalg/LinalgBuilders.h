//===- LinalgBuilders.h - helpers shared by the xf lowerings ---*- C++ -*-===//

#ifndef XF_CODEGEN_XFTOLINALG_LINALGBUILDERS_H
#define XF_CODEGEN_XFTOLINALG_LINALGBUILDERS_H

#include "codegen/ONNXToLinalg/ScalarBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace xf {

using ScalarBodyBuilder =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location,
                                   mlir::ValueRange)>;

/// The type xf ops compute in: "at least f32", so f16 and bf16 widen to f32
/// and f32/f64 stay.
inline mlir::FloatType getComputeType(mlir::Type elementType) {
  auto floatType = mlir::cast<mlir::FloatType>(elementType);
  if (floatType.getWidth() >= 32)
    return floatType;
  return mlir::Float32Type::get(elementType.getContext());
}

/// tensor.empty of `sizes` (static or dynamic) and `elementType`.
inline mlir::Value createEmpty(mlir::OpBuilder &b, mlir::Location loc,
                               llvm::ArrayRef<mlir::OpFoldResult> sizes,
                               mlir::Type elementType) {
  return mlir::tensor::EmptyOp::create(b, loc, sizes, elementType);
}

/// A tensor of `sizes` filled with the float `value`.
inline mlir::Value createFilled(mlir::OpBuilder &b, mlir::Location loc,
                                llvm::ArrayRef<mlir::OpFoldResult> sizes,
                                mlir::FloatType elementType, double value) {
  mlir::Value init = createFloatConstant(b, loc, elementType, value);
  return mlir::linalg::FillOp::create(b, loc, init,
                                      createEmpty(b, loc, sizes, elementType))
      .getResult(0);
}

/// `size` (an index) as a scalar of the float `type`.
inline mlir::Value indexToFloat(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::OpFoldResult size,
                                mlir::FloatType type) {
  mlir::Value index = mlir::getValueOrCreateConstantIndexOp(b, loc, size);
  mlir::Value asInt =
      mlir::arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return mlir::arith::SIToFPOp::create(b, loc, type, asInt);
}

/// The map from `numLoops` loops to the loops listed in `dims`.
inline mlir::AffineMap getProjection(mlir::OpBuilder &b, unsigned numLoops,
                                     llvm::ArrayRef<unsigned> dims) {
  llvm::SmallVector<mlir::AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(b.getAffineDimExpr(d));
  return mlir::AffineMap::get(numLoops, 0, exprs, b.getContext());
}

/// The map from `numLoops` loops to the first `count` of them.
inline mlir::AffineMap getLeadingMap(mlir::OpBuilder &b, unsigned numLoops,
                                     unsigned count) {
  llvm::SmallVector<unsigned> dims;
  for (unsigned d = 0; d < count; ++d)
    dims.push_back(d);
  return getProjection(b, numLoops, dims);
}

/// A linalg.generic writing one tensor of `sizes` and `elementType` through
/// `maps.back()` (the inputs' maps come first); `init`, if given, is the
/// initial value of the output, else it starts empty. `body` gets the
/// input elements and the output element and returns the value to yield.
inline mlir::Value
buildGeneric(mlir::OpBuilder &b, mlir::Location loc,
             llvm::ArrayRef<mlir::OpFoldResult> sizes, mlir::Type elementType,
             mlir::ValueRange inputs, llvm::ArrayRef<mlir::AffineMap> maps,
             llvm::ArrayRef<mlir::utils::IteratorType> iterators,
             ScalarBodyBuilder body, mlir::Value init = {}) {
  if (!init)
    init = createEmpty(b, loc, sizes, elementType);
  return mlir::linalg::GenericOp::create(
             b, loc, init.getType(), inputs, init, maps, iterators,
             [&](mlir::OpBuilder &nested, mlir::Location nestedLoc,
                 mlir::ValueRange args) {
               mlir::linalg::YieldOp::create(nested, nestedLoc,
                                             body(nested, nestedLoc, args));
             })
      .getResult(0);
}

/// An all-parallel linalg.generic over `sizes` whose output map is the
/// identity.
inline mlir::Value buildMap(mlir::OpBuilder &b, mlir::Location loc,
                            llvm::ArrayRef<mlir::OpFoldResult> sizes,
                            mlir::Type elementType, mlir::ValueRange inputs,
                            llvm::ArrayRef<mlir::AffineMap> inputMaps,
                            ScalarBodyBuilder body) {
  llvm::SmallVector<mlir::AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(sizes.size()));
  llvm::SmallVector<mlir::utils::IteratorType> iterators(
      sizes.size(), mlir::utils::IteratorType::parallel);
  return buildGeneric(b, loc, sizes, elementType, inputs, maps, iterators,
                      body);
}

/// Builds the element of a row gather at (row, column) of the table.
using RowElementBuilder = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::Value row, mlir::Value column)>;

/// A gather of table rows by `ids` ([...] integer): the result is ids'
/// shape plus one dimension of `columns`, and element (..., c) is
/// `element(row, c)` with row = ids[...] clamped into [0, rows - 1] (an
/// out-of-range id reads the nearest row rather than memory past the table).
inline mlir::Value buildRowGather(mlir::OpBuilder &b, mlir::Location loc,
                                  mlir::Value ids, mlir::Value rows,
                                  mlir::OpFoldResult columns,
                                  mlir::Type elementType,
                                  RowElementBuilder element) {
  unsigned idsRank = llvm::cast<mlir::RankedTensorType>(ids.getType()).getRank();
  llvm::SmallVector<mlir::OpFoldResult> sizes =
      mlir::tensor::getMixedSizes(b, loc, ids);
  sizes.push_back(columns);
  mlir::Value lastRow = mlir::arith::SubIOp::create(
      b, loc, rows, mlir::arith::ConstantIndexOp::create(b, loc, 1));
  return buildMap(
      b, loc, sizes, elementType, ids, getLeadingMap(b, idsRank + 1, idsRank),
      [&](mlir::OpBuilder &nb, mlir::Location nl,
          mlir::ValueRange args) -> mlir::Value {
        mlir::Value id = mlir::arith::IndexCastOp::create(
            nb, nl, nb.getIndexType(), args[0]);
        id = mlir::arith::MaxSIOp::create(
            nb, nl, id, mlir::arith::ConstantIndexOp::create(nb, nl, 0));
        id = mlir::arith::MinSIOp::create(nb, nl, id, lastRow);
        return element(nb, nl, id,
                       mlir::linalg::IndexOp::create(nb, nl, idsRank));
      });
}

} // namespace xf

#endif // XF_CODEGEN_XFTOLINALG_LINALGBUILDERS_H
