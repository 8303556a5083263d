// The HAProxy analysis (see analyse.hpp): walks the sections of the syntax tree, lowers each
// keyword line through the table (keywords.cpp) into the model with defaults inheritance,
// then checks the model as a whole.
#include "parsers/haproxy/analyse.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "parsers/common/text.hpp"
#include "parsers/haproxy/builder.hpp"
#include "parsers/haproxy/keywords.hpp"

namespace tandem::parsers::haproxy {

namespace {

constexpr std::uint8_t strict_capability = 8;  // keyword_entry::where_: missing cap is an error

bool all_digits(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// inet_pton() wants a C string: `v`, up to a NUL as c_str() would end it, is copied to the
// stack (a longer text is no literal).
bool ip_literal(int family, std::string_view v) {
  v = v.substr(0, v.find('\0'));
  char text[64];
  if (v.size() >= sizeof text) {
    return false;
  }
  v.copy(text, v.size());
  text[v.size()] = '\0';
  in6_addr a{};
  return inet_pton(family, text, &a) == 1;
}

// What inet_pton(AF_INET) accepts (glibc's inet_pton4, up to a NUL as c_str() would end it):
// four decimal octets of at most 255 without a leading zero, and nothing else. Written out
// because every server line asks it, twice.
bool ipv4_literal(std::string_view v) {
  v = v.substr(0, v.find('\0'));
  unsigned octet = 0;
  int octets = 0;
  bool saw_digit = false;
  for (const char c : v) {
    if (c >= '0' && c <= '9') {
      if (saw_digit && octet == 0) {
        return false;
      }
      octet = octet * 10 + static_cast<unsigned>(c - '0');
      if (octet > 255) {
        return false;
      }
      if (!saw_digit) {
        if (++octets > 4) {
          return false;
        }
        saw_digit = true;
      }
    } else if (c == '.' && saw_digit) {
      if (octets == 4) {
        return false;
      }
      octet = 0;
      saw_digit = false;
    } else {
      return false;
    }
  }
  return octets == 4;
}

bool ipv6_literal(std::string_view v) {
  return ip_literal(AF_INET6, v);
}

bool host_name(std::string_view v) {
  return !v.empty() && v.size() < 254 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_';
  });
}

bool parse_port(std::string_view v, std::uint16_t& out) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || end != v.data() + v.size() || value > 65535) {
    return false;
  }
  out = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Values.

bool builder::unsigned_value(const word& w, diagnostics& diags, std::uint32_t& out) const {
  std::uint64_t value = 0;
  const std::string& v = w.value_;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  if (ec != std::errc() || end != v.data() + v.size() || value > 0xffffffffULL) {
    diags.add(severity::error, codes::bad_number, w.position_,
              "'" + v + "' is not a valid number here", std::string("write a whole number such as 100"));
    return false;
  }
  out = static_cast<std::uint32_t>(value);
  return true;
}

