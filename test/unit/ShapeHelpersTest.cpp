//===- ShapeHelpersTest.cpp - dialects/ONNX/IR/ShapeHelpers ---------------===//

#include "dialects/ONNX/IR/ShapeHelpers.h"
#include "dialects/InitAllDialects.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace xf::ONNX;

namespace {
constexpr int64_t kDyn = ShapedType::kDynamic;

TEST(BroadcastShapes, NumpyRules) {
  EXPECT_EQ(*broadcastShapes({2, 3}, {3}), (SmallVector<int64_t>{2, 3}));
  EXPECT_EQ(*broadcastShapes({2, 1, 4}, {3, 1}),
            (SmallVector<int64_t>{2, 3, 4}));
  EXPECT_EQ(*broadcastShapes({}, {5}), (SmallVector<int64_t>{5}));
  EXPECT_FALSE(broadcastShapes({2, 3}, {4}).has_value());
}

TEST(BroadcastShapes, DynamicDims) {
  // A dynamic dim against 1 stays dynamic; against a static non-1 size it
  // must be that size.
  EXPECT_EQ(*broadcastShapes({kDyn, 1}, {1, 8}),
            (SmallVector<int64_t>{kDyn, 8}));
  EXPECT_EQ(*broadcastShapes({kDyn}, {7}), (SmallVector<int64_t>{7}));
  EXPECT_EQ(*broadcastShapes({kDyn}, {kDyn}), (SmallVector<int64_t>{kDyn}));
}

TEST(NormalizeAxis, Range) {
  EXPECT_EQ(normalizeAxis(-1, 4), 3);
  EXPECT_EQ(normalizeAxis(0, 4), 0);
  EXPECT_FALSE(normalizeAxis(4, 4).has_value());
  EXPECT_FALSE(normalizeAxis(-5, 4).has_value());
}

/// Builds `Concat(Unsqueeze(Gather(Shape(x), 1)), [-1, 64])` for x of type
/// `inputType` and checks what getPartialIntValues knows of it.
class PartialValuesTest : public ::testing::Test {
protected:
  PartialValuesTest() : builder(&context) {
    DialectRegistry registry;
    xf::registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToStart(module->getBody());
  }

  Value i64Constant(ArrayRef<int64_t> values, bool scalar = false) {
    auto type = RankedTensorType::get(
        scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
        builder.getI64Type());
    return ConstantOp::create(builder, builder.getUnknownLoc(),
                              DenseIntElementsAttr::get(type, values));
  }

  template <typename OpTy, typename... Args>
  Value create(Type type, Args... args) {
    return OpTy::create(builder, builder.getUnknownLoc(), type, args...);
  }

  Value shapeChain(Value x) {
    auto i64 = builder.getI64Type();
    auto rank = cast<RankedTensorType>(x.getType()).getRank();
    Value shape = create<ShapeOp>(RankedTensorType::get({rank}, i64), x);
    Value dim = create<GatherOp>(RankedTensorType::get({}, i64), shape,
                                 i64Constant({1}, /*scalar=*/true));
    Value unsqueezed = create<UnsqueezeOp>(RankedTensorType::get({1}, i64),
                                           dim, i64Constant({0}));
    return ConcatOp::create(builder, builder.getUnknownLoc(),
                            RankedTensorType::get({3}, i64),
                            ValueRange{unsqueezed, i64Constant({-1, 64})},
                            builder.getI64IntegerAttr(0));
  }

  Value argument(ArrayRef<int64_t> shape) {
    Block *block = new Block();
    module->getBody()->getParent()->push_back(block);
    return block->addArgument(
        RankedTensorType::get(shape, builder.getF32Type()),
        builder.getUnknownLoc());
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};

TEST_F(PartialValuesTest, StaticDimIsKnown) {
  auto values = getPartialIntValues(shapeChain(argument({kDyn, 12, 512})));
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (SmallVector<int64_t>{12, -1, 64}));
}

TEST_F(PartialValuesTest, DynamicDimIsUnknownButCounted) {
  auto values = getPartialIntValues(shapeChain(argument({2, kDyn, 512})));
  ASSERT_TRUE(values.has_value());
  EXPECT_EQ(*values, (SmallVector<int64_t>{kUnknownValue, -1, 64}));
}

TEST_F(PartialValuesTest, ConstantValues) {
  EXPECT_EQ(*getConstantIntValues(i64Constant({3, 0, -1})),
            (SmallVector<int64_t>{3, 0, -1}));
  EXPECT_FALSE(getConstantIntValues(argument({3})).has_value());
}
} // namespace
