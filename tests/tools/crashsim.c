/*
 * crashsim.c - power loss and disk errors, simulated for the tests of the
 * index writer (tests/cli/powerloss.sh).  One file, built two ways:
 *
 *   cc -shared -fPIC -DCRASHSIM_PRELOAD -o crashsim.so crashsim.c -ldl
 *       an LD_PRELOAD object that watches the calls that change files
 *       under a directory and keeps a "durable image" of it;
 *   cc -o crashsim crashsim.c
 *       the tool: `crashsim init ROOT IMAGE` takes the image of ROOT as it
 *       is now, `crashsim restore ROOT IMAGE` makes ROOT what the image
 *       says survived (the power came back).
 *
 * (The Makefile builds every .c file of tests/tools as a program, so the
 * default is the tool; the library it links is not used.)
 *
 * The model of a power loss
 * -------------------------
 * A process writes into the page cache; only what it made durable with
 * fsync/fdatasync survives a power loss, and (POSIX, and ext4/XFS without
 * their extra ordering) an fsync of a file does not make its name durable:
 * the entry that a create, rename or unlink changed is durable only after
 * an fsync of the directory that holds it.  The model keeps exactly that,
 * the most pessimistic outcome a real disk may give:
 *
 *   - a file's data: the content as of its last fsync/fdatasync (whole:
 *     size and bytes), empty if it was never synced since it was created;
 *   - a directory's entries: the names, and the inode each points to, as
 *     of the directory's last fsync; a name created, renamed or removed
 *     since then reverts (a new file vanishes, a renamed one comes back
 *     under its old name, a removed one comes back with its durable data);
 *   - sync() and syncfs() make everything durable;
 *   - writes through shared mappings (SQLite's -shm index) are not seen:
 *     such a file keeps its last synced content (SQLite never syncs it and
 *     rebuilds it from the WAL).
 *
 * It does not model torn or reordered writes inside one fsync (an fsync is
 * all or nothing here) or a disk that keeps part of what was not synced
 * (the other extreme, everything kept, is what a SIGKILL gives: kill.sh).
 *
 * The image lives in a directory IMAGE, keyed by inode number (while a
 * file lives, its inode is its identity):
 *
 *   IMAGE/f/ID   the durable content of file ID (absent: never synced)
 *   IMAGE/d/ID   the durable entries of directory ID, one a line:
 *                "f ID NAME" or "d ID NAME"
 *   IMAGE/root   the ID of ROOT
 *
 * `init` writes it from ROOT (all of ROOT durable, as after a sync).  The
 * preload object updates f/ on every file fsync and d/ on every directory
 * fsync.  When a file system gives a new file an inode number that the
 * image still holds (a removed file whose entry is durable), the old one
 * moves to ID.N first.  `restore` empties ROOT and rebuilds it from the
 * image (inodes shared by two names become hard links), then takes a new
 * image of the result: after the power comes back, all that is on the
 * disk is durable.  Several processes in a row (each with the preload)
 * share one image, so a crash also drops what earlier runs left unsynced.
 * Every process that changes ROOT must run with the object, readers too
 * (SQLite's readers create -wal and -shm files): a file created behind its
 * back, if the file system gives it the inode number of a removed file
 * that the image still holds, would take that file's durable content.
 *
 * Events and faults
 * -----------------
 * Every call that changes something under ROOT is an event, numbered from
 * 1 in the process: an open that may write (write access, O_CREAT,
 * O_TRUNC), creat, write, pwrite(64), writev, pwritev(64), ftruncate(64),
 * fallocate, posix_fallocate, fsync, fdatasync, sync, syncfs, rename(at,
 * at2), link(at), unlink(at), mkdir(at), rmdir, and the close of a
 * descriptor opened for writing.  The "I/O" events are the writes, syncs
 * and those closes; they have a number of their own.  Not seen: calls
 * that the C library makes inside itself (stdio's fwrite and fclose, so a
 * file written through a FILE is invisible: the plain index writer writes
 * none; the shard list of a sharded index is written so), descriptors
 * from 4096 up for close, and other processes unless they run with the
 * object too.  The environment:
 *
 *   CRASHSIM_ROOT    the simulated disk (no ROOT or IMAGE: the object does
 *                    nothing; calls outside ROOT are never touched)
 *   CRASHSIM_IMAGE   its image
 *   CRASHSIM_MODE    count (default: only count, log and keep the image),
 *                    crash (SIGKILL before event K happens), enospc or
 *                    eio (I/O event K fails with that errno, nothing done;
 *                    a failing close still closes)
 *   CRASHSIM_AT      K, counted from 1 (crash: all events; enospc and eio:
 *                    I/O events)
 *   CRASHSIM_STICKY  1: with enospc/eio, every I/O event after K fails too
 *                    (a disk that stays full)
 *   CRASHSIM_LOG     a file to append the events to, one a line:
 *                    "N IO CALL PATH" (IO is "-" for other events; PATH
 *                    relative to ROOT), and "fault N CALL PATH"
 *
 * Whether the power is lost after a crash is the caller's choice: run
 * `crashsim restore` (power loss) or not (the process was only killed).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#ifdef CRASHSIM_PRELOAD
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#endif

/* ------------------------------------------------------------------------
 * The real calls.  Inside the preload object, open() etc. name the
 * interposers, so the image code goes through pointers to the next
 * definitions (libc's); in the tool they are libc's functions.
 * --------------------------------------------------------------------- */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef ssize_t (*pwritev_fn)(int, const struct iovec *, int, off_t);
