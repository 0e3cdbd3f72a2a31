#include "event-watcher.h"

#include <linux/persona.h>
#include <unistd.h>

#include <cerrno>

#include "errno-error.h"
#include "uapi-values.h"

namespace persona {

namespace {
constexpr size_t kBatch = 64;
}

EventWatcher::EventWatcher(Napi::Env env, SharedFd fd, Napi::Function callback)
    : env_(env),
      fd_(std::move(fd)),
      callback_(Napi::Persistent(callback)),
      context_(env, "persona:events"),
      handle_(new uv_poll_t) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    delete handle_;
    throw Napi::Error::New(env, "no libuv loop");
  }
  int rc = uv_poll_init(loop, handle_, fd_->get());
  if (rc == 0) {
    handle_->data = this;
    rc = uv_poll_start(handle_, UV_READABLE, &EventWatcher::OnPoll);
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(handle_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    }
  } else {
    delete handle_;
  }
  if (rc != 0) throw ErrnoError(env, -rc, "uv_poll_start");
}

void EventWatcher::Close() {
  handle_->data = nullptr;
  uv_poll_stop(handle_);
  if (delivering_)
    closed_ = true;
  else
    delete this;
}

EventWatcher::~EventWatcher() {
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
}

void EventWatcher::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<EventWatcher*>(handle->data);
  if (self) self->Drain(status);
}

void EventWatcher::Drain(int status) {
  Napi::HandleScope scope(env_);
  if (status < 0) {
    uv_poll_stop(handle_);
    Deliver(ErrnoError(env_, -status, "poll").Value(), env_.Undefined());
    return;
  }
  Napi::Array events = Napi::Array::New(env_);
  persona_event batch[kBatch];
  for (;;) {
    ssize_t n = read(fd_->get(), batch, sizeof(batch));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) {
      uv_poll_stop(handle_);
      Deliver(ErrnoError(env_, errno, "read").Value(), env_.Undefined());
      return;
    }
    for (size_t i = 0; i < static_cast<size_t>(n) / sizeof(batch[0]); i++)
      events.Set(events.Length(), EventToJs(env_, batch[i]));
    if (static_cast<size_t>(n) < sizeof(batch)) break;
  }
  if (events.Length() > 0) Deliver(env_.Null(), events);
}

// A throwing callback becomes an uncaught exception, as it would in any event handler. A
// callback that closed the watcher left the freeing to here: nothing may touch it afterwards.
void EventWatcher::Deliver(napi_value error, napi_value events) {
  delivering_ = true;
  try {
    callback_.MakeCallback(env_.Global(), {error, events}, context_);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env_, e.Value());
  }
  delivering_ = false;
  if (closed_) delete this;
}

}  // namespace persona
