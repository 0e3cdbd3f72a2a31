#include "device.h"

#include <fcntl.h>
#include <linux/persona.h>
#include <sys/ioctl.h>

#include <cerrno>
#include <string>
#include <vector>

#include "apply-worker.h"
#include "errno-error.h"
#include "uapi-values.h"

namespace persona {

namespace {

uint32_t DriverId(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "driver id must be a number");
  return info[0].As<Napi::Number>().Uint32Value();
}

uint64_t ToU64(Napi::Env env, Napi::Value value, const char* what) {
  if (!value.IsBigInt()) throw Napi::TypeError::New(env, std::string(what) + " must be a bigint");
  bool lossless = false;
  uint64_t v = value.As<Napi::BigInt>().Uint64Value(&lossless);
  if (!lossless) throw Napi::RangeError::New(env, std::string(what) + " must fit in 64 bits");
  return v;
}

}  // namespace

Napi::Function Device::Init(Napi::Env env) {
  return DefineClass(env, "Device",
                     {
                         InstanceMethod<&Device::Version>("version"),
                         InstanceMethod<&Device::List>("list"),
                         InstanceMethod<&Device::Describe>("describe"),
                         InstanceMethod<&Device::Read>("read"),
                         InstanceMethod<&Device::Apply>("apply"),
                         InstanceMethod<&Device::Watch>("watch"),
                         InstanceMethod<&Device::Close>("close"),
                     });
}

// Non-blocking, so that draining events never waits; ioctls do not care.
Device::Device(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Device>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  std::string path = info[0].As<Napi::String>();
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw ErrnoError(env, errno, "open " + path);
  fd_ = std::make_shared<FileDescriptor>(fd);
}

int Device::Fd(Napi::Env env) const {
  if (!fd_) throw ErrnoError(env, EBADF, "closed");
  return fd_->get();
}

void Device::Ioctl(Napi::Env env, unsigned long cmd, void* arg, const char* name) const {
  int fd = Fd(env);
  int rc;
  do {
    rc = ioctl(fd, cmd, arg);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw ErrnoError(env, errno, name);
}

Napi::Value Device::Version(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  persona_version v{};
  Ioctl(env, PERSONA_IOC_VERSION, &v, "PERSONA_IOC_VERSION");
  Napi::Object o = Napi::Object::New(env);
  o.Set("major", v.major);
  o.Set("minor", v.minor);
  o.Set("maxParams", v.max_params);
  o.Set("maxMembers", v.max_members);
  o.Set("maxResources", v.max_resources);
  return o;
}

// Asks for the count, then for that many; again if a driver registered in between.
Napi::Value Device::List(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<persona_driver_info> drivers;
  persona_list req{};
  do {
    drivers.resize(req.count);
    req = persona_list{};
    req.capacity = static_cast<uint32_t>(drivers.size());
    req.drivers = reinterpret_cast<uintptr_t>(drivers.data());
    Ioctl(env, PERSONA_IOC_LIST, &req, "PERSONA_IOC_LIST");
  } while (req.count > req.capacity);
  Napi::Array out = Napi::Array::New(env, req.count);
  for (uint32_t i = 0; i < req.count; i++) out.Set(i, DriverToJs(env, drivers[i]));
  return out;
}

Napi::Value Device::Describe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  persona_describe req{};
  req.driver_id = DriverId(info);
  Ioctl(env, PERSONA_IOC_DESCRIBE, &req, "PERSONA_IOC_DESCRIBE");
  // A driver's declaration never changes while its id lives, so the counts are final.
  std::vector<persona_param> params(req.num_params);
  std::vector<persona_name> resources(req.num_resources);
  req.params = reinterpret_cast<uintptr_t>(params.data());
  req.resources = reinterpret_cast<uintptr_t>(resources.data());
  Ioctl(env, PERSONA_IOC_DESCRIBE, &req, "PERSONA_IOC_DESCRIBE");
  Napi::Object o = Napi::Object::New(env);
  Napi::Array js_params = Napi::Array::New(env, params.size());
  for (size_t i = 0; i < params.size(); i++) js_params.Set(i, ParamToJs(env, params[i]));
  Napi::Array js_resources = Napi::Array::New(env, resources.size());
  for (size_t i = 0; i < resources.size(); i++) js_resources.Set(i, NameOf(resources[i]));
  o.Set("params", js_params);
  o.Set("resources", js_resources);
  return o;
}

Napi::Value Device::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  persona_value values[PERSONA_MAX_PARAMS] = {};
  persona_read req{};
  req.driver_id = DriverId(info);
  if (!info[1].IsNumber()) throw Napi::TypeError::New(env, "resource must be a number");
  req.resource = info[1].As<Napi::Number>().Uint32Value();
  req.num_values = PERSONA_MAX_PARAMS;
  req.values = reinterpret_cast<uintptr_t>(values);
  Ioctl(env, PERSONA_IOC_READ, &req, "PERSONA_IOC_READ");
  uint32_t n = req.num_values < PERSONA_MAX_PARAMS ? req.num_values : PERSONA_MAX_PARAMS;
  Napi::Array js_values = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; i++)
    js_values.Set(i, Napi::BigInt::New(env, static_cast<uint64_t>(values[i].value)));
  Napi::Object o = Napi::Object::New(env);
  o.Set("generation", Napi::BigInt::New(env, static_cast<uint64_t>(req.generation)));
  o.Set("values", js_values);
  return o;
}

// apply(driverId, [[param, value], ...], resources, expectedGeneration?)
//   -> Promise<{generation, changed}>
Napi::Value Device::Apply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t driver_id = DriverId(info);
  if (!info[1].IsArray()) throw Napi::TypeError::New(env, "entries must be an array");
  Napi::Array entries = info[1].As<Napi::Array>();
  std::vector<persona_value> values(entries.Length());
  for (uint32_t i = 0; i < entries.Length(); i++) {
    Napi::Value entry = entries.Get(i);
    if (!entry.IsArray() || entry.As<Napi::Array>().Length() != 2 ||
        !entry.As<Napi::Array>().Get(0u).IsNumber())
      throw Napi::TypeError::New(env, "each entry must be [param: number, value: bigint]");
    values[i].param = entry.As<Napi::Array>().Get(0u).As<Napi::Number>().Uint32Value();
    values[i].value = ToU64(env, entry.As<Napi::Array>().Get(1u), "value");
  }
  uint64_t resources = ToU64(env, info[2], "resources");
  uint64_t expected = PERSONA_GENERATION_ANY;
  if (info.Length() > 3 && !info[3].IsUndefined()) expected = ToU64(env, info[3], "generation");
  Fd(env);
  auto* worker = new ApplyWorker(env, fd_, driver_id, std::move(values), resources, expected);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// watch(callback(error, events)): one watcher per device, until close().
Napi::Value Device::Watch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");
  if (watcher_) throw Napi::Error::New(env, "already watching");
  Fd(env);
  watcher_ = EventWatcherPtr(new EventWatcher(env, fd_, info[0].As<Napi::Function>()));
  return env.Undefined();
}

// Idempotent. Applies in flight keep the file open until they finish.
Napi::Value Device::Close(const Napi::CallbackInfo& info) {
  watcher_.reset();
  fd_.reset();
  return info.Env().Undefined();
}

}  // namespace persona
