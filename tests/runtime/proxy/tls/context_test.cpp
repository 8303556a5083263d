// runtime/proxy/tls: contexts built from settings, the certificate SNI picks (rules measured on
// HAProxy 2.6.12: CN and DNS SANs both indexed, "*.x" covers one label, files of a directory
// in alphabetical order with hidden files and .key/.ocsp/.issuer/.sctl skipped, the first
// loaded is the default), crt-list lines, HAProxy's messages for bad files, and handshakes
// between the server and client contexts over a local socket pair.
#include "runtime/proxy/tls/context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "runtime/proxy/tls/stream.hpp"

namespace tandem::runtime::proxy::tls {
namespace {

namespace fs = std::filesystem;

// A CA and certificates signed by it, made once for the whole suite (EC keys: fast).
class certificates : public ::testing::Environment {
 public:
  static fs::path dir() { return dir_; }

  void SetUp() override {
    char pattern[] = "/tmp/tandem-tls-test-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    const std::string script = R"(set -e
cd ")" + dir_.string() + R"("
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -key ca.key -out ca.pem -days 2 -subj "/CN=Test CA" 2>/dev/null
mk() { # name cn san
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf "subjectAltName=%s\n" "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.crt" \
    -days 2 -extfile "$1.ext" 2>/dev/null
  cat "$1.crt" "$1.key" > "$1.pem"
}
mk a a.test DNS:a.test,DNS:alt-a.test
mk b b.test DNS:b.test
mk w "*.w.test" DNS:*.w.test
mk c cn-only.test DNS:san-c.test
mkdir dir
cp b.pem dir/1-b.pem; cp a.pem dir/2-a.pem; cp w.pem dir/3-w.pem
cp c.crt dir/4-c.pem; cp c.key dir/4-c.pem.key
cp a.pem dir/.0-hidden.pem; cp a.key dir/0-a.key; echo x > dir/0-a.ocsp
cp a.crt nokey.pem
echo garbage > junk.pem
)";
    const fs::path file = dir_ / "make.sh";
    std::ofstream(file) << script;
    ASSERT_EQ(std::system(("sh " + file.string()).c_str()), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }

 private:
  static inline fs::path dir_;
};

const auto* const env = ::testing::AddGlobalTestEnvironment(new certificates);

std::string at(const char* name) { return (certificates::dir() / name).string(); }

bind_settings crt(std::initializer_list<const char*> paths) {
  bind_settings s;
  for (const char* p : paths) s.certificates_.push_back({at(p), false});
  return s;
}

std::shared_ptr<server_context> build_ok(const bind_settings& s) {
  std::string error;
  std::vector<std::string> warnings;
  auto ctx = server_context::build(s, error, warnings);
  EXPECT_NE(ctx, nullptr) << error;
  return ctx;
}

std::string build_error(const bind_settings& s) {
  std::string error;
  std::vector<std::string> warnings;
  auto ctx = server_context::build(s, error, warnings);
  EXPECT_EQ(ctx, nullptr);
  return error;
}

TEST(server_context, a_directory_loads_its_certificates_in_alphabetical_order) {
  auto ctx = build_ok(crt({"dir"}));
  ASSERT_NE(ctx, nullptr);
  // 1-b, 2-a, 3-w, 4-c (its key from 4-c.pem.key); the hidden file and the companions are not
  // certificates.
  EXPECT_EQ(ctx->certificate_count(), 4u);
  const std::string d = at("dir/");
  EXPECT_EQ(ctx->certificate_for("a.test"), d + "2-a.pem");
  EXPECT_EQ(ctx->certificate_for("alt-a.test"), d + "2-a.pem");  // a DNS SAN
  EXPECT_EQ(ctx->certificate_for("A.TEST"), d + "2-a.pem");      // names are case-blind
  EXPECT_EQ(ctx->certificate_for("b.test"), d + "1-b.pem");
  EXPECT_EQ(ctx->certificate_for("x.w.test"), d + "3-w.pem");    // the wildcard, one label
  EXPECT_EQ(ctx->certificate_for("y.x.w.test"), d + "1-b.pem");  // two labels: the default
  EXPECT_EQ(ctx->certificate_for("w.test"), d + "1-b.pem");
  EXPECT_EQ(ctx->certificate_for("cn-only.test"), d + "4-c.pem");  // the CN beside its SANs
  EXPECT_EQ(ctx->certificate_for("san-c.test"), d + "4-c.pem");
  EXPECT_EQ(ctx->certificate_for("none.test"), d + "1-b.pem");  // the first loaded
  EXPECT_EQ(ctx->certificate_for(""), d + "1-b.pem");           // no SNI
}

TEST(server_context, the_first_crt_of_the_line_is_the_default) {
  auto ctx = build_ok(crt({"a.pem", "b.pem"}));
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->certificate_for("b.test"), at("b.pem"));
  EXPECT_EQ(ctx->certificate_for("other"), at("a.pem"));
}

TEST(server_context, strict_sni_has_no_default) {
  bind_settings s = crt({"a.pem"});
  s.strict_sni_ = true;
  auto ctx = build_ok(s);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->certificate_for("a.test"), at("a.pem"));
  EXPECT_EQ(ctx->certificate_for("other"), "");
  EXPECT_EQ(ctx->certificate_for(""), "");
}

TEST(server_context, bad_files_are_reported_in_haproxys_words) {
  EXPECT_EQ(build_error(crt({"missing.pem"})),
            "unable to stat SSL certificate from file '" + at("missing.pem") +
                "' : No such file or directory.");
  EXPECT_EQ(build_error(crt({"junk.pem"})),
            "unable to load certificate from file '" + at("junk.pem") + "'.");
  EXPECT_EQ(build_error(crt({"nokey.pem"})),
            "No Private Key found in '" + at("nokey.pem") + ".key'.");
  bind_settings list;
  list.certificates_.push_back({at("no-list"), true});
  EXPECT_EQ(build_error(list), "'crt-list' : cannot open file '" + at("no-list") +
                                   "' : No such file or directory");
}

TEST(server_context, verify_needs_a_ca_file) {
  bind_settings s = crt({"a.pem"});
  s.options_.verify_ = verify_mode::required;
  EXPECT_EQ(build_error(s), "verify is enabled but no CA file specified.");
  s.options_.ca_file_ = at("ca.pem");
  EXPECT_NE(build_ok(s), nullptr);
}

TEST(server_context, bad_ciphers_are_refused) {
  bind_settings s = crt({"a.pem"});
  s.options_.ciphers_ = "NOT-A-CIPHER";
  EXPECT_EQ(build_error(s), "unable to set SSL cipher list to 'NOT-A-CIPHER'");
}

TEST(crt_list, lines_with_options_and_filters) {
  std::vector<crt_list_entry> out;
  std::string error;
  ASSERT_TRUE(parse_crt_list("# comment\n"
                             "\n"
                             "/x/b.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.2] b.test Other.test\n"
                             "a.pem *.a.test !no.a.test  # trailing comment\n"
                             "c.pem [ verify required ca-file ca.pem no-ca-names ]\n",
                             out, error))
      << error;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].certificate_, "/x/b.pem");
  EXPECT_EQ(out[0].line_, 3u);
  using option = std::pair<std::string, std::string>;
  EXPECT_EQ(out[0].options_,
            (std::vector<option>{{"alpn", "h2,http/1.1"}, {"ssl-min-ver", "TLSv1.2"}}));
  EXPECT_EQ(out[0].filters_, (std::vector<std::string>{"b.test", "other.test"}));
  EXPECT_EQ(out[1].filters_, (std::vector<std::string>{"*.a.test", "!no.a.test"}));
  EXPECT_EQ(out[2].options_, (std::vector<option>{{"verify", "required"},
                                                  {"ca-file", "ca.pem"},
                                                  {"no-ca-names", ""}}));
  EXPECT_FALSE(parse_crt_list("a.pem [verify required\n", out, error));
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
}

