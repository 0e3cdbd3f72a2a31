// The open /dev/persona, shared by the device object and the applies in flight: the file is
// closed when the last of them lets go, so close() never pulls it from under a worker thread.
#pragma once

#include <memory>
#include <unistd.h>

namespace persona {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { ::close(fd_); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using SharedFd = std::shared_ptr<FileDescriptor>;

}  // namespace persona
