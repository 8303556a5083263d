// See haproxy_logs.hpp.
#include "runtime/assemble/haproxy_logs.hpp"

#include <unistd.h>

#include <charconv>
#include <optional>
#include <tuple>

#include "runtime/assemble/check_spec.hpp"

namespace tandem::runtime::assemble {

namespace model = parsers::haproxy;
namespace log = proxy::log;

namespace {

void error(std::vector<problem>& problems, const parsers::source_position& at, std::string m) {
  problems.push_back({at, std::move(m), true});
}
void warning(std::vector<problem>& problems, const parsers::source_position& at, std::string m) {
  problems.push_back({at, std::move(m), false});
}

bool later(const parsers::source_position& a, const parsers::source_position& b) {
  return std::tie(a.file_, a.line_) > std::tie(b.file_, b.line_);
}

// The lines of a keyword in the proxy's own section, else in its defaults section (the model
// copies neither `other` lines nor captures from defaults).
std::vector<const model::words_at*> lines_of(const model::config_model& m, const model::proxy& p,
                                             std::string_view keyword) {
  std::vector<const model::words_at*> out;
  for (const model::words_at& w : p.other_) {
    if (!w.words_.empty() && w.words_[0] == keyword)
      out.push_back(&w);
  }
  if (out.empty()) {
    if (const model::proxy* d = defaults_of(m, p); d != nullptr) {
      for (const model::words_at& w : d->other_) {
        if (!w.words_.empty() && w.words_[0] == keyword)
          out.push_back(&w);
      }
    }
  }
  return out;
}

const model::words_at* last_line_of(const model::config_model& m, const model::proxy& p,
                                    std::string_view keyword) {
  const auto lines = lines_of(m, p, keyword);
  return lines.empty() ? nullptr : lines.back();
}

log::target_list targets_of(const std::vector<model::log_setting>& lines,
                            const log::process_log& global, std::vector<problem>& problems) {
  log::target_list out;
  for (const model::log_setting& l : lines) {
    if (l.global_) {
      out.insert(out.end(), global.targets_.begin(), global.targets_.end());
      continue;
    }
    std::string message;
    std::optional<log::target_spec> spec = log::parse_target(l.words_, message);
    if (!spec) {
      error(problems, l.position_, message);
      continue;
    }
    out.push_back(std::make_shared<log::target>(std::move(*spec)));
  }
  return out;
}

std::optional<std::size_t> length_of(const std::vector<std::string>& words, std::size_t from) {
  for (std::size_t i = from; i + 1 < words.size(); ++i) {
    if (words[i] == "len") {
      std::size_t n = 0;
      const std::string& v = words[i + 1];
      const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || end != v.data() + v.size())
        return std::nullopt;
      return n;
    }
  }
  return std::nullopt;
}

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void captures_of(const model::proxy& p, proxy::frontend& fe, std::vector<problem>& problems) {
  for (const model::words_at& w : p.other_) {
    if (w.words_.empty() || w.words_[0] != "capture")
      continue;
    const std::vector<std::string>& x = w.words_;
    if (x.size() >= 2 && x[1] == "cookie") {
      const auto n = x.size() >= 5 ? length_of(x, 3) : std::nullopt;
      if (!n || x.size() != 5) {
        error(problems, w.position_, "'capture cookie' expects <cookie_name> 'len' <len>");
        continue;
      }
      // A later one replaces an earlier one silently, as in HAProxy.
      fe.request_cookie_capture_ = proxy::capture_spec{x[2], *n};
      fe.response_cookie_capture_ = proxy::capture_spec{x[2], *n};
    } else if (x.size() >= 3 && (x[1] == "request" || x[1] == "response") && x[2] == "header") {
      const auto n = x.size() >= 6 ? length_of(x, 4) : std::nullopt;
      if (!n || x.size() != 6) {
        error(problems, w.position_,
              "'capture " + x[1] + " header' expects <header_name> 'len' <len>");
        continue;
      }
      auto& list = x[1] == "request" ? fe.request_captures_ : fe.response_captures_;
      list.push_back(proxy::capture_spec{lower(x[3]), *n});
    } else {
      error(problems, w.position_,
            "'capture' expects 'cookie', 'request header' or 'response header'");
    }
  }
}

}  // namespace

std::shared_ptr<log::process_log> global_logs_of(const model::config_model& m,
                                                 std::vector<problem>& problems) {
  auto g = std::make_shared<log::process_log>();
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0)
    g->hostname_ = host;
  for (const model::words_at& w : m.global_.other_) {
    if (w.words_.empty())
      continue;
    if (w.words_[0] == "log-tag" && w.words_.size() >= 2) {
      g->sender_.tag_ = w.words_[1];
    } else if (w.words_[0] == "log-send-hostname") {
      g->sender_.host_ = w.words_.size() >= 2 ? w.words_[1] : g->hostname_;
    }
  }
  log::process_log none;
  g->targets_ = targets_of(m.global_.logs_, none, problems);
  return g;
}

