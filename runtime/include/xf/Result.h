//===- Result.h - a value or an error message -----------------*- C++ -*-===//
//
// What runtime functions that can fail return. Named Result and
// ErrorMessage, not Expected and Error: the compiler links the runtime (to
// write .xfw files) and its code lives in namespace xf with `using namespace
// llvm`, where xf::Expected and xf::Error would silently hide llvm's.
//
//===----------------------------------------------------------------------===//

#ifndef XF_RUNTIME_INCLUDE_XF_RESULT_H
#define XF_RUNTIME_INCLUDE_XF_RESULT_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace xf {

/// An error: a message that names what went wrong and where, ready to print.
struct ErrorMessage {
  std::string message;
};

/// Either a T or an ErrorMessage. Test it before using the value:
///
///   Result<WeightsFile> file = WeightsFile::open(path);
///   if (!file) { std::cerr << file.error() << "\n"; return 1; }
///   use(*file);
template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : storage(std::in_place_index<0>, std::move(value)) {}
  Result(ErrorMessage error)
      : storage(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return storage.index() == 0; }
  explicit operator bool() const { return ok(); }

  T &operator*() & {
    assert(ok() && "Result holds an error");
    return std::get<0>(storage);
  }
  const T &operator*() const & {
    assert(ok() && "Result holds an error");
    return std::get<0>(storage);
  }
  T &&operator*() && {
    assert(ok() && "Result holds an error");
    return std::get<0>(std::move(storage));
  }
  T *operator->() { return &**this; }
  const T *operator->() const { return &**this; }

  const std::string &error() const {
    assert(!ok() && "Result holds a value");
    return std::get<1>(storage).message;
  }

private:
  std::variant<T, ErrorMessage> storage;
};

/// Success or an ErrorMessage, for operations that produce no value.
template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(ErrorMessage error) : failure(std::move(error)) {}

  bool ok() const { return !failure; }
  explicit operator bool() const { return ok(); }

  const std::string &error() const {
    assert(!ok() && "Result holds no error");
    return failure->message;
  }

private:
  std::optional<ErrorMessage> failure;
};

} // namespace xf

#endif // XF_RUNTIME_INCLUDE_XF_RESULT_H
