// Files and command lines of an embedded cluster. See cluster_setup.h.
#include "cluster_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "hestia/base/log.h"

namespace hestia::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPostgresRoot = "/usr/lib/postgresql";
constexpr const char* kFallbackRoot = "/var/lib/hestia/clusters";
constexpr const char* kSocketPrefix = "/tmp/hestia-";

Status ErrnoError(const std::string& what, int err) {
  return InternalError(what + ": " + strerror(err));
}

bool HasServerBinaries(const std::string& dir) {
  return access((dir + "/postgres").c_str(), X_OK) == 0 &&
         access((dir + "/initdb").c_str(), X_OK) == 0;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ReadSmallFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// pg_config may belong to the client package; only trust it if the server binaries are there.
std::string BinDirFromPgConfig() {
  FILE* p = popen("pg_config --bindir 2>/dev/null", "r");
  if (p == nullptr) return "";
  char buf[PATH_MAX];
  std::string out;
  if (fgets(buf, sizeof buf, p) != nullptr) out = Trim(buf);
  pclose(p);
  return out;
}

// The binaries of the cluster's own major when it exists (a cluster cannot be opened by
// another major), else the highest major installed.
Result<std::string> FindBinDir(const ClusterOptions& options, const std::string& pg_version) {
  if (!options.bin_dir.empty()) {
    if (HasServerBinaries(options.bin_dir)) return AbsolutePath(options.bin_dir);
    return InvalidError("bin_dir " + options.bin_dir + " holds no postgres and initdb");
  }
  if (!pg_version.empty()) {
    std::string dir = std::string(kPostgresRoot) + "/" + pg_version + "/bin";
    if (HasServerBinaries(dir)) return dir;
    return InternalError("the cluster was created by PostgreSQL " + pg_version + " but " + dir +
                         " holds no server binaries; install postgresql-" + pg_version);
  }
  std::error_code ec;
  int best = -1;
  for (const auto& entry : fs::directory_iterator(kPostgresRoot, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    int major = std::atoi(name.c_str());
    if (major > best && HasServerBinaries(entry.path().string() + "/bin")) best = major;
  }
  if (best >= 0) return std::string(kPostgresRoot) + "/" + std::to_string(best) + "/bin";
  std::string from_pg_config = BinDirFromPgConfig();
  if (!from_pg_config.empty() && HasServerBinaries(from_pg_config)) return from_pg_config;
  return InternalError(std::string("no PostgreSQL server found under ") + kPostgresRoot +
                       " (install postgresql-15) and pg_config names none");
}

// FNV-1a: stable across builds and compilers, unlike std::hash.
std::string HashHex(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Status Chown(const std::string& path, const Credentials& c) {
  if (!c.switch_user) return Status::Ok();
  if (lchown(path.c_str(), c.uid, c.gid) < 0) return ErrnoError("chown " + path, errno);
  return Status::Ok();
}

// A folder only the cluster user can enter, as initdb wants it.
Status MakePrivateDir(const std::string& path, const Credentials& c) {
  if (mkdir(path.c_str(), 0700) < 0 && errno != EEXIST) return ErrnoError("mkdir " + path, errno);
  HESTIA_RETURN_IF_ERROR(Chown(path, c));
  if (chmod(path.c_str(), 0700) < 0) return ErrnoError("chmod " + path, errno);
  return Status::Ok();
}

Status MakePublicDirs(const std::string& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return InternalError("cannot create " + path + ": " + ec.message());
  return Status::Ok();
}

// The cluster user cannot reach data_dir (e.g. a clone under /root, mode 0700): keep the
// cluster where it can, and point data_dir/pgdata at it.
Result<std::string> MakeFallbackPgdata(const std::string& data_dir, const std::string& link,
                                       const Credentials& c) {
  HESTIA_RETURN_IF_ERROR(MakePublicDirs(kFallbackRoot));
  std::string target = std::string(kFallbackRoot) + "/" + HashHex(data_dir);
  HESTIA_RETURN_IF_ERROR(MakePrivateDir(target, c));
  if (symlink(target.c_str(), link.c_str()) < 0 && errno != EEXIST) {
    return ErrnoError("symlink " + link + " -> " + target, errno);
  }
  log::Warn(
      "the PostgreSQL cluster user cannot traverse the data folder, so the cluster lives in "
      "the fallback folder and the data folder holds a symlink to it",
      {{"data_dir", data_dir}, {"user", c.name}, {"cluster_dir", target}, {"symlink", link}});
  return target;
}

Result<std::string> LocatePgdata(const std::string& data_dir, const Credentials& c) {
  const std::string link = data_dir + "/pgdata";
  struct stat st;
  if (lstat(link.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) {
      char* real = realpath(link.c_str(), nullptr);
      if (real != nullptr) {
        std::string resolved = real;
        free(real);
        return resolved;
      }
      // The target is gone (e.g. /var/lib/hestia wiped): recreate it only where we put it.
      std::error_code ec;
      std::string target = fs::read_symlink(link, ec).string();
      if (!ec && target.rfind(std::string(kFallbackRoot) + "/", 0) == 0) {
        HESTIA_RETURN_IF_ERROR(MakePublicDirs(kFallbackRoot));
        HESTIA_RETURN_IF_ERROR(MakePrivateDir(target, c));
        log::Warn("recreated the missing fallback cluster folder; the cluster starts empty",
                  {{"cluster_dir", target}});
        return target;
      }
      return InternalError(link + " is a symlink to a missing folder");
    }
    if (!S_ISDIR(st.st_mode)) return InternalError(link + " exists and is not a folder");
    if (c.switch_user) {
      HESTIA_ASSIGN_OR_RETURN(bool reachable, CanTraverse(c, data_dir));
      if (!reachable) {
        return InternalError("the cluster user " + c.name + " cannot traverse " + data_dir +
                             " to reach " + link +
                             "; give it search permission on every parent folder or move the "
                             "data folder");
      }
    }
    char* real = realpath(link.c_str(), nullptr);
    if (real == nullptr) return ErrnoError("realpath " + link, errno);
    std::string resolved = real;
    free(real);
    return resolved;
  }
  if (errno != ENOENT) return ErrnoError("lstat " + link, errno);
  if (c.switch_user) {
    HESTIA_ASSIGN_OR_RETURN(bool reachable, CanTraverse(c, data_dir));
    if (!reachable) return MakeFallbackPgdata(data_dir, link, c);
  }
  HESTIA_RETURN_IF_ERROR(MakePrivateDir(link, c));
  // Canonical, as postgres's cwd in /proc is: FindRunningPostmaster compares the two.
  char* real = realpath(link.c_str(), nullptr);
  if (real == nullptr) return ErrnoError("realpath " + link, errno);
  std::string resolved = real;
  free(real);
  return resolved;
}

const char* InitdbLocale() {
  locale_t l = newlocale(LC_ALL_MASK, "C.UTF-8", nullptr);
  if (l == nullptr) return "C";
  freelocale(l);
  return "C.UTF-8";
}

// shared_buffers for a new cluster: a quarter of the memory, from 128MB to 1GB.
std::string SharedBuffersSetting() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  int64_t mb = 128;
  if (pages > 0 && page_size > 0) {
    mb = static_cast<int64_t>(pages) * page_size / 4 / (int64_t{1} << 20);
  }
  return std::to_string(std::clamp<int64_t>(mb, 128, 1024)) + "MB";
}

Status WriteConfig(const std::string& pgdata) {
  std::ofstream conf(pgdata + "/postgresql.conf", std::ios::app);
  conf << "\n"
          "# Added by Hestia on first start. Tuning for a development machine; edit freely.\n"
          "# listen_addresses, unix_socket_directories, port, fsync, full_page_writes and\n"
          "# synchronous_commit are set on the postgres command line by Hestia: values here\n"
          "# are overridden.\n"
          "# A quarter of the memory, 128MB to 1GB: every write also inserts into the search\n"
          "# index B-trees, and when they do not fit the backends evict and write pages\n"
          "# themselves.\n"
          "shared_buffers = "
       << SharedBuffersSetting()
       << "\n"
          "max_connections = 100\n"
          "# Index lookups are cheap on SSDs and a warm cache: without this the planner picks\n"
          "# sequential scans for reverse chains (_has) at a million resources.\n"
          "random_page_cost = 1.1\n"
          "effective_cache_size = 1GB\n"
          "# Every written resource also writes its search index rows: fewer checkpoints mean\n"
          "# fewer full-page images in the WAL during bulk loads.\n"
          "max_wal_size = 4GB\n"
          "wal_compression = lz4\n";
  conf.close();
  if (!conf) return InternalError("cannot append to " + pgdata + "/postgresql.conf");
  return Status::Ok();
}

Status RunInitdb(const ClusterLayout& layout) {
  HESTIA_ASSIGN_OR_RETURN(int log_fd, OpenPostgresLog(layout));
  SpawnOptions o;
  o.argv = {layout.bin_dir + "/initdb",
            "-D",
            layout.pgdata,
            "--data-checksums",
            "-U",
            kDatabaseRole,
            "--auth=trust",
            "-E",
            "UTF8",
            std::string("--locale=") + InitdbLocale(),
            "--no-instructions"};
  o.env = ChildEnvironment();
  o.credentials = layout.credentials;
  o.output_fd = log_fd;
  log::Info("initialising PostgreSQL cluster",
            {{"pgdata", layout.pgdata}, {"user", layout.credentials.name}});
  auto status = RunToCompletion(o);
  close(log_fd);
  if (!status.ok()) return status.status();
  if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return InternalError("initdb failed (" + DescribeWaitStatus(*status) + "); " + layout.log_path +
                         " ends with:\n" + LogTail(layout.log_path));
  }
  return WriteConfig(layout.pgdata);
}

bool DirIsEmpty(const std::string& path) {
  std::error_code ec;
  return fs::is_empty(path, ec) && !ec;
}

std::string PercentEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      snprintf(buf, sizeof buf, "%%%02X", c);
      out.append(buf);
    }
  }
  return out;
}

