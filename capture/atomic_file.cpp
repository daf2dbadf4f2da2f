// A file written under a temporary name in the target's directory and
// renamed over the target on commit, so readers of the target see either
// the old file or the complete new one. Used by the pcap and pcapng writers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "capture/capture_internal.h"

namespace sift::capture::detail {
namespace {

constexpr size_t kBufferSize = 1 << 16;

}  // namespace

Expected<std::unique_ptr<AtomicFile>> AtomicFile::create(const std::string& path) {
  if (path.empty()) return Diagnostic::error("cannot write '': empty file name");
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  if (base.empty()) return Diagnostic::error("cannot write '" + path + "': names a directory");

  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Diagnostic::error("cannot write '" + path + "': is a directory");
  }
  mode_t mode = 0644;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) mode = st.st_mode & 07777;

  std::string temp = (dir == "/" ? "" : dir) + "/." + base + ".XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    return Diagnostic::error("cannot create a temporary file in '" + dir + "' for '" + path +
                             "': " + systemError(errno));
  }
  ::fchmod(fd, mode);

  auto file = std::unique_ptr<AtomicFile>(new AtomicFile());
  file->path_ = path;
  file->tempPath_ = name.data();
  file->fd_ = fd;
  file->buffer_.reserve(kBufferSize);
  return file;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  if (!committed_ && !tempPath_.empty()) {
    ::unlink(tempPath_.c_str());
    tempPath_.clear();
  }
}

Status AtomicFile::flush() {
  const uint8_t* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      failed_ = true;
      int err = errno;
      discard();
      return Diagnostic::error("cannot write '" + path_ + "': " + systemError(err));
    }
    p += n;
    left -= size_t(n);
  }
  buffer_.clear();
  return okStatus();
}

Status AtomicFile::append(std::span<const uint8_t> bytes) {
  if (committed_) return Diagnostic::error("cannot write '" + path_ + "': already committed");
  if (failed_) return Diagnostic::error("cannot write '" + path_ + "': an earlier write failed");
  if (buffer_.size() + bytes.size() > kBufferSize) {
    if (auto s = flush(); !s) return s;
  }
  if (bytes.size() >= kBufferSize) {
    buffer_.assign(bytes.begin(), bytes.end());
    return flush();
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  return okStatus();
}

Status AtomicFile::commit() {
  if (committed_) return Diagnostic::error("cannot commit '" + path_ + "': already committed");
  if (failed_) return Diagnostic::error("cannot commit '" + path_ + "': an earlier write failed");
  if (auto s = flush(); !s) return s;
  auto fail = [&](const char* what) -> Status {
    int err = errno;
    failed_ = true;
    discard();
    return Diagnostic::error(std::string("cannot ") + what + " '" + path_ + "': " + systemError(err));
  };
  if (::fsync(fd_) != 0 && errno != EINVAL) return fail("write");
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return fail("write");
  if (::rename(tempPath_.c_str(), path_.c_str()) != 0) return fail("replace");
  committed_ = true;
  tempPath_.clear();
  return okStatus();
}

}  // namespace sift::capture::detail
