/* keysrc: the key-source interface (see include/keysrc.h). */
#include "keysrc.h"

#include <stdlib.h>
#include <string.h>

struct keysrc *keysrc_new(const struct keysrc_ops *ops, void *impl)
{
	struct keysrc *s = malloc(sizeof *s);
	if (!s) {
		ops->destroy(impl);
		return NULL;
	}
	s->ops = ops;
	s->impl = impl;
	return s;
}

void keysrc_free(struct keysrc *s)
{
	if (!s)
		return;
	s->ops->destroy(s->impl);
	free(s);
}

int keysrc_async(const struct keysrc *s)
{
	return s->ops->async;
}

void keysrc_request(struct keysrc *s, const char *name, void *user, keysrc_done_fn done, void *cbctx)
{
	s->ops->request(s->impl, name, user, done, cbctx);
}

size_t keysrc_poll(struct keysrc *s, int timeout_ms, int wake_fd, keysrc_done_fn done, void *cbctx)
{
	return s->ops->poll(s->impl, timeout_ms, wake_fd, done, cbctx);
}

void keysrc_counters(const struct keysrc *s, struct keysrc_counters *out)
{
	memset(out, 0, sizeof *out);
	if (s->ops->counters)
		s->ops->counters(s->impl, out);
}
