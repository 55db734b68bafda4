/*
 * cmd_serve.c - `tessera serve`: the command line of the HTTP server.
 *
 * Parses the options into the configurations of the two layers of the
 * server (server/http.h: the HTTP layer; server/api.h: the application),
 * opens the api, hands it to the HTTP layer as its handler and runs it.
 * The API key is read from a file, never from the command line, where
 * other users of the machine could see it in the process list.
 */
#include "cli.h"
#include "api.h"
#include "http.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef TSR_LEAN
/* The program without the server (full.c): tessera-full serves. */
int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_exec_full(cli_argv, "tessera serve");
}
#else

static const char serve_help[] =
"Usage: tessera serve [OPTIONS] --db DIR\n"
"\n"
"Serve the index DIR over HTTP: a web page at / where anyone can paste a text\n"
"and see, highlighted, the passages reused from indexed documents with their\n"
"sources side by side; and a JSON API (doc/api.md):\n"
"\n"
"  POST /api/check            a text (text/plain, or {\"text\": ...}) -> the JSON\n"
"                             of `tessera check --json`\n"
"  POST /api/documents        add documents (JSON object, array, or JSON Lines);\n"
"                             needs the API key\n"
"  GET  /api/documents/{id}   one document with its text\n"
"  GET  /api/stats            counts of the index\n"
"  GET  /healthz              {\"status\":\"ok\"}\n"
"\n"
"Documents added while serving, through the API or by `tessera index`, are\n"
"seen without a restart.  SIGTERM or SIGINT stops the server after the\n"
"requests in flight.  One line per request is logged on stderr.\n"
"\n"
"Options:\n"
"      --db DIR              the index (default: $TESSERA_DB, else ./tessera.tsr)\n"
"      --listen ADDR:PORT    address to listen on (default 127.0.0.1:8080);\n"
"                            [ADDR]:PORT for IPv6; port 0 picks a free port\n"
"      --allow-host NAME     a host name the server answers to, besides\n"
"                            localhost and IP addresses (requests naming another\n"
"                            host get 421: a web page elsewhere cannot reach the\n"
"                            server by DNS rebinding); repeatable; '*' for any\n"
"      --threads N           worker threads running checks and other requests\n"
"                            (default: the number of cores); the health check\n"
"                            and the page are answered apart, at once\n"
"      --api-key-file FILE   the key that POST /api/documents needs, the file's\n"
"                            first line (without it, adding is disabled)\n"
"      --max-body BYTES      largest request body, K/M/G suffixes (default 10M)\n"
"      --cache BYTES         memory for documents kept ready for checks (their\n"
"                            words), K/M/G suffixes (default 512M; 0: none)\n"
"      --timeout S           seconds a client has to send a request, and that an\n"
"                            idle connection is kept (default 30)\n"
"      --max-connections N   concurrent connections (default 256)\n"
"      --max-per-ip N        concurrent connections from one address (default\n"
"                            64; 0: no limit); more are closed at once\n"
"      --max-check-bytes N   longest text of one check, K/M suffixes (default\n"
"                            2M; 413 above)\n"
"      --max-check-time S    seconds one check may take (default 30; 0: no\n"
"                            limit; 503 past it)\n"
"      --max-queue N         requests waiting for a worker (default 1024; more\n"
"                            get 503 with Retry-After)\n"
"      --refresh S           look for new commits every S seconds (default 1;\n"
"                            0: only after adds through the API)\n"
"      --quiet               no access log\n"
"      --min-words N, --min-similarity S, --max-gap N, --max-candidates N,\n"
"      --boilerplate-df N, --allow-nul, --max-evalue E, --no-significance,\n"
"      --paraphrase\n"
"                            check parameters, as for `tessera check`\n"
"  -h, --help                this help\n"
"\n"
"Examples:\n"
"  tessera serve --db news.tsr\n"
"  tessera serve --db news.tsr --listen 127.0.0.1:0 --api-key-file key.txt\n"
"  curl -H 'Content-Type: text/plain' --data-binary @article.txt \\\n"
"       http://127.0.0.1:8080/api/check\n";

