// Kernel errors as JavaScript errors: `code` is the errno name ("ENOENT"), `errno` its number,
// `syscall` what failed, and for applies `index`, the entry the kernel blamed.
#pragma once

#include <napi.h>

#include <optional>
#include <string>

namespace persona {

Napi::Error ErrnoError(Napi::Env env, int err, const std::string& syscall,
                       std::optional<uint32_t> index = std::nullopt);

}  // namespace persona
