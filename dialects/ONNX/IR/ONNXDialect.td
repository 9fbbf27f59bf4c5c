//===- ONNXDialect.td - the onnx dialect -------------------*- tablegen -*-===//
//
// The `onnx` dialect mirrors ONNX operators one to one. Each op takes the
// operands and attributes of the newest opset form of its operator; the
// importer rewrites older forms (axes as an attribute, for example) into it,
// so later passes see one form per operator.
//
//===----------------------------------------------------------------------===//

#ifndef XF_DIALECTS_ONNX_IR_ONNXDIALECT_TD
#define XF_DIALECTS_ONNX_IR_ONNXDIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let cppNamespace = "::xf::ONNX";
  let summary = "ONNX operators, one op per ONNX node";
  let description = [{
    The import dialect of xfc. An `onnx` op has the operands, results and
    attributes of its ONNX operator as the newest opset (up to 27) defines
    it; missing optional inputs are absent operands. Result types are
    inferred from operand types, attributes and constant operands
    (`ResultTypeInferenceOpInterface`), and the verifier checks that the
    declared result types agree with them: a declared type may be more
    static than the inferred one, never in conflict with it.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

//===----------------------------------------------------------------------===//
// Type constraints. ONNX's signed integers are signless MLIR integers, its
// unsigned integers are unsigned MLIR integers and `bool` is i1.
//===----------------------------------------------------------------------===//

def ONNX_AnyInteger : AnyTypeOf<[AnySignlessInteger, AnyUnsignedInteger]>;
def ONNX_FloatTensor : TensorOf<[AnyFloat]>;
def ONNX_NumericTensor : TensorOf<[ONNX_AnyInteger, AnyFloat]>;
def ONNX_SignedNumericTensor : TensorOf<[AnySignlessInteger, AnyFloat]>;
def ONNX_BoolTensor : TensorOf<[I1]>;
def ONNX_I64Tensor : TensorOf<[I64]>;
def ONNX_IndexTensor : TensorOf<[I32, I64]>;
def ONNX_AnyTensor : TensorOf<[AnyType]>;

#endif // XF_DIALECTS_ONNX_IR_ONNXDIALECT_TD
