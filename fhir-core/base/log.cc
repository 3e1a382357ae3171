// JSON log lines. See log.h.
#include "hestia/base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "hestia/base/time.h"

namespace hestia::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;

void AppendEscaped(std::string* out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out->append(buf);
        } else {
          out->push_back(c);
        }
    }
  }
}

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetLevel(Level level) { g_level = static_cast<int>(level); }

bool SetLevel(std::string_view name) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == LevelName(l)) {
      SetLevel(l);
      return true;
    }
  }
  return false;
}

void Log(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  std::string line = "{\"ts\":\"" + FormatInstant(NowMicros()) + "\",\"level\":\"" +
                     LevelName(level) + "\",\"msg\":\"";
  AppendEscaped(&line, msg);
  line.push_back('"');
  for (const auto& f : fields) {
    line.append(",\"");
    AppendEscaped(&line, f.key);
    line.append("\":");
    if (f.number) {
      line.append(f.value);
    } else {
      line.push_back('"');
      AppendEscaped(&line, f.value);
      line.push_back('"');
    }
  }
  line.append("}\n");
  std::lock_guard<std::mutex> lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace hestia::log
