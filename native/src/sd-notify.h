// systemd's notify protocol needs a unix datagram socket, which Node does not offer.
#pragma once

#include <napi.h>

namespace persona {

// notify(socketPath, message): sends one datagram to $NOTIFY_SOCKET ("@..." is abstract).
Napi::Value SdNotify(const Napi::CallbackInfo& info);

}  // namespace persona