TEST(crt_list, filters_replace_the_certificates_names) {
  const fs::path list = certificates::dir() / "list.txt";
  std::ofstream(list) << "b.pem\n"
                      << "a.pem [ssl-min-ver TLSv1.3] *.a.test !no.a.test\n"
                      << "w.pem other.test\n";
  bind_settings s;
  s.base_ = certificates::dir().string();  // crt-base for the relative names
  s.certificates_.push_back({list.string(), true});
  auto ctx = build_ok(s);
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->certificate_for("b.test"), at("b.pem"));
  EXPECT_EQ(ctx->certificate_for("x.a.test"), at("a.pem"));
  EXPECT_EQ(ctx->certificate_for("no.a.test"), at("b.pem"));  // excluded: the default
  EXPECT_EQ(ctx->certificate_for("a.test"), at("b.pem"));     // its own names are not used
  EXPECT_EQ(ctx->certificate_for("other.test"), at("w.pem"));
  EXPECT_EQ(ctx->certificate_for("x.w.test"), at("b.pem"));

  std::ofstream(list) << "missing.pem\n";
  EXPECT_EQ(build_error(s), "'crt-list' : unable to stat SSL certificate from file '" +
                                at("missing.pem") + "' : No such file or directory.");
  std::ofstream(list) << "a.pem [bogus 1]\n";
  EXPECT_EQ(build_error(s),
            "'crt-list' : unknown ssl keyword 'bogus' on line 1 of '" + list.string() + "'");
}

