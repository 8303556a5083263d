// See userlist.hpp.
#include "runtime/proxy/acl/userlist.hpp"

#include <crypt.h>

#include <array>
#include <cstring>

namespace tandem::runtime::proxy::acl {

namespace {

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// strncasecmp(full, word, word.size()) == 0: `word` is a prefix of `full`, any case, and no
// longer than it.
bool abbreviates(std::string_view word, std::string_view full) {
  if (word.size() > full.size()) {
    return false;
  }
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(word[i]) != lower(full[i])) {
      return false;
    }
  }
  return true;
}

// -1 for a character outside the alphabet, 64 for the pad.
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  if (c == '=')
    return 64;
  return -1;
}

std::string_view up_to_nul(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view in) {
  if (in.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::array<int, 4> quantum{};
  std::size_t filled = 0;
  int pads = 0;
  for (const char c : in) {
    const int v = base64_value(c);
    if (v < 0) {
      return std::nullopt;
    }
    // Pads come last and keep at least two data characters: "XX==", "XXX=".
    if (pads > 0 && v != 64) {
      return std::nullopt;
    }
    if (v == 64) {
      if (filled < 2) {
        return std::nullopt;
      }
      ++pads;
    }
    quantum[filled++] = v == 64 ? 0 : v;
    if (filled == 4) {
      const unsigned bits =
          (static_cast<unsigned>(quantum[0]) << 18) | (static_cast<unsigned>(quantum[1]) << 12) |
          (static_cast<unsigned>(quantum[2]) << 6) | static_cast<unsigned>(quantum[3]);
      const char bytes[3] = {static_cast<char>((bits >> 16) & 0xff),
                             static_cast<char>((bits >> 8) & 0xff), static_cast<char>(bits & 0xff)};
      out.append(bytes, static_cast<std::size_t>(3 - pads));
      filled = 0;
      // HAProxy resets its pad count at each quantum: data after "XX==" decodes again.
      pads = 0;
    }
  }
  return out;
}

std::optional<credentials> parse_authorization(std::string_view value) {
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos || space == 0) {
    return std::nullopt;
  }
  const std::string_view scheme = value.substr(0, space);
  std::string_view data = value.substr(space + 1);
  // RFC 7235 allows several spaces between the scheme and its data; 2.6 skips them.
  while (!data.empty() && data.front() == ' ') {
    data.remove_prefix(1);
  }
  credentials c;
  if (abbreviates(scheme, "Basic")) {
    std::optional<std::string> decoded = decode_base64(data);
    if (!decoded) {
      return std::nullopt;
    }
    const std::string_view text = up_to_nul(*decoded);
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    c.scheme_ = auth_scheme::basic;
    c.user_ = std::string(text.substr(0, colon));
    c.password_ = std::string(text.substr(colon + 1));
    return c;
  }
  if (abbreviates(scheme, "Bearer")) {
    c.scheme_ = auth_scheme::bearer;
    return c;
  }
  return std::nullopt;
}

bool password_matches(std::string_view password, std::string_view hash) {
  if (hash.empty()) {
    return false;
  }
  // crypt_r's work area is about 32 kB: one per thread, made on first use (zeroed, as crypt_r
  // requires before its first call).
  thread_local std::unique_ptr<crypt_data> area;
  if (!area) {
    area = std::make_unique<crypt_data>();
  }
  const std::string phrase(up_to_nul(password));
  const std::string setting(hash);
  const char* result = crypt_r(phrase.c_str(), setting.c_str(), area.get());
  // libxcrypt answers an unknown or malformed setting with a failure token ("*0" or "*1"),
  // never equal to the setting itself; NULL is possible with other builds.
  return result != nullptr && result[0] != '*' && setting == result;
}

bool userlist::add_group(std::string_view name) {
  if (find_group(name)) {
    return false;
  }
  groups_.emplace_back(name);
  return true;
}

bool userlist::add_user(std::string_view name, std::optional<std::string> password, bool insecure) {
  if (find_user(name) != nullptr) {
    return false;
  }
  user u;
  u.name_ = std::string(name);
  u.password_ = std::move(password);
  u.insecure_ = insecure;
  users_.push_back(std::move(u));
  return true;
}

bool userlist::join(std::string_view user_name, std::string_view group) {
  const std::optional<std::size_t> g = find_group(group);
  const user* found = find_user(user_name);
  if (!g || found == nullptr) {
    return false;
  }
  user& u = users_[static_cast<std::size_t>(found - users_.data())];
  for (const std::size_t existing : u.groups_) {
    if (existing == *g) {
      return true;
    }
  }
  u.groups_.push_back(*g);
  return true;
}

bool userlist::has_group(std::string_view name) const {
  return find_group(name).has_value();
}

bool userlist::has_user(std::string_view name) const {
  return find_user(name) != nullptr;
}

bool userlist::check(std::string_view user_name, std::string_view password) const {
  const user* u = find_user(up_to_nul(user_name));
  if (u == nullptr || !u->password_) {
    return false;
  }
  if (u->insecure_) {
    return up_to_nul(password) == *u->password_;
  }
  return password_matches(password, *u->password_);
}

bool userlist::in_group(std::string_view user_name, std::string_view group) const {
  const user* u = find_user(user_name);
  const std::optional<std::size_t> g = find_group(group);
  if (u == nullptr || !g) {
    return false;
  }
  for (const std::size_t member : u->groups_) {
    if (member == *g) {
      return true;
    }
  }
  return false;
}

const userlist::user* userlist::find_user(std::string_view name) const {
  for (const user& u : users_) {
    if (u.name_ == name) {
      return &u;
    }
  }
  return nullptr;
}

std::optional<std::size_t> userlist::find_group(std::string_view name) const {
  for (std::size_t i = 0; i < groups_.size(); ++i) {
    if (groups_[i] == name) {
      return i;
    }
  }
  return std::nullopt;
}

bool userlist_set::add(std::shared_ptr<const userlist> list) {
  if (find(list->name()) != nullptr) {
    return false;
  }
  lists_.push_back(std::move(list));
  return true;
}

std::shared_ptr<const userlist> userlist_set::find(std::string_view name) const {
  for (const auto& l : lists_) {
    if (l->name() == name) {
      return l;
    }
  }
  return nullptr;
}

}  // namespace tandem::runtime::proxy::acl
