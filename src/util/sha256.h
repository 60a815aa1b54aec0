/*
 * sha256.h — SHA-256 (OpenSSL libcrypto) as lowercase hex.
 *
 * sha256_hex() hashes bytes as they are.  sha256_hex_normalized() hashes text
 * the way migration checksums need it: a leading UTF-8 BOM removed and CRLF /
 * lone CR line endings turned into LF, so the same file checked out on Windows
 * and on Linux has one checksum.  PGW_CHECKSUM_ALGORITHM names that recipe;
 * it is stored next to each checksum so the recipe can change later.
 */
#ifndef PGW_SHA256_H
#define PGW_SHA256_H

#include <stddef.h>

#define PGW_SHA256_HEX_LEN 64
#define PGW_CHECKSUM_ALGORITHM "sha256-lf-nobom"

/* out must hold PGW_SHA256_HEX_LEN + 1 bytes.  Returns 0, or -1 (recorded). */
int			sha256_hex(const void *data, size_t len, char *out);
int			sha256_hex_normalized(const char *text, size_t len, char *out);

/* Hashes a file's bytes as they are, reading it in chunks (archives of any
 * size); *bytes (may be NULL) gets its length.  -1 (PGW_ERR_INPUT) when it
 * cannot be read. */
int			sha256_file_hex(const char *path, char *out, unsigned long long *bytes);

#endif
