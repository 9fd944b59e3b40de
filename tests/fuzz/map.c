/* map: the access and alias maps: a cdb file holding the input opened by
 * map_open (tinycdb checks its offsets) and searched as smtpd does
 * (map_access for each kind, map_lookup), each value found parsed
 * (map_action_parse); then the input as text lines of makemap
 * (map_text_line), as an AliasFile value (map_spec_alias) and as an
 * access value. */
#include "fuzz.h"

static const char *keys[][2] = {
	{ "Connect", "[192.0.2.1]" }, { "Connect", "192.0.2.1" },
	{ "From", "user+detail@sub.example.org" }, { "To", "a@example.net" },
	{ NULL, "IPv6:2001:db8::1" }, { "Connect", "host.example.org" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct map_text t;
	static struct map_spec spec;
	struct map m;
	struct map_action a;
	char err[256], val[MAP_VALUE_MAX], matched[MAP_KEY_MAX], *line, *s;
	const char *path;
	size_t i, len;
	int fd;

	path = fuzz_file("access.db", data, size);
	if (map_open(&m, path, 0, err, sizeof err) == 0) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			int kind = i < 2 ? MAP_ACCESS_IP + (i == 0 ? -1 : 0) :
				i < 3 ? MAP_ACCESS_ADDR : i < 4 ?
				MAP_ACCESS_RCPT : i < 5 ? MAP_ACCESS_IP :
				MAP_ACCESS_HOST;

			if (map_access(&m, keys[i][0], kind, keys[i][1], val,
					sizeof val, matched) == 1)
				map_action_parse(val, &a);
		}
		map_lookup(&m, "postmaster", val, sizeof val);
		map_lookup(&m, "@", val, 16);
		map_close(&m);
	}
	if ((fd = open(path, O_RDONLY)) < 0)
		abort();
	map_text_init(&t, fd);
	for (i = 0; i < 10000 && map_text_line(&t, &line, &len) != 0; i++)
		if (len > MAP_LINE_MAX)
			abort();
	close(fd);
	s = fuzz_str(data, size);
	map_spec_alias(&spec, s, err, sizeof err);
	map_action_parse(s, &a);
	free(s);
	return 0;
}
