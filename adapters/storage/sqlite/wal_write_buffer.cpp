// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/sqlite/wal_write_buffer.hpp"

#include <sqlite3.h>
#include <strings.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace seq::storage::sqlite {

namespace {

// The unix VFS writes at most 0x1ffff bytes per call (its seekAndWrite masks the count; a
// larger write comes back short, as SQLITE_FULL).
constexpr size_t max_buffered = 0x1ffff;

std::atomic<uint64_t> frames_buffered{0};
std::atomic<uint64_t> buffer_writes{0};

sqlite3_vfs* base_vfs = nullptr;

struct shim_file;

/// WAL files with buffered bytes written from this thread.
thread_local std::vector<shim_file*> pending;

struct shim_file {
  sqlite3_file base;     // pMethods: ours
  sqlite3_file* real;    // the default VFS's file, allocated right after this struct
  const char* name;      // a database file's xOpen name, its key in `databases`; else null
  shim_file* database;   // for a WAL file: its connection's database file
  bool full_sync;        // for a database file: `PRAGMA synchronous` is FULL or EXTRA
  sqlite3_int64 buf_offset;
  std::vector<char> buf;
  std::vector<shim_file*>* listed_in; // the `pending` this file is on, while buf has bytes

  int flush() {
    if (buf.empty())
      return SQLITE_OK;
    buffer_writes.fetch_add(1, std::memory_order_relaxed);
    auto rc = real->pMethods->xWrite(real, buf.data(), static_cast<int>(buf.size()), buf_offset);
    buf.clear();
    listed_in->erase(std::remove(listed_in->begin(), listed_in->end(), this), listed_in->end());
    listed_in = nullptr;
    return rc;
  }
};

/// Database files by their xOpen name, so that a WAL file finds its connection's database
/// file (sqlite3_filename_database of a WAL name points into the same buffer).
std::mutex databases_mtx;
std::unordered_map<const char*, shim_file*> databases;

shim_file* self(sqlite3_file* f) { return reinterpret_cast<shim_file*>(f); }
sqlite3_file* real(sqlite3_file* f) { return self(f)->real; }

int flush_pending() {
  int rc = SQLITE_OK;
  while (!pending.empty()) {
    auto r = pending.back()->flush();
    if (rc == SQLITE_OK)
      rc = r;
  }
  return rc;
}

/// `PRAGMA synchronous` values that sync the WAL at every commit.
bool syncs_every_commit(const char* value) {
  return value
         && (!strcasecmp(value, "full") || !strcasecmp(value, "extra") || !strcmp(value, "2")
             || !strcmp(value, "3"));
}

// -- file methods ------------------------------------------------------------------------

int x_close(sqlite3_file* f) {
  auto* s = self(f);
  auto rc = s->flush();
  if (s->name) {
    std::lock_guard guard{databases_mtx};
    auto i = databases.find(s->name);
    if (i != databases.end() && i->second == s)
      databases.erase(i);
  }
  auto rc2 = s->real->pMethods->xClose(s->real);
  s->buf.~vector();
  return rc != SQLITE_OK ? rc : rc2;
}

int x_read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  if (auto rc = self(f)->flush(); rc != SQLITE_OK)
    return rc;
  return real(f)->pMethods->xRead(real(f), p, n, off);
}

int x_write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  auto* s = self(f);
  if (!s->database || !s->database->full_sync) {
    if (auto rc = s->flush(); rc != SQLITE_OK)
      return rc;
    return s->real->pMethods->xWrite(s->real, p, n, off);
  }
  auto size = static_cast<size_t>(n);
  if (!s->buf.empty()
      && (off != s->buf_offset + static_cast<sqlite3_int64>(s->buf.size())
          || s->buf.size() + size > max_buffered))
    if (auto rc = s->flush(); rc != SQLITE_OK)
      return rc;
  if (size > max_buffered)
    return s->real->pMethods->xWrite(s->real, p, n, off);
  if (s->buf.empty()) {
    s->buf_offset = off;
    pending.push_back(s);
    s->listed_in = &pending;
  }
  auto* c = static_cast<const char*>(p);
  s->buf.insert(s->buf.end(), c, c + n);
  frames_buffered.fetch_add(1, std::memory_order_relaxed);
  return SQLITE_OK;
}

int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (auto rc = self(f)->flush(); rc != SQLITE_OK)
    return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}

int x_sync(sqlite3_file* f, int flags) {
  if (auto rc = self(f)->flush(); rc != SQLITE_OK)
    return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}

int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (auto rc = self(f)->flush(); rc != SQLITE_OK)
    return rc;
  return real(f)->pMethods->xFileSize(real(f), size);
}

int x_lock(sqlite3_file* f, int l) { return real(f)->pMethods->xLock(real(f), l); }
int x_unlock(sqlite3_file* f, int l) { return real(f)->pMethods->xUnlock(real(f), l); }
int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}

int x_file_control(sqlite3_file* f, int op, void* arg) {
  auto* s = self(f);
  if (auto rc = op == SQLITE_FCNTL_PRAGMA ? flush_pending() : s->flush(); rc != SQLITE_OK)
    return rc;
  if (op == SQLITE_FCNTL_PRAGMA && !s->database) {
    auto** a = static_cast<char**>(arg); // [1] the pragma's name, [2] its value or null
    if (a[1] && !strcasecmp(a[1], "synchronous") && a[2])
      s->full_sync = syncs_every_commit(a[2]);
  }
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}