typedef ssize_t (*pwritev64_fn)(int, const struct iovec *, int, off64_t);
typedef int (*ftruncate_fn)(int, off_t);
typedef int (*ftruncate64_fn)(int, off64_t);
typedef int (*fallocate_fn)(int, int, off_t, off_t);
typedef int (*fallocate64_fn)(int, int, off64_t, off64_t);
typedef int (*pfallocate_fn)(int, off_t, off_t);
typedef int (*pfallocate64_fn)(int, off64_t, off64_t);
typedef int (*fd_fn)(int);
typedef void (*sync_fn)(void);
typedef int (*path_fn)(const char *);
typedef int (*path2_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
typedef int (*linkat_fn)(int, const char *, int, const char *, int);
typedef int (*unlinkat_fn)(int, const char *, int);
typedef int (*mkdir_fn)(const char *, mode_t);
typedef int (*mkdirat_fn)(int, const char *, mode_t);
typedef int (*creat_fn)(const char *, mode_t);

#ifdef CRASHSIM_PRELOAD
static open_fn real_open, real_open64;
static openat_fn real_openat, real_openat64;
static creat_fn real_creat, real_creat64;
static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;
static writev_fn real_writev;
static pwritev_fn real_pwritev;
static pwritev64_fn real_pwritev64;
static ftruncate_fn real_ftruncate;
static ftruncate64_fn real_ftruncate64;
static fallocate_fn real_fallocate;
static fallocate64_fn real_fallocate64;
static pfallocate_fn real_posix_fallocate;
static pfallocate64_fn real_posix_fallocate64;
static fd_fn real_fsync, real_fdatasync, real_syncfs, real_close;
static sync_fn real_sync;
static path2_fn real_rename, real_link;
static renameat_fn real_renameat;
static renameat2_fn real_renameat2;
static linkat_fn real_linkat;
static path_fn real_unlink, real_rmdir;
static unlinkat_fn real_unlinkat;
static mkdir_fn real_mkdir;
static mkdirat_fn real_mkdirat;

/* Point every real_* at the next definition (libc's).  Called by the
 * constructor, and by the first interposed call if it comes before (from
 * another library's constructor).  memcpy: ISO C has no cast from the
 * void * of dlsym to a function pointer. */
static void load_all(void)
{
#define LOAD(name) do { void *p_ = dlsym(RTLD_NEXT, #name); memcpy(&real_##name, &p_, sizeof p_); } while (0)
    LOAD(open);
    LOAD(open64);
    LOAD(openat);
    LOAD(openat64);
    LOAD(creat);
    LOAD(creat64);
    LOAD(write);
    LOAD(pwrite);
    LOAD(pwrite64);
    LOAD(writev);
    LOAD(pwritev);
    LOAD(pwritev64);
    LOAD(ftruncate);
    LOAD(ftruncate64);
    LOAD(fallocate);
    LOAD(fallocate64);
    LOAD(posix_fallocate);
    LOAD(posix_fallocate64);
    LOAD(fsync);
    LOAD(fdatasync);
    LOAD(syncfs);
    LOAD(close);
    LOAD(sync);
    LOAD(rename);
    LOAD(link);
    LOAD(renameat);
    LOAD(renameat2);
    LOAD(linkat);
    LOAD(unlink);
    LOAD(rmdir);
    LOAD(unlinkat);
    LOAD(mkdir);
    LOAD(mkdirat);
#undef LOAD
}
#define REAL(name) (real_##name ? real_##name : (load_all(), real_##name))
#define SYS(name) REAL(name)
#else
#define SYS(name) name
#endif

/* ------------------------------------------------------------------------
 * The image (shared by the tool and the preload object)
 * --------------------------------------------------------------------- */

/* IMAGE; kept well under PATH_MAX so that the paths made from it fit */
static char img_dir[PATH_MAX / 4];

static void img_path(char *buf, size_t n, const char *kind, const char *id)
{
    snprintf(buf, n, "%s/%s/%s", img_dir, kind, id);
}

static void id_of(char *buf, size_t n, ino_t ino)
{
    snprintf(buf, n, "%ju", (uintmax_t)ino);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Write everything that `src` reads into `dst` (replaced atomically).
 * Returns 0 or -1. */
static int copy_fd(int src, const char *dst)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    const int out = SYS(open)(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0)
        return -1;
    char buf[65536];
    int rc = 0;
    for (;;) {
        ssize_t k = read(src, buf, sizeof buf);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = k < 0 ? -1 : 0;
            break;
        }
        for (ssize_t o = 0; o < k && rc == 0;) {
            ssize_t w = SYS(write)(out, buf + o, (size_t)(k - o));
            if (w < 0 && errno != EINTR)
                rc = -1;
            else if (w > 0)
                o += w;
        }
        if (rc)
            break;
    }
    SYS(close)(out);
    if (rc == 0 && SYS(rename)(tmp, dst) != 0)
        rc = -1;
    return rc;
}

