// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/event_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace seq::http {

using clock_type = std::chrono::steady_clock;

/// One client connection. `mx` guards `state` and the epoll registration against the loop's
/// sweep; everything else belongs to the thread that owns the connection (see the header).
struct connection {
  enum class state_t { armed, busy, closed };
  int fd = -1;
  size_t loop = 0;
  std::string remote_addr;
  int remote_port = -1;
  std::string in;          ///< bytes read and not yet parsed into a request
  std::string out;         ///< a response that could not be written at once
  size_t out_off = 0;
  size_t served = 0;
  bool continue_sent = false;
  bool close_after_write = false; ///< the response being written is the last one
  bool peer_closed = false;       ///< EOF read: answer what arrived complete, then close
  std::mutex mx;
  state_t state = state_t::busy;
  clock_type::time_point since; ///< armed since / write started
};

struct event_server::route {
  std::string method;
  std::regex pattern;
  std::string text;
  bool literal = false; ///< the pattern has no regex syntax: it matches only its own text
  blocking_handler blocking;
  async_handler async;
  std::chrono::milliseconds async_timeout{0};
};

struct event_server::loop {
  int epfd = -1;
  int wakefd = -1;
  std::thread thread;
  std::mutex mx; ///< guards conns and pending
  std::unordered_map<int, std::shared_ptr<connection>> conns;
  std::vector<std::weak_ptr<exchange>> pending; ///< async requests not yet answered
};

class event_server::pool {
public:
  explicit pool(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      threads_.emplace_back([this] { run(); });
      // Named by its creator, so it carries its name before the server says it is listening
      // (`top -H`, perf, bench/).
      pthread_setname_np(threads_.back().native_handle(), "ves-http-pool");
    }
  }
  ~pool() {
    {
      std::lock_guard<std::mutex> g{mx_};
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }
  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> g{mx_};
      q_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

private:
  void run() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> g{mx_};
        cv_.wait(g, [this] { return done_ || !q_.empty(); });
        if (q_.empty())
          return;
        f = std::move(q_.front());
        q_.pop_front();
      }
      f();
    }
  }
  std::mutex mx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  std::vector<std::thread> threads_;
  bool done_ = false;
};

// -- exchange ---------------------------------------------------------------------------------

void exchange::answer_exception(std::exception_ptr ep) {
  res = httplib::Response{};
  if (server_->hooks_.exception)
    server_->hooks_.exception(req, res, ep);
  else
    res.status = 500;
}

void exchange::send() {
  auto* srv = server_;
  if (res.status == -1)
    res.status = 200;
  if (srv->hooks_.completed)
    srv->hooks_.completed(*this);
  auto c = conn_;
  bool keep = keep_alive_ && !srv->stopping_.load(std::memory_order_acquire)
              && c->served + 1 < srv->opts_.keep_alive_max;
  c->out = wire::serialize_response(res, keep, head_);
  c->out_off = 0;
  c->close_after_write = !keep;
  ++c->served;
  srv->respond_now(c);
}

// -- server -----------------------------------------------------------------------------------

event_server::event_server(event_server_options opts, hooks h)
  : opts_(std::move(opts)), hooks_(std::move(h)) {
}

event_server::~event_server() {
  stop();
}

namespace {

bool is_literal(const std::string& pattern) {
  return pattern.find_first_of("()[]{}\\.*+?^$|") == std::string::npos;
}

} // namespace

void event_server::add(const std::string& method, const std::string& pattern,
                       blocking_handler h) {
  routes_.push_back(
    route{method, std::regex{pattern}, pattern, is_literal(pattern), std::move(h), {}, {}});
}

void event_server::add_async(const std::string& method, const std::string& pattern,
                             async_handler h, std::chrono::milliseconds async_timeout) {
  routes_.push_back(route{method, std::regex{pattern}, pattern, is_literal(pattern), {},
                          std::move(h), async_timeout});
}

std::variant<uint16_t, std::string> event_server::start() {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  auto port_text = std::to_string(opts_.port);
  if (int rc = ::getaddrinfo(opts_.host.c_str(), port_text.c_str(), &hints, &res); rc != 0)
    return "cannot resolve " + opts_.host + ": " + ::gai_strerror(rc);
  std::string err = "cannot bind " + opts_.host + ":" + port_text;
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ai->ai_protocol);
    if (fd < 0)
      continue;
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, opts_.backlog) == 0) {
      listen_fd_ = fd;
      break;
    }
    err += std::string{" ("} + std::strerror(errno) + ")";
    ::close(fd);
  }
  ::freeaddrinfo(res);
  if (listen_fd_ < 0)
    return err;
  sockaddr_storage local{};
  socklen_t len = sizeof(local);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&local), &len);
  uint16_t port = local.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port)
                    : ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);

  pool_ = std::make_unique<pool>(std::max<size_t>(opts_.workers, 1));
  for (size_t i = 0; i < std::max<size_t>(opts_.loops, 1); ++i) {
    auto l = std::make_unique<loop>();
    l->epfd = ::epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr; // the wake-up fd
    ::epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
    loops_.push_back(std::move(l));
  }
  // The first loop accepts (level-triggered, never one-shot) and deals the connections out.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = this;
  ::epoll_ctl(loops_[0]->epfd, EPOLL_CTL_ADD, listen_fd_, &ev);
  for (auto& l : loops_) {
    l->thread = std::thread([this, lp = l.get()] { run_loop(*lp); });
    pthread_setname_np(l->thread.native_handle(), "ves-http-loop"); // as the pool's
  }
  return port;
}

