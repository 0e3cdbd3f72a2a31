// An open /dev/persona as a JavaScript class: `new Device(path)` opens it (an ErrnoError such
// as ENOENT when there is none), and its methods wrap the ioctls of include/uapi/linux/persona.h.
#pragma once

#include <napi.h>

#include <memory>

#include "event-watcher.h"
#include "shared-fd.h"

namespace persona {

class Device : public Napi::ObjectWrap<Device> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Device(const Napi::CallbackInfo& info);

 private:
  Napi::Value Version(const Napi::CallbackInfo& info);
  Napi::Value List(const Napi::CallbackInfo& info);
  Napi::Value Describe(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Apply(const Napi::CallbackInfo& info);
  Napi::Value Watch(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  int Fd(Napi::Env env) const;
  void Ioctl(Napi::Env env, unsigned long cmd, void* arg, const char* name) const;

  SharedFd fd_;
  EventWatcherPtr watcher_;
};

}  // namespace persona