/* d/ID := the entries of directory `path` now; a subdirectory named there
 * for the first time starts empty (its own entries need its own fsync). */
static int img_sync_dir(const char *path, ino_t ino)
{
    char id[32], dst[PATH_MAX], tmp[PATH_MAX + 8];
    id_of(id, sizeof id, ino);
    img_path(dst, sizeof dst, "d", id);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        closedir(d);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || strchr(e->d_name, '\n') ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue;
        fprintf(f, "%c %ju %s\n", S_ISDIR(st.st_mode) ? 'd' : 'f', (uintmax_t)st.st_ino,
                e->d_name);
        if (S_ISDIR(st.st_mode)) {
            char sub[32], sp[PATH_MAX];
            id_of(sub, sizeof sub, st.st_ino);
            img_path(sp, sizeof sp, "d", sub);
            if (!exists(sp)) {
                FILE *g = fopen(sp, "w");
                if (g)
                    fclose(g);
            }
        }
    }
    closedir(d);
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad || SYS(rename)(tmp, dst) != 0)
        return -1;
    return 0;
}

#ifdef CRASHSIM_PRELOAD
/* f/ID := the content of the file open as `fd` (any access mode). */
static int img_sync_file(int fd, ino_t ino)
{
    char proc[64], id[32], dst[PATH_MAX];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    const int in = SYS(open)(proc, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    id_of(id, sizeof id, ino);
    img_path(dst, sizeof dst, "f", id);
    const int rc = copy_fd(in, dst);
    SYS(close)(in);
    return rc;
}

/* In every d/ list, an entry that points to `from` now points to `to`. */
static void img_repoint(const char *from, const char *to)
{
    char dpath[PATH_MAX / 2];
    snprintf(dpath, sizeof dpath, "%s/d", img_dir);
    DIR *d = opendir(dpath);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp"))
            continue;
        char p[PATH_MAX], t[PATH_MAX + 8], line[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", dpath, e->d_name);
        snprintf(t, sizeof t, "%s.tmp", p);
        FILE *in = fopen(p, "r"), *out = in ? fopen(t, "w") : NULL;
        int changed = 0;
        while (out && fgets(line, sizeof line, in)) {
            char kind, idbuf[64];
            int off = 0;
            if (sscanf(line, "%c %63s %n", &kind, idbuf, &off) == 2 && off > 0 &&
                !strcmp(idbuf, from)) {
                fprintf(out, "%c %s %s", kind, to, line + off);
                changed = 1;
            } else {
                fputs(line, out);
            }
        }
        if (in)
            fclose(in);
        if (out) {
            fclose(out);
            if (changed)
                SYS(rename)(t, p);
            else
                SYS(unlink)(t);
        }
    }
    closedir(d);
}

/* A new inode `ino` was created: if the image still holds an inode of that
 * number (a removed file whose entry is durable), move it to ID.N. */
static void img_created(ino_t ino)
{
    char id[32], f[PATH_MAX], dd[PATH_MAX];
    id_of(id, sizeof id, ino);
    img_path(f, sizeof f, "f", id);
    img_path(dd, sizeof dd, "d", id);
    if (!exists(f) && !exists(dd))
        return;
    char nid[48], nf[PATH_MAX], nd[PATH_MAX];
    for (unsigned k = 1;; k++) {
        snprintf(nid, sizeof nid, "%s.%u", id, k);
        img_path(nf, sizeof nf, "f", nid);
        img_path(nd, sizeof nd, "d", nid);
        if (!exists(nf) && !exists(nd))
            break;
    }
    if (exists(f))
        SYS(rename)(f, nf);
    if (exists(dd))
        SYS(rename)(dd, nd);
    img_repoint(id, nid);
}

#endif

/* Remove everything inside `path` (not `path` itself). */
static int wipe(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (wipe(p) != 0 || SYS(rmdir)(p) != 0)
                rc = -1;
        } else if (SYS(unlink)(p) != 0) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

static int mkdir_p(const char *path)
{
    return SYS(mkdir)(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* Take the image of directory `path` and everything under it. */
static int snap_tree(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || img_sync_dir(path, st.st_ino) != 0)
        return -1;
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL && rc == 0) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        struct stat es;
        if (lstat(p, &es) != 0)
            continue;
        if (S_ISDIR(es.st_mode)) {
            rc = snap_tree(p);
        } else if (S_ISREG(es.st_mode)) {
            const int fd = SYS(open)(p, O_RDONLY | O_CLOEXEC);
            char id[32], dst[PATH_MAX];
            id_of(id, sizeof id, es.st_ino);
            img_path(dst, sizeof dst, "f", id);
            rc = fd < 0 ? -1 : copy_fd(fd, dst);
            if (fd >= 0)
                SYS(close)(fd);
        }
    }
    closedir(d);
    return rc;
}