void event_server::wake(loop& l) {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(l.wakefd, &one, sizeof(one));
}

void event_server::stop() {
  if (stopped_.exchange(true))
    return;
  stopping_.store(true, std::memory_order_release);
  if (listen_fd_ >= 0 && !loops_.empty())
    ::epoll_ctl(loops_[0]->epfd, EPOLL_CTL_DEL, listen_fd_, nullptr);
  for (auto& l : loops_)
    wake(*l);
  // Each loop ends once all of its connections are closed: idle ones at once, busy ones after
  // their answer (written with `Connection: close`).
  for (auto& l : loops_)
    if (l->thread.joinable())
      l->thread.join();
  pool_.reset();
  for (auto& l : loops_) {
    ::close(l->epfd);
    ::close(l->wakefd);
  }
  loops_.clear();
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
  listen_fd_ = -1;
}

void event_server::run_loop(loop& l) {
  constexpr int max_events = 128;
  epoll_event events[max_events];
  auto next_sweep = clock_type::now() + std::chrono::seconds{1};
  bool accept_paused = false;
  clock_type::time_point accept_resumes{};
  for (;;) {
    bool stopping = stopping_.load(std::memory_order_acquire);
    if (accept_paused && !stopping && clock_type::now() >= accept_resumes) {
      accept_paused = false;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.ptr = this;
      ::epoll_ctl(l.epfd, EPOLL_CTL_ADD, listen_fd_, &ev);
    }
    if (stopping) {
      sweep(l);
      std::lock_guard<std::mutex> g{l.mx};
      if (l.conns.empty())
        return;
    }
    int n = ::epoll_wait(l.epfd, events, max_events,
                         stopping || accept_paused ? 50 : 1000);
    for (int i = 0; i < n; ++i) {
      auto* p = events[i].data.ptr;
      if (p == nullptr) {
        uint64_t v;
        [[maybe_unused]] auto r = ::read(l.wakefd, &v, sizeof(v));
      } else if (p == this) {
        if (!accept_all()) {
          // Out of descriptors: the listener would stay readable and spin this loop. The
          // clients wait in the backlog until descriptors are free again.
          spdlog::warn("http: cannot accept connections ({}); retrying in 100 ms",
                       std::strerror(errno));
          ::epoll_ctl(l.epfd, EPOLL_CTL_DEL, listen_fd_, nullptr);
          accept_paused = true;
          accept_resumes = clock_type::now() + std::chrono::milliseconds{100};
        }
      } else {
        on_event(l, *static_cast<connection*>(p), events[i].events);
      }
    }
    if (auto now = clock_type::now(); now >= next_sweep) {
      sweep(l);
      next_sweep = now + std::chrono::seconds{1};
    }
  }
}

bool event_server::accept_all() {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return errno != EMFILE && errno != ENFILE && errno != ENOBUFS && errno != ENOMEM;
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    auto c = std::make_shared<connection>();
    c->fd = fd;
    char addr[INET6_ADDRSTRLEN] = {};
    if (peer.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&peer);
      ::inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
      c->remote_port = ntohs(a->sin_port);
    } else if (peer.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&peer);
      ::inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
      c->remote_port = ntohs(a->sin6_port);
    }
    c->remote_addr = addr;
    c->loop = next_loop_.fetch_add(1, std::memory_order_relaxed) % loops_.size();
    auto& target = *loops_[c->loop];
    {
      std::lock_guard<std::mutex> g{target.mx};
      target.conns.insert_or_assign(fd, c);
    }
    std::lock_guard<std::mutex> g{c->mx};
    c->state = connection::state_t::armed;
    c->since = clock_type::now();
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT | EPOLLRDHUP;
    ev.data.ptr = c.get();
    ::epoll_ctl(target.epfd, EPOLL_CTL_ADD, fd, &ev);
  }
}

