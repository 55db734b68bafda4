/*
 * mpi.c - the tessera command under mpirun or srun (mpi.h).
 *
 * MPI is initialised only when a launcher started the process: Open MPI's
 * mpirun sets OMPI_COMM_WORLD_SIZE, PMIx launchers (srun --mpi=pmix)
 * PMIX_RANK, older PMI ones PMI_RANK.  A plain run never touches MPI, so a
 * binary built with it behaves as one built without.  Errors in MPI calls
 * abort the job (MPI's default handler): the launcher then names the rank.
 */
#include "mpi.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TSR_MPI
#include <mpi.h>
#endif

static int g_rank, g_size = 1;
static uint64_t g_sent;
static tsr_comm g_comm;
#ifdef TSR_MPI
static int g_on;          /* MPI_Init was called */
static char g_prog[64];   /* "tessera[rank R of N]" */
#endif

#if defined TSR_MPI || (defined TSR_LEAN && TSR_MPI_FULL)
/* Whether a launcher started this process (its environment says so). */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}
#endif

int cli_mpi_built(void)
{
#if defined TSR_MPI || (defined TSR_LEAN && TSR_MPI_FULL)
    return 1;   /* this program, or tessera-full for it */
#else
    return 0;
#endif
}

void cli_mpi_init(int *argc, char ***argv)
{
#if defined TSR_LEAN && TSR_MPI_FULL
    /* the program without Open MPI (full.c): tessera-full runs the rank */
    if (launched())
        exit(cli_exec_full(*argv, "a run under an MPI launcher"));
#endif
#ifdef TSR_MPI
    if (!launched())
        return;
    int provided = 0;
    /* the library's threads never call MPI: only the main thread does */
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    g_on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    if (g_size > 1) {   /* every message names its rank */
        snprintf(g_prog, sizeof g_prog, "tessera[rank %d of %d]", g_rank, g_size);
        cli_prog = g_prog;
    }
#else
    (void)argc;
    (void)argv;
#endif
}

void cli_mpi_finalize(void)
{
#ifdef TSR_MPI
    if (g_on) MPI_Finalize();
    g_on = 0;
#endif
}

int cli_mpi_rank(void) { return g_rank; }
int cli_mpi_size(void) { return g_size; }
uint64_t cli_mpi_bytes_sent(void) { return g_sent; }

void cli_mpi_abort(int code)
{
#ifdef TSR_MPI
    if (g_on && g_size > 1) {
        fflush(stdout);
        fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, code ? code : 1);
    }
#else
    (void)code;
#endif
}

int cli_mpi_max(int v)
{
#ifdef TSR_MPI
    if (g_on) {
        int out = v;
        MPI_Allreduce(&v, &out, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        return out;
    }
#endif
    return v;
}

uint64_t cli_mpi_sum(uint64_t v)
{
#ifdef TSR_MPI
    if (g_on) {
        uint64_t out = v;
        MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
        return out;
    }
#endif
    return v;
}

void cli_mpi_bcast(uint64_t *v)
{
#ifdef TSR_MPI
    if (g_on) MPI_Bcast(v, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
#else
    (void)v;
#endif
}

void cli_mpi_allgather(uint64_t v, uint64_t *all)
{
#ifdef TSR_MPI
    if (g_on) {
        MPI_Allgather(&v, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD);
        return;
    }
#endif
    all[0] = v;
}

void cli_mpi_barrier(void)
{
#ifdef TSR_MPI
    if (g_on) MPI_Barrier(MPI_COMM_WORLD);
#endif
}

#define PIECE ((size_t)1 << 30)

static int exchange(void *ud, const void *const *send, const size_t *send_len, void **recv,
                    size_t *recv_len, char *msg, size_t msg_size)
{
    (void)ud;
    const int n = g_size;
#ifdef TSR_MPI
    if (g_on) {
        uint64_t *sl = calloc((size_t)n, sizeof *sl), *rl = calloc((size_t)n, sizeof *rl);
        if (!sl || !rl) { free(sl); free(rl); snprintf(msg, msg_size, "out of memory"); return -1; }
        for (int k = 0; k < n; k++) sl[k] = send_len[k];
        MPI_Alltoall(sl, 1, MPI_UINT64_T, rl, 1, MPI_UINT64_T, MPI_COMM_WORLD);
        size_t total = 0, pieces = 0;
        for (int k = 0; k < n; k++) {
            recv_len[k] = (size_t)rl[k];
            total += recv_len[k];
            pieces += (recv_len[k] + PIECE - 1) / PIECE + (send_len[k] + PIECE - 1) / PIECE;
        }
        char *buf = malloc(total ? total : 1);
        MPI_Request *rq = malloc((pieces ? pieces : 1) * sizeof *rq);
        if (!buf || !rq) {
            free(sl); free(rl); free(buf); free(rq);
            snprintf(msg, msg_size, "out of memory for %zu bytes", total);
            return -1;
        }
        size_t nr = 0, at = 0;
        for (int k = 0; k < n; k++) {
            for (size_t off = 0; off < recv_len[k]; off += PIECE) {
                const size_t len = recv_len[k] - off < PIECE ? recv_len[k] - off : PIECE;
                MPI_Irecv(buf + at + off, (int)len, MPI_BYTE, k, (int)(off / PIECE),
                          MPI_COMM_WORLD, &rq[nr++]);
            }
            at += recv_len[k];
        }
        for (int k = 0; k < n; k++)
            for (size_t off = 0; off < send_len[k]; off += PIECE) {
                const size_t len = send_len[k] - off < PIECE ? send_len[k] - off : PIECE;
                MPI_Isend((const char *)send[k] + off, (int)len, MPI_BYTE, k,
                          (int)(off / PIECE), MPI_COMM_WORLD, &rq[nr++]);
                if (k != g_rank) g_sent += len;
            }
        MPI_Waitall((int)nr, rq, MPI_STATUSES_IGNORE);
        free(rq);
        free(sl);
        free(rl);
        *recv = buf;
        return 0;
    }
#endif
    /* one process: what it sends itself */
    char *buf = malloc(send_len[0] ? send_len[0] : 1);
    if (!buf) { snprintf(msg, msg_size, "out of memory"); return -1; }
    if (send_len[0]) memcpy(buf, send[0], send_len[0]);
    recv_len[0] = send_len[0];
    (void)n;
    *recv = buf;
    return 0;
}

const tsr_comm *cli_mpi_comm(void)
{
    g_comm.rank = g_rank;
    g_comm.size = g_size;
    g_comm.exchange = exchange;
    g_comm.ud = NULL;
    return &g_comm;
}
