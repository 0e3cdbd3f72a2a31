#include "sd-notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <string>

#include "errno-error.h"

namespace persona {

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "notify(socketPath: string, message: string)");
  }
  const std::string path = info[0].As<Napi::String>();
  const std::string message = info[1].As<Napi::String>();

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path) || (path[0] != '/' && path[0] != '@')) {
    throw Napi::TypeError::New(env, "NOTIFY_SOCKET must be an absolute path or an abstract name (@...), shorter than " +
                                        std::to_string(sizeof(address.sun_path)) + " bytes");
  }
  path.copy(address.sun_path, path.size());
  // An abstract socket name starts with a NUL byte in place of the "@".
  if (path[0] == '@') address.sun_path[0] = '\0';
  const socklen_t length = offsetof(sockaddr_un, sun_path) + path.size();

  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  const ssize_t sent = sendto(fd, message.data(), message.size(), MSG_NOSIGNAL,
                              reinterpret_cast<const sockaddr*>(&address), length);
  const int err = errno;
  close(fd);
  if (sent < 0) throw ErrnoError(env, err, "sendto");
  return env.Undefined();
}

}  // namespace persona
