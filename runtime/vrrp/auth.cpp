// HMAC-MD5-96 through OpenSSL's libcrypto (the one-shot HMAC(), not deprecated in 3.0).
#include "runtime/vrrp/auth.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace tandem::runtime::vrrp {

std::array<std::uint8_t, ah_icv_size> hmac_md5_96(std::span<const std::uint8_t> key,
                                                  std::span<const std::uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE] = {};
  unsigned int length = 0;
  HMAC(EVP_md5(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), digest,
       &length);
  std::array<std::uint8_t, ah_icv_size> out{};
  std::copy_n(digest, ah_icv_size, out.begin());
  return out;
}

}  // namespace tandem::runtime::vrrp
