/*
 * mpi.h - the tessera command as one process of an MPI job (mpirun, srun).
 *
 * Built with Open MPI when the Makefile finds it (TSR_MPI defined); a
 * build without it, or a run without a launcher, is one process: rank 0 of
 * 1, and every function below is then a no-op that returns the identity.
 * The library never sees MPI: discovery takes cli_mpi_comm's tsr_comm.
 */
#ifndef TSR_CLI_MPI_H
#define TSR_CLI_MPI_H

#include "tessera.h"

#include <stdint.h>

/* Join the job when started by a launcher (its environment says so). */
void cli_mpi_init(int *argc, char ***argv);
/* Leave it (MPI_Finalize); call before exit on every path. */
void cli_mpi_finalize(void);
int cli_mpi_rank(void);
int cli_mpi_size(void);
/* Whether this build can run under MPI (for --version and messages). */
int cli_mpi_built(void);

/* End the whole job with exit code `code` (MPI_Abort), after this process
 * printed why: the launcher stops every rank.  Returns only alone. */
void cli_mpi_abort(int code);

/* Collectives over all ranks (every rank calls them, in the same order). */
int cli_mpi_max(int v);                         /* largest v */
uint64_t cli_mpi_sum(uint64_t v);               /* sum of v */
void cli_mpi_bcast(uint64_t *v);                /* rank 0's *v to all */
void cli_mpi_allgather(uint64_t v, uint64_t *all);  /* all[r] = rank r's v */
void cli_mpi_barrier(void);

/* The ranks as the library's tsr_comm (rank, size and an all-to-all
 * exchange of bytes); valid until cli_mpi_finalize. */
const tsr_comm *cli_mpi_comm(void);

/* Exchange bytes, all to all (tsr_comm.exchange; ud unused).  Counts as
 * 64-bit and messages in pieces of at most 1 GiB, so any size goes.
 * Bytes sent and received so far by this rank, for reports. */
uint64_t cli_mpi_bytes_sent(void);

#endif
