/*
 * fs.c — file system helpers (see fs.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/config.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/text.h"

int
fs_read_file(const char *path, char **data, size_t *len)
{
	struct pgw_buf b;
	char		chunk[65536];
	ssize_t		n;
	int			fd;
	struct stat st;
	bool		have_st;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pgw_error(PGW_ERR_INPUT, "cannot open '%s': %s", path, strerror(errno));
	have_st = fstat(fd, &st) == 0;
	if (have_st && S_ISDIR(st.st_mode))
	{
		close(fd);
		return pgw_error(PGW_ERR_INPUT, "cannot read '%s': it is a folder", path);
	}
	buf_init(&b);
	/* a regular file: read straight into a buffer of its size */
	if (have_st && S_ISREG(st.st_mode) && st.st_size > 0)
	{
		size_t		want = (size_t) st.st_size;

		free(b.data);
		b.data = pgw_malloc(want + 1);
		b.cap = want + 1;
		while (b.len < want && (n = read(fd, b.data + b.len, want - b.len)) != 0)
		{
			if (n < 0)
			{
				if (errno == EINTR)
					continue;
				pgw_error(PGW_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
				close(fd);
				buf_release(&b);
				return -1;
			}
			b.len += (size_t) n;
		}
		b.data[b.len] = '\0';
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0)
	{
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			pgw_error(PGW_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			buf_release(&b);
			return -1;
		}
		buf_append_len(&b, chunk, (size_t) n);
	}
	close(fd);
	*len = b.len;
	*data = buf_steal(&b);
	return 0;
}

/* write all of data to fd; errno set on failure */
static int
write_all(int fd, const char *data, size_t len)
{
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = write(fd, data + done, len - done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t) n;
	}
	return 0;
}

/*
 * Writes data to path.  A regular file (or a new one) is replaced through a
 * temporary file and rename(), so a reader never sees half of it; a symbolic
 * link to one keeps its link, the file it points to being replaced.  What
 * is not a regular file — /dev/null, /dev/stdout, a FIFO — is written into
 * as it is: renaming over it would replace the device itself.
 */
int
fs_write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	struct stat st;
	char	   *real = NULL;
	char	   *tmp;
	int			fd;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
	{
		if (S_ISDIR(st.st_mode))
			return pgw_error(PGW_ERR_INPUT, "cannot write '%s': it is a folder", path);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write_all(fd, data, len) != 0)
		{
			pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (close(fd) != 0)
			return pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		return 0;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		real = realpath(path, NULL);
	if (real)
		path = real;
	tmp = pgw_asprintf("%s.tmp.%d", path, (int) getpid());

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		free(tmp);
		free(real);
		return -1;
	}
	if (write_all(fd, data, len) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		close(fd);
		unlink(tmp);
		free(tmp);
		free(real);
		return -1;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
	{
		pgw_error(PGW_ERR_INPUT, "cannot write '%s': %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		free(real);
		return -1;
	}
	free(tmp);
	free(real);
	return 0;
}

int
fs_mkdir_p(const char *path, mode_t mode)
{
	char	   *p = pgw_strdup(path);
	char	   *s;

	for (s = p + 1; ; s++)
	{
		if (*s == '/' || *s == '\0')
		{
			char		saved = *s;

			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST)
			{
				pgw_error(PGW_ERR_INPUT, "cannot create folder '%s': %s", p, strerror(errno));
				free(p);
				return -1;
			}
			*s = saved;
			if (saved == '\0')
				break;
		}
	}
	free(p);
	if (!fs_is_dir(path))
		return pgw_error(PGW_ERR_INPUT, "cannot create folder '%s': a file is in the way", path);
	return 0;
}

