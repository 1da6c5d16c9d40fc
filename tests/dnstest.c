/*
 * dnstest: loopback DNS servers for the tests (see dnstest.h).
 *
 * dnstest_serve forks the test server of dnsserver.c on sockets bound here
 * (so queries sent before the child runs wait in the socket), with its
 * counters in a shared anonymous mapping.
 *
 * dnsmasq (2.90, Debian's dnsmasq-base) is started as
 *   dnsmasq --keep-in-foreground --no-resolv --no-hosts --conf-file=CONF|/dev/null
 *           --pid-file= --port=P --listen-address=127.0.0.1 --bind-interfaces
 *           --local=/#/ --local-ttl=300 --log-facility=- [--user=ME --group=MYGROUP]
 *           --txt-record=NAME,S1,S2 ... --host-record=NAME,ADDR ... --cname=NAME,TARGET
 * --local=/#/ marks every domain local, so a name dnsmasq has no record for is
 * answered NXDOMAIN instead of REFUSED ("no upstream servers"); a name with
 * only a --host-record gets NOERROR and no TXT. On the command line dnsmasq
 * splits TXT strings at commas and has no quoting, and it drops leading blanks
 * of the first string; records that cannot be written that way go into the
 * config file, where "..." quoting with \" \\ \t \n \r \b \e escapes works but
 * a line is limited to about 1000 octets. --user/--group name ourselves so
 * dnsmasq never changes credentials, which would clear PR_SET_PDEATHSIG.
 */
#include "dnstest.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dnsserver.h"
#include "zone.h"

#define CONF_TEXT_MAX (16u << 20)     /* test zones are small */
#define CONF_LINE_MAX 1000            /* dnsmasq reads config lines with fgets(MAXDNAME = 1025) */
#define START_TIMEOUT_MS 10000        /* generous: valgrind and a loaded 2-core machine */
#define START_ATTEMPTS 5              /* port collisions between probing and dnsmasq's bind */
#define STOP_GRACE_MS 2000
#define REGISTRY_MAX 64

/* ---------- the at-exit safety net ---------- */

/* Servers started by this process (owner), killed at exit if a test forgot or failed. */
static struct {
	pid_t pid;
	pid_t owner;
} registry[REGISTRY_MAX];
static int registry_hooked;

static long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* SIGTERM, then SIGKILL after grace_ms; always reaped. pid <= 0 is never signalled (kill(0) hits our group). */
static void kill_and_reap(pid_t pid, int grace_ms)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	for (long long start = monotonic_ms(); monotonic_ms() - start < grace_ms;) {
		pid_t r = waitpid(pid, NULL, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return;
		sleep_ms(5);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

static void registry_atexit(void)
{
	for (int i = 0; i < REGISTRY_MAX; i++)
		if (registry[i].pid > 0 && registry[i].owner == getpid()) {
			kill_and_reap(registry[i].pid, 200);
			registry[i].pid = 0;
		}
}

static void registry_add(pid_t pid)
{
	if (!registry_hooked && atexit(registry_atexit) == 0)
		registry_hooked = 1;
	for (int i = 0; i < REGISTRY_MAX; i++)
		if (registry[i].pid <= 0) {
			registry[i].pid = pid;
			registry[i].owner = getpid();
			return;
		}
}

static void registry_remove(pid_t pid)
{
	for (int i = 0; i < REGISTRY_MAX; i++)
		if (registry[i].pid == pid)
			registry[i].pid = 0;
}

/*
 * In a freshly forked server: default signal handling (Check's SIGTERM handler
 * would otherwise kill the whole test process group when we are stopped), and
 * die with the parent, even if the parent is SIGKILLed.
 */
static void become_server(pid_t parent)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2 };
	sigset_t none;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

/*
 * fork() for a server: every signal blocked from before the fork until
 * become_server has reset the handlers in the child, so a dnstest_stop that
 * comes at once never runs Check's inherited SIGTERM handler there (which
 * would kill the test's whole process group). In the parent the mask is
 * restored; in the child become_server clears it.
 */
static pid_t fork_blocked(void)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void init_handle(struct dnstest *t)
{
	memset(t, 0, sizeof *t);
}

static void set_server(struct dnstest *t, unsigned short port)
{
	t->port = port;
	snprintf(t->server, sizeof t->server, "127.0.0.1:%u", (unsigned)port);
}

static void loopback(struct sockaddr_in *sa, unsigned short port)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* Bind a UDP socket to 127.0.0.1:0 and a TCP listener to the same port; 0 or -1. */
static int bind_pair(int *udp, int *tcp, unsigned short *port)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		*udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		*tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (*udp < 0 || *tcp < 0)
			break;
		loopback(&sa, 0);
		if (bind(*udp, (struct sockaddr *)&sa, sizeof sa) == 0 &&
		    getsockname(*udp, (struct sockaddr *)&sa, &sl) == 0 &&
		    bind(*tcp, (struct sockaddr *)&sa, sizeof sa) == 0) {
			*port = ntohs(sa.sin_port);
			return 0;
		}
		close(*udp);
		close(*tcp);
	}
	if (*udp >= 0)
		close(*udp);
	if (*tcp >= 0)
		close(*tcp);
	*udp = *tcp = -1;
	return -1;
}