void event_server::arm(connection& c, uint32_t events) {
  std::lock_guard<std::mutex> g{c.mx};
  if (c.state == connection::state_t::closed)
    return;
  c.state = connection::state_t::armed;
  c.since = clock_type::now();
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT | EPOLLRDHUP;
  ev.data.ptr = &c;
  ::epoll_ctl(loops_[c.loop]->epfd, EPOLL_CTL_MOD, c.fd, &ev);
}

void event_server::close(connection& c) {
  int fd = -1;
  {
    std::lock_guard<std::mutex> g{c.mx};
    if (c.state == connection::state_t::closed)
      return;
    c.state = connection::state_t::closed;
    fd = c.fd;
  }
  auto& l = *loops_[c.loop];
  std::shared_ptr<connection> keep; // freed outside the lock (it may be `c` itself)
  {
    // Out of the table before the descriptor is closed, so that an accept reusing its number
    // finds the slot free.
    std::lock_guard<std::mutex> g{l.mx};
    auto i = l.conns.find(fd);
    if (i != l.conns.end() && i->second.get() == &c) {
      keep = std::move(i->second);
      l.conns.erase(i);
    }
  }
  ::close(fd);
  if (stopping_.load(std::memory_order_acquire))
    wake(l);
}

void event_server::on_event(loop& l, connection& c, uint32_t events) {
  std::shared_ptr<connection> self;
  {
    std::lock_guard<std::mutex> g{l.mx};
    auto i = l.conns.find(c.fd);
    if (i == l.conns.end() || i->second.get() != &c)
      return;
    self = i->second;
  }
  {
    std::lock_guard<std::mutex> g{c.mx};
    if (c.state != connection::state_t::armed)
      return;
    c.state = connection::state_t::busy;
  }
  if (!c.out.empty()) { // a response waiting for the socket to drain
    if (events & (EPOLLERR | EPOLLHUP))
      return close(c);
    if (flush(c))
      after_write(self);
    else
      arm(c, EPOLLOUT);
    return;
  }
  bool eof = false;
  char buf[16384];
  for (;;) {
    auto n = ::recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof(buf))
        break;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    eof = true; // orderly shutdown or error
    break;
  }
  if (eof && c.in.empty())
    return close(c);
  if (eof)
    c.peer_closed = true;
  process(self);
}

void event_server::process(const std::shared_ptr<connection>& c) {
  if (c->in.empty()) {
    if (c->peer_closed || stopping_.load(std::memory_order_acquire))
      return close(*c);
    return arm(*c, EPOLLIN);
  }
  // Not make_shared: `pending` holds weak references until the next sweep, which would keep
  // the whole exchange's storage allocated.
  exchange_ptr ex{new exchange};
  auto r = wire::parse_request(c->in, opts_.limits, ex->req);
  if (r.state == wire::parse_state::incomplete) {
    if (c->peer_closed)
      return close(*c); // the peer closed in the middle of a request
    if (r.expects_continue && !c->continue_sent) {
      c->continue_sent = true;
      static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
      [[maybe_unused]] auto n = ::send(c->fd, cont.data(), cont.size(), MSG_NOSIGNAL);
    }
    return arm(*c, EPOLLIN);
  }
  c->continue_sent = false;
  ex->server_ = this;
  ex->conn_ = c;
  ex->started = clock_type::now();
  ex->req.remote_addr = c->remote_addr;
  ex->req.remote_port = c->remote_port;
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  if (r.state == wire::parse_state::error) {
    c->in.clear();
    ex->keep_alive_ = false;
    return answer_transport_error(ex, r.error_status);
  }
  c->in.erase(0, r.consumed);
  ex->keep_alive_ = r.keep_alive;
  ex->head_ = ex->req.method == "HEAD";
  dispatch(std::move(ex));
}

