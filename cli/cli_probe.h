/*
 * cli_probe.h - the "tcpshake probe" subcommand (cli/probe.c).
 */
#ifndef TCPSHAKE_CLI_PROBE_H
#define TCPSHAKE_CLI_PROBE_H

/* argv[0] is "probe". Returns the exit status: 0 every port open, 1 otherwise or a
 * runtime failure, 2 usage error. */
int probe_main(int argc, char **argv);

#endif
