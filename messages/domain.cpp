// SPDX-License-Identifier: Apache-2.0
#include "messages/domain.hpp"

#include <chrono>
#include <cstdio>

namespace seq::msg {

namespace {

constexpr int64_t us_per_second = 1'000'000;
constexpr int64_t seconds_per_day = 86'400;

/// Days since 1970-01-01 → civil date (H. Hinnant's algorithm, proleptic Gregorian).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2)
    ++y;
}

/// Civil date → days since 1970-01-01.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  if (m <= 2)
    --y;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool is_leap(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) {
  static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/// "YYYY-MM-DDTHH:MM:SS" plus the fraction chrono's AutoSi picks for microseconds: none when
/// zero, 3 digits when whole milliseconds, else 6.
std::string format_utc(timestamp_us t) {
  int64_t secs = t / us_per_second;
  int64_t micros = t % us_per_second;
  if (micros < 0) {
    micros += us_per_second;
    --secs;
  }
  int64_t days = secs / seconds_per_day;
  int64_t sod = secs % seconds_per_day;
  if (sod < 0) {
    sod += seconds_per_day;
    --days;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  char buf[64];
  // Years outside 0000–9999 as chrono writes them: a sign and at least four digits
  // (+10000, -0001). They arise from an offset: 9999-12-31T23:00:00-05:00 is in year 10000.
  int n = std::snprintf(buf, sizeof(buf),
                        y >= 0 && y <= 9999 ? "%04lld-%02u-%02uT%02d:%02d:%02d"
                                            : "%+05lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(sod / 3600),
                        static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60));
  std::string out(buf, static_cast<size_t>(n));
  if (micros != 0) {
    if (micros % 1000 == 0)
      n = std::snprintf(buf, sizeof(buf), ".%03d", static_cast<int>(micros / 1000));
    else
      n = std::snprintf(buf, sizeof(buf), ".%06d", static_cast<int>(micros));
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

/// Reads exactly `n` ASCII digits at s[pos].
bool read_digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size())
    return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c)
    return false;
  ++pos;
  return true;
}

} // namespace

std::string stream_key::str() const {
  return tenant_id.str() + "/" + store_id.str();
}

uint64_t stream_key::hash() const noexcept {
  uint64_t h = 1469598103934665603ull;
  for (const auto* part : {&tenant_id, &store_id})
    for (auto b : part->b) {
      h ^= b;
      h *= 1099511628211ull;
    }
  return h;
}

timestamp_us now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string rfc3339_offset(timestamp_us t) {
  return format_utc(t) + "+00:00";
}

std::string rfc3339_z(timestamp_us t) {
  return format_utc(t) + "Z";
}

std::optional<timestamp_us> parse_rfc3339(std::string_view s) {
  // chrono DateTime::parse_from_rfc3339: YYYY-MM-DD, 'T'/'t'/' ', HH:MM:SS, optional '.'
  // and 1+ digits (beyond 9 ignored), then 'Z'/'z' or ±HH:MM.
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!read_digits(s, pos, 4, year) || !expect(s, pos, '-') || !read_digits(s, pos, 2, month)
      || !expect(s, pos, '-') || !read_digits(s, pos, 2, day))
    return std::nullopt;
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
    return std::nullopt;
  ++pos;
  if (!read_digits(s, pos, 2, hour) || !expect(s, pos, ':') || !read_digits(s, pos, 2, minute)
      || !expect(s, pos, ':') || !read_digits(s, pos, 2, second))
    return std::nullopt;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9)
        nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0)
      return std::nullopt;
    for (size_t i = digits; i < 9; ++i)
      nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos >= s.size())
    return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    bool negative = s[pos] == '-';
    ++pos;
    int oh, om;
    if (!read_digits(s, pos, 2, oh) || !expect(s, pos, ':') || !read_digits(s, pos, 2, om))
      return std::nullopt;
    if (oh > 23 || om > 59)
      return std::nullopt;
    offset_seconds = (oh * 3600 + om * 60) * (negative ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1
      || static_cast<unsigned>(day) > days_in_month(year, static_cast<unsigned>(month)))
    return std::nullopt;
  // Second 60 is a leap second (chrono keeps it as 59 s + 1e9 ns; as a timestamp it is the
  // next second).
  if (hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * seconds_per_day + hour * 3600 + minute * 60 + second - offset_seconds;
  return secs * us_per_second + nanos / 1000;
}

std::string redact_url(std::string_view url) {
  std::string out{url};
  // scheme://user:password@host…: from the first ':' to the last '@'. A password may hold an
  // unescaped '/', '?' or '@', so the '@' is not looked for in the authority alone; an '@'
  // later in the URL only hides more than the password.
  if (auto scheme = out.find("://"); scheme != std::string::npos) {
    auto start = scheme + 3;
    auto at = out.rfind('@');
    auto colon = out.find(':', start);
    if (at != std::string::npos && at > start && colon < at)
      out.replace(colon + 1, at - colon - 1, "***");
  }
  // password=… as a query parameter (?/&) or a libpq keyword (start or after whitespace).
  constexpr std::string_view key = "password=";
  for (size_t i = 0; (i = out.find(key, i)) != std::string::npos;) {
    auto value = i + key.size();
    if (i > 0 && std::string_view{"?& \t"}.find(out[i - 1]) == std::string_view::npos) {
      i = value;
      continue;
    }
    auto stop = out.find_first_of("& \t#", value);
    out.replace(value, (stop == std::string::npos ? out.size() : stop) - value, "***");
    i = value + 3;
  }
  return out;
}

std::string url_origin(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos)
    return redact_url(url);
  // The host starts after the last '@', as in redact_url.
  auto start = scheme + 3;
  auto host = url.rfind('@');
  host = host == std::string_view::npos || host < start ? start : host + 1;
  auto end = url.find_first_of("/?#", host);
  return std::string{url.substr(0, start)}
         + std::string{url.substr(host, end == std::string_view::npos ? url.npos : end - host)};
}

} // namespace seq::msg
