//===- xf-run.cpp - compile and run any ONNX function ---------------------===//
//
// Compiles an ONNX model with the CPU pipeline into a shared object, loads
// it, runs it on TensorProto inputs and writes the outputs as TensorProto
// files named after the graph outputs. It is how the ONNX backend node tests
// check the generated code.
//
// Exit codes: 0 ran; 1 the model could not be compiled, the inputs do not
// fit it, or the generated code stopped on a shape its checks refuse (a
// message says why); 2 bad command line.
//
//===----------------------------------------------------------------------===//

#include "codegen/Pipelines/Pipeline.h"
#include "codegen/Target/LLVMEmission.h"
#include "dialects/InitAllDialects.h"
#include "importer/ImportDiagnostics.h"
#include "importer/ONNXImporter.h"
#include "importer/TensorImport.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("xf-run options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("<model.onnx>"),
                                      cl::Required, cl::cat(category));
static cl::list<std::string>
    inputs("input", cl::desc("NAME=FILE.pb: a graph input as a TensorProto"),
           cl::value_desc("NAME=FILE.pb"), cl::cat(category));
static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Where outputs are written"),
                                      cl::value_desc("dir"), cl::Required,
                                      cl::cat(category));
static cl::opt<std::string> targetCpu("target-cpu",
                                      cl::desc("CPU to compile for"),
                                      cl::init("native"), cl::cat(category));
static cl::opt<bool> bindSmallIntInputs(
    "bind-small-int-inputs",
    cl::desc("Compile integer inputs of at most 64 elements as constants, as "
             "exporters write axes, shapes and indices (the ONNX node tests "
             "pass them as inputs)"),
    cl::cat(category));
static cl::opt<std::string>
    keepSharedObject("keep-so", cl::desc("Also keep the shared object here"),
                     cl::value_desc("file.so"), cl::cat(category));
enum class Sanitizer { None, Address };
static cl::opt<Sanitizer> sanitize(
    "sanitize",
    cl::desc("Instrument the generated code: 'address' runs it under "
             "AddressSanitizer (xf-run restarts itself with the ASan runtime "
             "preloaded), so an out-of-bounds access stops it with a report"),
    cl::values(clEnumValN(Sanitizer::Address, "address", "AddressSanitizer")),
    cl::init(Sanitizer::None), cl::cat(category));

namespace {

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "xf-run") << message << "\n";
  return 1;
}

/// A strided memref descriptor as the C interface passes it: allocated and
/// aligned pointers, offset, sizes[rank], strides[rank].
struct Descriptor {
  std::vector<int64_t> words;
  explicit Descriptor(int64_t rank) : words(3 + 2 * rank, 0) {}
  static int64_t wordsFor(int64_t rank) { return 3 + 2 * rank; }
};

size_t elementBytes(Type type) {
  return type.isInteger(1) ? 1 : (type.getIntOrFloatBitWidth() + 7) / 8;
}

std::optional<int32_t> onnxDataType(Type type) {
  using TP = onnx::TensorProto;
  if (type.isF32()) return TP::FLOAT;
  if (type.isF64()) return TP::DOUBLE;
  if (type.isF16()) return TP::FLOAT16;
  if (type.isBF16()) return TP::BFLOAT16;
  if (type.isInteger(1)) return TP::BOOL;
  if (auto i = dyn_cast<IntegerType>(type)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 8: return u ? TP::UINT8 : TP::INT8;
    case 16: return u ? TP::UINT16 : TP::INT16;
    case 32: return u ? TP::UINT32 : TP::INT32;
    case 64: return u ? TP::UINT64 : TP::INT64;
    default: break;
    }
  }
  return std::nullopt;
}

/// Instrumented code in a shared object needs the ASan runtime to be the
/// process's first library: restarts xf-run with it preloaded, unless it is
/// already loaded. Returns only on failure.
int restartUnderAddressSanitizer(char **argv) {
  std::string error;
  FailureOr<std::string> runtime = xf::findAddressSanitizerRuntime(error);
  if (failed(runtime))
    return fail(error);
  std::string preload = *runtime;
  if (const char *previous = std::getenv("LD_PRELOAD"))
    preload += std::string(":") + previous;
  setenv("LD_PRELOAD", preload.c_str(), /*overwrite=*/1);
  // xf-run's own memory (the MLIR context, the result buffers) lives until
  // exit on purpose; leak reports would be about that, not the model.
  setenv("ASAN_OPTIONS", "detect_leaks=0", /*overwrite=*/0);
  execv("/proc/self/exe", argv);
  return fail(std::string("cannot restart under AddressSanitizer: ") +
              std::strerror(errno));
}

