// persona.node: /dev/persona for Node.js (src/backend/addon-persona.ts types it), and raw CAN
// sockets read in batches (src/can/can-socket.ts).
#include <napi.h>

#include "can-socket.h"
#include "device.h"
#include "sd-notify.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Device", persona::Device::Init(env));
  exports.Set("CanSocket", persona::CanSocket::Init(env));
  exports.Set("notify", Napi::Function::New(env, persona::SdNotify, "notify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(persona, Init)
