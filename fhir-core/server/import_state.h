// The resume state of `hestia import`: an append-only text file with one line per finished
// file (fingerprint, size, mtime, path). A file whose fingerprint and size are recorded is
// skipped on the next run, wherever it now lives. Lines are flushed and fdatasync'ed as soon as
// a file has committed, so an interrupted run loses at most the record of files whose commit
// raced the interruption (see import_command.cc for how SIGINT/SIGTERM avoid even that).
// Thread-safety: ImportState is thread-safe (one mutex around the file).
#pragma once

#include <cstdio>
#include <mutex>
#include <set>
#include <string>

#include "hestia/base/status.h"
#include "import_plan.h"

namespace hestia::server {

class ImportState {
 public:
  ImportState() = default;
  ~ImportState();
  ImportState(const ImportState&) = delete;
  ImportState& operator=(const ImportState&) = delete;

  // Reads `path` when it exists and opens it for appending. kInvalid when it cannot be opened.
  Status Open(const std::string& path);

  bool IsDone(const ImportFile& file) const;

  // Records `file` as finished (durably). kInternal when the write fails.
  Status MarkDone(const ImportFile& file);

 private:
  static std::string Key(const ImportFile& file);

  mutable std::mutex mu_;
  std::set<std::string> done_;
  std::FILE* out_ = nullptr;
};

}  // namespace hestia::server
