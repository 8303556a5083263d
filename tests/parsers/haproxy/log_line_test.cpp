// `log` lines as `haproxy -c` 2.6.12 checks them (measured): the words after the address, with
// 2.6's messages, and `no log` dropping the lines a proxy inherits from defaults.
#include <gtest/gtest.h>

#include <string>

#include "parsers/haproxy/analyse.hpp"
#include "tests/parsers/haproxy/analysis_support.hpp"

namespace tandem::parsers::haproxy {
namespace {

testing::analysis_result analysed(const std::string& log_line,
                                  const std::string& proxy_extra = "") {
  testing::analysis_result r;
  const std::string text = "global\n  " + log_line +
                           "\ndefaults\n  mode http\n  log global\n  timeout client 1s\n"
                           "  timeout server 1s\n  timeout connect 1s\nfrontend f\n"
                           "  bind 127.0.0.1:8080\n" +
                           proxy_extra +
                           "  default_backend b\nbackend b\n  server s 127.0.0.1:81\n";
  const file_id id = r.sources_.add("t.cfg", text);
  r.analysis_ = analyse_haproxy_file(r.sources_, id, analysis_options{}, r.diags_);
  return r;
}

std::string errors(const testing::analysis_result& r) {
  std::string out;
  for (const diagnostic& d : r.diags_) {
    if (d.severity_ == severity::error)
      out += d.message_ + "\n";
  }
  return out;
}

TEST(HaproxyLogLine, WordsAfterTheAddressAsHaproxyChecksThem) {
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local9")), "log : unknown log facility 'local9'\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0 loud")),
            "log : unknown optional log level 'loud'\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0 info loud")),
            "log : unknown optional minimum log level 'loud'\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 format json local0")),
            "log : unknown log format 'json'\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 len 10 local0")),
            "log : invalid log length '10', must be between 80 and 65535\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 len")),
            "log : invalid log length '', must be between 80 and 65535\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0 info info extra")),
            "log : cannot handle unexpected argument 'extra'\n");
  EXPECT_EQ(errors(analysed("log global")),
            "log : 'global' is not supported for a global syslog server\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 len 100 format raw sample 1:2 local0 info err")), "");
  EXPECT_EQ(errors(analysed("log stdout format raw daemon")), "");
}

TEST(HaproxyLogLine, LogFormatVariablesAsHaproxyKnowsThem) {
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0", "  log-format \"%zz %[src]\"\n")),
            "failed to parse log-format : no such format variable 'zz'. If you wanted to emit "
            "the '%' character verbatim, you need to use '%%'\n");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0", "  log-format %ci %cp\n")),
            "log-format expects only one argument, don't forget to escape spaces!\n");
  // Every 2.6 variable passes, also those Tandem refuses when it starts (%lc, %rt).
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0",
                            "  log-format \"%{+Q}o %ci:%cp %HPO %lc %rt %Tq %% %{-Q}[src] "
                            "%[req.hdr(host),lower]\"\n")),
            "");
  EXPECT_EQ(errors(analysed("log 127.0.0.1 local0", "  log-format-sd \"%pid %qq\"\n")),
            "failed to parse log-format-sd : no such format variable 'qq'. If you wanted to emit "
            "the '%' character verbatim, you need to use '%%'\n");
}

TEST(HaproxyLogLine, NoLogDropsTheInheritedLines) {
  const testing::analysis_result with = analysed("log 127.0.0.1 local0");
  ASSERT_EQ(with.analysis_.model_.proxies_.at(0).logs_.size(), 1u);
  const testing::analysis_result without = analysed("log 127.0.0.1 local0", "  no log\n");
  EXPECT_EQ(errors(without), "");
  EXPECT_TRUE(without.analysis_.model_.proxies_.at(0).logs_.empty());
}

}  // namespace
}  // namespace tandem::parsers::haproxy