bool builder::time_value(const word& w, diagnostics& diags, milliseconds& out) const {
  const std::string& v = w.value_;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
  const std::string_view unit(end, static_cast<std::size_t>(v.data() + v.size() - end));
  std::uint64_t scale = 0;
  if (ec == std::errc()) {
    if (unit.empty() || unit == "ms") {
      scale = 1;
    } else if (unit == "us") {
      scale = 0;
      out = value / 1000;
      return true;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    }
  }
  if (scale == 0 || value > 0x7fffffffULL * 1000 / scale) {
    diags.add(severity::error, codes::bad_number, w.position_,
              "'" + v + "' is not a valid time", std::string("write a number with an optional unit: "
                                                             "us, ms (the default), s, m, h or d"));
    return false;
  }
  out = value * scale;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Addresses.

std::optional<address> parse_address(std::string_view text, bool need_port, bool allow_range,
                                     bool allow_offset, std::string& error) {
  address a;
  a.text_ = std::string(text);
  std::string_view rest = text;
  const std::size_t at = rest.find('@');
  if (at != std::string_view::npos && rest.substr(0, at).find(':') == std::string_view::npos &&
      rest.substr(0, at).find('/') == std::string_view::npos) {
    std::string_view family = rest.substr(0, at);
    // "stream+fd@3", "quic+ipv4@…", "+fd@": a socket type before the family.
    if (const std::size_t plus = family.find('+'); plus != std::string_view::npos) {
      family.remove_prefix(plus + 1);
    }
    static constexpr std::string_view known[] = {
        "ipv4", "ipv6", "unix", "abns", "abnsz", "fd", "sockpair", "udp", "udp4", "udp6", "tcp",
        "tcp4", "tcp6", "quic4", "quic6", "uxst", "uxdg", "mptcp", "mptcp4", "mptcp6", "rhttp",
        "ring", "stream", "dgram"};
    if (std::find(std::begin(known), std::end(known), family) == std::end(known)) {
      error = "unknown address family '" + std::string(family) + "@'";
      return std::nullopt;
    }
    a.family_ = std::string(family);
    rest.remove_prefix(at + 1);
  }
  const std::string_view family = a.family_;  // compared without a strlen per literal
  if (family == "unix" || family == "abns" || family == "abnsz" || family == "uxst" ||
      family == "uxdg" || family == "ring" || family == "rhttp") {
    a.host_ = std::string(rest);
    if (rest.empty()) {
      error = "missing path in '" + std::string(text) + "'";
      return std::nullopt;
    }
    return a;
  }
  if (family == "fd" || family == "sockpair") {
    if (!all_digits(rest)) {
      error = "file descriptor '" + std::string(rest) + "' is not a valid integer in '" +
              std::string(text) + "'";
      return std::nullopt;
    }
    a.host_ = std::string(rest);
    return a;
  }
  if (a.family_.empty() && rest.starts_with('/')) {
    a.family_ = "unix";
    a.host_ = std::string(rest);
    return a;
  }
  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        error = "invalid address '" + std::string(text) + "'";
        return std::nullopt;
      }
      port = after.substr(1);
      has_port = true;
    }
  } else if (const std::size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    has_port = true;
    // "::1" or "fe80::1" alone: an IPv6 address without a port.
    if (host.find(':') != std::string_view::npos && !ipv6_literal(host) && ipv6_literal(rest) &&
        !need_port) {
      host = rest;
      port = {};
      has_port = false;
    }
  }
  a.host_ = std::string(host);
  if (has_port && !port.empty()) {
    std::string_view first = port;
    std::string_view last;
    if (allow_offset && (port[0] == '+' || port[0] == '-')) {
      a.port_offset_ = true;
      first.remove_prefix(1);
    } else if (const std::size_t dash = port.find('-'); dash != std::string_view::npos) {
      first = port.substr(0, dash);
      last = port.substr(dash + 1);
    }
    std::uint16_t p = 0;
    if (!parse_port(first, p)) {
      error = "invalid port '" + std::string(port) + "' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    a.port_ = p;
    if (!last.empty()) {
      std::uint16_t q = 0;
      if (!allow_range) {
        error = "port range not permitted here in '" + std::string(text) + "'";
        return std::nullopt;
      }
      if (!parse_port(last, q) || q < p) {
        error = "invalid port range '" + std::string(port) + "' in '" + std::string(text) + "'";
        return std::nullopt;
      }
      a.port_last_ = q;
    }
  } else if (need_port) {
    error = "missing port specification in '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (!(host.empty() || host == "*" || ipv4_literal(host) || ipv6_literal(host) ||
        host_name(host))) {
    error = "invalid address '" + std::string(host) + "' in '" + std::string(text) + "'";
    return std::nullopt;
  }
  return a;
}

bool looks_like_placeholder(std::string_view v) {
  // Every form below needs one of these characters, and a real address (checked once per
  // server line) has none of them: one pass over the word settles nearly every call.
  if (std::none_of(v.begin(), v.end(), [](char c) {
        return c == '<' || c == '{' || c == '_' || c == 'x' || c == 'X';
      })) {
    return false;
  }
  // <something>: a template's slot.
  const std::size_t open = v.find('<');
  if (open != std::string_view::npos && v.find('>', open) != std::string_view::npos) {
    return true;
  }
  // {{ something }}: a Jinja/Go template left unrendered (its blanks split it into words: the
  // first one only holds the "{{").
  if (v.find("{{") != std::string_view::npos) {
    return true;
  }
  // __SOMETHING__ (before any ':port'): a sed-style slot such as __IP_OF_VM1__.
  const std::string_view name = v.substr(0, v.find(':'));
  if (name.size() > 4 && name.starts_with("__") && name.ends_with("__") &&
      std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return true;
  }
  // A dotted quad with an octet made of x's: 10.224.155.xx, XXX.XXX.XXX.XXX, 192.168.1.x
  std::string_view host = v.substr(0, v.find(':'));
  if (const std::size_t at = host.find('@'); at != std::string_view::npos) {
    host.remove_prefix(at + 1);
  }
  std::size_t parts = 0;
  bool has_x = false;
  bool numeric_or_x = true;
  while (true) {
    const std::size_t dot = host.find('.');
    const std::string_view part = host.substr(0, dot);
    ++parts;
    if (!part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
          return c == 'x' || c == 'X';
        })) {
      has_x = true;
    } else if (!all_digits(part)) {
      numeric_or_x = false;
    }
    if (dot == std::string_view::npos) {
      break;
    }
    host.remove_prefix(dot + 1);
  }
  return parts == 4 && has_x && numeric_or_x;
}