void event_server::dispatch(exchange_ptr ex) {
  auto& req = ex->req;
  if (stopping_.load(std::memory_order_acquire))
    return answer_transport_error(ex, 503);
  std::string_view method = ex->head_ ? std::string_view{"GET"} : std::string_view{req.method};
  // Routes match the path as sent, before percent-decoding (as the reference's router does):
  // an encoded `/` (%2F) stays inside its segment, and path_param decodes the captures.
  auto raw_len = std::min(req.target.find('?'), req.target.size());
  std::string_view raw_path{req.target.data(), raw_len};
  auto raw_end = req.target.cbegin() + static_cast<std::ptrdiff_t>(raw_len);
  // A route without parameters owns its path: `GET /api/v1/agents/keys` is the POST route's
  // path with another method, not an agent called "keys".
  bool literal = std::any_of(routes_.begin(), routes_.end(), [&](const route& r) {
    return r.literal && r.text == raw_path;
  });
  auto serves_path = [&](const route& r) {
    return literal ? r.literal && r.text == raw_path
                   : std::regex_match(req.target.cbegin(), raw_end, req.matches, r.pattern);
  };
  const route* found = nullptr;
  for (auto& r : routes_) {
    if (r.method == method && serves_path(r)) {
      found = &r;
      break;
    }
  }
  if (!found) {
    std::vector<std::string_view> methods;
    for (auto& r : routes_)
      if (serves_path(r) && std::find(methods.begin(), methods.end(), r.method) == methods.end())
        methods.push_back(r.method);
    if (methods.empty())
      return answer_transport_error(ex, 404);
    std::string allow;
    for (auto m : methods) {
      allow += allow.empty() ? "" : ", ";
      allow += m == "GET" ? std::string_view{"GET, HEAD"} : m;
    }
    ex->res.set_header("Allow", allow);
    return answer_transport_error(ex, 405);
  }
  ex->route = found->text;
  auto guarded = [](const exchange_ptr& e, auto&& body) {
    try {
      body();
    } catch (...) {
      // complete() answers an exception from its fill with the exception hook's response.
      auto ep = std::current_exception();
      e->complete([&](httplib::Response&) { std::rethrow_exception(ep); });
    }
  };
  if (found->async) {
    ex->deadline_ = ex->started + found->async_timeout;
    {
      auto& l = *loops_[ex->conn_->loop];
      std::lock_guard<std::mutex> g{l.mx};
      l.pending.push_back(ex);
    }
    guarded(ex, [&] { found->async(ex); });
    return;
  }
  pool_->post([this, ex = std::move(ex), found, guarded]() mutable {
    guarded(ex, [&] {
      found->blocking(ex->req, ex->res);
      ex->complete([](httplib::Response&) {});
    });
  });
}

void event_server::answer_transport_error(const exchange_ptr& ex, int status) {
  ex->complete([&](httplib::Response& res) {
    res.status = status;
    if (hooks_.transport_error)
      hooks_.transport_error(ex->req, res);
  });
}

bool event_server::flush(connection& c) {
  while (c.out_off < c.out.size()) {
    auto n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return false;
    c.close_after_write = true; // the peer is gone: drop the rest
    c.out_off = c.out.size();
  }
  return true;
}

void event_server::respond_now(const std::shared_ptr<connection>& c) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (flush(*c))
    after_write(c);
  else
    arm(*c, EPOLLOUT); // the loop writes the rest when the socket drains
}

void event_server::after_write(const std::shared_ptr<connection>& c) {
  c->out.clear();
  c->out_off = 0;
  if (c->close_after_write || (c->peer_closed && c->in.empty()))
    return close(*c);
  if (c->in.empty())
    return arm(*c, EPOLLIN);
  // A pipelined request is already buffered: take it on this thread (a worker, or the one
  // that delivered an async answer; a blocking route still goes to the pool). A request
  // answered at once (an async route, an error the server makes) comes back here from
  // process(): past a few levels, the rest goes to the pool, so that a long pipeline cannot
  // overflow this thread's stack.
  thread_local int depth = 0;
  if (depth >= 16)
    return pool_->post([this, c] { process(c); });
  ++depth;
  struct leave {
    ~leave() { --depth; }
  } guard;
  process(c);
}

void event_server::sweep(loop& l) {
  auto now = clock_type::now();
  bool stopping = stopping_.load(std::memory_order_acquire);
  std::vector<std::shared_ptr<connection>> expired;
  std::vector<exchange_ptr> late;
  {
    std::lock_guard<std::mutex> g{l.mx};
    for (auto& [fd, c] : l.conns) {
      std::lock_guard<std::mutex> cg{c->mx};
      if (c->state != connection::state_t::armed)
        continue;
      auto limit = !c->out.empty()  ? opts_.write_timeout
                   : c->in.empty() ? opts_.keep_alive_timeout
                                   : opts_.read_timeout;
      if ((stopping && c->out.empty()) || now - c->since >= limit) {
        c->state = connection::state_t::busy; // taken from the loop: closed below
        ::epoll_ctl(l.epfd, EPOLL_CTL_DEL, c->fd, nullptr);
        expired.push_back(c);
      }
    }
    auto& p = l.pending;
    size_t kept = 0;
    for (auto& w : p) {
      auto ex = w.lock();
      if (!ex || ex->answered())
        continue;
      if (now >= ex->deadline_)
        late.push_back(std::move(ex));
      else
        p[kept++] = std::move(w);
    }
    p.resize(kept);
  }
  for (auto& c : expired)
    close(*c);
  for (auto& ex : late)
    ex->complete([&](httplib::Response& res) {
      if (hooks_.timeout)
        hooks_.timeout(ex->req, res);
      else
        res.status = 503;
    });
}

} // namespace seq::http
