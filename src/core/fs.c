/* fs.c: directories, atomic file writes and Parley's XDG paths. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

parley_status parley_mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    if (!path || !*path)
        return parley_fail(PARLEY_ERR_INVALID_ARG, "an empty directory path");
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", path);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
                int e = errno;
                return parley_fail(parley_status_from_errno(e), "cannot create directory %s: %s", tmp, strerror(e));
            }
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return parley_fail(PARLEY_ERR_IO, "%s exists and is not a directory", path);
    return PARLEY_OK;
}

parley_status parley_write_file_atomic(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "cannot create %s: %s", tmp, strerror(e));
    }
    const char *p = data;
    size_t left = len;
    int e = 0;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            e = errno;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!e && fchmod(fd, 0644) != 0) /* mkstemp makes 0600; exports are ordinary files */
        e = errno;
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return parley_fail(parley_status_from_errno(e), "cannot write %s: %s", path, strerror(e));
    }
    return parley_fsync_parent(path);
}

parley_status parley_fsync_parent(const char *path)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long: %s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return parley_fail(parley_status_from_errno(e), "cannot open directory %s to sync it: %s", dir, strerror(e));
    }
    int e = 0;
    if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
        e = errno;
    close(fd);
    if (e)
        return parley_fail(parley_status_from_errno(e), "cannot sync directory %s: %s", dir, strerror(e));
    return PARLEY_OK;
}

static parley_status put(char *out, size_t n, const char *a, const char *b)
{
    int w = snprintf(out, n, "%s%s", a, b);
    if (w < 0 || (size_t)w >= n)
        return parley_fail(PARLEY_ERR_TOO_LARGE, "path too long");
    return PARLEY_OK;
}

parley_status parley_dir_path(parley_dir which, char *out, size_t n)
{
    const char *home = getenv("HOME");
    const char *v;
    char base[PATH_MAX];
    if (!home || !*home)
        home = "/";
    switch (which) {
    case PARLEY_DIR_DATA:
        if ((v = getenv("PARLEY_DATA_DIR")) && *v)
            return put(out, n, v, "");
        if ((v = getenv("XDG_DATA_HOME")) && *v)
            return put(out, n, v, "/parley");
        snprintf(base, sizeof base, "%s/.local/share", home);
        return put(out, n, base, "/parley");
    case PARLEY_DIR_CONFIG:
        if ((v = getenv("PARLEY_CONFIG_DIR")) && *v)
            return put(out, n, v, "");
        if ((v = getenv("XDG_CONFIG_HOME")) && *v)
            return put(out, n, v, "/parley");
        snprintf(base, sizeof base, "%s/.config", home);
        return put(out, n, base, "/parley");
    case PARLEY_DIR_MODELS: {
        if ((v = getenv("PARLEY_MODELS_DIR")) && *v)
            return put(out, n, v, "");
        parley_status st = parley_dir_path(PARLEY_DIR_DATA, base, sizeof base);
        if (st)
            return st;
        return put(out, n, base, "/models");
    }
    case PARLEY_DIR_CACHE:
        if ((v = getenv("XDG_CACHE_HOME")) && *v)
            return put(out, n, v, "/parley");
        snprintf(base, sizeof base, "%s/.cache", home);
        return put(out, n, base, "/parley");
    }
    return parley_fail(PARLEY_ERR_INVALID_ARG, "unknown directory kind %d", (int)which);
}

/* The search path as a list of directories: models dir first. */
size_t parley_model_search_dirs(char dirs[][PATH_MAX], size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    if (parley_dir_path(PARLEY_DIR_MODELS, dirs[n], PATH_MAX) == PARLEY_OK)
        n++;
    const char *mp = getenv("PARLEY_MODEL_PATH");
    while (mp && *mp && n < max) {
        const char *c = strchr(mp, ':');
        size_t len = c ? (size_t)(c - mp) : strlen(mp);
        if (len && len < PATH_MAX) {
            memcpy(dirs[n], mp, len);
            dirs[n][len] = '\0';
            n++;
        }
        mp = c ? c + 1 : NULL;
    }
    return n;
}

bool parley_is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}