/// Finds argument `name` of @main by its ONNX name.
std::optional<unsigned> argumentIndex(func::FuncOp func, llvm::StringRef name) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (auto attr = func.getArgAttrOfType<StringAttr>(i, "onnx.name");
        attr && attr.getValue() == name)
      return i;
  return std::nullopt;
}

/// Reads the --input tensors, in argument order, checked against @main's
/// signature.
LogicalResult readInputs(func::FuncOp func,
                         SmallVectorImpl<std::vector<char>> &inputData,
                         SmallVectorImpl<SmallVector<int64_t>> &inputShapes) {
  auto error = [](const llvm::Twine &message) {
    fail(message);
    return failure();
  };
  MLIRContext &context = *func.getContext();
  FunctionType signature = func.getFunctionType();
  inputData.assign(func.getNumArguments(), std::vector<char>());
  inputShapes.assign(func.getNumArguments(), SmallVector<int64_t>());
  SmallVector<bool> given(func.getNumArguments(), false);
  for (const std::string &spec : inputs) {
    auto [name, file] = llvm::StringRef(spec).split('=');
    if (file.empty())
      return error("--input takes NAME=FILE.pb, got '" + spec + "'");
    auto index = argumentIndex(func, name);
    if (!index)
      return error("the model has no input named '" + name + "'");
    auto buffer = llvm::MemoryBuffer::getFile(file);
    onnx::TensorProto tensor;
    if (!buffer || !tensor.ParseFromArray((*buffer)->getBufferStart(),
                                          (*buffer)->getBufferSize()))
      return error("cannot read a TensorProto from '" + file + "'");
    auto type = xf::tensorTypeOf(tensor, context);
    if (!type)
      return error(file + ": " + llvm::toString(type.takeError()));
    auto expected = cast<TensorType>(signature.getInput(*index));
    if (type->getElementType() != expected.getElementType() ||
        (expected.hasRank() && (type->getRank() != expected.getRank() ||
                                llvm::any_of(llvm::zip(type->getShape(),
                                                       expected.getShape()),
                                             [](auto dims) {
                                               auto [a, e] = dims;
                                               return !ShapedType::isDynamic(e) &&
                                                      a != e;
                                             })))) {
      std::string have, want;
      llvm::raw_string_ostream(have) << *type;
      llvm::raw_string_ostream(want) << expected;
      return error("input '" + name + "' is " + have + " but the model takes " +
                  want);
    }
    auto bytes = xf::readInlineTensorData(tensor, *type);
    if (!bytes)
      return error(file + ": " + llvm::toString(bytes.takeError()));
    inputData[*index] = std::move(*bytes);
    inputShapes[*index] = SmallVector<int64_t>(type->getShape());
    given[*index] = true;
  }
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (!given[i])
      return error("no --input for model input '" +
                  func.getArgAttrOfType<StringAttr>(i, "onnx.name").str() +
                  "'");
  return success();
}

using PackedEntry = void (*)(void **);