int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** p) {
  return real(f)->pMethods->xShmMap(real(f), page, size, extend, p);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  // A wal-index lock change begins or ends a transaction: this thread's frames go out first.
  if (auto rc = flush_pending(); rc != SQLITE_OK)
    return rc;
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  // SQLite publishes a new wal-index header around this barrier. A buffering connection has
  // synced (and so written) its frames already; this only covers what else is pending.
  flush_pending();
  real(f)->pMethods->xShmBarrier(real(f));
}
int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
  if (auto rc = self(f)->flush(); rc != SQLITE_OK)
    return rc;
  return real(f)->pMethods->xFetch(real(f), off, n, pp);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return real(f)->pMethods->xUnfetch(real(f), off, p);
}

const sqlite3_io_methods shim_methods = {
  3,
  x_close,
  x_read,
  x_write,
  x_truncate,
  x_sync,
  x_file_size,
  x_lock,
  x_unlock,
  x_check_reserved,
  x_file_control,
  x_sector_size,
  x_device_characteristics,
  x_shm_map,
  x_shm_lock,
  x_shm_barrier,
  x_shm_unmap,
  x_fetch,
  x_unfetch,
};

// -- the VFS -------------------------------------------------------------------------------

int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* s = self(f);
  s->base.pMethods = nullptr;
  s->real = reinterpret_cast<sqlite3_file*>(s + 1);
  auto rc = base_vfs->xOpen(base_vfs, name, s->real, flags, out_flags);
  if (rc != SQLITE_OK || !s->real->pMethods)
    return rc;
  if (s->real->pMethods->iVersion < 3) { // the methods above need the whole version-3 set
    s->real->pMethods->xClose(s->real);
    return SQLITE_CANTOPEN;
  }
  new (&s->buf) std::vector<char>();
  s->name = nullptr;
  s->database = nullptr;
  s->full_sync = false;
  s->buf_offset = 0;
  s->listed_in = nullptr;
  if (name && (flags & SQLITE_OPEN_MAIN_DB)) {
    s->name = name;
    std::lock_guard guard{databases_mtx};
    databases[name] = s;
  } else if (name && (flags & SQLITE_OPEN_WAL)) {
    std::lock_guard guard{databases_mtx};
    auto i = databases.find(sqlite3_filename_database(name));
    s->database = i == databases.end() ? nullptr : i->second;
  }
  s->base.pMethods = &shim_methods;
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs*, const char* n, int sync) { return base_vfs->xDelete(base_vfs, n, sync); }
int x_access(sqlite3_vfs*, const char* n, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, n, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* n, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, n, size, out);
}
void* x_dl_open(sqlite3_vfs*, const char* n) { return base_vfs->xDlOpen(base_vfs, n); }
void x_dl_error(sqlite3_vfs*, int n, char* msg) { base_vfs->xDlError(base_vfs, n, msg); }
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return base_vfs->xDlSym(base_vfs, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) { base_vfs->xDlClose(base_vfs, h); }
int x_randomness(sqlite3_vfs*, int n, char* out) { return base_vfs->xRandomness(base_vfs, n, out); }
int x_sleep(sqlite3_vfs*, int us) { return base_vfs->xSleep(base_vfs, us); }
int x_current_time(sqlite3_vfs*, double* t) { return base_vfs->xCurrentTime(base_vfs, t); }
int x_last_error(sqlite3_vfs*, int n, char* out) {
  return base_vfs->xGetLastError(base_vfs, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* t) {
  return base_vfs->xCurrentTimeInt64(base_vfs, t);
}
int x_set_system_call(sqlite3_vfs*, const char* n, sqlite3_syscall_ptr p) {
  return base_vfs->xSetSystemCall(base_vfs, n, p);
}
sqlite3_syscall_ptr x_get_system_call(sqlite3_vfs*, const char* n) {
  return base_vfs->xGetSystemCall(base_vfs, n);
}
const char* x_next_system_call(sqlite3_vfs*, const char* n) {
  return base_vfs->xNextSystemCall(base_vfs, n);
}

sqlite3_vfs shim_vfs{};

} // namespace

const char* wal_write_buffer_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    shim_vfs.iVersion = 3;
    shim_vfs.szOsFile = static_cast<int>(sizeof(shim_file)) + base_vfs->szOsFile;
    shim_vfs.mxPathname = base_vfs->mxPathname;
    shim_vfs.zName = "ves-wal-buffer";
    shim_vfs.xOpen = x_open;
    shim_vfs.xDelete = x_delete;
    shim_vfs.xAccess = x_access;
    shim_vfs.xFullPathname = x_full_pathname;
    shim_vfs.xDlOpen = x_dl_open;
    shim_vfs.xDlError = x_dl_error;
    shim_vfs.xDlSym = x_dl_sym;
    shim_vfs.xDlClose = x_dl_close;
    shim_vfs.xRandomness = x_randomness;
    shim_vfs.xSleep = x_sleep;
    shim_vfs.xCurrentTime = x_current_time;
    shim_vfs.xGetLastError = x_last_error;
    shim_vfs.xCurrentTimeInt64 = x_current_time_int64;
    shim_vfs.xSetSystemCall = x_set_system_call;
    shim_vfs.xGetSystemCall = x_get_system_call;
    shim_vfs.xNextSystemCall = x_next_system_call;
    sqlite3_vfs_register(&shim_vfs, 0);
  });
  return shim_vfs.zName;
}

wal_write_buffer_counters wal_write_buffer_stats() {
  return {frames_buffered.load(std::memory_order_relaxed),
          buffer_writes.load(std::memory_order_relaxed)};
}

} // namespace seq::storage::sqlite
