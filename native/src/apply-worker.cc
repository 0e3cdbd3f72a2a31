#include "apply-worker.h"

#include <sys/ioctl.h>

#include <cerrno>

#include "errno-error.h"

namespace persona {

ApplyWorker::ApplyWorker(Napi::Env env, SharedFd fd, uint32_t driver_id,
                         std::vector<persona_value> values, uint64_t resources,
                         uint64_t expected_generation)
    : Napi::AsyncWorker(env, "persona:apply"),
      deferred_(Napi::Promise::Deferred::New(env)),
      fd_(std::move(fd)),
      values_(std::move(values)) {
  request_.driver_id = driver_id;
  request_.resources = resources;
  request_.expected_generation = expected_generation;
}

void ApplyWorker::Execute() {
  request_.num_values = static_cast<uint32_t>(values_.size());
  request_.values = reinterpret_cast<uintptr_t>(values_.data());
  int rc;
  do {
    rc = ioctl(fd_->get(), PERSONA_IOC_APPLY, &request_);
  } while (rc < 0 && errno == EINTR);
  error_ = rc < 0 ? errno : 0;
  fd_.reset();
}

void ApplyWorker::OnOK() {
  Napi::Env env = Env();
  if (error_ == 0) {
    Napi::Object result = Napi::Object::New(env);
    result.Set("generation", Napi::BigInt::New(env, static_cast<uint64_t>(request_.generation)));
    result.Set("changed", Napi::BigInt::New(env, static_cast<uint64_t>(request_.changed)));
    deferred_.Resolve(result);
    return;
  }
  std::optional<uint32_t> index;
  if (request_.error_index != PERSONA_NO_INDEX) index = request_.error_index;
  Napi::Error error = ErrnoError(env, error_, "PERSONA_IOC_APPLY", index);
  if (request_.error_resource != PERSONA_NO_INDEX)
    error.Set("resource", Napi::Number::New(env, request_.error_resource));
  error.Set("rolledBack", (request_.status & PERSONA_APPLY_ROLLED_BACK) != 0);
  error.Set("rollbackFailed", (request_.status & PERSONA_APPLY_ROLLBACK_FAILED) != 0);
  error.Set("generation", Napi::BigInt::New(env, static_cast<uint64_t>(request_.generation)));
  deferred_.Reject(error.Value());
}

}  // namespace persona
