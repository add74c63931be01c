#include "pcs_curve.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "pcs_log.h"
#include "pcs_zsock.h"

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct pcs_curve_zap {
    pcs_zsock_t *sock;
    unsigned char (*keys)[32];   /* the public keys of the directory, decoded */
    size_t n;
};

static bool z85_key(const char *s)
{
    uint8_t bin[32];
    return strlen(s) == PCS_CURVE_KEY_LEN && zmq_z85_decode(bin, s) != NULL;
}

/* One Z85 key a line, up to n lines, from path. */
static int read_keys(const char *path, char keys[][PCS_CURVE_KEY_LEN + 1], int n, pcs_err_t *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", path, strerror(errno));
    char line[256];
    int got = 0;
    while (got < n && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || line[0] == '#')
            continue;
        if (!z85_key(line)) {
            fclose(f);
            return pcs_err_set(err, PCS_EINVAL, got + 1, 0, "%s: not a Z85 CURVE key", path);
        }
        memcpy(keys[got++], line, PCS_CURVE_KEY_LEN + 1);
    }
    fclose(f);
    return got == n ? 0 : pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: expected %d key%s", path, n, n > 1 ? "s" : "");
}

int pcs_curve_load(const char *dir, const char *name, char public_key[PCS_CURVE_KEY_LEN + 1],
                   char secret_key[PCS_CURVE_KEY_LEN + 1], pcs_err_t *err)
{
    char path[1024], keys[2][PCS_CURVE_KEY_LEN + 1];
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, secret_key ? "key" : "pub");
    if (read_keys(path, keys, secret_key ? 2 : 1, err) < 0)
        return err ? err->code : PCS_EINVAL;
    memcpy(public_key, keys[0], sizeof keys[0]);
    if (secret_key)
        memcpy(secret_key, keys[1], sizeof keys[1]);
    return 0;
}

static int write_file(const char *path, mode_t mode, const char *text, pcs_err_t *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = write(fd, text, n) == (ssize_t)n;
    ok = close(fd) == 0 && ok;
    return ok ? 0 : pcs_err_set(err, PCS_EIO, 0, 0, "%s: cannot write", path);
}

int pcs_curve_keygen(const char *dir, const char *name, bool *created, pcs_err_t *err)
{
    char key[1024], pub[1024], pk[PCS_CURVE_KEY_LEN + 1], sk[PCS_CURVE_KEY_LEN + 1], text[200];
    *created = false;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", dir, strerror(errno));
    snprintf(key, sizeof key, "%s/%s.key", dir, name);
    snprintf(pub, sizeof pub, "%s/%s.pub", dir, name);
    if (access(key, F_OK) == 0)
        return 0;
    if (zmq_curve_keypair(pk, sk) < 0)
        return pcs_err_set(err, PCS_EIO, 0, 0, "cannot make a CURVE key pair: %s", zmq_strerror(errno));
    snprintf(text, sizeof text, "%s\n%s\n", pk, sk);
    unlink(pub);   /* a public key without its secret is stale */
    if (write_file(key, 0600, text, err) < 0)
        return PCS_EIO;
    snprintf(text, sizeof text, "%s\n", pk);
    if (write_file(pub, 0644, text, err) < 0)
        return PCS_EIO;
    *created = true;
    return 0;
}

int pcs_curve_apply(void *sock, const char *dir, const char *self, const char *server, pcs_err_t *err)
{
    char pk[PCS_CURVE_KEY_LEN + 1], sk[PCS_CURVE_KEY_LEN + 1], spk[PCS_CURVE_KEY_LEN + 1];
    if (pcs_curve_load(dir, self, pk, sk, err) < 0 || (server && pcs_curve_load(dir, server, spk, NULL, err) < 0))
        return err ? err->code : PCS_EINVAL;
    int one = 1, rc;
    if (!server) {
        rc = zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one);
        if (rc == 0)
            rc = zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sk, PCS_CURVE_KEY_LEN);
        if (rc == 0)
            rc = zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, "pcs", 3);
    } else {
        rc = zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, spk, PCS_CURVE_KEY_LEN);
        if (rc == 0)
            rc = zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pk, PCS_CURVE_KEY_LEN);
        if (rc == 0)
            rc = zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sk, PCS_CURVE_KEY_LEN);
    }
    memset(sk, 0, sizeof sk);
    return rc == 0 ? 0 : pcs_err_set(err, PCS_EINVAL, 0, 0, "CURVE options: %s", zmq_strerror(errno));
}