/* The image of `root` as it is now: everything durable. */
static int img_snapshot(const char *top)
{
    char p[PATH_MAX];
    struct stat st;
    if (mkdir_p(img_dir) != 0 || wipe(img_dir) != 0 || stat(top, &st) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/f", img_dir);
    if (mkdir_p(p) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/d", img_dir);
    if (mkdir_p(p) != 0)
        return -1;
    snprintf(p, sizeof p, "%s/root", img_dir);
    FILE *f = fopen(p, "w");
    if (!f)
        return -1;
    fprintf(f, "%ju\n", (uintmax_t)st.st_ino);
    if (fclose(f) != 0)
        return -1;
    return snap_tree(top);
}

#ifndef CRASHSIM_PRELOAD
/* Names already made while rebuilding, by image ID: the second name of an
 * ID becomes a hard link to the first. */
typedef struct { char id[48]; char path[PATH_MAX]; } made_t;
static made_t *made;
static size_t nmade, capmade;

static const char *made_path(const char *id)
{
    for (size_t i = 0; i < nmade; i++)
        if (!strcmp(made[i].id, id))
            return made[i].path;
    return NULL;
}

static int made_add(const char *id, const char *path)
{
    if (nmade == capmade) {
        const size_t cap = capmade ? 2 * capmade : 64;
        made_t *m = realloc(made, cap * sizeof *m);
        if (!m)
            return -1;
        made = m;
        capmade = cap;
    }
    snprintf(made[nmade].id, sizeof made[nmade].id, "%s", id);
    snprintf(made[nmade].path, sizeof made[nmade].path, "%s", path);
    nmade++;
    return 0;
}

/* Make the durable entries of directory ID inside `path`, recursively. */
static int rebuild(const char *path, const char *id)
{
    char lp[PATH_MAX], line[PATH_MAX + 64];
    img_path(lp, sizeof lp, "d", id);
    FILE *in = fopen(lp, "r");
    if (!in)
        return 0; /* never synced: empty */
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, in)) {
        char kind, eid[48];
        int off = 0;
        line[strcspn(line, "\n")] = 0;
        if (sscanf(line, "%c %47s %n", &kind, eid, &off) != 2 || off == 0) {
            rc = -1;
            break;
        }
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", path, line + off);
        if (kind == 'd') {
            rc = mkdir(p, 0755) != 0 ? -1 : rebuild(p, eid);
            continue;
        }
        const char *prev = made_path(eid);
        if (prev) {
            rc = link(prev, p);
            continue;
        }
        char src[PATH_MAX];
        img_path(src, sizeof src, "f", eid);
        const int fd = open(src, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            rc = copy_fd(fd, p);
            close(fd);
        } else {
            const int out = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
            rc = out < 0 ? -1 : close(out);
        }
        if (rc == 0)
            rc = made_add(eid, p);
    }
    fclose(in);
    return rc;
}

