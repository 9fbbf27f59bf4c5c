//===- ONNXImporterTest.cpp - importer/ONNXImporter -----------------------===//

#include "importer/ONNXImporter.h"
#include "dialects/InitAllDialects.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

using namespace mlir;

namespace {

class ONNXImporterTest : public ::testing::Test {
protected:
  ONNXImporterTest() {
    DialectRegistry registry;
    xf::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
  }

  /// Imports `model`, collecting error messages.
  OwningOpRef<ModuleOp> import(const onnx::ModelProto &model) {
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
      errors += d.str() + "\n";
      return success();
    });
    std::string bytes = model.SerializeAsString();
    return xf::importONNXModelBytes(bytes, ".", "test.onnx", context);
  }

  static onnx::ModelProto addModel(int64_t opset) {
    onnx::ModelProto model;
    model.set_ir_version(8);
    auto *op = model.add_opset_import();
    op->set_version(opset);
    auto *graph = model.mutable_graph();
    graph->set_name("g");
    auto addValue = [](onnx::ValueInfoProto *v, const char *name) {
      v->set_name(name);
      auto *t = v->mutable_type()->mutable_tensor_type();
      t->set_elem_type(onnx::TensorProto::FLOAT);
      t->mutable_shape()->add_dim()->set_dim_param("batch");
      t->mutable_shape()->add_dim()->set_dim_value(4);
    };
    addValue(graph->add_input(), "a");
    addValue(graph->add_input(), "b");
    addValue(graph->add_output(), "c");
    auto *node = graph->add_node();
    node->set_op_type("Add");
    node->set_name("add0");
    node->add_input("a");
    node->add_input("b");
    node->add_output("c");
    return model;
  }

  MLIRContext context;
  std::string errors;
};

TEST_F(ONNXImporterTest, ImportsSignatureWithSymbolicDims) {
  auto module = import(addModel(17));
  ASSERT_TRUE(module) << errors;
  auto func = module->lookupSymbol<func::FuncOp>("main");
  ASSERT_TRUE(func);
  auto type = cast<RankedTensorType>(func.getArgumentTypes()[0]);
  EXPECT_TRUE(type.isDynamicDim(0));
  EXPECT_EQ(type.getDimSize(1), 4);
  EXPECT_EQ(func.getNumResults(), 1u);
  auto dimParams = func.getArgAttrOfType<ArrayAttr>(0, "onnx.dim_params");
  ASSERT_TRUE(dimParams);
  EXPECT_EQ(cast<StringAttr>(dimParams[0]).getValue(), "batch");
}

TEST_F(ONNXImporterTest, RefusesOpsetNewerThanKnown) {
  EXPECT_FALSE(import(addModel(1000)));
  EXPECT_NE(errors.find("newer than the newest"), std::string::npos);
}

TEST_F(ONNXImporterTest, ListsEveryUnsupportedOperator) {
  onnx::ModelProto model = addModel(17);
  for (const char *type : {"NoSuchOp", "AlsoMissing"}) {
    auto *node = model.mutable_graph()->add_node();
    node->set_op_type(type);
    node->set_name(std::string("n_") + type);
    node->add_input("c");
    node->add_output(std::string("o_") + type);
  }
  EXPECT_FALSE(import(model));
  EXPECT_NE(errors.find("2 node(s)"), std::string::npos) << errors;
  EXPECT_NE(errors.find("NoSuchOp"), std::string::npos);
  EXPECT_NE(errors.find("n_AlsoMissing"), std::string::npos);
}

TEST_F(ONNXImporterTest, RefusesGarbage) {
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    errors += d.str();
    return success();
  });
  EXPECT_FALSE(xf::importONNXModelBytes("", ".", "e.onnx", context));
  EXPECT_NE(errors.find("empty"), std::string::npos);
  EXPECT_FALSE(
      xf::importONNXModelBytes("\xff\xff\xff\xff", ".", "g.onnx", context));
  EXPECT_NE(errors.find("not an ONNX model"), std::string::npos);
}
} // namespace