int
fs_remove_tree(const char *path)
{
	struct stat st;
	DIR		   *d;
	struct dirent *de;
	int			rc = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : pgw_error(PGW_ERR_INPUT, "cannot remove '%s': %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
	{
		if (unlink(path) != 0 && errno != ENOENT)
			return pgw_error(PGW_ERR_INPUT, "cannot remove '%s': %s", path, strerror(errno));
		return 0;
	}
	d = opendir(path);
	if (!d)
		return pgw_error(PGW_ERR_INPUT, "cannot remove '%s': %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL)
	{
		char	   *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = fs_join(path, de->d_name);
		if (fs_remove_tree(child) != 0)
			rc = -1;
		free(child);
	}
	closedir(d);
	if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
		return pgw_error(PGW_ERR_INPUT, "cannot remove '%s': %s", path, strerror(errno));
	return rc;
}

uint64_t
fs_tree_size(const char *path)
{
	struct stat st;
	DIR		   *d;
	struct dirent *de;
	uint64_t	total;

	if (lstat(path, &st) != 0)
		return 0;
	total = (uint64_t) st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return total;
	d = opendir(path);
	if (!d)
		return total;
	while ((de = readdir(d)) != NULL)
	{
		char	   *child;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		child = fs_join(path, de->d_name);
		total += fs_tree_size(child);
		free(child);
	}
	closedir(d);
	return total;
}

bool
fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

bool
fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *
fs_join(const char *dir, const char *name)
{
	size_t		n = strlen(dir);

	if (n > 0 && dir[n - 1] == '/')
		return pgw_asprintf("%s%s", dir, name);
	return pgw_asprintf("%s/%s", dir, name);
}

char *
fs_absolute(const char *path)
{
	struct pgw_buf in;
	struct pgw_buf out;
	const char *p;

	buf_init(&in);
	if (path[0] != '/')
	{
		char	   *cwd = getcwd(NULL, 0);

		buf_append(&in, cwd ? cwd : "/");
		buf_append_char(&in, '/');
		free(cwd);
	}
	buf_append(&in, path);

	/* collapse "//", "/./" and "/x/../" */
	buf_init(&out);
	p = in.data;
	while (*p)
	{
		size_t		n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.')
			;
		else if (n == 2 && p[0] == '.' && p[1] == '.')
		{
			char	   *slash = strrchr(out.data, '/');

			if (slash)
			{
				out.len = (size_t) (slash - out.data);
				out.data[out.len] = '\0';
			}
		}
		else
		{
			buf_append_char(&out, '/');
			buf_append_len(&out, p, n);
		}
		p += n;
	}
	if (out.len == 0)
		buf_append_char(&out, '/');
	buf_release(&in);
	return buf_steal(&out);
}

char *
fs_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return pgw_strdup(".");
	if (slash == path)
		return pgw_strdup("/");
	return pgw_strndup(path, (size_t) (slash - path));
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

int
fs_list_files(const char *dir, const char *suffix, struct pgw_strlist *list)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	char	  **names = NULL;
	size_t		n = 0,
				cap = 0,
				i;

	if (!d)
		return pgw_error(PGW_ERR_INPUT, "cannot read the folder '%s': %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL)
	{
		char	   *path;

		if (e->d_name[0] == '.' || !text_ends_with(e->d_name, suffix))
			continue;
		path = fs_join(dir, e->d_name);
		if (fs_is_dir(path))
		{
			free(path);
			continue;
		}
		if (n == cap)
		{
			cap = cap ? cap * 2 : 32;
			names = pgw_realloc(names, cap * sizeof(char *));
		}
		names[n++] = path;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(char *), cmp_str);
	for (i = 0; i < n; i++)
	{
		strlist_add(list, names[i]);
		free(names[i]);
	}
	free(names);
	return 0;
}

char *
fs_display_path(const char *path)
{
	char	   *cwd,
			   *a,
			   *c;
	size_t		i,
				common = 0;
	struct pgw_buf b;

	if (path[0] != '/')
		return pgw_strdup(path);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return pgw_strdup(path);
	a = fs_absolute(path);
	c = fs_absolute(cwd);
	free(cwd);
	/* the longest common prefix that ends at a component boundary */
	for (i = 0; a[i] && a[i] == c[i]; i++)
		if (a[i] == '/')
			common = i;
	if (a[i] == '\0' && c[i] == '\0')
		common = i;
	else if ((a[i] == '/' && c[i] == '\0') || (a[i] == '\0' && c[i] == '/'))
		common = i;
	if (common == 0 || (common == 1 && a[0] == '/'))
	{
		free(a);
		free(c);
		return pgw_strdup(path);	/* only "/" in common */
	}
	buf_init(&b);
	/* one ".." per component of the current folder below the prefix */
	for (i = common; c[i]; i++)
		if (c[i] == '/' && c[i + 1])
			buf_append(&b, "../");
	if (a[common] == '/')
		buf_append(&b, a + common + 1);
	else
		buf_append(&b, a + common);
	if (b.len == 0)
		buf_append(&b, ".");
	else if (b.data[b.len - 1] == '/')
		b.data[--b.len] = '\0';
	free(a);
	free(c);
	return buf_steal(&b);
}
