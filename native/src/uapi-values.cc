#include "uapi-values.h"

#include <cstring>

namespace persona {

namespace {

const char* TypeName(uint32_t type) {
  switch (type) {
    case PERSONA_PARAM_INTEGER: return "integer";
    case PERSONA_PARAM_ENUM: return "enum";
    case PERSONA_PARAM_SET: return "set";
    default: return "unknown";
  }
}

const char* UnitName(uint32_t unit) {
  switch (unit) {
    case PERSONA_UNIT_NS: return "ns";
    case PERSONA_UNIT_BYTES: return "B";
    default: return "";
  }
}

const char* ApplyClassName(uint32_t apply_class) {
  switch (apply_class) {
    case PERSONA_APPLY_RUNTIME: return "runtime";
    case PERSONA_APPLY_DISRUPTIVE: return "disruptive";
    case PERSONA_APPLY_RELOAD: return "reload";
    default: return "unknown";
  }
}

const char* EventName(uint32_t type) {
  switch (type) {
    case PERSONA_EVENT_APPLIED: return "applied";
    case PERSONA_EVENT_DRIFT: return "drift";
    case PERSONA_EVENT_DRIVER_ADDED: return "driver-added";
    case PERSONA_EVENT_DRIVER_REMOVED: return "driver-removed";
    case PERSONA_EVENT_OVERFLOW: return "overflow";
    default: return "unknown";
  }
}

}  // namespace

std::string NameOf(const persona_name& name) {
  return std::string(name.name, strnlen(name.name, sizeof(name.name)));
}

Napi::Object DriverToJs(Napi::Env env, const persona_driver_info& driver) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", driver.id);
  o.Set("name", NameOf(driver.name));
  o.Set("version", NameOf(driver.version));
  o.Set("generation", Napi::BigInt::New(env, static_cast<uint64_t>(driver.generation)));
  o.Set("numParams", driver.num_params);
  o.Set("numResources", driver.num_resources);
  return o;
}

Napi::Object ParamToJs(Napi::Env env, const persona_param& param) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", NameOf(param.name));
  o.Set("type", TypeName(param.type));
  o.Set("unit", UnitName(param.unit));
  o.Set("applyClass", ApplyClassName(param.apply_class));
  o.Set("min", Napi::BigInt::New(env, static_cast<uint64_t>(param.min)));
  o.Set("max", Napi::BigInt::New(env, static_cast<uint64_t>(param.max)));
  uint32_t count = param.num_members < PERSONA_MAX_MEMBERS ? param.num_members : PERSONA_MAX_MEMBERS;
  Napi::Array members = Napi::Array::New(env, count);
  for (uint32_t i = 0; i < count; i++) members.Set(i, NameOf(param.members[i]));
  o.Set("members", members);
  return o;
}

Napi::Object EventToJs(Napi::Env env, const persona_event& event) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("type", EventName(event.type));
  o.Set("driverId", event.driver_id);
  o.Set("generation", Napi::BigInt::New(env, static_cast<uint64_t>(event.generation)));
  o.Set("params", Napi::BigInt::New(env, static_cast<uint64_t>(event.params)));
  o.Set("resources", Napi::BigInt::New(env, static_cast<uint64_t>(event.resources)));
  o.Set("timestampNs", Napi::BigInt::New(env, static_cast<uint64_t>(event.timestamp_ns)));
  o.Set("own", (event.flags & PERSONA_EVENT_F_OWN) != 0);
  return o;
}

}  // namespace persona