/* ---------- zone files -> dnsmasq options ---------- */

struct strvec {
	char **v;      /* owned strings, NULL-terminated for execv */
	size_t n, cap;
};

static int strvec_push(struct strvec *sv, const char *s)
{
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 32;
		char **p = realloc(sv->v, cap * sizeof *p);
		if (!p)
			return -1;
		sv->v = p;
		sv->cap = cap;
	}
	if (!(sv->v[sv->n] = strdup(s)))
		return -1;
	sv->v[++sv->n] = NULL;
	return 0;
}

static int strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line)
		return -1;
	return strvec_push(sv, line);
}

static void strvec_free(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/*
 * The records are parsed by zone.c, the parser --keys uses, so the tests serve
 * what arcverify reads offline. What is left here is dnsmasq's side:
 * which names and strings its options can carry, and how to write them.
 */
struct dnsmasq_records {
	struct strvec *args;        /* --txt-record / --host-record options */
	struct buf *conf;           /* config-file lines for TXT the command line cannot carry */
	char *err;
	size_t errlen;
};

static int record_fail(struct dnsmasq_records *out, const struct zone_record *r, const char *why)
{
	return fail(out->err, out->errlen, "dnstest: %s: %s", r->origin, why);
}

/* A name dnsmasq's option syntax can carry: none of ',' '/' '#' '"', blanks, controls, non-ASCII; not empty. */
static int dnsmasq_name_ok(const char *name)
{
	if (!*name)
		return 0;
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		if (*c <= ' ' || *c == ',' || *c == '/' || *c == '#' || *c == '"' || *c >= 0x7f)
			return 0;
	return 1;
}

/* On dnsmasq's command line a string may not hold ',' or control octets, nor start with a blank. */
static int cmdline_safe(const struct zone_record *r)
{
	if (r->nstrings && r->lens[0] && isspace((unsigned char)r->text[0]))
		return 0;
	for (size_t k = 0; k < r->len; k++) {
		unsigned char c = (unsigned char)r->text[k];
		if (c == ',' || c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* Append s (len octets) as one dnsmasq string, splitting at 255 octets (RFC 1035 §3.3.14). */
static int append_split(struct buf *line, const char *s, size_t len, int quoted, int *first)
{
	size_t off = 0;
	do {
		size_t chunk = len - off > 255 ? 255 : len - off;
		if (buf_append_str(line, *first ? "" : ",") < 0 || (quoted && buf_append_byte(line, '"') < 0))
			return -1;
		*first = 0;
		for (size_t k = 0; k < chunk; k++) {
			char c = s[off + k];
			const char *esc = NULL;
			if (quoted) {
				switch (c) {
				case '"': esc = "\\\""; break;
				case '\\': esc = "\\\\"; break;
				case '\t': esc = "\\t"; break;
				case '\n': esc = "\\n"; break;
				case '\r': esc = "\\r"; break;
				case '\b': esc = "\\b"; break;
				case '\033': esc = "\\e"; break;
				default: break;
				}
				if (!esc && ((unsigned char)c < 0x20 || c == 0x7f))
					return -2; /* no escape for it in dnsmasq's config syntax */
			}
			if (esc ? buf_append_str(line, esc) < 0 : buf_append_byte(line, c) < 0)
				return -1;
		}
		if (quoted && buf_append_byte(line, '"') < 0)
			return -1;
		off += chunk;
	} while (off < len);
	return 0;
}

/*
 * One --txt-record, or a config line when a string needs quoting. The strings
 * keep the boundaries the zone file gave them (the tests look at nstrings);
 * only a string over 255 octets is cut, as the wire format requires.
 */
static int txt_option(struct dnsmasq_records *out, const struct zone_record *r)
{
	int quoted = !cmdline_safe(r);
	struct buf line;
	int rc = 0, lead = 1;
	size_t off = 0;
	buf_init(&line, quoted ? CONF_LINE_MAX : 200000);
	if (buf_printf(&line, "%stxt-record=%s,", quoted ? "" : "--", r->name) < 0)
		rc = -1;
	for (unsigned i = 0; i < r->nstrings && rc == 0; off += r->lens[i++])
		rc = append_split(&line, r->text + off, r->lens[i], quoted, &lead);
	if (rc == -2)
		rc = record_fail(out, r, "TXT string has a control character dnsmasq cannot serve");
	else if (rc < 0)
		rc = record_fail(out, r, quoted ? "TXT record with ',' or control characters is too long for a "
						  "dnsmasq config line (~1000 octets)"
						: "TXT record too long");
	else if (quoted)
		rc = buf_append_byte(&line, '\n') < 0 || buf_append(out->conf, line.data, line.len) < 0
			     ? record_fail(out, r, "out of memory") : 0;
	else
		rc = strvec_push(out->args, line.data) < 0 ? record_fail(out, r, "out of memory") : 0;
	buf_free(&line);
	return rc;
}

/* zone.c keeps A/AAAA rdata unchecked (it never uses it); dnsmasq would refuse a bad one less clearly. */
static int host_option(struct dnsmasq_records *out, const struct zone_record *r, int family)
{
	unsigned char addr[16];
	if (r->nstrings != 1 || inet_pton(family, r->text, addr) != 1)
		return record_fail(out, r, "bad address");
	if (strvec_pushf(out->args, "--host-record=%s,%s", r->name, r->text) < 0)
		return record_fail(out, r, "out of memory");
	return 0;
}

/* zone_foreach callback: one record into dnsmasq options; nonzero stops at the first failure. */
static int record_to_dnsmasq(void *ctx, const struct zone_record *r)
{
	struct dnsmasq_records *out = ctx;
	if (!dnsmasq_name_ok(r->name))
		return record_fail(out, r, "owner name is empty or has a character dnsmasq cannot take");
	switch (r->type) {
	case ZONE_TXT:
		return txt_option(out, r);
	case ZONE_A:
		return host_option(out, r, AF_INET);
	case ZONE_AAAA:
		return host_option(out, r, AF_INET6);
	case ZONE_CNAME:
		if (strvec_pushf(out->args, "--cname=%s,%s", r->name, r->text) < 0)
			return record_fail(out, r, "out of memory");
		return 0;
	default:
		return record_fail(out, r, "dnsmasq serves only TXT, A, AAAA and CNAME here (use dnstest_serve)");
	}
}

/* A zone that keeps long strings: the harness splits them (see dnstest.h). */
static struct zone *harness_zone(char *err, size_t errlen)
{
	struct zone *z = zone_new();
	if (!z)
		fail(err, errlen, "dnstest: out of memory");
	else
		zone_allow_long_strings(z);
	return z;
}


/* ---------- running dnsmasq ---------- */

/* $DNSTEST_DNSMASQ if set; else PATH, then /usr/sbin, which a normal user's PATH may lack. */
static int find_dnsmasq(char *out, size_t outlen)
{
	const char *path = getenv("PATH");
	const char *forced = getenv("DNSTEST_DNSMASQ");
	if (forced && *forced) {
		snprintf(out, outlen, "%s", forced);
		return access(out, X_OK) == 0 ? 0 : -1;
	}
	struct buf dirs;
	buf_init(&dirs, 1 << 16);
	buf_printf(&dirs, "%s:/usr/sbin:/sbin:/usr/local/sbin", path ? path : "");
	int found = 0;
	for (char *dir = dirs.data, *next; dir && !found; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		if (*dir && (size_t)snprintf(out, outlen, "%s/dnsmasq", dir) < outlen &&
		    access(out, X_OK) == 0)
			found = 1;
	}
	buf_free(&dirs);
	return found ? 0 : -1;
}

/* Ask dnsmasq to keep our user and group: a credential change clears PR_SET_PDEATHSIG. */
static int push_identity(struct strvec *args)
{
	struct passwd *pw = getpwuid(geteuid());
	struct group *gr = getgrgid(getegid());
	if (pw && strvec_pushf(args, "--user=%s", pw->pw_name) < 0)
		return -1;
	if (gr && strvec_pushf(args, "--group=%s", gr->gr_name) < 0)
		return -1;
	return 0;
}

static int build_dnsmasq_argv(struct strvec *argv, const char *binary, unsigned short port,
			      const char *conf_path, const struct strvec *records)
{
	int rc = 0;
	rc |= strvec_push(argv, binary);
	rc |= strvec_push(argv, "--keep-in-foreground");
	rc |= strvec_push(argv, "--no-resolv");
	rc |= strvec_push(argv, "--no-hosts");
	rc |= strvec_pushf(argv, "--conf-file=%s", conf_path ? conf_path : "/dev/null");
	rc |= strvec_push(argv, "--pid-file=");   /* empty: write no pid file */
	rc |= strvec_pushf(argv, "--port=%u", (unsigned)port);
	rc |= strvec_push(argv, "--listen-address=127.0.0.1");
	rc |= strvec_push(argv, "--bind-interfaces");
	rc |= strvec_push(argv, "--local=/#/");   /* unknown names: NXDOMAIN, not REFUSED */
	rc |= strvec_push(argv, "--local-ttl=300");
	rc |= strvec_push(argv, "--log-facility=-");
	rc |= push_identity(argv);
	for (size_t i = 0; i < records->n && rc == 0; i++)
		rc |= strvec_push(argv, records->v[i]);
	return rc ? -1 : 0;
}

/* A TXT query for a name no test uses, to see whether the server answers yet. */
static size_t probe_query(unsigned char *q, uint16_t id)
{
	static const unsigned char question[] = "\x0d" "dnstest-probe" "\x07" "invalid" "\x00"
						"\x00\x10\x00\x01";
	memset(q, 0, 12);
	q[0] = (unsigned char)(id >> 8);
	q[1] = (unsigned char)id;
	q[2] = 0x01; /* RD */
	q[5] = 1;    /* QDCOUNT */
	memcpy(q + 12, question, sizeof question - 1);
	return 12 + sizeof question - 1;
}

/* 1 when something answers UDP queries on port within wait_ms, 0 otherwise. */
static int server_answers(unsigned short port, int wait_ms)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa;
	unsigned char q[64], r[512];
	uint16_t id = (uint16_t)(getpid() ^ port);
	size_t qlen = probe_query(q, id);
	loopback(&sa, port);
	int ok = 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && send(fd, q, qlen, 0) == (ssize_t)qlen) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, wait_ms) == 1) {
			ssize_t n = recv(fd, r, sizeof r, 0);
			ok = n >= 12 && r[0] == q[0] && r[1] == q[1];
		}
	}
	close(fd);
	return ok;
}