bool IsOurSocketDirName(const std::string& dir) {
  // Exactly what mkdtemp makes of kSocketPrefix + "XXXXXX".
  const size_t prefix = strlen(kSocketPrefix);
  return dir.size() == prefix + 6 && dir.rfind(kSocketPrefix, 0) == 0 &&
         std::all_of(dir.begin() + static_cast<long>(prefix), dir.end(),
                     [](char c) { return isalnum(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return path;
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string ResolvePgdata(const std::string& data_dir) {
  char* real = realpath((AbsolutePath(data_dir) + "/pgdata").c_str(), nullptr);
  if (real == nullptr) return "";
  std::string s = real;
  free(real);
  return s;
}

Result<ClusterLayout> PrepareCluster(const ClusterOptions& options) {
  if (options.data_dir.empty()) return InvalidError("the embedded cluster needs a data folder");
  ClusterLayout layout;
  layout.data_dir = AbsolutePath(options.data_dir);
  layout.log_path = layout.data_dir + "/postgres.log";
  layout.socket_dir_file = layout.data_dir + "/socket_dir";
  HESTIA_RETURN_IF_ERROR(MakePublicDirs(layout.data_dir));

  if (geteuid() == 0) {
    if (options.system_user.empty() || options.system_user == "root") {
      return InvalidError("PostgreSQL refuses to run as root; configure a system user");
    }
    HESTIA_ASSIGN_OR_RETURN(layout.credentials, EnsureSystemUser(options.system_user));
  } else {
    layout.credentials = CurrentCredentials();
  }
  HESTIA_ASSIGN_OR_RETURN(layout.pgdata, LocatePgdata(layout.data_dir, layout.credentials));

  const std::string pg_version = Trim(ReadSmallFile(layout.pgdata + "/PG_VERSION"));
  HESTIA_ASSIGN_OR_RETURN(layout.bin_dir, FindBinDir(options, pg_version));

  struct stat st;
  if (stat(layout.pgdata.c_str(), &st) < 0) return ErrnoError("stat " + layout.pgdata, errno);
  if (pg_version.empty()) {
    if (!DirIsEmpty(layout.pgdata)) {
      return InternalError(layout.pgdata +
                           " is not empty but holds no PostgreSQL cluster (no PG_VERSION); "
                           "an interrupted first start? Remove it to initialise afresh");
    }
    if (st.st_uid != layout.credentials.uid)
      HESTIA_RETURN_IF_ERROR(Chown(layout.pgdata, layout.credentials));
    HESTIA_RETURN_IF_ERROR(RunInitdb(layout));
  } else if (st.st_uid != layout.credentials.uid) {
    return InternalError(layout.pgdata + " belongs to uid " + std::to_string(st.st_uid) +
                         " but the cluster runs as uid " + std::to_string(layout.credentials.uid) +
                         "; it was created by another user (root vs. non-root start?)");
  }
  return layout;
}

Result<int> OpenPostgresLog(const ClusterLayout& layout) {
  int fd = open(layout.log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoError("open " + layout.log_path, errno);
  return fd;
}

Result<std::string> CreateSocketDir(const ClusterLayout& layout) {
  // Reuse the folder of the previous run, so that the connection string survives a stop and
  // start (a server using it via --database-url reconnects by itself), unless a live postmaster
  // still holds its socket lock (another start of this data folder racing with this one).
  std::string previous = Trim(ReadSmallFile(layout.socket_dir_file));
  if (!previous.empty() && IsOurSocketDirName(previous)) {
    const std::string socket_name = ".s.PGSQL." + std::to_string(kSocketPort);
    std::string lock = ReadSmallFile(previous + "/" + socket_name + ".lock");
    if (!ProcessAlive(static_cast<pid_t>(std::atol(lock.c_str())))) {
      if (EnsureSocketDir(layout, previous).ok()) {
        // Leftovers of a killed postmaster; postgres would handle them, unless their pid had
        // been reused.
        int dfd = open(previous.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd >= 0) {
          unlinkat(dfd, socket_name.c_str(), 0);
          unlinkat(dfd, (socket_name + ".lock").c_str(), 0);
          close(dfd);
        }
        return previous;
      }
      log::Warn("cannot reuse the previous socket folder; the connection string changes",
                {{"socket_dir", previous}});
    }
  }

  std::string tmpl = std::string(kSocketPrefix) + "XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoError("mkdtemp " + tmpl, errno);
  HESTIA_RETURN_IF_ERROR(Chown(tmpl, layout.credentials));

  const std::string tmp_file = layout.socket_dir_file + ".tmp";
  {
    std::ofstream out(tmp_file, std::ios::trunc);
    out << tmpl << "\n";
    out.close();
    if (!out) return InternalError("cannot write " + tmp_file);
  }
  if (rename(tmp_file.c_str(), layout.socket_dir_file.c_str()) < 0) {
    return ErrnoError("rename " + tmp_file, errno);
  }
  return tmpl;
}

Status EnsureSocketDir(const ClusterLayout& layout, const std::string& socket_dir) {
  struct stat st;
  if (lstat(socket_dir.c_str(), &st) < 0) {
    if (errno != ENOENT) return ErrnoError("lstat " + socket_dir, errno);
    // mkdir fails if someone else got there first; that case is refused below.
    if (mkdir(socket_dir.c_str(), 0700) == 0) {
      return Chown(socket_dir, layout.credentials);
    }
    if (errno != EEXIST) return ErrnoError("mkdir " + socket_dir, errno);
    if (lstat(socket_dir.c_str(), &st) < 0) return ErrnoError("lstat " + socket_dir, errno);
  }
  if (!S_ISDIR(st.st_mode) || st.st_uid != layout.credentials.uid || (st.st_mode & 077) != 0) {
    return InternalError("socket folder " + socket_dir +
                         " is no longer a private folder of the cluster user; refusing to use it");
  }
  return Status::Ok();
}

void RemoveSocketDir(const std::string& socket_dir) {
  if (!IsOurSocketDirName(socket_dir)) return;
  int dfd = open(socket_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return;
  const std::string socket_name = ".s.PGSQL." + std::to_string(kSocketPort);
  unlinkat(dfd, socket_name.c_str(), 0);
  unlinkat(dfd, (socket_name + ".lock").c_str(), 0);
  close(dfd);
  rmdir(socket_dir.c_str());
}

std::vector<std::string> PostgresArgv(const ClusterLayout& layout, const std::string& socket_dir) {
  return {layout.bin_dir + "/postgres",
          "-D",
          layout.pgdata,
          "-c",
          "listen_addresses=",
          "-c",
          "unix_socket_directories=" + socket_dir,
          "-c",
          "unix_socket_permissions=0700",
          "-c",
          "port=" + std::to_string(kSocketPort),
          "-c",
          "fsync=on",
          "-c",
          "full_page_writes=on",
          "-c",
          "synchronous_commit=on"};
}

std::vector<std::string> ChildEnvironment() {
  std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_MESSAGES=C"};
  if (const char* tz = getenv("TZ"); tz != nullptr) env.push_back(std::string("TZ=") + tz);
  return env;
}

std::string ConnectionStringFor(const std::string& socket_dir) {
  return "postgresql:///postgres?host=" + PercentEncode(socket_dir) +
         "&port=" + std::to_string(kSocketPort) + "&user=" + kDatabaseRole;
}

std::string LogTail(const std::string& log_path, int lines) {
  std::ifstream in(log_path, std::ios::binary);
  if (!in) return "(no log at " + log_path + ")";
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  std::streamoff start = size > 65536 ? size - 65536 : 0;
  in.seekg(start);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (int n = 0; n < lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

std::optional<RunningPostmaster> FindRunningPostmaster(const std::string& pgdata_path) {
  char* real = pgdata_path.empty() ? nullptr : realpath(pgdata_path.c_str(), nullptr);
  if (real == nullptr) return std::nullopt;
  const std::string pgdata = real;
  free(real);
  const std::string pid_file = pgdata + "/postmaster.pid";
  std::ifstream in(pid_file);
  if (!in) return std::nullopt;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (lines.empty()) return std::nullopt;  // being written right now, or truncated: not ours
  RunningPostmaster pm;
  pm.pid = static_cast<pid_t>(std::atol(lines[0].c_str()));
  if (lines.size() > 4) pm.socket_dir = lines[4];
  if (lines.size() > 7) pm.status = Trim(lines[7]);
  if (pm.pid <= 0 || (kill(pm.pid, 0) < 0 && errno == ESRCH)) {
    return std::nullopt;  // stale, and postgres itself handles that
  }
  if (!ProcessAlive(pm.pid)) {
    // An unreaped zombie (a detached postmaster whose init never reaps): postgres's own
    // kill(pid, 0) check would take it for a live server.
    log::Warn("removing the postmaster.pid of an exited postmaster that was never reaped",
              {{"pid_file", pid_file}, {"pid", static_cast<long long>(pm.pid)}});
    unlink(pid_file.c_str());
    return std::nullopt;
  }

  const std::string proc = "/proc/" + std::to_string(pm.pid);
  std::string comm = Trim(ReadSmallFile(proc + "/comm"));
  std::error_code ec;
  fs::path cwd = fs::read_symlink(proc + "/cwd", ec);
  bool reused = (!comm.empty() && comm != "postgres" && comm != "postmaster") ||
                (!ec && cwd.string() != pgdata);
  if (reused) {
    log::Warn("removing a stale postmaster.pid whose pid now belongs to another process",
              {{"pid_file", pid_file}, {"pid", static_cast<long long>(pm.pid)}, {"comm", comm}});
    unlink(pid_file.c_str());
    return std::nullopt;
  }
  return pm;
}

Status WaitUntilAccepting(const std::string& connection_string,
                          std::chrono::steady_clock::time_point deadline,
                          const std::function<bool()>& alive) {
  for (;;) {
    if (AcceptsConnections(connection_string)) return Status::Ok();
    if (!alive()) return UnavailableError("postgres exited during start-up");
    if (std::chrono::steady_clock::now() >= deadline) {
      return UnavailableError("postgres did not accept connections in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace hestia::storage