/// Links `object` into a shared object, loads it and finds its packed entry
/// point.
FailureOr<PackedEntry> loadModel(llvm::StringRef object,
                                 const xf::EmissionOptions &emission) {
  auto error = [](const llvm::Twine &message) -> FailureOr<PackedEntry> {
    fail(message);
    return failure();
  };
  llvm::SmallString<128> workDir;
  if (auto ec = llvm::sys::fs::createUniqueDirectory("xf-run", workDir))
    return error("cannot create a temporary directory: " + ec.message());
  std::string objectPath = (workDir + "/model.o").str();
  std::string sharedPath = keepSharedObject.empty()
                               ? (workDir + "/model.so").str()
                               : keepSharedObject.getValue();
  {
    std::ofstream out(objectPath, std::ios::binary);
    out.write(object.data(), object.size());
    if (!out)
      return error("cannot write " + objectPath);
  }
  std::string linkError;
  if (failed(
          xf::linkSharedObject({objectPath}, sharedPath, linkError, emission)))
    return error(linkError);
  void *library = dlopen(sharedPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  llvm::sys::fs::remove_directories(workDir);
  if (!library)
    return error(std::string("cannot load the compiled model: ") + dlerror());
  auto entry = reinterpret_cast<PackedEntry>(
      dlsym(library, xf::kPackedEntryPoint.data()));
  if (!entry)
    return error("the compiled model has no entry point");
  return entry;
}

/// Makes each integer input of at most 64 elements the constant it was
/// given (its data and shape leave `inputData` and `inputShapes`), as
/// exporters write axes, shapes and indices. Data, not a compile option:
/// the one IR edit xf-run makes itself.
LogicalResult
bindSmallIntegerInputs(func::FuncOp func,
                       SmallVectorImpl<std::vector<char>> &inputData,
                       SmallVectorImpl<SmallVector<int64_t>> &inputShapes) {
  FunctionType signature = func.getFunctionType();
  OpBuilder builder(func.getBody());
  llvm::BitVector bound(func.getNumArguments());
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto type = RankedTensorType::get(
        inputShapes[i],
        cast<TensorType>(signature.getInput(i)).getElementType());
    if (!type.getElementType().isSignlessInteger() ||
        type.getElementType().isInteger(1) || type.getNumElements() > 64)
      continue;
    auto value = DenseElementsAttr::getFromRawBuffer(type, inputData[i]);
    Value constant = xf::ONNX::ConstantOp::create(builder, func.getLoc(),
                                                  cast<ElementsAttr>(value));
    func.getArgument(i).replaceAllUsesWith(constant);
    bound.set(i);
  }
  if (failed(func.eraseArguments(bound)))
    return failure();
  for (int i = bound.size() - 1; i >= 0; --i)
    if (bound.test(i)) {
      inputData.erase(inputData.begin() + i);
      inputShapes.erase(inputShapes.begin() + i);
    }
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "xf-run: compiles an ONNX model for the CPU and runs it\n\n"
      "  xf-run model.onnx --input x=x.pb --input y=y.pb --output-dir out\n\n"
      "Writes one OUTPUT_NAME.pb (a TensorProto) per graph output.\n");
  xf::EmissionOptions emission;
  emission.addressSanitizer = sanitize == Sanitizer::Address;
  if (emission.addressSanitizer && !dlsym(RTLD_DEFAULT, "__asan_init"))
    return restartUnderAddressSanitizer(argv);

  DialectRegistry registry;
  xf::registerAllDialects(registry);
  registerAllDialects(registry);
  registerAllExtensions(registry);
  MLIRContext context(registry);
  xf::ImportDiagnosticHandler diagnostics(&context, llvm::errs());

  OwningOpRef<ModuleOp> module = xf::importONNXModelFile(modelPath, context);
  if (!module)
    return 1;
  auto func = module->lookupSymbol<func::FuncOp>("main");
  FunctionType signature = func.getFunctionType();
  SmallVector<std::string> outputNames;
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "onnx.name");
    outputNames.push_back(name ? name.str() : "output_" + std::to_string(i));
  }

  // Inputs, in argument order.
  SmallVector<std::vector<char>> inputData;
  SmallVector<SmallVector<int64_t>> inputShapes;
  if (failed(readInputs(func, inputData, inputShapes)))
    return 1;
  // Inputs bound as constants leave the signature.
  if (bindSmallIntInputs &&
      failed(bindSmallIntegerInputs(func, inputData, inputShapes)))
    return fail("cannot bind inputs as constants");

  // xfc's pipeline in its graph form, in two parts: the outputs' ranks
  // must be known once the graph is folded and typed.
  xf::XfcPipelineOptions pipeline;
  pipeline.languageModel = false;
  pipeline.to = xf::XfcPhase::XF;
  PassManager graph(&context);
  xf::buildXfcPipeline(graph, pipeline);
  if (failed(graph.run(*module)))
    return fail("the CPU pipeline failed on '" + modelPath + "'");
  signature = func.getFunctionType();
  for (Type result : signature.getResults())
    if (!cast<TensorType>(result).hasRank())
      return fail("an output's rank is unknown at compile time; xf-run needs "
                  "ranked outputs");

  // Compile. The ONNX names were read above; the dim_params become entry
  // checks (xf-check-dim-params).
  unsigned numArguments = func.getNumArguments();
  pipeline.from = xf::XfcPhase::XF;
  pipeline.to = xf::XfcPhase::LLVM;
  PassManager lower(&context);
  xf::buildXfcPipeline(lower, pipeline);
  if (failed(lower.run(*module)))
    return fail("the CPU pipeline failed on '" + modelPath + "'");
  auto object = xf::emitObjectFile(*module, targetCpu, emission);
  if (failed(object))
    return 1;

  FailureOr<PackedEntry> entry = loadModel(*object, emission);
  if (failed(entry))
    return 1;

  // Arguments: the results' descriptors (one block), then one descriptor
  // per input.
  int64_t resultWords = 0;
  for (Type result : signature.getResults())
    resultWords += Descriptor::wordsFor(cast<ShapedType>(result).getRank());
  std::vector<int64_t> results(resultWords, 0);
  std::vector<Descriptor> descriptors;
  for (unsigned i = 0; i < numArguments; ++i) {
    int64_t rank = inputShapes[i].size();
    Descriptor d(rank);
    // An empty tensor still needs a non-null, distinct address.
    if (inputData[i].empty())
      inputData[i].resize(16);
    auto address = reinterpret_cast<int64_t>(inputData[i].data());
    d.words[0] = d.words[1] = address;
    int64_t stride = 1;
    for (int64_t r = rank - 1; r >= 0; --r) {
      d.words[3 + r] = inputShapes[i][r];
      d.words[3 + rank + r] = stride;
      stride *= inputShapes[i][r];
    }
    descriptors.push_back(std::move(d));
  }
  std::vector<void *> args = {results.data()};
  for (Descriptor &d : descriptors)
    args.push_back(d.words.data());
  (*entry)(args.data());

  // Outputs, gathered through their strides.
  if (auto ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create '" + outputDir + "': " + ec.message());
  int64_t *cursor = results.data();
  for (auto [i, resultType] : llvm::enumerate(signature.getResults())) {
    auto type = cast<ShapedType>(resultType);
    int64_t rank = type.getRank();
    Type elementType = type.getElementType();
    auto dataType = onnxDataType(elementType);
    if (!dataType)
      return fail("output element types other than bool, ints and floats are "
                  "not supported");
    size_t bytes = elementBytes(elementType);
    const char *base = reinterpret_cast<const char *>(cursor[1]);
    int64_t offset = cursor[2];
    ArrayRef<int64_t> sizes(cursor + 3, rank), strides(cursor + 3 + rank, rank);
    int64_t count = 1;
    for (int64_t s : sizes)
      count *= s;
    std::string raw(count * bytes, '\0');
    SmallVector<int64_t> index(rank, 0);
    for (int64_t linear = 0; linear < count; ++linear) {
      int64_t element = offset;
      for (int64_t r = 0; r < rank; ++r)
        element += index[r] * strides[r];
      std::memcpy(&raw[linear * bytes], base + element * bytes, bytes);
      for (int64_t r = rank - 1; r >= 0; --r) {
        if (++index[r] < sizes[r])
          break;
        index[r] = 0;
      }
    }
    onnx::TensorProto tensor;
    tensor.set_name(outputNames[i]);
    tensor.set_data_type(*dataType);
    for (int64_t s : sizes)
      tensor.add_dims(s);
    tensor.set_raw_data(std::move(raw));
    llvm::SmallString<128> path(outputDir);
    llvm::sys::path::append(path, outputNames[i] + ".pb");
    std::ofstream out(path.c_str(), std::ios::binary);
    if (!tensor.SerializeToOstream(&out))
      return fail("cannot write " + path.str());
    cursor += Descriptor::wordsFor(rank);
  }
  // Result buffers are left to the process exit: one may alias an input.
  return 0;
}