/* The power came back: `root` holds what the image says is durable. */
static int img_restore(const char *top)
{
    char p[PATH_MAX], id[64] = "";
    snprintf(p, sizeof p, "%s/root", img_dir);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    const int ok = fscanf(f, "%63s", id) == 1;
    fclose(f);
    if (!ok || wipe(top) != 0 || rebuild(top, id) != 0)
        return -1;
    return img_snapshot(top);
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[1], "init") && strcmp(argv[1], "restore"))) {
        fprintf(stderr, "usage: crashsim init|restore ROOT IMAGE\n");
        return 2;
    }
    char root[PATH_MAX];
    if (!realpath(argv[2], root)) {
        fprintf(stderr, "crashsim: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    if (strlen(argv[3]) >= sizeof img_dir) {
        fprintf(stderr, "crashsim: %s: path too long\n", argv[3]);
        return 1;
    }
    snprintf(img_dir, sizeof img_dir, "%s", argv[3]);
    const int rc = !strcmp(argv[1], "init") ? img_snapshot(root) : img_restore(root);
    if (rc != 0) {
        fprintf(stderr, "crashsim: %s %s %s failed: %s\n", argv[1], argv[2], argv[3],
                strerror(errno));
        return 1;
    }
    return 0;
}

#else /* CRASHSIM_PRELOAD */

/* ------------------------------------------------------------------------
 * The preload object: configuration, events
 * --------------------------------------------------------------------- */

#define EXPORT __attribute__((visibility("default")))

enum { M_COUNT, M_CRASH, M_FAIL };
enum { EV_META, EV_IO };

static int on;                 /* ROOT and IMAGE given */
static char root[PATH_MAX];
static size_t rootlen;
static int mode = M_COUNT, fail_errno, sticky;
static unsigned long at;       /* K */
static unsigned long nall, nio;
static int logfd = -1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Descriptors opened under ROOT by the interposed opens: 1 read-only,
 * 2 may write.  Checked against /proc before use (a stale mark is
 * harmless).  Higher descriptors are looked up in /proc every time. */
#define FD_TABLE 4096
static unsigned char fdmark[FD_TABLE];

__attribute__((constructor)) static void crashsim_init(void)
{
    const char *r = getenv("CRASHSIM_ROOT"), *im = getenv("CRASHSIM_IMAGE");
    if (!r || !im || strlen(im) >= sizeof img_dir || !realpath(r, root))
        return;
    rootlen = strlen(root);
    snprintf(img_dir, sizeof img_dir, "%s", im);
    const char *m = getenv("CRASHSIM_MODE"), *k = getenv("CRASHSIM_AT");
    if (m && !strcmp(m, "crash"))
        mode = M_CRASH;
    else if (m && !strcmp(m, "enospc"))
        mode = M_FAIL, fail_errno = ENOSPC;
    else if (m && !strcmp(m, "eio"))
        mode = M_FAIL, fail_errno = EIO;
    at = k ? strtoul(k, NULL, 10) : 0;
    sticky = getenv("CRASHSIM_STICKY") && !strcmp(getenv("CRASHSIM_STICKY"), "1");
    const char *lg = getenv("CRASHSIM_LOG");
    if (lg)
        logfd = REAL(open)(lg, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    on = 1;
}

static int is_under(const char *apath)
{
    return on && !strncmp(apath, root, rootlen) && (apath[rootlen] == 0 || apath[rootlen] == '/');
}

/* The absolute path of descriptor fd into buf; 0 or -1. */
static int fd_path(int fd, char *buf, size_t n)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    const ssize_t k = readlink(proc, buf, n - 1);
    if (k <= 0)
        return -1;
    buf[k] = 0;
    return 0;
}

static int fd_under(int fd, char *buf, size_t n)
{
    if (!on || fd < 0)
        return 0;
    if (fd < FD_TABLE && !fdmark[fd])
        return 0;
    return fd_path(fd, buf, n) == 0 && is_under(buf);
}

/* `path` (relative to dirfd) made absolute and cleaned of "", "." and
 * ".." (lexically: ROOT holds no symbolic links). */
