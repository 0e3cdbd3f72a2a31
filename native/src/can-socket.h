// A raw CAN socket bound to one interface, read in batches: `new CanSocket(iface, filters,
// holdMs, callback)` opens it (an ErrnoError naming the interface when it cannot), and from
// then on callback(null, records) gets every frame the kernel queued, as packed records, once
// per wake-up; callback(error) once when receiving fails (the interface went down or away),
// after which nothing more comes. close() closes the socket.
#pragma once

#include <napi.h>
#include <uv.h>

#include <linux/can.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace persona {

// One received frame as JavaScript reads it (src/can/can-socket.ts), little-endian, 88 bytes.
struct persona_can_record {
  uint32_t can_id;       // as the kernel has it: CAN_EFF_FLAG, CAN_RTR_FLAG, CAN_ERR_FLAG included
  uint8_t len;           // payload bytes
  uint8_t flags;         // PERSONA_CAN_RECORD_*
  uint8_t fd_flags;      // canfd_frame.flags (CANFD_BRS, CANFD_ESI) of a CAN FD frame
  uint8_t reserved0;     // zero
  uint32_t ts_sec_lo;    // the kernel's receive time (SO_TIMESTAMPNS), seconds since the epoch
  uint32_t ts_sec_hi;
  uint32_t ts_nsec;
  uint32_t drops;        // frames the socket dropped so far, its buffer full (SO_RXQ_OVFL)
  uint8_t data[CANFD_MAX_DLEN];
};
static_assert(sizeof(persona_can_record) == 88, "the record layout is part of the JavaScript side");

constexpr uint8_t PERSONA_CAN_RECORD_FD = 1;         // a CAN FD frame (CANFD_MTU bytes read)
constexpr uint8_t PERSONA_CAN_RECORD_KERNEL_TS = 2;  // the time is the kernel's, not read after

class CanReader;

// Owns a reader: letting go of it closes it.
struct CloseCanReader {
  void operator()(CanReader* reader) const;
};
using CanReaderPtr = std::unique_ptr<CanReader, CloseCanReader>;

class CanSocket : public Napi::ObjectWrap<CanSocket> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit CanSocket(const Napi::CallbackInfo& info);

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);

  CanReaderPtr reader_;
};

}  // namespace persona