void backend_logs_of(const model::config_model& m, const model::proxy& p, log::process_log& global,
                     std::vector<problem>& problems) {
  std::vector<problem> ignored;  // a listen's lines are reported once, by its frontend side
  log::process_log::proxy_log& entry = global.proxies_[p.name_];
  entry.targets_ = targets_of(p.logs_, global,
                              (p.capabilities_ & model::cap_frontend) != 0 ? ignored : problems);
  entry.sender_ = global.sender_;
  if (const model::words_at* tag = last_line_of(m, p, "log-tag");
      tag != nullptr && tag->words_.size() >= 2) {
    entry.sender_.tag_ = tag->words_[1];
  }
}

void frontend_logs_of(const model::config_model& m, const model::proxy& p, log::process_log& global,
                      const proxy::acl::userlist_set* users, proxy::frontend& fe,
                      std::vector<problem>& problems) {
  captures_of(p, fe, problems);
  log::logger_settings s;
  s.targets_ = targets_of(p.logs_, global, problems);
  s.http_ = p.mode_ == model::proxy_mode::http;
  s.sender_ = global.sender_;
  if (const model::words_at* tag = last_line_of(m, p, "log-tag");
      tag != nullptr && tag->words_.size() >= 2) {
    s.sender_.tag_ = tag->words_[1];
  }
  s.context_.host_ = global.hostname_;
  if (const auto it = m.global_.tune_.find("tune.http.logurilen"); it != m.global_.tune_.end()) {
    std::size_t n = 0;
    const auto [end, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    if (ec == std::errc() && end == it->second.data() + it->second.size() && n > 0) {
      s.context_.max_request_line_ = n;
    }
  }

  // The format: the last of log-format, option httplog [clf] and option tcplog.
  std::string format;
  parsers::source_position format_at;
  bool have_format = false;
  auto consider = [&](const parsers::source_position& at, std::string text) {
    if (!have_format || later(at, format_at)) {
      format = std::move(text);
      format_at = at;
      have_format = true;
    }
  };
  if (const model::words_at* lf = last_line_of(m, p, "log-format"); lf != nullptr) {
    if (lf->words_.size() != 2) {
      error(problems, lf->position_,
            "log-format expects only one argument, don't forget to escape spaces!");
    } else {
      consider(lf->position_, lf->words_[1]);
    }
  }
  const auto option = [&p](std::string_view name) -> const model::option_setting* {
    const auto it = p.options_.find(name);
    return it == p.options_.end() || !it->second.enabled_ ? nullptr : &it->second;
  };
  if (const auto* o = option("httplog"); o != nullptr) {
    const bool clf = !o->arguments_.empty() && o->arguments_[0] == "clf";
    if (!o->arguments_.empty() && !clf) {
      error(problems, o->position_,
            "'option httplog' only accepts 'clf', not '" + o->arguments_[0] + "'");
    }
    if (p.mode_ != model::proxy_mode::http) {
      warning(problems, o->position_,
              "'option httplog' not usable with frontend '" + p.name_ +
                  "' (needs 'mode http'). Falling back to 'option tcplog'.");
      consider(o->position_, std::string(log::tcplog_format));
    } else {
      consider(o->position_, std::string(clf ? log::clf_format : log::httplog_format));
    }
  }
  if (const auto* o = option("httpslog"); o != nullptr) {
    warning(problems, o->position_,
            "'option httpslog' is logged as 'option httplog' by Tandem: without its TLS fields");
    consider(o->position_, std::string(log::httplog_format));
  }
  if (const auto* o = option("tcplog"); o != nullptr) {
    consider(o->position_, std::string(log::tcplog_format));
  }
  if (const auto* o = option("logasap"); o != nullptr) {
    warning(problems, o->position_,
            "'option logasap' is not run by Tandem: lines are written when the request ends, "
            "with the final sizes and times (no '+' prefix)");
  }
  s.dont_log_null_ = option("dontlognull") != nullptr;
  s.dont_log_normal_ = option("dontlog-normal") != nullptr;
  s.separate_errors_ = option("log-separate-errors") != nullptr;
  if (have_format) {
    std::string message;
    s.format_ = log::log_format::compile(format, message, users, s.http_);
    if (!s.format_)
      error(problems, format_at, "failed to parse log-format : " + message);
  }
  if (const model::words_at* sd = last_line_of(m, p, "log-format-sd"); sd != nullptr) {
    if (sd->words_.size() != 2) {
      error(problems, sd->position_,
            "log-format-sd expects only one argument, don't forget to escape spaces!");
    } else {
      std::string message;
      s.sd_format_ = log::log_format::compile(sd->words_[1], message, users, s.http_);
      if (!s.sd_format_) {
        error(problems, sd->position_, "failed to parse log-format-sd : " + message);
      }
    }
  }
  if (const model::words_at* e = last_line_of(m, p, "error-log-format"); e != nullptr) {
    warning(problems, e->position_,
            "'error-log-format' is not run by Tandem: connection errors are logged with the "
            "frontend's log format");
  }
  global.proxies_[p.name_] = {s.targets_, s.sender_};
  if (s.targets_.empty()) {
    if (have_format) {
      // HAProxy's words, without a line (`log global` with no global `log` counts as none).
      warning(problems, {},
              std::string("log format ignored for ") +
                  ((p.capabilities_ & model::cap_backend) != 0 ? "proxy '" : "frontend '") +
                  p.name_ + "' since it has no log address.");
    }
    fe.logger_ = nullptr;
    return;
  }
  fe.logger_ = std::make_shared<log::frontend_logger>(std::move(s));
}

}  // namespace tandem::runtime::assemble