static int abs_path(int dirfd, const char *path, char *out, size_t n)
{
    char raw[2 * PATH_MAX];
    if (path[0] == '/') {
        snprintf(raw, sizeof raw, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD ? !getcwd(base, sizeof base) : fd_path(dirfd, base, sizeof base))
            return -1;
        snprintf(raw, sizeof raw, "%s/%s", base, path);
    }
    size_t len = 0;
    out[0] = 0;
    for (char *save = NULL, *t = strtok_r(raw, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, "."))
            continue;
        if (!strcmp(t, "..")) {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            out[len] = 0;
            continue;
        }
        const size_t tl = strlen(t);
        if (len + tl + 2 > n)
            return -1;
        out[len++] = '/';
        memcpy(out + len, t, tl + 1);
        len += tl;
    }
    if (len == 0)
        snprintf(out, n, "/");
    return 0;
}

static int path_under(int dirfd, const char *path, char *apath, size_t n)
{
    return on && path && abs_path(dirfd, path, apath, n) == 0 && is_under(apath);
}

/* Count an event on `apath` (under ROOT; the caller holds mu).  Returns 0 to
 * go on, or -1 with errno set when this event must fail.  Never returns
 * when the process must crash here. */
static int event(int kind, const char *call, const char *apath)
{
    nall++;
    if (kind == EV_IO)
        nio++;
    const char *rel = apath[rootlen] ? apath + rootlen + 1 : ".";
    if (logfd >= 0) {
        if (kind == EV_IO)
            dprintf(logfd, "%lu %lu %s %s\n", nall, nio, call, rel);
        else
            dprintf(logfd, "%lu - %s %s\n", nall, call, rel);
    }
    if (mode == M_CRASH && nall == at) {
        if (logfd >= 0)
            dprintf(logfd, "fault %lu %s %s\n", nall, call, rel);
        kill(getpid(), SIGKILL);
        for (;;)
            pause();
    }
    if (mode == M_FAIL && kind == EV_IO && (nio == at || (sticky && at && nio > at))) {
        if (logfd >= 0)
            dprintf(logfd, "fault %lu %s %s\n", nio, call, rel);
        errno = fail_errno;
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The interposers
 * --------------------------------------------------------------------- */

static int may_write(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
}

static int creates(int flags)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* The common part of the opens: `call` opens the file once the event is
 * counted (real_open etc. differ only in their prototype). */
typedef struct { int dirfd; const char *path; int flags; mode_t mode; int which; } open_args;

static int call_open(const open_args *a)
{
    switch (a->which) {
    case 0: return REAL(open)(a->path, a->flags, a->mode);
    case 1: return REAL(open64)(a->path, a->flags, a->mode);
    case 2: return REAL(openat)(a->dirfd, a->path, a->flags, a->mode);
    default: return REAL(openat64)(a->dirfd, a->path, a->flags, a->mode);
    }
}

static int do_open(const open_args *a)
{
    char apath[PATH_MAX];
    if (!path_under(a->dirfd, a->path, apath, sizeof apath))
        return call_open(a);
    pthread_mutex_lock(&mu);
    struct stat st;
    const int existed = !((a->flags & O_TMPFILE) == O_TMPFILE) &&
                        fstatat(a->dirfd, a->path, &st, 0) == 0;
    int fd = -1;
    if (may_write(a->flags) && event(EV_META, "open", apath) != 0)
        goto out;
    fd = call_open(a);
    if (fd >= 0) {
        if (fd < FD_TABLE)
            fdmark[fd] = may_write(a->flags) ? 2 : 1;
        if (creates(a->flags) && !existed && fstat(fd, &st) == 0)
            img_created(st.st_ino);
    }
out:
    pthread_mutex_unlock(&mu);
    return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
    return creates(flags) ? (mode_t)va_arg(ap, int) : 0;
}

EXPORT int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const open_args a = { AT_FDCWD, path, flags, open_mode(flags, ap), 0 };
    va_end(ap);
    return do_open(&a);
}

EXPORT int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const open_args a = { AT_FDCWD, path, flags, open_mode(flags, ap), 1 };
    va_end(ap);
    return do_open(&a);
}

EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const open_args a = { dirfd, path, flags, open_mode(flags, ap), 2 };
    va_end(ap);
    return do_open(&a);
}

EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    const open_args a = { dirfd, path, flags, open_mode(flags, ap), 3 };
    va_end(ap);
    return do_open(&a);
}

EXPORT int creat(const char *path, mode_t m)
{
    const open_args a = { AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, m, 0 };
    return do_open(&a);
}

