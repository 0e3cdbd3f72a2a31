// Events of /dev/persona through libuv: a poll handle on the descriptor, and on readiness every
// queued record is read and handed to a JavaScript callback(error, events) on the main thread.
#pragma once

#include <napi.h>
#include <uv.h>

#include <memory>

#include "shared-fd.h"

namespace persona {

class EventWatcher {
 public:
  EventWatcher(Napi::Env env, SharedFd fd, Napi::Function callback);
  EventWatcher(const EventWatcher&) = delete;
  EventWatcher& operator=(const EventWatcher&) = delete;

  // Stops watching and frees the watcher. Its own callback may close it (device.close()), and
  // then the freeing waits until the callback has returned or thrown, since Deliver() still uses
  // the watcher after the call.
  void Close();

 private:
  ~EventWatcher();
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Drain(int status);
  void Deliver(napi_value error, napi_value events);

  Napi::Env env_;
  SharedFd fd_;
  Napi::FunctionReference callback_;
  Napi::AsyncContext context_;
  // Heap-allocated: libuv frees it in the close callback, after this object is gone.
  uv_poll_t* handle_;
  bool delivering_ = false;
  bool closed_ = false;
};

// Owns a watcher: letting go of it closes it.
struct CloseEventWatcher {
  void operator()(EventWatcher* watcher) const { watcher->Close(); }
};
using EventWatcherPtr = std::unique_ptr<EventWatcher, CloseEventWatcher>;

}  // namespace persona
