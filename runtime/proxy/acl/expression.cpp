// Compiling a parsed sample expression and running it: the fetch, then each converter after
// casting its input (sample.c's sample_process()).
#include "runtime/proxy/acl/expression.hpp"

namespace tandem::runtime::proxy::acl {

namespace {

// The cast a converter's input gets; nullopt for "any" and for addresses, which keep their
// family (a string becomes IPv4 or IPv6).
std::optional<smp_type> runtime_type(sample_type t) {
  switch (t) {
    case sample_type::bool_:
      return smp_type::bool_;
    case sample_type::sint_:
      return smp_type::sint_;
    case sample_type::ipv4_:
      return smp_type::ipv4_;
    case sample_type::ipv6_:
      return smp_type::ipv6_;
    case sample_type::str_:
      return smp_type::str_;
    case sample_type::bin_:
      return smp_type::bin_;
    case sample_type::meth_:
      return smp_type::meth_;
    default:
      return std::nullopt;
  }
}

bool cast_input(const converter_step& c, sample& s) {
  if (c.any_input_) {
    return true;
  }
  if (c.addr_input_) {
    return s.type_ == smp_type::ipv4_ || s.type_ == smp_type::ipv6_ || cast(s, smp_type::ipv4_) ||
           cast(s, smp_type::ipv6_);
  }
  return cast(s, c.input_);
}

// Applies the converters to each value of the fetch before handing it on.
class converting_sink final : public sample_sink {
 public:
  converting_sink(const std::vector<converter_step>& convs, const sample_source& src,
                  sample_sink& next)
      : convs_(convs), src_(src), next_(next) {}

  bool take(sample& s) override {
    for (const converter_step& c : convs_) {
      if (!cast_input(c, s) || !c.fn_(c, src_, s)) {
        return true;  // a failed converter ends the walk
      }
    }
    return next_.take(s);
  }

 private:
  const std::vector<converter_step>& convs_;
  const sample_source& src_;
  sample_sink& next_;
};

class first_sink final : public sample_sink {
 public:
  bool take(sample& s) override {
    value_ = std::move(s);
    return true;
  }
  std::optional<sample> value_;
};

}  // namespace

std::unique_ptr<expression> expression::compile(const parsers::haproxy::sample_parts& parts,
                                                std::string& error, const userlist_set* users) {
  if (parts.fetch_keyword_ == nullptr) {
    error = "the fetch '" + parts.fetch_.name_ + "' is not supported yet";
    return nullptr;
  }
  auto e = std::unique_ptr<expression>(new expression());
  e->fetch_.args_ = parts.fetch_.arguments_;
  if (!setup_fetch(parts.fetch_keyword_->name_, e->fetch_, error)) {
    return nullptr;
  }
  if (e->fetch_.wants_userlist_) {
    // smp_resolve_args()'s words.
    const std::string name = e->fetch_.args_.empty() ? std::string() : e->fetch_.args_[0];
    const std::string where = " in arg 1 of '" + parts.fetch_.name_ + "'";
    if (name.empty()) {
      error = "missing userlist name" + where;
      return nullptr;
    }
    e->fetch_.userlist_ = users == nullptr ? nullptr : users->find(name);
    if (e->fetch_.userlist_ == nullptr) {
      error = "unable to find userlist '" + name + "' referenced" + where;
      return nullptr;
    }
  }
  e->output_ = parts.fetch_keyword_->output_;
  for (const parsers::haproxy::sample_call& call : parts.converters_) {
    const parsers::haproxy::sample_keyword* k = parsers::haproxy::find_converter(call.name_);
    if (k == nullptr) {
      error = "the converter '" + call.name_ + "' is not supported yet";
      return nullptr;
    }
    converter_step c;
    c.args_ = call.arguments_;
    if (const std::optional<smp_type> t = runtime_type(k->input_)) {
      c.input_ = *t;
    } else if (k->input_ == sample_type::addr_) {
      c.addr_input_ = true;
    } else {
      c.any_input_ = true;
    }
    if (!setup_converter(call.name_, c, error)) {
      return nullptr;
    }
    e->converters_.push_back(std::move(c));
    e->output_ = k->output_;
  }
  return e;
}

void expression::run(const sample_source& s, bool iterate, sample_sink& sink) const {
  if (converters_.empty()) {
    fetch_.fn_(fetch_, s, iterate, sink);
    return;
  }
  converting_sink conv(converters_, s, sink);
  fetch_.fn_(fetch_, s, iterate, conv);
}

std::optional<sample> expression::first(const sample_source& s) const {
  first_sink f;
  run(s, false, f);
  return std::move(f.value_);
}

}  // namespace tandem::runtime::proxy::acl
