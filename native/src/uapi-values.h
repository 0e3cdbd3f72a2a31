// The kernel's structures (include/uapi/linux/persona.h) as JavaScript values: enums become the
// strings persona uses ("integer", "ns", "runtime", "drift"), 64-bit numbers become BigInts.
#pragma once

#include <linux/persona.h>
#include <napi.h>

#include <string>

namespace persona {

std::string NameOf(const persona_name& name);
Napi::Object DriverToJs(Napi::Env env, const persona_driver_info& driver);
Napi::Object ParamToJs(Napi::Env env, const persona_param& param);
Napi::Object EventToJs(Napi::Env env, const persona_event& event);

}  // namespace persona
