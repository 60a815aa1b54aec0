/*
 * fs.h — files and folders: whole-file reads, atomic writes, mkdir -p,
 * rm -r, sizes, paths.  Every failure is recorded with pgw_error() naming the
 * path and the system's reason, and returns -1.
 */
#ifndef PGW_FS_H
#define PGW_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pgw_strlist;

/* Appends the paths of the regular files in dir whose names end in suffix
 * (hidden ones left out), sorted by name.  -1 (PGW_ERR_INPUT) when the
 * folder cannot be read. */
int			fs_list_files(const char *dir, const char *suffix, struct pgw_strlist *list);

/* Reads a whole file (NUL-terminated; *len excludes the NUL). Caller frees. */
int			fs_read_file(const char *path, char **data, size_t *len);

/* Writes data to path through a temporary file and rename(), mode as given
 * (a symlink keeps its link; /dev/null, a FIFO and other non-files are
 * written into, never replaced). */
int			fs_write_file(const char *path, const char *data, size_t len, mode_t mode);

/* Creates path and its missing parents with the given mode. */
int			fs_mkdir_p(const char *path, mode_t mode);

/* Removes path recursively (no error if it does not exist).  Does not follow
 * symbolic links: a link is removed, not its target. */
int			fs_remove_tree(const char *path);

/* Bytes used on disk by everything under path (0 if missing). */
uint64_t	fs_tree_size(const char *path);

bool		fs_exists(const char *path);
bool		fs_is_dir(const char *path);

/* dir + "/" + name (caller frees). */
char	   *fs_join(const char *dir, const char *name);

/* An absolute, normalised form of path, which need not exist (caller frees). */
char	   *fs_absolute(const char *path);

/*
 * path as messages show it (caller frees), the way compilers name files: a
 * relative path as given; an absolute one relative to the current folder
 * ("supabase/migrations/x.sql", "../x.sql") when the two share more than
 * "/", else as given.
 */
char	   *fs_display_path(const char *path);

/* The folder part of path (caller frees); "." for a bare name. */
char	   *fs_dirname(const char *path);

#endif