EXPORT int creat64(const char *path, mode_t m)
{
    const open_args a = { AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, m, 1 };
    return do_open(&a);
}

/* The writes: WRAP_IO(type, call, fd, failret, expr) returns `expr` (of
 * `type`), the real call, after counting the event `call` when `fd` is
 * under ROOT; `failret` when the event must fail. */
#define WRAP_IO(type, call, fd, failret, expr) do { \
        char path_[PATH_MAX]; \
        if (!fd_under((fd), path_, sizeof path_)) \
            return (expr); \
        pthread_mutex_lock(&mu); \
        if (event(EV_IO, (call), path_) != 0) { \
            pthread_mutex_unlock(&mu); \
            return (failret); \
        } \
        const type r_ = (expr); \
        const int e_ = errno; \
        pthread_mutex_unlock(&mu); \
        errno = e_; \
        return r_; \
    } while (0)

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    WRAP_IO(ssize_t, "write", fd, -1, REAL(write)(fd, buf, n));
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    WRAP_IO(ssize_t, "pwrite", fd, -1, REAL(pwrite)(fd, buf, n, off));
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    WRAP_IO(ssize_t, "pwrite64", fd, -1, REAL(pwrite64)(fd, buf, n, off));
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    WRAP_IO(ssize_t, "writev", fd, -1, REAL(writev)(fd, iov, cnt));
}

EXPORT ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    WRAP_IO(ssize_t, "pwritev", fd, -1, REAL(pwritev)(fd, iov, cnt, off));
}

EXPORT ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    WRAP_IO(ssize_t, "pwritev64", fd, -1, REAL(pwritev64)(fd, iov, cnt, off));
}

EXPORT int ftruncate(int fd, off_t len)
{
    WRAP_IO(int, "ftruncate", fd, -1, REAL(ftruncate)(fd, len));
}

EXPORT int ftruncate64(int fd, off64_t len)
{
    WRAP_IO(int, "ftruncate64", fd, -1, REAL(ftruncate64)(fd, len));
}

EXPORT int fallocate(int fd, int m, off_t off, off_t len)
{
    WRAP_IO(int, "fallocate", fd, -1, REAL(fallocate)(fd, m, off, len));
}

EXPORT int fallocate64(int fd, int m, off64_t off, off64_t len)
{
    WRAP_IO(int, "fallocate64", fd, -1, REAL(fallocate64)(fd, m, off, len));
}

/* posix_fallocate returns the error number instead of setting errno */
EXPORT int posix_fallocate(int fd, off_t off, off_t len)
{
    WRAP_IO(int, "posix_fallocate", fd, errno, REAL(posix_fallocate)(fd, off, len));
}

EXPORT int posix_fallocate64(int fd, off64_t off, off64_t len)
{
    WRAP_IO(int, "posix_fallocate64", fd, errno, REAL(posix_fallocate64)(fd, off, len));
}

/* fsync and fdatasync: on success, what the descriptor names is durable. */
static int do_sync(int fd, const char *call, fd_fn real)
{
    char apath[PATH_MAX];
    /* any descriptor: directories are opened with opendir too */
    if (!on || fd_path(fd, apath, sizeof apath) != 0 || !is_under(apath))
        return real(fd);
    pthread_mutex_lock(&mu);
    int r = event(EV_IO, call, apath);
    if (r == 0)
        r = real(fd);
    struct stat st;
    if (r == 0 && fstat(fd, &st) == 0) {
        if (S_ISREG(st.st_mode))
            img_sync_file(fd, st.st_ino);
        else if (S_ISDIR(st.st_mode))
            img_sync_dir(apath, st.st_ino);
    }
    const int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

EXPORT int fsync(int fd)
{
    return do_sync(fd, "fsync", REAL(fsync));
}

EXPORT int fdatasync(int fd)
{
    return do_sync(fd, "fdatasync", REAL(fdatasync));
}

/* sync and syncfs: everything under ROOT is durable. */
static int sync_all(const char *call)
{
    pthread_mutex_lock(&mu);
    int r = event(EV_IO, call, root);
    if (r == 0)
        img_snapshot(root);
    pthread_mutex_unlock(&mu);
    return r;
}

EXPORT void sync(void)
{
    REAL(sync)();
    if (on)
        sync_all("sync");
}

EXPORT int syncfs(int fd)
{
    if (!on)
        return REAL(syncfs)(fd);
    if (sync_all("syncfs") != 0)
        return -1;
    return REAL(syncfs)(fd);
}

EXPORT int close(int fd)
{
    char apath[PATH_MAX];
    if (fd < 0 || fd >= FD_TABLE || fdmark[fd] != 2 || !fd_under(fd, apath, sizeof apath)) {
        if (fd >= 0 && fd < FD_TABLE)
            fdmark[fd] = 0;
        return REAL(close)(fd);
    }
    pthread_mutex_lock(&mu);
    const int ev = event(EV_IO, "close", apath);
    fdmark[fd] = 0;
    int r = REAL(close)(fd);
    if (ev != 0) {
        r = -1;
        errno = fail_errno;   /* Linux closes the descriptor even then */
    }
    const int e = errno;
    pthread_mutex_unlock(&mu);
    errno = e;
    return r;
}

/* Changes of names: counted; durable at the directory's next fsync. */
#define WRAP_META(call, under, apath, expr) do { \
        if (!(under)) \
            return (expr); \
        pthread_mutex_lock(&mu); \
        int r_ = event(EV_META, (call), (apath)); \
        if (r_ == 0) \
            r_ = (expr); \
        const int e_ = errno; \
        pthread_mutex_unlock(&mu); \
        errno = e_; \
        return r_; \
    } while (0)

