// Bulk import planning: finds the files under the given paths, reads and classifies each one
// (Bundle type, NDJSON, single resource), counts its resources, fingerprints it for resumption,
// and orders the work in two phases.
//
// Ordering rule (documented in `hestia import --help`): phase 1 holds the files that other files
// refer to — every batch or collection Bundle, NDJSON file or single resource that contains no
// Patient and no reference into a patient compartment (`Patient/…`, `Patient?…`), and any file
// named hospitalInformation* or practitionerInformation* (Synthea's shared-resource bundles).
// Phase 1 runs one file at a time in path order (a batch Bundle's entries are split into one
// sub-batch per worker, posted concurrently: batch entries are independent); phase 2 (everything
// else, e.g. patient transaction Bundles) runs on all workers in parallel after phase 1 has
// finished. Thread-safety: ScanFile and BuildRequests are pure functions of their inputs and may
// run concurrently for different files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hestia/base/status.h"

namespace hestia::server {

enum class ImportKind {
  kTransaction,  // a transaction Bundle, posted as it is
  kBatch,        // a batch Bundle, posted as it is
  kResources,    // collection/searchset Bundle, NDJSON or one resource: wrapped in transactions
  kInvalid,      // unreadable or malformed: reported as failed, never loaded
};

struct ImportFile {
  std::string path;  // absolute
  std::uintmax_t size = 0;
  std::int64_t mtime = 0;   // seconds since the epoch
  std::string fingerprint;  // 64-bit FNV-1a of the content, hex
  ImportKind kind = ImportKind::kInvalid;
  std::size_t resources = 0;  // entries / lines / 1
  int phase = 2;
  std::string error;  // kInvalid: why
};

// Expands files and folders (recursively: *.json, *.ndjson, *.jsonl) into absolute paths,
// sorted and without duplicates. kInvalid when a path does not exist.
Result<std::vector<std::string>> FindImportFiles(const std::vector<std::string>& paths);

// Reads and classifies one file. Never fails: a bad file comes back with kind kInvalid.
ImportFile ScanFile(const std::string& path);

// The request bodies that load the file: the file itself for a transaction Bundle; for a batch
// Bundle the file itself when `batch_slices` is 1, else that many batch Bundles of contiguous
// entries; transaction Bundles of at most `chunk` entries for kResources (PUT Type/id when the
// resource has an id, POST Type otherwise). Sets *entries[i] to the resources in body i.
Status BuildRequests(const ImportFile& file, std::size_t chunk, int batch_slices,
                     std::vector<std::string>* bodies, std::vector<std::size_t>* entries);

// Reads a whole file.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace hestia::server
