// SPDX-License-Identifier: Apache-2.0
#include "runtime/logging.hpp"

#include "messages/ves/json.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace seq::runtime {

namespace {

/// `%*`: the log message as a JSON string literal. A message can carry client bytes (a
/// request id, a path) that are not UTF-8; they become U+FFFD, so that the line stays JSON.
class json_message_flag : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string_view text{msg.payload.data(), msg.payload.size()};
    auto q = ves::json::valid_utf8(text) ? ves::json::quote(text)
                                         : ves::json::quote(ves::json::to_valid_utf8(text));
    dest.append(q.data(), q.data() + q.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return spdlog::details::make_unique<json_message_flag>();
  }
};

} // namespace

void setup_logging(const std::string& format, const std::string& level) {
  auto logger = spdlog::stderr_logger_mt("ves");
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<json_message_flag>('*').set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":%*})");
    logger->set_formatter(std::move(f));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

} // namespace seq::runtime
