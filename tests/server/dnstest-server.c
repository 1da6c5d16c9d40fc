/*
 * dnstest-server: the test DNS server (tests/dnsserver.c) as a program, for
 * `make bench` and for trying arcverify by hand against slow or broken DNS.
 *
 *   build/dnstest-server --zone FILE [--zone FILE...] [--port N] [--delay-ms MS]
 *                        [--fault NAME=KIND[:ARG]]... [--port-file FILE]
 *
 * Listens on 127.0.0.1 only (UDP and TCP, the same port; 0 or no --port: any
 * free one), prints the port on standard output once it is bound (and writes
 * it to --port-file, renamed into place), then serves until SIGTERM or SIGINT,
 * or until its parent process ends (PR_SET_PDEATHSIG), and prints its counters
 * on standard error: queries, answers, dropped, the most queries held at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "dnsserver.h"
#include "zone.h"

struct args {
	const char *zones[32];
	size_t nzones;
	unsigned long port, delay;
	struct dnsserver_fault faults[DNSSERVER_FAULTS_MAX];
	size_t nfaults;
	const char *port_file;
};

static volatile sig_atomic_t stop_flag; /* set by the signal handler: the one state a handler may touch */

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int usage(const char *why)
{
	fprintf(stderr, "dnstest-server: %s\n"
			"usage: dnstest-server --zone FILE [--zone FILE...] [--port N] [--delay-ms MS]\n"
			"                      [--fault NAME=KIND[:ARG]]... [--port-file FILE]\n", why);
	return 64;
}

static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || !*s || *end || *out > max ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	char err[300];
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			return usage("an option lacks its value");
		i++;
		if (strcmp(o, "--zone") == 0 && a->nzones < 32)
			a->zones[a->nzones++] = v;
		else if (strcmp(o, "--port") == 0 && number(v, 65535, &a->port) == 0)
			continue;
		else if (strcmp(o, "--delay-ms") == 0 && number(v, 3600000, &a->delay) == 0)
			continue;
		else if (strcmp(o, "--port-file") == 0)
			a->port_file = v;
		else if (strcmp(o, "--fault") == 0 && a->nfaults < DNSSERVER_FAULTS_MAX) {
			if (dnsserver_parse_fault(v, &a->faults[a->nfaults++], err, sizeof err) < 0)
				return usage(err);
		} else
			return usage("unknown option or bad value");
	}
	return 0;
}

static int write_port_file(const char *path, unsigned short port)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", (unsigned)port) < 0 || fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

static struct zone *load_zones(const struct args *a)
{
	char err[400];
	struct zone *z = zone_new();
	if (!z)
		return NULL;
	zone_allow_long_strings(z);
	for (size_t i = 0; i < a->nzones; i++)
		if (zone_load_file(z, a->zones[i], err, sizeof err) != ZONE_OK) {
			fprintf(stderr, "dnstest-server: %s\n", err);
			zone_free(z);
			return NULL;
		}
	return z;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct dnsserver_stats st = { 0 };
	unsigned short port;
	int udp, tcp, rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	pid_t parent = getppid();
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* a benchmark that dies takes its server with it */
	if (getppid() != parent)
		return 1;
	struct zone *z = load_zones(&a);
	if (!z)
		return 66;
	if (dnsserver_bind((unsigned short)a.port, &udp, &tcp, &port) < 0) {
		fprintf(stderr, "dnstest-server: cannot bind 127.0.0.1:%lu: %s\n", a.port, strerror(errno));
		zone_free(z);
		return 69;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	printf("%u\n", (unsigned)port);
	fflush(stdout);
	if (a.port_file && write_port_file(a.port_file, port) < 0)
		fprintf(stderr, "dnstest-server: cannot write %s: %s\n", a.port_file, strerror(errno));
	struct dnsserver_config c = { .zone = z, .delay_ms = (unsigned)a.delay, .faults = a.faults,
				      .nfaults = a.nfaults, .udp = udp, .tcp = tcp, .alt = -1 };
	rc = dnsserver_run(&c, &st, &stop_flag);
	fprintf(stderr, "dnstest-server: %lu queries (%lu UDP, %lu TCP), %lu answers, %lu dropped, at most %u held at once\n",
		st.udp_queries + st.tcp_queries, st.udp_queries, st.tcp_queries, st.answers, st.dropped, st.max_pending);
	close(udp);
	close(tcp);
	zone_free(z);
	return rc < 0 ? 70 : 0;
}
