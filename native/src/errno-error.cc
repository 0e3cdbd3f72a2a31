#include "errno-error.h"

#include <cstring>

namespace persona {

Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall,
                       std::optional<uint32_t> index) {
  const char* name = strerrorname_np(err);
  std::string code = name ? name : "E" + std::to_string(err);
  std::string message = syscall + ": " + std::strerror(err) + " (" + code + ")";
  if (index) message += " at entry " + std::to_string(*index);
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", code);
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", syscall);
  if (index) error.Set("index", Napi::Number::New(env, *index));
  return error;
}

}  // namespace persona
