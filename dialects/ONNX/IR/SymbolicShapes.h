//===- SymbolicShapes.h - dynamic dimensions as symbolic sums --*- C++ -*-===//
//
// A dimension that is `?` at compile time is still often known relative to
// others: the sequence length of a residual add is the sequence length of
// `input_ids`, whatever it is at run time. SymbolicShapeAnalysis expresses
// every dimension of a value, and every element of a small integer tensor
// (the shape computations exporters write), as a sum of symbols with
// integer coefficients plus a constant. Symbols are the dimensions of the
// function's arguments (or their ONNX dim_param names, once the function
// checks them at entry) and opaque symbols for whatever cannot be followed.
//
// Two equal sums are equal at run time; that is what the lowerings use to
// leave a broadcast unchecked, and what onnx-infer-shapes uses to make a
// dimension static. Every rule below is a consequence of the op's ONNX
// semantics once its shape rules hold at run time; the lowerings check at
// run time whatever they do not prove, so the rules may rely on them.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECTS_ONNX_IR_SYMBOLICSHAPES_H
#define XF_DIALECTS_ONNX_IR_SYMBOLICSHAPES_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace xf::ONNX {

/// A sum of symbolic sizes with integer coefficients plus a constant.
/// Symbols are (tensor, dimension) pairs for dimensions, (value, -1 - element)
/// for an integer tensor's element that cannot be followed, and
/// (dim_param name, kDimParamSymbol) for named dimensions of checked
/// functions.
struct SymbolicInt {
  using Symbol = std::pair<const void *, int64_t>;
  std::map<Symbol, int64_t> terms;
  int64_t constant = 0;

  static SymbolicInt of(int64_t value);
  static SymbolicInt of(Symbol symbol);

  SymbolicInt &operator+=(const SymbolicInt &other);
  SymbolicInt scaled(int64_t factor) const;
  bool isConstant() const;
  /// The value, if the sum has no symbols.
  std::optional<int64_t> getConstant() const;
  /// Whether the sum is at least 0 for any sizes: every coefficient and the
  /// constant are (dimensions are never negative).
  bool isNonNegative() const;
  bool operator==(const SymbolicInt &other) const;
  bool operator!=(const SymbolicInt &other) const { return !(*this == other); }
};

SymbolicInt operator-(const SymbolicInt &lhs, const SymbolicInt &rhs);
SymbolicInt operator+(const SymbolicInt &lhs, const SymbolicInt &rhs);

/// The second half of the symbol of a named dimension.
inline constexpr int64_t kDimParamSymbol = INT64_MIN;

/// Argument attribute: the dimensions of the argument that are at least 1
/// on every call (the token ids of a language-model program: it never runs
/// an empty batch or sequence). `xf-check-dim-params` checks it on entry;
/// the analysis relies on it where a size of 0 would change an op's meaning
/// (a Reshape target entry of 0 copies the input's size).
inline constexpr llvm::StringLiteral kPositiveDimsAttr = "xf.positive_dims";

/// Function attribute that `xf-check-dim-params` sets once the function
/// checks, on entry, that its arguments' dimensions of one ONNX dim_param
/// name agree: an array with one array of names (StringAttr, "" for none)
/// per argument. Only then does the analysis take such dimensions to be one
/// symbol.
inline constexpr llvm::StringLiteral kCheckedDimParamsAttr =
    "xf.checked_dim_params";

/// Function attribute (unit) of a function whose pipeline checks its
/// dim_params on entry later, after passes that change its signature
/// (xfc's: xf-check-dim-params runs in the CPU pipeline): until then the
/// analysis reads the names from each argument's `onnx.dim_params`, which
/// move with the arguments.
inline constexpr llvm::StringLiteral kDimParamsCheckedLaterAttr =
    "xf.dim_params_checked_later";

class SymbolicShapeAnalysis {
public:
  /// Where a dimension of a result of an op the analysis does not know (an
  /// `xf` op, say) comes from: dimension `second` of value `first`.
  using DimSource = std::pair<mlir::Value, int64_t>;
  using ForeignDimRule =
      std::function<std::optional<DimSource>(mlir::OpResult, int64_t)>;

