// The stats socket's stick-table commands (see cli.hpp); messages measured on HAProxy 2.6.12.
#include "runtime/proxy/stick/cli.hpp"

#include <algorithm>
#include <charconv>
#include <vector>

namespace tandem::runtime::proxy::stick {

namespace {

table* find(std::span<table* const> tables, std::string_view name) {
  for (table* t : tables) {
    if (t->name() == name) return t;
  }
  return nullptr;
}

std::optional<std::int64_t> integer(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The words after NAME: data filters or `key K`. Empty `error` when they read well.
struct selection {
  std::vector<data_filter> filters_;
  std::optional<std::string> key_;
  std::string error_;
};

selection select(const table& t, std::span<const std::string> words) {
  selection s;
  for (std::size_t i = 0; i < words.size();) {
    if (words[i] == "key" && i + 1 < words.size()) {
      s.key_ = words[i + 1];
      i += 2;
      continue;
    }
    if (!words[i].starts_with("data.")) {
      s.error_ = "Optional argument only supports \"data.<store_data_type>\" <operator> <value> "
                 "and key <key>\n";
      return s;
    }
    const std::string prefix = "Filter entry #" + std::to_string(s.filters_.size() + 1) + ": ";
    const std::optional<data_type> type = find_data_type(words[i].substr(5));
    if (!type) {
      s.error_ = prefix + "Unknown data type\n";
      return s;
    }
    if (!t.stores(*type)) {
      s.error_ = prefix + "Data type not stored in this table\n";
      return s;
    }
    static constexpr std::string_view ops[] = {"eq", "ne", "le", "lt", "ge", "gt"};
    const std::string op = i + 1 < words.size() ? words[i + 1] : std::string();
    if (std::find(std::begin(ops), std::end(ops), op) == std::end(ops)) {
      s.error_ = prefix + "Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", "
                          "\"gt\"\n";
      return s;
    }
    const std::optional<std::int64_t> v =
        i + 2 < words.size() ? integer(words[i + 2]) : std::nullopt;
    if (!v) {
      s.error_ = prefix + "Require a valid integer value to compare against\n";
      return s;
    }
    s.filters_.push_back({*type, op, *v});
    i += 3;
  }
  return s;
}

}  // namespace

std::string cli_show_table(std::span<table* const> tables, std::span<const std::string> args) {
  if (args.empty()) {
    std::vector<table*> sorted(tables.begin(), tables.end());
    std::sort(sorted.begin(), sorted.end(),
              [](const table* a, const table* b) { return a->name() < b->name(); });
    std::string out;
    for (table* t : sorted) out += t->header();
    return out;
  }
  table* t = find(tables, args[0]);
  if (t == nullptr) return "No such table\n";
  const selection s = select(*t, args.subspan(1));
  if (!s.error_.empty()) return s.error_;
  if (s.key_) return t->dump({}, *s.key_);
  return t->dump(s.filters_);
}

std::string cli_clear_table(std::span<table* const> tables, std::span<const std::string> args) {
  if (args.empty()) {
    return "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or "
           "<table> key <key>\n";
  }
  table* t = find(tables, args[0]);
  if (t == nullptr) return "No such table\n";
  const selection s = select(*t, args.subspan(1));
  if (!s.error_.empty()) return s.error_;
  if (s.key_) {
    t->clear(*s.key_);
  } else {
    t->clear(std::nullopt, s.filters_);
  }
  return {};
}

std::string cli_set_table(std::span<table* const> tables, std::span<const std::string> args) {
  if (args.empty()) return "No such table\n";
  table* t = find(tables, args[0]);
  if (t == nullptr) return "No such table\n";
  if (args.size() < 3 || args[1] != "key") return "Missing key\n";
  const std::optional<std::string> key = t->key_of(args[2]);
  if (!key) return "Invalid key\n";
  // Every value is checked before the entry is touched.
  std::vector<std::pair<data_type, std::uint64_t>> values;
  for (std::size_t i = 3; i < args.size(); i += 2) {
    if (!args[i].starts_with("data.")) return "\"data.<type>\" followed by a value expected\n";
    const std::optional<data_type> type = find_data_type(args[i].substr(5));
    if (!type) return "Unknown data type\n";
    if (!t->stores(*type)) return "Data type not stored in this table\n";
    const std::optional<std::int64_t> v =
        i + 1 < args.size() ? integer(args[i + 1]) : std::nullopt;
    if (!v) return "Require a valid integer value to store\n";
    values.emplace_back(*type, static_cast<std::uint64_t>(*v));
  }
  const entry_ref e = t->get(*key);
  if (!e) return "Unable to allocate a new entry\n";
  for (const auto& [type, v] : values) t->set(*e, type, v);
  t->touch(*e);
  return {};
}

}  // namespace tandem::runtime::proxy::stick
