/* runmsg: in-process runs of one message for the evidence suites. */
#include "runmsg.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fixture.h"

void runmsg_start(struct runmsg *m, const char *path, const char *bytes, size_t len, long now, const char *extra_zone)
{
	char zone[512], arczone[512], err[300];
	snprintf(zone, sizeof zone, "%s/keys.zone", fixture_testdata());
	snprintf(arczone, sizeof arczone, "%s/keys-arc.zone", fixture_testdata());
	const char *zones[3] = { zone, arczone, extra_zone };
	m->lk = lookup_new_zone(zones, extra_zone ? 3 : 2, NULL, err, sizeof err);
	ck_assert_msg(m->lk != NULL, "%s", err);
	struct run_opts ro = { .policy = { .now = now, .min_key_bits = 1024 }, .do_dkim = 1, .do_arc = 1 };
	fixture_run(&m->fr, path, bytes, len, &ro, m->lk, 0);
	m->r = &m->fr.res.run;
}

void runmsg_finish(struct runmsg *m)
{
	fixture_run_free(&m->fr);
	lookup_free(m->lk);
}

char *runmsg_prepend(const char *path, const char *text, size_t *len)
{
	struct buf file, all;
	ck_assert_int_eq(fixture_read_file(path, &file), 0);
	buf_init(&all, file.len + strlen(text) + 1);
	buf_append_str(&all, text);
	buf_append(&all, file.data, file.len);
	buf_free(&file);
	*len = all.len;
	return buf_steal(&all);
}