  explicit SymbolicShapeAnalysis(ForeignDimRule foreignRule = nullptr)
      : foreignRule(std::move(foreignRule)) {}

  /// Dimension `dim` of the ranked tensor `value`.
  SymbolicInt getDim(mlir::Value value, int64_t dim);

  /// Element `index` (row-major) of the integer tensor `value`; a one-element
  /// tensor gives its element for any index (as broadcasting reads it).
  SymbolicInt getElement(mlir::Value value, int64_t index = 0);

  /// The value of an `index` or integer scalar computed with arith and
  /// tensor.dim (what lowered code sizes tensors with).
  SymbolicInt getIndexValue(mlir::Value value);

  /// Whether dimension `lhsDim` of `lhs` equals dimension `rhsDim` of `rhs`
  /// at run time.
  bool provenEqual(mlir::Value lhs, int64_t lhsDim, mlir::Value rhs,
                   int64_t rhsDim) {
    return getDim(lhs, lhsDim) == getDim(rhs, rhsDim);
  }

  /// Whether `value` is at least 1 for any sizes: no negative coefficient
  /// or constant, and a positive constant or a symbol that is a dimension
  /// marked with kPositiveDimsAttr (or a name such a dimension carries).
  bool isPositive(const SymbolicInt &value);

  /// Readable form of a sum for diagnostics and tests: `%arg0.d1`,
  /// `batch`, `2*%arg1.d0 + 1`, `?3` for an opaque symbol.
  std::string print(const SymbolicInt &value);

private:
  SymbolicInt computeDim(mlir::Value value, int64_t dim);
  SymbolicInt computeElement(mlir::Value value, int64_t index);
  SymbolicInt opaqueDim(mlir::Value value, int64_t dim);
  SymbolicInt opaqueElement(mlir::Value value, int64_t index);
  /// Dimension `dim` of a numpy broadcast of `operands` of result rank
  /// `rank`; the result's own opaque symbol when the operands' non-unit
  /// sizes are not all one sum.
  SymbolicInt broadcastDim(mlir::Value result, mlir::ValueRange operands,
                           int64_t dim);
  /// `dim` of `result` as the numpy broadcast of the given (operand, its
  /// dimension) reads; a negative dimension is a missing one.
  SymbolicInt broadcastOf(
      mlir::Value result, int64_t dim,
      llvm::ArrayRef<std::pair<mlir::Value, int64_t>> reads);
  /// Reshape's `-1`: the input's element count divided by the known
  /// entries', when that cancels to one sum.
  std::optional<SymbolicInt>
  inferredReshapeDim(mlir::Value input, llvm::ArrayRef<SymbolicInt> known);

  ForeignDimRule foreignRule;
  llvm::DenseMap<std::pair<mlir::Value, int64_t>, SymbolicInt> dims, elements;
  /// Opaque symbols in the order they were first printed, for stable names.
  llvm::DenseMap<const void *, unsigned> opaqueNames;
  /// Names of dimensions marked positive, as their symbols were made.
  llvm::SmallPtrSet<const void *, 4> positiveNames;
  llvm::SmallPtrSet<mlir::Operation *, 2> namesSeen;
  /// Guards against cycles (graph regions) and very deep chains.
  unsigned depth = 0;
};

/// Whether the products of `lhs` and `rhs` are equal for any sizes: equal
/// symbolic factors (up to a constant multiple) cancel and the constants
/// that remain multiply to the same number (a Reshape's element count).
bool provenSameProduct(llvm::ArrayRef<SymbolicInt> lhs,
                       llvm::ArrayRef<SymbolicInt> rhs);

/// Element `index` of the integer tensor `value` with a fresh analysis;
/// for matchers that run while the IR changes under them.
SymbolicInt getSymbolicInt(mlir::Value value, int64_t index = 0);

/// Dimension `dim` of `value` with a fresh analysis.
SymbolicInt getSymbolicDim(mlir::Value value, int64_t dim);

} // namespace xf::ONNX

#endif // XF_DIALECTS_ONNX_IR_SYMBOLICSHAPES_H