/* Last few hundred octets of dnsmasq's log, for error messages. */
static void log_tail(int fd, char *out, size_t outlen)
{
	char text[400];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > (off_t)sizeof text - 1 ? end - (off_t)sizeof text + 1 : 0;
	ssize_t n = pread(fd, text, sizeof text - 1, from);
	text[n > 0 ? n : 0] = '\0';
	for (char *c = text; *c; c++)
		if (*c == '\n')
			*c = ' ';
	snprintf(out, outlen, "%s", text);
}

static pid_t spawn(char *const argv[], int log_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork_blocked();
	if (pid != 0)
		return pid;
	become_server(parent);
	int devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, 0);
		dup2(devnull, 1);
	}
	dup2(log_fd, 2);
	execv(argv[0], argv);
	dprintf(2, "dnstest: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Free port for dnsmasq: bind UDP and TCP probes to it, then let them go. */
static int pick_port(unsigned short *port)
{
	int udp, tcp;
	if (bind_pair(&udp, &tcp, port) < 0)
		return -1;
	close(udp);
	close(tcp);
	return 0;
}

/* Start dnsmasq once; 1 = port taken (retry), 0 = running, -1 = failed. */
static int try_start_dnsmasq(struct dnstest *t, const char *binary, const char *conf_path,
			     int log_fd, const struct strvec *records, char *err, size_t errlen)
{
	unsigned short port;
	struct strvec argv = { 0 };
	if (pick_port(&port) < 0)
		return fail(err, errlen, "dnstest: no free port on 127.0.0.1: %s", strerror(errno));
	if (build_dnsmasq_argv(&argv, binary, port, conf_path, records) < 0) {
		strvec_free(&argv);
		return fail(err, errlen, "dnstest: out of memory");
	}
	if (ftruncate(log_fd, 0) == 0) /* a fresh log per attempt; failure only blurs messages */
		lseek(log_fd, 0, SEEK_SET);
	pid_t pid = spawn(argv.v, log_fd);
	strvec_free(&argv);
	if (pid < 0)
		return fail(err, errlen, "dnstest: fork: %s", strerror(errno));
	registry_add(pid);
	for (long long start = monotonic_ms(); monotonic_ms() - start < START_TIMEOUT_MS;) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			char tail[400];
			registry_remove(pid);
			log_tail(log_fd, tail, sizeof tail);
			if (strstr(tail, "in use"))
				return 1;
			return fail(err, errlen, "dnstest: dnsmasq exited (status %d) on port %u: %s",
				    WIFEXITED(status) ? WEXITSTATUS(status) : -1, (unsigned)port, tail);
		}
		if (server_answers(port, 100)) {
			t->pid = pid;
			set_server(t, port);
			return 0;
		}
		sleep_ms(20); /* an ICMP "port unreachable" ends the probe at once: do not spin */
	}
	char tail[400];
	log_tail(log_fd, tail, sizeof tail);
	kill_and_reap(pid, STOP_GRACE_MS);
	registry_remove(pid);
	return fail(err, errlen, "dnstest: dnsmasq did not answer on port %u within %d ms: %s",
		    (unsigned)port, START_TIMEOUT_MS, tail);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A temporary directory holding the config file and the log; removed once dnsmasq runs. */
