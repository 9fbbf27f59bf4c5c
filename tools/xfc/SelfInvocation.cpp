//===- SelfInvocation.cpp - xfc running itself and its programs -----------===//

#include "tools/xfc/SelfInvocation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Signals.h"

#include <atomic>
#include <cstring>

#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace llvm;

namespace {

// The scratch folders alive, for the interrupt handler: fixed buffers, so
// that the handler reads them without allocating.
constexpr int kMaxScratchFolders = 4;
constexpr size_t kMaxPath = 4096;
char scratchPaths[kMaxScratchFolders][kMaxPath];
std::atomic<bool> scratchInUse[kMaxScratchFolders];

#if defined(__linux__)
/// Removes the files of `path` (scratch folders hold no subfolders) and the
/// folder, with system calls only: this runs in a signal handler.
void removeFlatFolder(const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    alignas(8) char buffer[4096];
    long read;
    while ((read = syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0) {
      for (long at = 0; at < read;) {
        auto *entry = reinterpret_cast<struct dirent64 *>(buffer + at);
        at += entry->d_reclen;
        if (!std::strcmp(entry->d_name, ".") ||
            !std::strcmp(entry->d_name, ".."))
          continue;
        unlinkat(fd, entry->d_name, 0);
      }
    }
    close(fd);
  }
  rmdir(path);
}

/// Ctrl-C (or SIGTERM, SIGHUP) while a scratch folder exists: remove it and
/// exit 130, as an interrupted command does.
void removeScratchFoldersAndExit() {
  for (int i = 0; i < kMaxScratchFolders; ++i)
    if (scratchInUse[i].load())
      removeFlatFolder(scratchPaths[i]);
  _exit(130);
}
#endif

void registerScratchFolder(StringRef path) {
#if defined(__linux__)
  if (path.size() >= kMaxPath)
    return;
  for (int i = 0; i < kMaxScratchFolders; ++i) {
    if (scratchInUse[i].load())
      continue;
    std::memcpy(scratchPaths[i], path.data(), path.size());
    scratchPaths[i][path.size()] = '\0';
    scratchInUse[i].store(true);
    sys::SetInterruptFunction(removeScratchFoldersAndExit);
    return;
  }
#endif
}

void unregisterScratchFolder(StringRef path) {
#if defined(__linux__)
  for (int i = 0; i < kMaxScratchFolders; ++i)
    if (scratchInUse[i].load() && path == scratchPaths[i])
      scratchInUse[i].store(false);
#endif
}

} // namespace

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
  if (path.empty())
    return;
  unregisterScratchFolder(path);
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
  registerScratchFolder(path);
  return std::nullopt;
}

std::string xf::ScratchFolder::file(StringRef name) const {
  SmallString<256> result = path;
  sys::path::append(result, name);
  return result.str().str();
}