/* Either path under ROOT; `apath` receives the one to log. */
static int either_under(int fd1, const char *p1, int fd2, const char *p2, char *apath, size_t n)
{
    char other[PATH_MAX];
    if (path_under(fd2, p2, apath, n))
        return 1;
    if (path_under(fd1, p1, other, sizeof other)) {
        snprintf(apath, n, "%s", other);
        return 1;
    }
    return 0;
}

EXPORT int rename(const char *a, const char *b)
{
    char apath[PATH_MAX];
    WRAP_META("rename", either_under(AT_FDCWD, a, AT_FDCWD, b, apath, sizeof apath), apath,
              REAL(rename)(a, b));
}

EXPORT int renameat(int fa, const char *a, int fb, const char *b)
{
    char apath[PATH_MAX];
    WRAP_META("rename", either_under(fa, a, fb, b, apath, sizeof apath), apath,
              REAL(renameat)(fa, a, fb, b));
}

EXPORT int renameat2(int fa, const char *a, int fb, const char *b, unsigned fl)
{
    char apath[PATH_MAX];
    WRAP_META("rename", either_under(fa, a, fb, b, apath, sizeof apath), apath,
              REAL(renameat2)(fa, a, fb, b, fl));
}

EXPORT int link(const char *a, const char *b)
{
    char apath[PATH_MAX];
    WRAP_META("link", path_under(AT_FDCWD, b, apath, sizeof apath), apath, REAL(link)(a, b));
}

EXPORT int linkat(int fa, const char *a, int fb, const char *b, int fl)
{
    char apath[PATH_MAX];
    WRAP_META("link", path_under(fb, b, apath, sizeof apath), apath, REAL(linkat)(fa, a, fb, b, fl));
}

EXPORT int unlink(const char *p)
{
    char apath[PATH_MAX];
    WRAP_META("unlink", path_under(AT_FDCWD, p, apath, sizeof apath), apath, REAL(unlink)(p));
}

EXPORT int unlinkat(int fd, const char *p, int fl)
{
    char apath[PATH_MAX];
    WRAP_META("unlink", path_under(fd, p, apath, sizeof apath), apath, REAL(unlinkat)(fd, p, fl));
}

EXPORT int rmdir(const char *p)
{
    char apath[PATH_MAX];
    WRAP_META("rmdir", path_under(AT_FDCWD, p, apath, sizeof apath), apath, REAL(rmdir)(p));
}

/* mkdir: a new inode, as a creating open. */
static int made_dir(int r, int fd, const char *p)
{
    struct stat st;
    if (r == 0 && fstatat(fd, p, &st, AT_SYMLINK_NOFOLLOW) == 0)
        img_created(st.st_ino);
    return r;
}

EXPORT int mkdir(const char *p, mode_t m)
{
    char apath[PATH_MAX];
    WRAP_META("mkdir", path_under(AT_FDCWD, p, apath, sizeof apath), apath,
              made_dir(REAL(mkdir)(p, m), AT_FDCWD, p));
}

EXPORT int mkdirat(int fd, const char *p, mode_t m)
{
    char apath[PATH_MAX];
    WRAP_META("mkdir", path_under(fd, p, apath, sizeof apath), apath,
              made_dir(REAL(mkdirat)(fd, p, m), fd, p));
}

#endif /* CRASHSIM_PRELOAD */