struct tempdir {
	char dir[200], conf[240], log[240];
};

static int make_tempdir(struct tempdir *td, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	memset(td, 0, sizeof *td);
	snprintf(td->dir, sizeof td->dir, "%s/dnstest.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(td->dir))
		return fail(err, errlen, "dnstest: mkdtemp %s: %s", td->dir, strerror(errno));
	snprintf(td->conf, sizeof td->conf, "%s/dnsmasq.conf", td->dir);
	snprintf(td->log, sizeof td->log, "%s/dnsmasq.log", td->dir);
	return 0;
}

static void remove_tempdir(const struct tempdir *td)
{
	unlink(td->conf);
	unlink(td->log);
	rmdir(td->dir);
}

static int start_dnsmasq(struct dnstest *t, const struct strvec *records, const struct buf *conf,
			 char *err, size_t errlen)
{
	char binary[512];
	struct tempdir td;
	if (find_dnsmasq(binary, sizeof binary) < 0)
		return fail(err, errlen,
			    "dnstest: *** dnsmasq NOT FOUND (%s) *** the DNS tests need it: "
			    "apt-get install dnsmasq-base",
			    getenv("DNSTEST_DNSMASQ") && *getenv("DNSTEST_DNSMASQ")
				    ? "not executable: $DNSTEST_DNSMASQ"
				    : "looked in PATH, /usr/sbin, /sbin");
	if (make_tempdir(&td, err, errlen) < 0)
		return -1;
	int rc = -1;
	int log_fd = open(td.log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		fail(err, errlen, "dnstest: %s: %s", td.log, strerror(errno));
		goto out;
	}
	if (conf->len) {
		int cfd = open(td.conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (cfd < 0 || write_all(cfd, conf->data, conf->len) < 0) {
			fail(err, errlen, "dnstest: %s: %s", td.conf, strerror(errno));
			if (cfd >= 0)
				close(cfd);
			goto out;
		}
		close(cfd);
	}
	for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
		rc = try_start_dnsmasq(t, binary, conf->len ? td.conf : NULL, log_fd, records, err, errlen);
		if (rc <= 0)
			break;
		fail(err, errlen, "dnstest: dnsmasq found its port taken %d times", START_ATTEMPTS);
		rc = -1;
	}
out:
	if (log_fd >= 0)
		close(log_fd);
	remove_tempdir(&td); /* dnsmasq has read its config; nothing stays on disk */
	return rc;
}

/* Serve the records of z: options and config lines from zone_foreach, then dnsmasq. */
static int serve_zone(struct dnstest *t, const struct zone *z, char *err, size_t errlen)
{
	struct strvec records = { 0 };
	struct buf conf;
	struct dnsmasq_records out = { .args = &records, .conf = &conf, .err = err, .errlen = errlen };
	buf_init(&conf, CONF_TEXT_MAX);
	int rc = zone_foreach(z, record_to_dnsmasq, &out) ? -1 : 0;
	if (rc == 0)
		rc = start_dnsmasq(t, &records, &conf, err, errlen);
	strvec_free(&records);
	buf_free(&conf);
	return rc;
}

int dnstest_start_zone(struct dnstest *t, const char *const *zonefiles, size_t n, char *err,
		       size_t errlen)
{
	char why[400];
	init_handle(t);
	struct zone *z = harness_zone(err, errlen);
	if (!z)
		return -1;
	int rc = 0;
	/* one zone for all files: each zone_load_file starts a fresh $ORIGIN, as separate files should */
	for (size_t i = 0; i < n && rc == 0; i++)
		if (zone_load_file(z, zonefiles[i], why, sizeof why) < 0)
			rc = fail(err, errlen, "dnstest: %s", why);
	if (rc == 0)
		rc = serve_zone(t, z, err, errlen);
	zone_free(z);
	return rc;
}

int dnstest_start_zone_text(struct dnstest *t, const char *text, char *err, size_t errlen)
{
	char why[400];
	init_handle(t);
	struct zone *z = harness_zone(err, errlen);
	if (!z)
		return -1;
	int rc = 0;
	if (zone_parse(z, text, strlen(text), "<zone text>", why, sizeof why) < 0)
		rc = fail(err, errlen, "dnstest: %s", why);
	else
		rc = serve_zone(t, z, err, errlen);
	zone_free(z);
	return rc;
}


/* ---------- the test DNS server (dnsserver.c) in a child process ---------- */

/* The zone the server answers from: the text, then the files, long strings allowed. */
static struct zone *server_zone(const struct dnstest_opts *o, char *err, size_t errlen)
{
	char why[400];
	struct zone *z = harness_zone(err, errlen);
	if (!z)
		return NULL;
	if (o->zone_text && zone_parse(z, o->zone_text, strlen(o->zone_text), "<zone text>", why, sizeof why) != ZONE_OK) {
		fail(err, errlen, "dnstest: %s", why);
		zone_free(z);
		return NULL;
	}
	for (size_t i = 0; i < o->nzone_files; i++)
		if (zone_load_file(z, o->zone_files[i], why, sizeof why) != ZONE_OK) {
			fail(err, errlen, "dnstest: %s", why);
			zone_free(z);
			return NULL;
		}
	return z;
}

static int parse_faults(const struct dnstest_opts *o, struct dnsserver_fault *faults, char *err, size_t errlen)
{
	char why[300];
	if (o->nfaults > DNSSERVER_FAULTS_MAX)
		return fail(err, errlen, "dnstest: at most %d faults", DNSSERVER_FAULTS_MAX);
	for (size_t i = 0; i < o->nfaults; i++)
		if (dnsserver_parse_fault(o->faults[i], &faults[i], why, sizeof why) < 0)
			return fail(err, errlen, "dnstest: %s", why);
	return 0;
}

/* Counters in memory the child writes and the parent reads (MAP_SHARED survives the fork). */
static struct dnsserver_stats *shared_stats(void)
{
	void *p = mmap(NULL, sizeof(struct dnsserver_stats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void serve_child(pid_t parent, const struct dnsserver_config *c, struct dnsserver_stats *st)
	__attribute__((noreturn));
static void serve_child(pid_t parent, const struct dnsserver_config *c, struct dnsserver_stats *st)
{
	become_server(parent);
	_exit(dnsserver_run(c, st, NULL) < 0 ? 1 : 0);
}

/* Fork the server on sockets bound here, so queries sent before it runs just wait in the socket. */
static int fork_server(struct dnstest *t, const struct dnsserver_config *c, char *err, size_t errlen)
{
	pid_t parent = getpid();
	pid_t pid = fork_blocked();
	if (pid == 0)
		serve_child(parent, c, t->stats);
	if (pid < 0)
		return fail(err, errlen, "dnstest: fork: %s", strerror(errno));
	registry_add(pid);
	t->pid = pid;
	return 0;
}

int dnstest_serve(struct dnstest *t, const struct dnstest_opts *o, char *err, size_t errlen)
{
	static const struct dnstest_opts none;
	struct dnsserver_fault faults[DNSSERVER_FAULTS_MAX];
	int udp, tcp, alt = -1, alt_tcp;
	unsigned short port, alt_port;
	init_handle(t);
	o = o ? o : &none;
	if (parse_faults(o, faults, err, errlen) < 0)
		return -1;
	struct zone *z = server_zone(o, err, errlen);
	if (!z)
		return -1;
	if (!(t->stats = shared_stats())) {
		zone_free(z);
		return fail(err, errlen, "dnstest: mmap: %s", strerror(errno));
	}
	if (dnsserver_bind(0, &udp, &tcp, &port) < 0) {
		zone_free(z);
		return fail(err, errlen, "dnstest: cannot bind 127.0.0.1: %s", strerror(errno));
	}
	if (dnsserver_bind(0, &alt, &alt_tcp, &alt_port) == 0)
		close(alt_tcp);
	struct dnsserver_config c = { .zone = z, .delay_ms = o->delay_ms, .faults = faults, .nfaults = o->nfaults,
				      .udp = udp, .tcp = tcp, .alt = alt };
	int rc = fork_server(t, &c, err, errlen);
	close(udp);
	close(tcp);
	if (alt >= 0)
		close(alt);
	zone_free(z); /* the child has its own copy */
	if (rc == 0)
		set_server(t, port);
	return rc;
}

unsigned long dnstest_queries(const struct dnstest *t)
{
	return t->stats ? t->stats->udp_queries + t->stats->tcp_queries : 0;
}

unsigned long dnstest_tcp_queries(const struct dnstest *t)
{
	return t->stats ? t->stats->tcp_queries : 0;
}

unsigned dnstest_max_pending(const struct dnstest *t)
{
	return t->stats ? t->stats->max_pending : 0;
}

void dnstest_stop(struct dnstest *t)
{
	if (!t)
		return;
	if (t->pid > 0) {
		kill_and_reap(t->pid, STOP_GRACE_MS);
		registry_remove(t->pid);
		t->pid = 0;
	}
	if (t->stats) {
		munmap(t->stats, sizeof *t->stats);
		t->stats = NULL;
	}
}
