// Progress display of `hestia import`. See import_progress.h.
#include "import_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace hestia::server {
namespace {

std::string Duration(double seconds) {
  const long s = std::lround(seconds);
  char out[32];
  std::snprintf(out, sizeof out, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return out;
}

}  // namespace

ImportProgress::ImportProgress(bool enabled, std::size_t total)
    : enabled_(enabled),
      tty_(isatty(STDERR_FILENO) != 0),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ImportProgress::Tick() {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5))) {
    return;
  }
  last_draw_ = now;
  Draw(false);
}

void ImportProgress::Finish() {
  if (!enabled_) return;
  Draw(true);
}

void ImportProgress::Draw(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::size_t done = this->done();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double fraction =
      total_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 0;
  std::string eta = "--:--:--";
  if (rate > 0 && total_ >= done) eta = Duration(static_cast<double>(total_ - done) / rate);
  char line[256];
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof line, "\r[%s] %3d%%  %zu/%zu resources  %.0f/s  ETA %s ",
                  bar.c_str(), static_cast<int>(fraction * 100), done, total_, rate, eta.c_str());
    std::fputs(line, stderr);
    if (final) std::fputc('\n', stderr);
  } else {
    std::snprintf(line, sizeof line, "import: %zu/%zu resources (%d%%), %.0f/s, ETA %s\n", done,
                  total_, static_cast<int>(fraction * 100), rate, eta.c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace hestia::server
