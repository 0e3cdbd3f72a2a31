#include "can-socket.h"

#include <endian.h>
#include <linux/can/raw.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <exception>
#include <utility>

#include "errno-error.h"

namespace persona {

namespace {

// Messages one recvmmsg call takes, and records one callback gets at most: at 2,000 frames/s
// a wake-up every few milliseconds finds a few dozen. More stay queued for the next wake-up.
constexpr unsigned kVlen = 64;
constexpr size_t kMaxBatch = 4096;

// The socket's descriptor until it is handed over: every failed step closes it.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

int SetOption(int fd, int level, int name, const void* value, socklen_t size) {
  return setsockopt(fd, level, name, value, size) == 0 ? 0 : errno;
}

// A raw CAN socket on `iface`: CAN FD frames too, every error class, the kernel's receive time
// and count of drops on each message, only the ids `filters` pass (all without), non-blocking.
int OpenRawCan(Napi::Env env, const std::string& iface, const std::vector<can_filter>* filters) {
  FdGuard fd(socket(PF_CAN, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CAN_RAW));
  if (fd.get() < 0) throw ErrnoError(env, errno, "socket PF_CAN for " + iface);

  ifreq ifr{};
  iface.copy(ifr.ifr_name, IFNAMSIZ - 1);
  if (ioctl(fd.get(), SIOCGIFINDEX, &ifr) != 0) throw ErrnoError(env, errno, "SIOCGIFINDEX " + iface);

  const int on = 1;
  // A kernel without CAN FD has no such option: it then passes classic frames only.
  int err = SetOption(fd.get(), SOL_CAN_RAW, CAN_RAW_FD_FRAMES, &on, sizeof(on));
  if (err != 0 && err != ENOPROTOOPT) throw ErrnoError(env, err, "CAN_RAW_FD_FRAMES " + iface);
  const can_err_mask_t err_mask = CAN_ERR_MASK;
  err = SetOption(fd.get(), SOL_CAN_RAW, CAN_RAW_ERR_FILTER, &err_mask, sizeof(err_mask));
  if (err != 0) throw ErrnoError(env, err, "CAN_RAW_ERR_FILTER " + iface);
  if (filters) {
    err = SetOption(fd.get(), SOL_CAN_RAW, CAN_RAW_FILTER, filters->data(),
                    static_cast<socklen_t>(filters->size() * sizeof(can_filter)));
    if (err != 0) throw ErrnoError(env, err, "CAN_RAW_FILTER " + iface);
  }
  err = SetOption(fd.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  if (err != 0) throw ErrnoError(env, err, "SO_TIMESTAMPNS " + iface);
  err = SetOption(fd.get(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
  if (err != 0) throw ErrnoError(env, err, "SO_RXQ_OVFL " + iface);

  sockaddr_can address{};
  address.can_family = AF_CAN;
  address.can_ifindex = ifr.ifr_ifindex;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
    throw ErrnoError(env, errno, "bind " + iface);
  return fd.release();
}

}  // namespace

// Reads the socket through libuv on the main thread. Idle, a poll handle waits for the first
// frame; after a wake-up that found frames, the poll is off and a timer wakes the reader again
// after holdMs, so a busy bus costs one wake-up per holdMs rather than one per frame, and a
// frame waits holdMs at most. A wake-up that finds nothing turns the poll back on.
class CanReader {
 public:
  CanReader(Napi::Env env, std::string iface, int fd, uint64_t hold_ms, Napi::Function callback);
  CanReader(const CanReader&) = delete;
  CanReader& operator=(const CanReader&) = delete;

  // Stops reading and frees the reader; from inside its own callback, once that has returned.
  void Close();

 private:
  ~CanReader();
  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  void Wake(int status);
  int Drain();
  void Append(unsigned i);
  void Call(napi_value error, napi_value records);

  Napi::Env env_;
  const std::string iface_;
  const int fd_;
  const uint64_t hold_ms_;
  Napi::FunctionReference callback_;
  Napi::AsyncContext context_;
  // Heap-allocated: libuv frees them in the close callbacks, after this object is gone.
  uv_poll_t* poll_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  bool delivering_ = false;
  bool closed_ = false;

  std::vector<persona_can_record> batch_;
  mmsghdr msgs_[kVlen];
  iovec iov_[kVlen];
  canfd_frame frames_[kVlen];
  alignas(cmsghdr) char control_[kVlen][CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(uint32_t))];
};

void CloseCanReader::operator()(CanReader* reader) const { reader->Close(); }

CanReader::CanReader(Napi::Env env, std::string iface, int fd, uint64_t hold_ms,
                     Napi::Function callback)
    : env_(env),
      iface_(std::move(iface)),
      fd_(fd),
      hold_ms_(hold_ms),
      callback_(Napi::Persistent(callback)),
      context_(env, "persona:can") {
  std::memset(msgs_, 0, sizeof(msgs_));
  for (unsigned i = 0; i < kVlen; i++) {
    iov_[i].iov_base = &frames_[i];
    iov_[i].iov_len = sizeof(frames_[i]);
    msgs_[i].msg_hdr.msg_iov = &iov_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
    msgs_[i].msg_hdr.msg_control = control_[i];
  }
  // Drain() never reads more: no allocation on the way.
  batch_.reserve(kMaxBatch);

  uv_loop_t* loop = nullptr;
  int rc = napi_get_uv_event_loop(env, &loop) == napi_ok ? 0 : -EINVAL;
  if (rc == 0) {
    poll_ = new uv_poll_t;
    rc = uv_poll_init(loop, poll_, fd_);
    if (rc != 0) {
      delete poll_;
      poll_ = nullptr;
    }
  }
  if (rc == 0) {
    timer_ = new uv_timer_t;
    rc = uv_timer_init(loop, timer_);
    if (rc != 0) {
      delete timer_;
      timer_ = nullptr;
    }
  }
  if (rc == 0) {
    poll_->data = this;
    timer_->data = this;
    rc = uv_poll_start(poll_, UV_READABLE, &CanReader::OnPoll);
  }
  if (rc != 0) {
    // The destructor is not run for a constructor that throws: undo here.
    if (timer_)
      uv_close(reinterpret_cast<uv_handle_t*>(timer_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    if (poll_)
      uv_close(reinterpret_cast<uv_handle_t*>(poll_),
               [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    ::close(fd_);
    throw ErrnoError(env, -rc, "uv_poll_start " + iface_);
  }
}

void CanReader::Close() {
  poll_->data = nullptr;
  timer_->data = nullptr;
  uv_poll_stop(poll_);
  uv_timer_stop(timer_);
  if (delivering_)
    closed_ = true;
  else
    delete this;
}

// Closing a poll handle stops it at once, so the descriptor can go right after.
CanReader::~CanReader() {
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  uv_close(reinterpret_cast<uv_handle_t*>(poll_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
  ::close(fd_);
}

void CanReader::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<CanReader*>(handle->data);
  if (self) self->Wake(status);
}

void CanReader::OnTimer(uv_timer_t* handle) {
  auto* self = static_cast<CanReader*>(handle->data);
  if (self) self->Wake(0);
}

void CanReader::Wake(int status) {
  Napi::HandleScope scope(env_);
  const int err = status < 0 ? -status : Drain();
  const bool any = !batch_.empty();
  if (err != 0) {
    // Nothing more comes: the owner closes this reader and opens another when it sees fit.
    uv_poll_stop(poll_);
    uv_timer_stop(timer_);
  } else if (any && hold_ms_ > 0) {
    uv_poll_stop(poll_);
    uv_timer_start(timer_, &CanReader::OnTimer, hold_ms_, 0);
  } else if (!any) {
    uv_poll_start(poll_, UV_READABLE, &CanReader::OnPoll);
  }

  // Nothing may throw back into libuv: a failure to make the records or the error is
  // raised as an uncaught exception, like one the callback throws; no memory, a fatal error.
  delivering_ = true;
  try {
    if (any) {
      Napi::Buffer<uint8_t> records = Napi::Buffer<uint8_t>::Copy(
          env_, reinterpret_cast<const uint8_t*>(batch_.data()), batch_.size() * sizeof(batch_[0]));
      batch_.clear();
      Call(env_.Null(), records);
    }
    if (err != 0 && !closed_) {
      const std::string what = (status < 0 ? "poll " : "recvmmsg ") + iface_;
      Call(ErrnoError(env_, err, what).Value(), env_.Undefined());
    }
  } catch (const Napi::Error& e) {
    batch_.clear();
    napi_fatal_exception(env_, e.Value());
  } catch (const std::exception& e) {
    napi_fatal_error("persona:can", NAPI_AUTO_LENGTH, e.what(), NAPI_AUTO_LENGTH);
  }
  delivering_ = false;
  if (closed_) delete this;
}

// Reads what the socket holds, up to kMaxBatch records; 0, or the errno that ended it. Frames
// read before an error are kept: recvmmsg leaves the error to the next call.
int CanReader::Drain() {
  while (batch_.size() < kMaxBatch) {
    const unsigned vlen = static_cast<unsigned>(std::min<size_t>(kVlen, kMaxBatch - batch_.size()));
    for (unsigned i = 0; i < vlen; i++) {
      msgs_[i].msg_hdr.msg_controllen = sizeof(control_[i]);
      msgs_[i].msg_hdr.msg_flags = 0;
      msgs_[i].msg_len = 0;
    }
    const int n = recvmmsg(fd_, msgs_, vlen, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return errno;
    }
    for (int i = 0; i < n; i++) Append(static_cast<unsigned>(i));
    if (static_cast<unsigned>(n) < vlen) return 0;
  }
  return 0;
}

void CanReader::Append(unsigned i) {
  const msghdr& hdr = msgs_[i].msg_hdr;
  const canfd_frame& frame = frames_[i];
  persona_can_record record{};
  if (hdr.msg_flags & MSG_TRUNC) return;
  if (msgs_[i].msg_len == CAN_MTU) {
    record.len = std::min<uint8_t>(frame.len, CAN_MAX_DLEN);
  } else if (msgs_[i].msg_len == CANFD_MTU) {
    record.len = std::min<uint8_t>(frame.len, CANFD_MAX_DLEN);
    record.flags |= PERSONA_CAN_RECORD_FD;
    record.fd_flags = frame.flags;
  } else {
    return;  // no other size on a socket without CAN_RAW_XL_FRAMES
  }
  timespec ts{};
  uint32_t drops = 0;  // the kernel says only once there are any
  for (cmsghdr* c = CMSG_FIRSTHDR(&hdr); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&hdr), c)) {
    if (c->cmsg_level != SOL_SOCKET) continue;
    if (c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof(ts))) {
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      record.flags |= PERSONA_CAN_RECORD_KERNEL_TS;
    } else if (c->cmsg_type == SO_RXQ_OVFL && c->cmsg_len >= CMSG_LEN(sizeof(drops))) {
      std::memcpy(&drops, CMSG_DATA(c), sizeof(drops));
    }
  }
  if (!(record.flags & PERSONA_CAN_RECORD_KERNEL_TS)) clock_gettime(CLOCK_REALTIME, &ts);
  const uint64_t sec = static_cast<uint64_t>(ts.tv_sec);
  record.can_id = htole32(frame.can_id);
  record.ts_sec_lo = htole32(static_cast<uint32_t>(sec));
  record.ts_sec_hi = htole32(static_cast<uint32_t>(sec >> 32));
  record.ts_nsec = htole32(static_cast<uint32_t>(ts.tv_nsec));
  record.drops = htole32(drops);
  std::memcpy(record.data, frame.data, record.len);
  batch_.push_back(record);
}

// A throwing callback becomes an uncaught exception, as it would in any event handler.
void CanReader::Call(napi_value error, napi_value records) {
  try {
    callback_.MakeCallback(env_.Global(), {error, records}, context_);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env_, e.Value());
  }
}

Napi::Function CanSocket::Init(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "CanSocket",
                                   {
                                       InstanceMethod<&CanSocket::Close>("close"),
                                       StaticValue("recordSize", Napi::Number::New(env, sizeof(persona_can_record))),
                                   });
  return cls;
}

// new CanSocket(iface, filters: Uint32Array of id, mask pairs | null, holdMs, callback(error, records))
CanSocket::CanSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CanSocket>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "interface must be a string");
  const std::string iface = info[0].As<Napi::String>();
  if (iface.empty() || iface.size() >= IFNAMSIZ || iface.find('/') != std::string::npos)
    throw Napi::TypeError::New(env, "interface \"" + iface + "\" is not a network interface name (1 to " +
                                        std::to_string(IFNAMSIZ - 1) + " bytes)");
  std::vector<can_filter> filters;
  const bool filtered = !info[1].IsNull() && !info[1].IsUndefined();
  if (filtered) {
    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw Napi::TypeError::New(env, "filters must be a Uint32Array of id, mask pairs, or null");
    Napi::Uint32Array pairs = info[1].As<Napi::Uint32Array>();
    if (pairs.ElementLength() % 2 != 0 || pairs.ElementLength() / 2 > CAN_RAW_FILTER_MAX)
      throw Napi::RangeError::New(env, "filters must be id, mask pairs, at most " + std::to_string(CAN_RAW_FILTER_MAX));
    for (size_t i = 0; i < pairs.ElementLength(); i += 2) filters.push_back({pairs[i], pairs[i + 1]});
  }
  if (!info[2].IsNumber()) throw Napi::TypeError::New(env, "holdMs must be a number");
  const double hold_ms = info[2].As<Napi::Number>().DoubleValue();
  if (!(hold_ms >= 0 && hold_ms <= 60000)) throw Napi::RangeError::New(env, "holdMs must be 0 to 60000");
  if (!info[3].IsFunction()) throw Napi::TypeError::New(env, "callback must be a function");

  const int fd = OpenRawCan(env, iface, filtered ? &filters : nullptr);
  // libuv's timers count whole milliseconds: a fraction rounds up.
  reader_ = CanReaderPtr(new CanReader(env, iface, fd, static_cast<uint64_t>(std::ceil(hold_ms)),
                                       info[3].As<Napi::Function>()));
}

Napi::Value CanSocket::Close(const Napi::CallbackInfo& info) {
  reader_.reset();
  return info.Env().Undefined();
}

}  // namespace persona
