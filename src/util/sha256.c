/*
 * sha256.c — SHA-256 through OpenSSL's EVP interface (see sha256.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/error.h"
#include "util/sha256.h"

static void
to_hex(const unsigned char *md, unsigned int n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

int
sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) || n != 32)
		return pgw_error(PGW_ERR_INTERNAL, "SHA-256 failed in libcrypto");
	to_hex(md, n, out);
	return 0;
}

int
sha256_hex_normalized(const char *text, size_t len, char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t		i = 0;
	size_t		run = 0;		/* start of the pending unchanged run */
	int			ok;

	if (!ctx)
		return pgw_error(PGW_ERR_INTERNAL, "SHA-256 failed in libcrypto");
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = run = 3;
	for (; ok && i < len; i++)
	{
		if (text[i] != '\r')
			continue;
		/* flush the run, then emit LF for CR or CRLF */
		ok = EVP_DigestUpdate(ctx, text + run, i - run) &&
			EVP_DigestUpdate(ctx, "\n", 1);
		if (i + 1 < len && text[i + 1] == '\n')
			i++;
		run = i + 1;
	}
	if (ok)
		ok = EVP_DigestUpdate(ctx, text + run, len - run) &&
			EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	if (!ok || n != 32)
		return pgw_error(PGW_ERR_INTERNAL, "SHA-256 failed in libcrypto");
	to_hex(md, n, out);
	return 0;
}

int
sha256_file_hex(const char *path, char *out, unsigned long long *bytes)
{
	EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	unsigned char *chunk;
	unsigned long long total = 0;
	FILE	   *f = fopen(path, "rb");
	int			ok;
	size_t		got;

	if (!f)
		return pgw_error(PGW_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
	chunk = malloc(1 << 16);
	ctx = EVP_MD_CTX_new();
	ok = chunk && ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (ok && (got = fread(chunk, 1, 1 << 16, f)) > 0)
	{
		ok = EVP_DigestUpdate(ctx, chunk, got);
		total += got;
	}
	if (ferror(f))
	{
		int			e = errno;

		EVP_MD_CTX_free(ctx);
		free(chunk);
		fclose(f);
		return pgw_error(PGW_ERR_INPUT, "cannot read '%s': %s", path, strerror(e));
	}
	fclose(f);
	free(chunk);
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	if (!ok || n != 32)
		return pgw_error(PGW_ERR_INTERNAL, "SHA-256 failed in libcrypto");
	to_hex(md, n, out);
	if (bytes)
		*bytes = total;
	return 0;
}
