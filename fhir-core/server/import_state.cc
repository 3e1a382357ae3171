// The resume state of `hestia import`. See import_state.h.
// Format: "v1\t<fingerprint>\t<size>\t<mtime>\t<path>\n"; unknown lines are ignored.
#include "import_state.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace hestia::server {

ImportState::~ImportState() {
  if (out_ != nullptr) std::fclose(out_);
}

std::string ImportState::Key(const ImportFile& file) {
  return file.fingerprint + "/" + std::to_string(file.size);
}

Status ImportState::Open(const std::string& path) {
  std::lock_guard lock(mu_);
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string version;
    std::string fingerprint;
    std::string size;
    if (std::getline(fields, version, '\t') && version == "v1" &&
        std::getline(fields, fingerprint, '\t') && std::getline(fields, size, '\t')) {
      done_.insert(fingerprint + "/" + size);
    }
  }
  out_ = std::fopen(path.c_str(), "a");
  if (out_ == nullptr) return InvalidError("cannot write the import state file " + path);
  return Status::Ok();
}

bool ImportState::IsDone(const ImportFile& file) const {
  std::lock_guard lock(mu_);
  return done_.count(Key(file)) > 0;
}

Status ImportState::MarkDone(const ImportFile& file) {
  std::lock_guard lock(mu_);
  done_.insert(Key(file));
  const std::string line = "v1\t" + file.fingerprint + "\t" + std::to_string(file.size) + "\t" +
                           std::to_string(file.mtime) + "\t" + file.path + "\n";
  if (std::fputs(line.c_str(), out_) < 0 || std::fflush(out_) != 0 ||
      fdatasync(fileno(out_)) != 0) {
    return InternalError("cannot write the import state file");
  }
  return Status::Ok();
}

}  // namespace hestia::server
