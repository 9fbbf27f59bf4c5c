//===- SelfInvocation.cpp - xfc running itself and its programs -----------===//

#include "tools/xfc/SelfInvocation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace llvm;

std::vector<xf::Argument>
xf::splitArguments(const std::vector<std::string> &args) {
  auto &registered = cl::getRegisteredOptions();
  std::vector<Argument> items;
  for (size_t i = 0; i < args.size(); ++i) {
    StringRef arg = args[i];
    if (arg.size() < 2 || arg[0] != '-') {
      items.push_back({"", {args[i]}});
      continue;
    }
    StringRef body = arg.drop_while([](char c) { return c == '-'; });
    auto [name, value] = body.split('=');
    Argument item{name.str(), {args[i]}};
    if (!body.contains('=')) {
      auto it = registered.find(name);
      if (it != registered.end() &&
          it->second->getValueExpectedFlag() == cl::ValueRequired &&
          i + 1 < args.size())
        item.tokens.push_back(args[++i]);
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<std::string>
xf::selectArguments(const std::vector<Argument> &items,
                    function_ref<bool(StringRef)> keep) {
  std::vector<std::string> selected;
  for (const Argument &item : items)
    if (item.name.empty() || keep(item.name))
      llvm::append_range(selected, item.tokens);
  return selected;
}

std::optional<std::string>
xf::runProgram(StringRef program, ArrayRef<std::string> args,
               std::optional<StringRef> stdoutPath) {
  SmallVector<StringRef> argv{program};
  for (const std::string &arg : args)
    argv.push_back(arg);
  std::optional<StringRef> redirects[3] = {std::nullopt, stdoutPath,
                                           std::nullopt};
  std::string error;
  bool failedToStart = false;
  int status = sys::ExecuteAndWait(
      program, argv, std::nullopt,
      stdoutPath ? ArrayRef<std::optional<StringRef>>(redirects)
                 : ArrayRef<std::optional<StringRef>>(),
      0, 0, &error, &failedToStart);
  if (failedToStart || status < 0)
    return "cannot run " + program.str() + ": " + error;
  if (status != 0)
    return program.str() + " " + llvm::join(args, " ") + " exited with " +
           std::to_string(status);
  return std::nullopt;
}

xf::ScratchFolder::~ScratchFolder() {
  if (!path.empty())
    sys::fs::remove_directories(path);
}

std::optional<std::string> xf::ScratchFolder::create(StringRef prefix) {
  SmallString<256> absolute(prefix);
  sys::fs::make_absolute(absolute);
  if (auto ec = sys::fs::createUniqueDirectory(absolute, path)) {
    path.clear();
    return "cannot create a scratch folder " + absolute.str().str() + "-*: " +
           ec.message();
  }
  return std::nullopt;
}

std::string xf::ScratchFolder::file(StringRef name) const {
  SmallString<256> result = path;
  sys::path::append(result, name);
  return result.str().str();
}
