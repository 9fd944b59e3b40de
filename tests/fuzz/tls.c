/* tls: the trust-anchor walker (tls_cert_parts, a bounds-checked walk of
 * a DER certificate) on the input, then the input as a PEM bundle read by
 * tls_client_config_new (PEM decoding, then the walker or BearSSL's
 * decoder for each certificate). */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tls_cert_parts c;
	struct tls_client_config *cfg;
	char err[256];
	const char *path;

	if (tls_cert_parts(data, size, &c) == 0) {
		if (c.dn < data || c.dn + c.dnlen > data + size ||
				(c.key_type == 1 && (c.n + c.nlen > data + size ||
				c.e + c.elen > data + size)) ||
				(c.key_type == 2 && c.q + c.qlen > data + size))
			abort();
	}
	path = fuzz_file("ca.pem", data, size);
	cfg = tls_client_config_new(path, NULL, err, sizeof err);
	if (cfg)
		tls_client_config_free(cfg);
	return 0;
}