void check_address_word(const word& w, std::string_view what, bool listening, builder& b,
                        diagnostics& diags, std::optional<address>& out) {
  out.reset();
  if (looks_like_placeholder(w.value_)) {
    diags.add(severity::error, codes::placeholder, w.position_,
              "'" + w.value_ + "' in '" + std::string(what) +
                  "' is a placeholder, not an address",
              std::string("replace it with the real address before using this configuration"));
    return;
  }
  std::string error;
  out = parse_address(w.value_, listening, listening, !listening, error);
  if (!out) {
    diags.add(severity::error, codes::bad_address, w.position_,
              "'" + std::string(what) + "' : " + error);
    return;
  }
  if (out->family_ == "quic4" || out->family_ == "quic6") {
    // Debian's HAProxy 2.6 is built without QUIC and rejects such a bind; Tandem serves
    // HTTP/1.1 and TCP only, so it cannot listen there either.
    diags.add(severity::error, codes::unsupported, w.position_,
              "'" + std::string(what) + "' : '" + w.value_ +
                  "' is a QUIC (HTTP/3) address: neither Tandem nor HAProxy 2.6 as Debian "
                  "builds it serves QUIC",
              std::string("remove this bind line, or keep it only for an HAProxy built with "
                          "QUIC (feature(QUIC) in a .if block)"));
    out.reset();
    return;
  }
  const std::string_view family = out->family_;
  if (family.empty() || family == "ipv4" || family == "ipv6" || family == "tcp" ||
      family == "udp") {
    const std::string& h = out->host_;
    if (!h.empty() && h != "*" && !ipv4_literal(h) && !ipv6_literal(h)) {
      b.hosts_.push_back(reference{h, w.position_, std::string(what), false, false});
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The walk.

namespace {


bool valid_proxy_name(std::string_view name, char& bad) {
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.' || c == ':')) {
      bad = c;
      return false;
    }
  }
  return true;
}

class analyser {
 public:
  analyser(const analysis_options& options, diagnostics& diags, analysis& out)
      : options_(options), diags_(diags), out_(out), b_(out.model_, options) {}

  // The tree already read, file by file, in the order its lines were read.
  void run() {
    for (const config_file& f : out_.tree_.files_) {
      if (!f.lines_.empty()) {
        check_last_line(f.file_, f.lines_.back(), diags_);
      }
      for (const line& l : f.lines_) {
        line_read(l);
      }
      end_of_file();
    }
    check_model();
  }

  // One line of a file, in order, as the reader hands it over. Active section headers and
  // directives form the sections exactly as the reader's config_file::sections_ (directives
  // before the first header make a section without one).
  void line_read(const line& l) {
    if (!l.active_) {
      return;
    }
    if (l.kind_ == line_kind::section) {
      end_of_file();
      open_section(&l);
      in_section_ = true;
    } else if (l.kind_ == line_kind::directive) {
      if (!in_section_) {
        open_section(nullptr);
        in_section_ = true;
      }
      if (skip_) {
        out_of_section(l);
      } else {
        directive_line(l);
      }
    }
  }

  // Closes the file's last section.
  void end_of_file() {
    if (in_section_) {
      close_section();
      in_section_ = false;
    }
  }

  // The checks of the model as a whole, once every file is read.
  void finish() { check_model(); }

  // A warning when the file's last line has no line end.
  static void check_last_line(file_id file, const line& last, diagnostics& diags) {
    check_last_line(file, last.number_, last.ending_, last.raw_.size(), diags);
  }
  static void check_last_line(file_id file, std::uint32_t number, line_ending ending,
                              std::size_t raw_size, diagnostics& diags) {
    if (ending == line_ending::none && raw_size > 0) {
      diags.add(severity::warning, codes::missing_newline,
                source_position{file, number, static_cast<std::uint32_t>(raw_size + 1)},
                "missing LF on the last line: HAProxy 2.6 rejects the file, thinking it "
                "truncated; Tandem reads the line",
                std::string("end the file with a newline"));
    }
  }

 private:
  void out_of_section(const line& l) {
    if (!l.error_ && !l.words_.empty()) {
      diags_.add(severity::error, codes::out_of_section, l.words_[0].position_,
                 "unknown keyword '" + std::string(l.keyword()) + "' out of section",
                 std::string("start a section first: global, defaults, frontend, backend, "
                             "listen …"));
    }
  }

  void open_section(const line* header) {
    b_.proxy_ = nullptr;
    b_.userlist_ = nullptr;
    b_.other_ = nullptr;
    b_.first_switch_.reset();
    b_.server_names_.clear();
    b_.servers_named_ = 0;
    if (header == nullptr) {
      b_.scope_ = scope::global;
      skip_ = true;
      return;
    }
    skip_ = false;
    const std::string keyword = header->words_[0].value_;
    b_.section_keyword_ = keyword;
    b_.scope_ = scope_of_section(keyword);
    const std::string name = header->words_.size() > 1 ? header->words_[1].value_ : "";
    const source_position where = header->words_[0].position_;
    if (keyword == "crt-store" || keyword == "traces") {
      diags_.add(severity::note, codes::newer_keyword, where,
                 single_quoted(keyword) + " sections need HAProxy 3.0 or later (the 2.6 anchor does "
                                   "not know them); Tandem accepts them");
    }
    if (keyword == "global") {
      return;
    }
    if (b_.scope_ == scope::proxy) {
      open_proxy(*header, keyword, name, where);
      return;
    }
    if (name.empty() && keyword != "crt-store" && keyword != "traces") {
      diags_.add(severity::error, codes::arguments, where,
                 "'" + keyword + "' expects a name as its argument");
    }
    if (b_.scope_ == scope::userlist) {
      b_.model_.userlists_.push_back(userlist{name, {}, {}, where, {}});
      b_.userlist_ = &b_.model_.userlists_.back();
      return;
    }
    b_.model_.others_.push_back(other_section{keyword, name, {}, where});
    b_.other_ = &b_.model_.others_.back();
  }

  void open_proxy(const line& header, const std::string& keyword, const std::string& name,
                  const source_position& where) {
    std::uint8_t caps = cap_defaults;
    if (keyword == "frontend") {
      caps = cap_frontend;
    } else if (keyword == "backend") {
      caps = cap_backend;
    } else if (keyword == "listen") {
      caps = cap_listen;
    }
    if (caps != cap_defaults && name.empty()) {
      diags_.add(severity::error, codes::arguments, where,
                 "'" + keyword + "' expects a name as its argument",
                 std::string("write '") + keyword + " NAME'");
    }
    char bad = 0;
    if (!name.empty() && !valid_proxy_name(name, bad)) {
      diags_.add(severity::error, codes::bad_name, header.words_[1].position_,
                 std::string("character '") + bad + "' is not permitted in '" + keyword +
                     "' name '" + name + "'",
                 std::string("a proxy name is made of letters, digits, '-', '_', '.' and ':'"));
    }
    // "from NAME" and, in 1.x, "listen NAME ADDR[,ADDR…]".
    const proxy* base = last_defaults_;
    std::optional<std::size_t> address_word;
    for (std::size_t i = 2; i < header.words_.size(); ++i) {
      const word& w = header.words_[i];
      if (w.value_ == "from" && i + 1 < header.words_.size()) {
        const std::string& from = header.words_[i + 1].value_;
        base = nullptr;
        for (const proxy& d : b_.model_.defaults_) {
          if (d.name_ == from) {
            base = &d;
          }
        }
        if (base == nullptr) {
          diags_.add(severity::error, codes::unknown_defaults, header.words_[i + 1].position_,
                     "defaults section '" + from + "' not found for " + keyword + " '" + name +
                         "'",
                     std::string("name a defaults section defined above this one"));
        }
        ++i;
      } else if (i == 2 && caps != cap_defaults && caps != cap_backend) {
        address_word = i;
      } else {
        diags_.add(severity::error, codes::arguments, w.position_,
                   "unexpected argument '" + w.value_ + "' on the '" + keyword + "' line");
      }
    }
    proxy p;
    if (base != nullptr) {
      p = *base;
      p.from_ = base->name_;
      p.rules_.clear();
      p.acls_.clear();
      p.other_.clear();
    }
    p.name_ = name;
    p.capabilities_ = caps;
    p.position_ = where;
    p.description_.clear();
    if (caps == cap_defaults) {
      b_.model_.defaults_.push_back(std::move(p));
      b_.proxy_ = &b_.model_.defaults_.back();
      // A named defaults section may be named by "from" later; the last one is the implicit one.
      last_defaults_index_ = b_.model_.defaults_.size() - 1;
      refresh_last_defaults();
      return;
    }
    b_.model_.proxies_.push_back(std::move(p));
    b_.proxy_ = &b_.model_.proxies_.back();
    if (address_word) {
      const word& w = header.words_[*address_word];
      diags_.add(severity::warning, codes::old_listen_address, w.position_,
                 "an address on the '" + keyword +
                     "' line is not supported any more since HAProxy 1.5 (2.6 rejects it); "
                     "Tandem reads it as 'bind " + w.raw_ + "'",
                 "move it to a line 'bind " + w.raw_ + "' in the section (tandem migrate does it)");
      std::optional<address> parsed;
      bind out;
      out.position_ = w.position_;
      out.from_header_ = true;
      std::string_view list = w.value_;
      while (true) {
        const std::size_t comma = list.find(',');
        word piece = w;
        piece.value_ = std::string(list.substr(0, comma));
        check_address_word(piece, "bind", true, b_, diags_, parsed);
        if (parsed) {
          out.addresses_.push_back(*parsed);
        }
        if (comma == std::string_view::npos) {
          break;
        }
        list.remove_prefix(comma + 1);
      }
      b_.proxy_->binds_.push_back(std::move(out));
    }
  }

  // Pointers into model vectors move when they grow: take the last defaults by index.
  void refresh_last_defaults() {
    last_defaults_ = last_defaults_index_ ? &b_.model_.defaults_[*last_defaults_index_] : nullptr;
  }

  void close_section() {
    if (b_.proxy_ != nullptr) {
      // Its servers are all read: give back the growth room (a quarter of the servers' memory
      // in a config with tens of thousands of them).
      b_.proxy_->servers_.shrink_to_fit();
    }
    refresh_last_defaults();
  }

  void directive_line(const line& l) {
    if (skip_ || l.error_ || l.words_.empty() || l.kind_ != line_kind::directive) {
      return;
    }
    std::size_t name_words = 1;
    const keyword_entry* e = find_keyword(b_.scope_, l, name_words);
    const word& first = l.words_[l.first_argument() - 1];
    const std::string section = b_.section_keyword_;
    if (e == nullptr) {
      unknown(l, first, section);
      return;
    }
    const bool no = l.modifier_ == modifier::no;
    const std::size_t first_argument = l.first_argument() - 1 + name_words;
    const std::size_t count = l.words_.size() > first_argument ? l.words_.size() - first_argument
                                                               : 0;
    if (e->removed()) {
      removed(l, *e, name_words, first);
    } else if (!e->added_in_.empty()) {
      diags_.add(severity::note, codes::newer_keyword, first.position_,
                 single_quoted(e->name_) + " needs HAProxy " + std::string(e->added_in_) +
                     " (the 2.6 anchor does not know it); Tandem accepts it");
    }
    if (count < e->min_arguments_) {
      // A handler may rely on its minimum; "no KEYWORD" without them only cancels nothing,
      // but "no log", which drops the `log` lines inherited from defaults.
      if (no) {
        if (e->name_ == "log" && e->lower_ != nullptr) {
          e->lower_(directive{l, *e, first_argument, no}, b_, diags_);
        }
        return;
      }
      diags_.add(severity::error, codes::arguments, first.position_,
                 single_quoted(e->name_) + " expects " +
                     (e->min_arguments_ == 1 ? std::string("an argument")
                                             : "at least " + std::to_string(e->min_arguments_) +
                                                   " arguments"),
                 std::nullopt);
      return;
    }
    if (!no && e->max_arguments_ != any_count && count > e->max_arguments_) {
      const word& extra = l.words_[first_argument + e->max_arguments_];
      diags_.add(severity::error, codes::arguments, extra.position_,
                 single_quoted(e->name_) + " cannot handle unexpected argument '" +
                     extra.value_ + "'",
                 std::nullopt);
      return;
    }
    if (b_.scope_ == scope::proxy && b_.proxy_ != nullptr && !capable(*e, first)) {
      return;
    }
    if (e->lower_ != nullptr) {
      e->lower_(directive{l, *e, first_argument, no}, b_, diags_);
    }
    system_crypto_profile(l, first_argument);
  }

  // Red Hat's OpenSSL reads "PROFILE=SYSTEM" as "the system-wide crypto policy"; every other
  // OpenSSL, Debian's included, rejects the cipher list, and HAProxy with it.
  void system_crypto_profile(const line& l, std::size_t first_argument) {
    for (std::size_t i = first_argument; i < l.words_.size(); ++i) {
      const word& w = l.words_[i];
      if (w.value_.starts_with("PROFILE=")) {
        diags_.add(severity::warning, codes::openssl_profile, w.position_,
                   "cipher list '" + w.value_ +
                       "' is a Red Hat system crypto policy: OpenSSL outside Red Hat (Debian's "
                       "included) rejects it, and HAProxy with it",
                   std::string("drop the option to use OpenSSL's defaults, or write an explicit "
                               "cipher list"));
      }
    }
  }

  bool capable(const keyword_entry& e, const word& first) {
    const proxy& p = *b_.proxy_;
    const std::string name(e.name_);
    if (p.capabilities_ == cap_defaults) {
      if ((e.where_ & cap_defaults) == 0) {
        diags_.add(severity::error, codes::not_allowed, first.position_,
                   "'" + name + "' not allowed in 'defaults' section",
                   std::string("move it into the frontend, backend or listen sections"));
        return false;
      }
      return true;
    }
    if ((e.where_ & p.capabilities_ & cap_listen) != 0) {
      return true;
    }
    const char* kind = p.capabilities_ == cap_frontend ? "frontend" : "backend";
    const char* needs = (e.where_ & cap_frontend) != 0 ? "frontend" : "backend";
    if ((e.where_ & strict_capability) != 0) {
      diags_.add(severity::error, codes::not_allowed, first.position_,
                 "'" + name + "' not allowed in '" + kind + "' section",
                 std::string("it belongs in a ") + needs + " or listen section");
      return false;
    }
    diags_.add(severity::warning, codes::ignored, first.position_,
               std::string(kind) + " '" + p.name_ + "' : '" + name + "' directive is ignored in " +
                   kind + "s",
               std::string("it needs the ") + needs + " capability: remove it or move it to a " +
                   needs + " or listen section");
    return false;
  }

  void unknown(const line& l, const word& first, const std::string& section) {
    const std::string_view k = l.keyword();
    if ((k == "option" || k == "timeout" || k == "stats" || k == "capture") &&
        l.first_argument() < l.words_.size()) {
      const word& sub = l.words_[l.first_argument()];
      const std::string two = std::string(k) + " " + sub.value_;
      const std::string_view close = did_you_mean(b_.scope_, two);
      diags_.add(severity::error, codes::unknown_keyword, sub.position_,
                 "unknown " + std::string(k) + " '" + sub.value_ + "' in '" + section +
                     "' section",
                 close.empty() ? std::optional<std::string>()
                               : std::optional<std::string>("did you mean '" +
                                                            std::string(close) + "'?"));
      return;
    }
    const std::string_view close = did_you_mean(b_.scope_, k);
    diags_.add(severity::error, codes::unknown_keyword, first.position_,
               "unknown keyword '" + std::string(k) + "' in '" + section + "' section",
               close.empty()
                   ? std::optional<std::string>()
                   : std::optional<std::string>("did you mean '" + std::string(close) + "'?"));
  }

  void removed(const line& l, const keyword_entry& e, std::size_t name_words, const word& first) {
    const std::vector<std::string> modern = modern_words(l, e, name_words);
    std::string text;
    for (const std::string& w : modern) {
      text += text.empty() ? "" : " ";
      text += w;
    }
    const std::string name(e.name_);
    std::string message = "'" + name + "' was removed in HAProxy " + std::string(e.removed_in_);
    std::string hint;
    if (!text.empty()) {
      message += "; Tandem reads it as '" + text + "'";
      hint = "write '" + text + "' (tandem migrate does it)";
    } else if (e.modern_ == modern_kind::drop) {
      message += " and has no effect any more; Tandem ignores it";
      hint = "remove the line (tandem migrate comments it out)";
    } else {
      message += "; Tandem still honours it; today's form is '" + std::string(e.replacement_) +
                 "'";
      hint = "rewrite it as " + std::string(e.replacement_) +
             " (tandem migrate comments it out for you to rewrite)";
    }
    diags_.add(severity::warning, codes::removed_keyword, first.position_, std::move(message),
               std::move(hint));
  }

  // -------------------------------------------------------------------------------------------
  // Checks over the whole model.

  void check_model() {
    const config_model& m = out_.model_;
    std::map<std::string, const proxy*> frontends;
    std::map<std::string, const proxy*> backends;
    for (const proxy& p : m.proxies_) {
      for (const std::uint8_t cap : {cap_frontend, cap_backend}) {
        if ((p.capabilities_ & cap) == 0) {
          continue;
        }
        auto& seen = cap == cap_frontend ? frontends : backends;
        const auto [it, inserted] = seen.emplace(p.name_, &p);
        if (!inserted && it->second != &p) {
          diags_.add(severity::error, codes::duplicate_proxy, p.position_,
                     std::string(cap == cap_frontend ? "frontend" : "backend") + " '" + p.name_ +
                         "' has the same name as the one declared at line " +
                         std::to_string(it->second->position_.line_),
                     std::string("rename one of them"));
          break;
        }
      }
    }
    // What find_proxy(name, cap_backend) finds, without a scan of every proxy per switch.
    for (const proxy& p : m.proxies_) {
      if ((p.capabilities_ & cap_backend) != 0) {
        backend_names_.insert(p.name_);
      }
    }
    for (const proxy& p : m.proxies_) {
      if (p.default_backend_) {
        check_backend(p, *p.default_backend_, p.default_backend_position_, "default_backend");
      }
      for (const backend_switch& s : p.use_backends_) {
        check_backend(p, s.backend_, s.position_, "use_backend");
      }
      check_timeouts(p);
      if ((p.capabilities_ & cap_frontend) != 0 && !p.binds_.empty() && !p.disabled_) {
        out_.has_listener_ = true;
      }
    }
    check_files();
    check_hosts();
  }

  void check_backend(const proxy& p, const std::string& name, const source_position& where,
                     const char* keyword) {
    if (name.find("%[") != std::string::npos) {
      return;  // chosen at run time
    }
    if (!backend_names_.contains(name)) {
      std::string_view close;
      std::size_t best = 3;
      for (const proxy& q : out_.model_.proxies_) {
        const std::size_t d = edit_distance(name, q.name_, 2);
        if ((q.capabilities_ & cap_backend) != 0 && d < best) {
          best = d;
          close = q.name_;
        }
      }
      diags_.add(severity::error, codes::unknown_backend, where,
                 "proxy '" + p.name_ + "': unable to find required " + keyword + ": '" + name +
                     "'",
                 close.empty() ? std::optional<std::string>(
                                     "define 'backend " + name + "' or fix the name")
                               : std::optional<std::string>("did you mean '" +
                                                            std::string(close) + "'?"));
    }
  }

  void check_timeouts(const proxy& p) {
    if (p.mode_ != proxy_mode::tcp && p.mode_ != proxy_mode::http) {
      return;
    }
    const auto has = [&](const char* name) {
      const auto it = p.timeouts_.find(name);
      return it != p.timeouts_.end() && it->second != 0;
    };
    const bool fe_missing = (p.capabilities_ & cap_frontend) != 0 && !has("client");
    const bool be_missing =
        (p.capabilities_ & cap_backend) != 0 && !p.servers_.empty() &&
        (!has("connect") || (!has("server") && (p.mode_ == proxy_mode::http || !has("tunnel"))));
    if (!fe_missing && !be_missing) {
      return;
    }
    const char* kind = p.capabilities_ == cap_listen
                           ? "proxy"
                           : (p.capabilities_ == cap_frontend ? "frontend" : "backend");
    diags_.add(severity::warning, codes::missing_timeouts, p.position_,
               std::string("missing timeouts for ") + kind + " '" + p.name_ +
                   "'. While not properly invalid, you will certainly encounter various "
                   "problems with such a configuration",
               std::string("set the timeouts 'client', 'connect' and 'server' to a non-zero "
                           "value (in this section or in defaults)"));
  }

  void check_files() {
    if (!options_.file_exists_) {
      return;
    }
    const global_settings& g = out_.model_.global_;
    for (const reference& r : b_.files_) {
      std::string path = r.value_;
      if (!path.starts_with('/')) {
        if (r.certificate_ && !g.crt_base_.empty()) {
          path = g.crt_base_ + "/" + path;
        } else if (r.ca_ && !g.ca_base_.empty()) {
          path = g.ca_base_ + "/" + path;
        }
      }
      if (options_.file_exists_(path)) {
        if (r.what_ == "errorfile" && options_.read_file_) {
          check_errorfile(path, options_.read_file_(path), r.position_, diags_);
        }
      } else {
        diags_.add(options_.environment_severity_,
                   codes::missing_file, r.position_,
                   "'" + r.what_ + "' : cannot find file '" + path + "'",
                   std::string("HAProxy needs this file to start; create it (or fix the path) on "
                               "the machine that runs this configuration"));
      }
    }
  }

  void check_hosts() {
    if (!options_.resolves_) {
      return;
    }
    for (const reference& r : b_.hosts_) {
      if (!options_.resolves_(r.value_)) {
        diags_.add(options_.environment_severity_, codes::unresolved, r.position_,
                   "'" + r.what_ + "' : could not resolve address '" + r.value_ + "'",
                   std::string("HAProxy resolves names when it starts: make the name resolve "
                               "there, or use an address (or 'init-addr last,libc,none')"));
      }
    }
  }

  const analysis_options& options_;
  diagnostics& diags_;
  analysis& out_;
  builder b_;
  bool skip_ = false;
  bool in_section_ = false;
  // The names of the backends and listens, once the model is complete (check_model).
  std::unordered_set<std::string_view> backend_names_;
  std::optional<std::size_t> last_defaults_index_;
  const proxy* last_defaults_ = nullptr;
};

}  // namespace

analysis analyse_tree(syntax_tree tree, const analysis_options& options, diagnostics& diags) {
  analysis out;
  out.tree_ = std::move(tree);
  // The model's vectors hold what handlers point into: reserve so pointers stay valid.
  std::size_t sections = 0;
  for (const config_file& f : out.tree_.files_) {
    sections += f.sections_.size();
  }
  out.model_.proxies_.reserve(sections);
  out.model_.defaults_.reserve(sections);
  out.model_.userlists_.reserve(sections);
  out.model_.others_.reserve(sections);
  analyser(options, diags, out).run();
  return out;
}

analysis analyse_haproxy(source_registry& sources, std::span<const std::string> paths,
                         const analysis_options& options, diagnostics& diags) {
  return analyse_tree(read_haproxy(sources, paths, options.reader_, diags), options, diags);
}

analysis analyse_haproxy_file(const source_registry& sources, file_id file,
                              const analysis_options& options, diagnostics& diags) {
  analysis out;
  // Each line is lowered as soon as it is read, so without keep_tree_ no line outlives its
  // lowering. The analysis's diagnostics wait in `later`: they come after the reader's, in
  // the same order as when the whole tree is read first (analyse_tree).
  diagnostics later;
  analyser a(options, later, out);
  // Only the last line's end is looked at once the file is read.
  std::uint32_t last_number = 0;
  line_ending last_ending = line_ending::lf;
  std::size_t last_size = 0;
  config_file f = read_haproxy_file(
      sources, file, options.reader_, diags,
      [&](const line& l) {
        a.line_read(l);
        last_number = l.number_;
        last_ending = l.ending_;
        last_size = l.raw_.size();
      },
      options.keep_tree_);
  a.end_of_file();
  if (last_number > 0) {
    analyser::check_last_line(f.file_, last_number, last_ending, last_size, diags);
  }
  a.finish();
  for (const diagnostic& d : later) {
    diags.add(d);
  }
  out.tree_.files_.push_back(std::move(f));
  return out;
}

std::function<bool(const std::string&)> system_resolver() {
  struct cache {
    std::mutex mutex_;
    std::map<std::string, bool, std::less<>> known_;
  };
  auto c = std::make_shared<cache>();
  return [c](const std::string& name) {
    const std::lock_guard lock(c->mutex_);
    if (const auto it = c->known_.find(name); it != c->known_.end()) {
      return it->second;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* result = nullptr;
    const bool ok = getaddrinfo(name.c_str(), nullptr, &hints, &result) == 0;
    if (result != nullptr) {
      freeaddrinfo(result);
    }
    c->known_.emplace(name, ok);
    return ok;
  };
}

std::function<bool(const std::string&)> system_file_exists() {
  return [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
  };
}

std::function<std::optional<std::string>(const std::string&)> system_file_reader() {
  return [](const std::string& path) -> std::optional<std::string> {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return std::nullopt;
    }
    std::optional<std::string> content;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      content.emplace();
      char buffer[65536];
      ssize_t n = 0;
      while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
        content->append(buffer, static_cast<std::size_t>(n));
      }
      if (n < 0) {
        content.reset();
      }
    }
    ::close(fd);
    return content;
  };
}

}  // namespace tandem::parsers::haproxy
