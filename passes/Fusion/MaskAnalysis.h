//===- MaskAnalysis.h - what an attention's masks compute ------*- C++ -*-===//
//
// Exporters build attention masks in many forms: Trilu of a filled matrix,
// comparisons of position ranges, a sliced lower-triangular buffer,
// products like (1 - tril * attention_mask) * finfo.min, ScatterND into a
// slice, Concat of a zero block for the past; torch's vmap'ed mask
// functions, And-ed with padding and sliding-window conditions. Instead of
// recognizing each form, the analysis evaluates the mask subgraph
// symbolically: every element of the mask becomes an expression of the
// score indices (batch b, head h, query i, key j) over affine comparisons
// of those indices ("atoms") and opaque leaves (a graph input's elements).
// It then evaluates the masks for every truth assignment of the atoms and
// proves that a key is visible exactly when a conjunction of atoms holds,
// each atom being the causal condition j <= i + (Skv - Sq) or a sliding
// window (Skv - Sq + i) - j < W; other atoms of the conjunction (a padding
// input) make a residual that the caller keeps as an operand. Anything else
// (a bias, a condition it cannot follow) is reported as not proven, and the
// caller keeps the masks as an additive operand, which is exact.
//
//===----------------------------------------------------------------------===//

#ifndef XF_PASSES_FUSION_MASKANALYSIS_H
#define XF_PASSES_FUSION_MASKANALYSIS_H

#include "dialects/ONNX/IR/SymbolicShapes.h"

#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"

#include <optional>
#include <string>

namespace xf::fusion {

/// Masks push a score at least this far down. Any such value makes
/// exp(masked - max) exactly 0 in f32 next to one visible score of ordinary
/// size, so replacing a score by it, adding it, or dropping the key from the
/// softmax give the same probabilities.
inline constexpr double kMaskThreshold = -1.0e4;

/// One mask the scores pass through on their way to the softmax.
struct MaskTerm {
  enum class Kind {
    /// scores + value
    Additive,
    /// Where(value, scores, fill), or Where(value, fill, scores) when
    /// `negated`: scores where the condition (negated) holds, else fill.
    Keep,
  };
  Kind kind;
  mlir::Value value;
  bool negated = false;
  double fill = 0.0;
  /// The product of the constant factors the scores are multiplied by after
  /// this mask was applied: the mask's effective size is multiplied by it.
  double outerScale = 1.0;
};

/// What the masks of an attention amount to.
struct MaskSemantics {
  /// Key j is visible to query i only if j <= i + (Skv - Sq).
  bool causal = false;
  /// If positive, key j is visible to query i only if
  /// (Skv - Sq + i) - j < window.
  int64_t window = 0;
  /// Empty when `causal` and `window` say everything. Otherwise the reason
  /// the masks also keep keys by other conditions (a padding input, say):
  /// the masks must then stay an operand, while `causal` and `window`
  /// remain true statements about them (and let codegen skip hidden keys).
  std::string residual;
  /// Mask dimensions (query or key) that the symbolic shape analysis could
  /// not prove to be the scores'. The semantics above assume they are (the
  /// mask not broadcasting over them); whoever uses the semantics checks
  /// it at run time, so a mask that is not stops the program instead of
  /// being read at the wrong positions.
  struct DimCheck {
    mlir::Value mask;
    int64_t maskDim;
    int64_t scoresDim;
  };
  llvm::SmallVector<DimCheck> dimChecks;
};

/// Proves what `terms` do to the scores `scores` ([B, H, Sq, Skv], the
/// Q K^T product): every visible key gets exactly 0 added, every other one
/// a value at most kMaskThreshold, and a key is visible exactly under the
/// returned conditions. On failure returns nullopt and sets `why`.
std::optional<MaskSemantics> analyzeMasks(llvm::ArrayRef<MaskTerm> terms,
                                          mlir::Value scores,
                                          std::string &why);

/// The sizes of the scores [B, H, Sq, Skv] the masks are added to, static
/// and symbolic, for an attention op whose scores are not a value of the
/// graph (com.microsoft MultiHeadAttention's attention_bias).
struct ScoresShape {
  int64_t sizes[4];
  ONNX::SymbolicInt dims[4];
};
std::optional<MaskSemantics> analyzeMasks(llvm::ArrayRef<MaskTerm> terms,
                                          const ScoresShape &scores,
                                          std::string &why);

} // namespace xf::fusion

#endif // XF_PASSES_FUSION_MASKANALYSIS_H
