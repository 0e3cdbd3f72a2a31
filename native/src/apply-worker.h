// PERSONA_IOC_APPLY off the main thread: an apply waits for the driver's lock and may restart a
// device's queues, which must not stall the event loop. Settles a promise with the new
// generation and the changed-parameter mask, or with an ErrnoError carrying the blamed entry
// and resource.
#pragma once

#include <linux/persona.h>
#include <napi.h>

#include <vector>

#include "shared-fd.h"

namespace persona {

class ApplyWorker : public Napi::AsyncWorker {
 public:
  ApplyWorker(Napi::Env env, SharedFd fd, uint32_t driver_id, std::vector<persona_value> values,
              uint64_t resources, uint64_t expected_generation);
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;

 private:
  Napi::Promise::Deferred deferred_;
  SharedFd fd_;
  std::vector<persona_value> values_;
  persona_apply request_{};
  int error_ = 0;
};

}  // namespace persona