TEST(options, read_and_merged) {
  ssl_options o;
  std::string error;
  EXPECT_TRUE(read_option("no-sslv3", "", o, error));
  EXPECT_TRUE(read_option("no-tlsv10", "", o, error));
  EXPECT_TRUE(read_option("ssl-min-ver", "TLSv1.2", o, error));
  EXPECT_TRUE(read_option("no-tls-tickets", "", o, error));
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(o.min_, version::tlsv12);
  EXPECT_EQ(o.disabled_, (1u << 0) | (1u << 1));
  EXPECT_TRUE(read_option("ssl-max-ver", "TLSv9", o, error));
  EXPECT_EQ(error, "'ssl-max-ver' : unknown ssl/tls version string 'TLSv9'");
  EXPECT_FALSE(read_option("crt", "x", o, error));
  ssl_options bind;
  bind.ciphers_ = "HIGH";
  const ssl_options m = merge(o, bind);
  EXPECT_EQ(m.ciphers_, "HIGH");
  EXPECT_EQ(m.min_, version::tlsv12);
  EXPECT_TRUE(m.no_tls_tickets_);
}

TEST(client_context, verify_is_required_by_default) {
  client_settings s;
  std::string error;
  EXPECT_EQ(client_context::build(s, error), nullptr);
  EXPECT_TRUE(error.starts_with("verify is enabled by default but no CA file specified."));
  s.options_.verify_ = verify_mode::none;
  EXPECT_NE(client_context::build(s, error), nullptr);
}

// --- Handshakes over a socket pair ----------------------------------------------------------

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct handshake_result {
  boost::system::error_code server_, client_;
  std::string sni_, protocol_, alpn_, subject_, echoed_;
  bool peer_certificate_ = false;
};

// Runs a server session of `server` and a client session of `client` (SNI `sni`) against each
// other on a connected pair of TCP sockets on loopback; the client sends "ping", the server
// echoes it and sends close_notify.
handshake_result run(const server_context& server, const client_context& client,
                     std::string_view sni) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket a(io), b(io);
  b.connect(acceptor.local_endpoint());
  acceptor.accept(a);
  handshake_result r;
  stream s(server.new_session(), a);
  stream c(client.new_session(sni), b);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    r.server_ = co_await s.handshake(a);
    if (r.server_) co_return;
    r.sni_ = session_sni(s.native());
    r.protocol_ = session_protocol(s.native());
    r.alpn_ = session_alpn(s.native());
    r.peer_certificate_ = session_has_peer_certificate(s.native());
    char buffer[16];
    auto [ec, n] = co_await s.read_some(a, buffer, sizeof buffer);
    if (!ec) co_await s.write_some(a, buffer, n);
    s.shutdown_send();
  }, asio::detached);
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    r.client_ = co_await c.handshake(b);
    if (r.client_) co_return;
    X509* peer = SSL_get0_peer_certificate(c.native());
    char name[256] = {};
    X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof name);
    r.subject_ = name;
    co_await c.write_some(b, "ping", 4);
    for (;;) {
      char buffer[16];
      auto [ec, n] = co_await c.read_some(b, buffer, sizeof buffer);
      if (ec) {
        if (ec != asio::error::eof) r.client_ = ec;
        break;
      }
      r.echoed_.append(buffer, n);
    }
  }, asio::detached);
  io.run();
  return r;
}