/* The key: the file's first line without surrounding blanks. */
static int read_key(const char *path, char **key)
{
    char *buf = NULL;
    size_t len = 0;
    if (cli_read_file(path, &buf, &len) != 0)
        return cli_fail(cli_errno_exit(errno), "%s: %s", path, strerror(errno));
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    char *b = buf, *e = buf + strlen(buf);
    while (*b == ' ' || *b == '\t') b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r')) e--;
    *e = 0;
    for (const char *p = b; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            free(buf);
            return cli_fail(EXIT_INPUT, "%s: the API key holds a control character", path);
        }
    if (e - b < 8) {
        free(buf);
        return cli_fail(EXIT_INPUT, "%s: the API key must be at least 8 characters", path);
    }
    struct stat st;
    if (strcmp(path, "-") && stat(path, &st) == 0 && (st.st_mode & 077))
        cli_warn("%s: the key file can be read by other users (chmod 600 it)", path);
    memmove(buf, b, (size_t)(e - b) + 1);
    *key = buf;
    return EXIT_OK;
}

int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, 0, 'd' }, { "listen", required_argument, 0, 'l' },
        { "threads", required_argument, 0, 't' },
        { "api-key-file", required_argument, 0, 'k' },
        { "max-body", required_argument, 0, 'b' }, { "timeout", required_argument, 0, 'T' },
        { "max-connections", required_argument, 0, 'c' },
        { "max-per-ip", required_argument, 0, 'P' },
        { "cache", required_argument, 0, 'C' },
        { "refresh", required_argument, 0, 'r' }, { "quiet", no_argument, 0, 'q' },
        { "max-check-bytes", required_argument, 0, 'B' },
        { "max-check-time", required_argument, 0, 'M' },
        { "max-queue", required_argument, 0, 'Q' },
        { "allow-host", required_argument, 0, 'H' },
        { "help", no_argument, 0, 'h' }, CLI_PARAM_OPTIONS, { 0, 0, 0, 0 }
    };
    http_config cfg = { 0 };
    api_config acfg = { 0 };
    tsr_params_default(&acfg.params);
    acfg.prog = cfg.prog = cli_prog;
    acfg.db = cli_default_db();
    cfg.listen = "127.0.0.1:8080";
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.workers = ncpu > 0 ? (ncpu > 64 ? 64 : (int)ncpu) : 2;
    cfg.max_body = 10u << 20;
    acfg.cache = (size_t)512 << 20;
    cfg.timeout = 30;
    cfg.max_connections = 256;
    cfg.max_per_ip = 64;
    cfg.max_queue = 1024;
    acfg.refresh_ms = 1000;
    acfg.max_check_bytes = 2u << 20;
    acfg.max_check_seconds = 30;
    acfg.writer_idle_ms = 2000;
    cfg.access_log = 1;
    const char *key_file = NULL;
    static const char *hosts[64];
    size_t nhosts = 0;
    int v, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hd:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': acfg.db = optarg; break;
        case 'l': cfg.listen = optarg; break;
        case 't':
            if (cli_parse_int(optarg, 1, 256, &v) != 0)
                return cli_usage_error("serve", "--threads takes a number from 1 to 256");
            cfg.workers = v;
            break;
        case 'k': key_file = optarg; break;
        case 'H':
            if (nhosts == sizeof hosts / sizeof hosts[0])
                return cli_usage_error("serve", "--allow-host: at most 64 names");
            if (!*optarg || strpbrk(optarg, "/: "))
                return cli_usage_error("serve", "--allow-host takes a host name, without "
                                       "port or scheme ('%s')", optarg);
            hosts[nhosts++] = optarg;
            break;
        case 'b': {
            uint64_t bytes;
            if (cli_parse_size(optarg, 1, 1ull << 40, &bytes) != 0)
                return cli_usage_error("serve", "--max-body takes a size in bytes, e.g. 10M");
            cfg.max_body = (size_t)bytes;
            break;
        }
        case 'C': {
            uint64_t bytes;
            if (cli_parse_size(optarg, 0, 1ull << 44, &bytes) != 0)
                return cli_usage_error("serve", "--cache takes a size in bytes, e.g. 512M, "
                                       "or 0");
            acfg.cache = (size_t)bytes;
            break;
        }
        case 'T':
            if (cli_parse_int(optarg, 1, 86400, &v) != 0)
                return cli_usage_error("serve", "--timeout takes seconds, 1 to 86400");
            cfg.timeout = (unsigned)v;
            break;
        case 'P':
            if (cli_parse_int(optarg, 0, 100000, &v) != 0)
                return cli_usage_error("serve", "--max-per-ip takes a number from 0 to 100000");
            cfg.max_per_ip = (unsigned)v;
            break;
        case 'c':
            if (cli_parse_int(optarg, 1, 100000, &v) != 0)
                return cli_usage_error("serve", "--max-connections takes a number from 1 "
                                       "to 100000");
            cfg.max_connections = (unsigned)v;
            break;
        case 'r': {
            char *end;
            double s = strtod(optarg, &end);
            if (*end || end == optarg || !(s >= 0 && s <= 86400))
                return cli_usage_error("serve", "--refresh takes seconds, 0 to 86400");
            acfg.refresh_ms = (unsigned)(s * 1000 + 0.5);
            break;
        }
        case 'B': {
            uint64_t bytes;
            if (cli_parse_size(optarg, 1, 1ull << 32, &bytes) != 0)
                return cli_usage_error("serve", "--max-check-bytes takes a size in bytes, "
                                       "e.g. 2M (at most 4G)");
            acfg.max_check_bytes = (size_t)bytes;
            break;
        }
        case 'M': {
            char *end;
            double s = strtod(optarg, &end);
            if (*end || end == optarg || !(s >= 0 && s <= 86400))
                return cli_usage_error("serve", "--max-check-time takes seconds, 0 to 86400");
            acfg.max_check_seconds = s;
            break;
        }
        case 'Q':
            if (cli_parse_int(optarg, 0, 1000000, &v) != 0)
                return cli_usage_error("serve", "--max-queue takes a number from 0 to 1000000");
            cfg.max_queue = (unsigned)v;
            break;
        case 'q': cfg.access_log = 0; break;
        case 'h': fputs(serve_help, stdout); return EXIT_OK;
        default: {
            int r = cli_param_option("serve", &acfg.params, c, optarg);
            if (r < 0) return EXIT_USAGE;
            if (r == 0) return cli_option_error("serve", argc, argv, "hd:", opts);
        }
        }
    }
    if (optind != argc)
        return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    tsr_error e = { 0 };
    if (tsr_params_validate(&acfg.params, &e) != TSR_OK)
        return cli_usage_error("serve", "%s", e.message);
    char *key = NULL;
    if (key_file) {
        int rc = read_key(key_file, &key);
        if (rc != EXIT_OK) return rc;
        acfg.api_key = key;
    }
    cfg.allow_hosts = hosts;
    cfg.n_allow_hosts = nhosts;
    cfg.name = acfg.db;
    cfg.host_hint = " (tessera serve --allow-host NAME adds one)";
    cfg.realm = "tessera";

    api *a = NULL;
    int st = api_open(&acfg, &a, &e);
    if (st != TSR_OK) {
        free(key);
        return cli_index_fail(acfg.db, st, e.message);
    }
    http_handler h;
    api_handler(a, &h);
    char msg[512] = "";
    int rc = http_run(&cfg, &h, msg, sizeof msg);
    api_close(a);
    free(key);
    if (rc == HTTP_EUSAGE)
        return cli_usage_error("serve", "%s", msg);
    if (rc != HTTP_OK)
        return cli_fail(EXIT_SYSTEM, "%s", msg);
    return EXIT_OK;
}

#endif /* TSR_LEAN */