/* ZAP request (RFC 27): version, request id, domain, address, identity, mechanism, credentials. */
static void on_zap(pcs_zsock_t *s, const pcs_zmsg_t *m, void *arg)
{
    pcs_curve_zap_t *z = arg;
    bool ok = false;
    if (m->n_frames == 7 && m->frames[5].len == 5 && memcmp(m->frames[5].data, "CURVE", 5) == 0 &&
        m->frames[6].len == 32)
        for (size_t i = 0; i < z->n && !ok; i++)
            ok = memcmp(z->keys[i], m->frames[6].data, 32) == 0;
    if (!ok) {
        char addr[64] = "";
        if (m->n_frames > 3)
            snprintf(addr, sizeof addr, "%.*s", (int)(m->frames[3].len < 63 ? m->frames[3].len : 63), m->frames[3].data);
        pcs_log(PCS_LOG_WARN, "zmq", "curve", "refused a client with an unknown key%s%s", addr[0] ? " from " : "", addr);
    }
    const char *status = ok ? "200" : "400";
    pcs_zsock_send(s, "1.0", 3, ZMQ_SNDMORE);
    pcs_zsock_send(s, m->n_frames > 1 ? m->frames[1].data : "", m->n_frames > 1 ? m->frames[1].len : 0, ZMQ_SNDMORE);
    pcs_zsock_send(s, status, 3, ZMQ_SNDMORE);
    pcs_zsock_send(s, ok ? "OK" : "unknown client key", ok ? 2 : 18, ZMQ_SNDMORE);
    pcs_zsock_send(s, "", 0, ZMQ_SNDMORE);   /* user id */
    pcs_zsock_send(s, "", 0, 0);             /* metadata */
}

static int load_public_keys(pcs_curve_zap_t *z, const char *dir, pcs_err_t *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return pcs_err_set(err, PCS_EIO, 0, 0, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".pub") != 0)
            continue;
        char name[256], pk[PCS_CURVE_KEY_LEN + 1];
        snprintf(name, sizeof name, "%.*s", (int)(len - 4), de->d_name);
        void *nk = realloc(z->keys, (z->n + 1) * sizeof *z->keys);
        if (!nk) {
            rc = pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
            break;
        }
        z->keys = nk;
        if ((rc = pcs_curve_load(dir, name, pk, NULL, err)) == 0)
            zmq_z85_decode(z->keys[z->n++], pk);
    }
    closedir(d);
    if (rc == 0 && z->n == 0)
        rc = pcs_err_set(err, PCS_EINVAL, 0, 0, "%s: no public key (*.pub): run pcs keys %s", dir, dir);
    return rc;
}

pcs_curve_zap_t *pcs_curve_zap_new(uv_loop_t *loop, void *zctx, const char *dir, pcs_err_t *err)
{
    pcs_curve_zap_t *z = calloc(1, sizeof *z);
    if (!z) {
        pcs_err_set(err, PCS_ENOMEM, 0, 0, "out of memory");
        return NULL;
    }
    pcs_zsock_opts_t o = {.type = ZMQ_REP, .bind = ZAP_ENDPOINT};
    if (load_public_keys(z, dir, err) < 0 || !(z->sock = pcs_zsock_new(loop, zctx, &o, on_zap, z, err))) {
        pcs_curve_zap_destroy(&z);
        return NULL;
    }
    return z;
}

void pcs_curve_zap_destroy(pcs_curve_zap_t **pz)
{
    if (!pz || !*pz)
        return;
    pcs_zsock_destroy(&(*pz)->sock);
    free((*pz)->keys);
    free(*pz);
    *pz = NULL;
}
