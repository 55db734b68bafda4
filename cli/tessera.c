/*
 * tessera.c - the tessera command: dispatch to subcommands.
 */
#include "cli.h"
#include "mpi.h"

#include <getopt.h>
#include <string.h>

static const char usage_text[] =
"Usage: tessera COMMAND [OPTIONS] [ARGS]\n"
"\n"
"Find reused text: which passages of a text were copied, from where, and how\n"
"much of it.\n"
"\n"
"Commands:\n"
"  index     add documents to an index         tessera index --db DIR INPUT...\n"
"  check     check a text against an index     tessera check --db DIR FILE|-\n"
"  align     align two texts, no index needed  tessera align FILE_A FILE_B\n"
"  dedup     drop near duplicates and repeats  tessera dedup INPUT... -o OUT.jsonl\n"
"  discover  reuse shared inside an index      tessera discover --db DIR -o FILE\n"
"  serve     HTTP API and web page for checks  tessera serve --db DIR\n"
"  remove    remove documents from an index    tessera remove --db DIR ID...\n"
"  stats     counts of an index                tessera stats --db DIR\n"
"  verify    check an index's checksums        tessera verify --db DIR\n"
"  repair    rebuild damaged segments          tessera repair --db DIR\n"
"\n"
"  tessera COMMAND --help    options of one command\n"
"  tessera --version         version\n"
"\n"
"Exit codes: 0 success; 1 verify found damage; 2 usage error; 3 bad input;\n"
"4 index missing, damaged or locked; 5 system error (I/O, full disk, memory);\n"
"130 interrupted.  See tessera(1).\n";

static int dispatch(int argc, char **argv);

char **cli_argv;

int main(int argc, char **argv)
{
    cli_argv = argv;
    cli_mpi_init(&argc, &argv);
    int rc = dispatch(argc, argv);
    cli_mpi_finalize();
    return rc;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    opterr = 0; /* the commands say what is wrong with an option: cli_option_error */
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage_text, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("tessera %s%s\n", tsr_version_string(),
               cli_mpi_built() ? " (Open MPI: runs under mpirun and srun)" : "");
        return EXIT_OK;
    }
    /* `ranks`: the command divides its work over the ranks of an MPI job;
     * the others run on rank 0 alone while the other ranks wait */
    static const struct { const char *name; int (*fn)(int, char **); int ranks; } cmds[] = {
        { "align", cmd_align, 0 }, { "check", cmd_check, 1 }, { "dedup", cmd_dedup, 0 },
        { "discover", cmd_discover, 1 },
        { "index", cmd_index, 1 }, { "remove", cmd_remove, 0 }, { "serve", cmd_serve, 0 },
        { "stats", cmd_stats, 0 }, { "verify", cmd_verify, 0 }, { "repair", cmd_repair, 0 },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name)) continue;
        if (cmds[i].ranks || cli_mpi_size() == 1)
            return cmds[i].fn(argc - 1, argv + 1);
        int rc = cli_mpi_rank() == 0 ? cmds[i].fn(argc - 1, argv + 1) : EXIT_OK;
        return cli_mpi_max(rc);
    }
    if (cmd[0] == '-') {
        static const char *const opts[] = { "--help", "--version" };
        const char *near = cli_nearest(cmd, opts, 2);
        if (near)
            return cli_fail(EXIT_USAGE, "unknown option '%s'; did you mean '%s'?", cmd, near);
        return cli_fail(EXIT_USAGE, "unknown option '%s' (see '%s --help')", cmd, cli_prog);
    }
    const char *names[sizeof cmds / sizeof cmds[0]];
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        names[i] = cmds[i].name;
    const char *near = cli_nearest(cmd, names, sizeof names / sizeof names[0]);
    if (near)
        return cli_fail(EXIT_USAGE, "unknown command '%s'; did you mean '%s'?", cmd, near);
    return cli_fail(EXIT_USAGE, "unknown command '%s' (see '%s --help')", cmd, cli_prog);
}