std::shared_ptr<client_context> client(std::optional<std::vector<std::string>> alpn = {},
                                       bool verify = true) {
  client_settings s;
  s.options_.verify_ = verify ? verify_mode::required : verify_mode::none;
  if (verify) s.options_.ca_file_ = at("ca.pem");
  s.options_.alpn_ = std::move(alpn);
  std::string error;
  auto c = client_context::build(s, error);
  EXPECT_NE(c, nullptr) << error;
  return c;
}

TEST(handshake, sni_picks_the_certificate_the_client_verifies) {
  auto server = build_ok(crt({"dir"}));
  ASSERT_NE(server, nullptr);
  for (const auto& [sni, subject] : {std::pair{"a.test", "/CN=a.test"},
                                     std::pair{"x.w.test", "/CN=*.w.test"},
                                     std::pair{"b.test", "/CN=b.test"}}) {
    const handshake_result r = run(*server, *client(), sni);
    EXPECT_FALSE(r.server_) << r.server_.message();
    EXPECT_FALSE(r.client_) << r.client_.message();
    EXPECT_EQ(r.subject_, subject);
    EXPECT_EQ(r.sni_, sni);
    EXPECT_EQ(r.protocol_, "TLSv1.3");
    EXPECT_EQ(r.echoed_, "ping");  // and then close_notify: a clean end of stream
    EXPECT_FALSE(r.peer_certificate_);
  }
  // The client checks the name: a.test's certificate does not name other.test.
  const handshake_result wrong = run(*server, *client(), "other.test");
  EXPECT_TRUE(wrong.client_);
}

TEST(handshake, strict_sni_refuses_unknown_names) {
  bind_settings s = crt({"a.pem"});
  s.strict_sni_ = true;
  auto server = build_ok(s);
  ASSERT_NE(server, nullptr);
  EXPECT_FALSE(run(*server, *client(), "a.test").client_);
  const handshake_result r = run(*server, *client({}, false), "other.test");
  EXPECT_TRUE(r.server_);
  EXPECT_TRUE(r.client_);
}

TEST(handshake, alpn_never_chooses_h2_in_mode_http) {
  bind_settings s = crt({"a.pem"});
  s.options_.alpn_ = std::vector<std::string>{"h2", "http/1.1"};
  s.http1_only_ = true;
  auto server = build_ok(s);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(run(*server, *client({{"h2", "http/1.1"}}), "a.test").alpn_, "http/1.1");
  // Only h2 offered: no protocol agreed, the handshake goes on.
  const handshake_result h2 = run(*server, *client({{"h2"}}), "a.test");
  EXPECT_FALSE(h2.server_);
  EXPECT_EQ(h2.alpn_, "");
  EXPECT_EQ(h2.echoed_, "ping");
  // Mode tcp: the list as configured.
  s.http1_only_ = false;
  EXPECT_EQ(run(*build_ok(s), *client({{"h2", "http/1.1"}}), "a.test").alpn_, "h2");
}

TEST(handshake, protocol_bounds_apply) {
  bind_settings s = crt({"a.pem"});
  s.options_.max_ = version::tlsv12;
  auto server = build_ok(s);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(run(*server, *client(), "a.test").protocol_, "TLSv1.2");
}

TEST(handshake, client_certificates_when_verify_asks_for_them) {
  bind_settings s = crt({"a.pem"});
  s.options_.verify_ = verify_mode::required;
  s.options_.ca_file_ = at("ca.pem");
  auto server = build_ok(s);
  ASSERT_NE(server, nullptr);
  // Without a certificate the server refuses (TLS 1.3 reports it after the client's
  // handshake, on the server's side).
  EXPECT_TRUE(run(*server, *client(), "a.test").server_);
  client_settings with;
  with.options_.verify_ = verify_mode::required;
  with.options_.ca_file_ = at("ca.pem");
  with.certificate_ = at("b.pem");
  std::string error;
  auto c = client_context::build(with, error);
  ASSERT_NE(c, nullptr) << error;
  const handshake_result r = run(*server, *c, "a.test");
  EXPECT_FALSE(r.server_) << r.server_.message();
  EXPECT_TRUE(r.peer_certificate_);
  EXPECT_EQ(r.echoed_, "ping");
}

}  // namespace
}  // namespace tandem::runtime::proxy::tls
