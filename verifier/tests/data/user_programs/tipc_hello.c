/*
 * A TIPC client and server written against the kernel's UAPI only, the way
 * an application outside this project would use TIPC: `tipc-verifier run`
 * is tested with it (tests/run_user_program.rs).
 *
 *   tipc_hello server N   binds service {18888, 17} (RDM), answers N messages
 *   tipc_hello client N   sends N messages to {18888, 17}, waits for each answer
 *
 * Both print what they did and exit 0 only when all N went both ways. The
 * client waits up to 10 s for the server's name to reach its node.
 */
#include <errno.h>
#include <linux/tipc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SERVICE_TYPE 18888
#define SERVICE_INSTANCE 17

static int fail(const char *what)
{
	fprintf(stderr, "tipc_hello: %s: %s\n", what, strerror(errno));
	return 1;
}

static int server(int sd, long n)
{
	struct sockaddr_tipc addr = {
		.family = AF_TIPC,
		.addrtype = TIPC_SERVICE_ADDR,
		.scope = TIPC_CLUSTER_SCOPE,
		.addr.name.name.type = SERVICE_TYPE,
		.addr.name.name.instance = SERVICE_INSTANCE,
	};
	char buf[256];
	long i;

	if (bind(sd, (struct sockaddr *)&addr, sizeof(addr)))
		return fail("bind");
	printf("server: bound {%d, %d}\n", SERVICE_TYPE, SERVICE_INSTANCE);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		struct sockaddr_tipc from;
		socklen_t len = sizeof(from);
		ssize_t got = recvfrom(sd, buf, sizeof(buf), 0,
				       (struct sockaddr *)&from, &len);

		if (got < 0)
			return fail("recvfrom");
		got = sendto(sd, buf, got, 0, (struct sockaddr *)&from, len);
		if (got < 0)
			return fail("sendto");
	}
	printf("server: answered %ld messages\n", i);
	return 0;
}

static int client(int sd, long n)
{
	struct sockaddr_tipc to = {
		.family = AF_TIPC,
		.addrtype = TIPC_SERVICE_ADDR,
		.addr.name.name.type = SERVICE_TYPE,
		.addr.name.name.instance = SERVICE_INSTANCE,
	};
	struct timeval wait = { .tv_sec = 10 };
	char msg[64], buf[256];
	long i;

	if (setsockopt(sd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait)))
		return fail("SO_RCVTIMEO");
	for (i = 0; i < n; i++) {
		int len = snprintf(msg, sizeof(msg), "hello %ld", i);
		int tries = 0;
		ssize_t got;

		/* Until the server's name has reached this node: 10 s at most. */
		for (;;) {
			ssize_t sent = sendto(sd, msg, len, 0,
					      (struct sockaddr *)&to, sizeof(to));

			if (sent == len)
				break;
			if (sent >= 0) {
				fprintf(stderr, "tipc_hello: sent %zd of %d bytes\n",
					sent, len);
				return 1;
			}
			if (errno != EHOSTUNREACH || ++tries > 100)
				return fail("sendto");
			usleep(100000);
		}
		got = recv(sd, buf, sizeof(buf), 0);
		if (got < 0)
			return fail("recv");
		if (got != len || memcmp(buf, msg, len)) {
			fprintf(stderr, "tipc_hello: answer %ld differs\n", i);
			return 1;
		}
	}
	printf("client: %ld answers\n", i);
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	long n;
	int sd;

	if (argc != 3 || (strcmp(argv[1], "server") && strcmp(argv[1], "client"))) {
		fprintf(stderr, "usage: %s server|client N\n", argv[0]);
		return 2;
	}
	n = strtol(argv[2], &end, 10);
	if (*argv[2] == '\0' || *end != '\0' || n < 1 || n > 1000000) {
		fprintf(stderr, "tipc_hello: N must be 1 to 1000000, not %s\n", argv[2]);
		return 2;
	}
	sd = socket(AF_TIPC, SOCK_RDM, 0);
	if (sd < 0)
		return fail("socket");
	return strcmp(argv[1], "server") ? client(sd, n) : server(sd, n);
}
