/*
 * mem.h — allocation that cannot fail silently, a growable string buffer and
 * an arena.
 *
 * Ownership rule (the one rule, everywhere): whoever allocates frees, unless a
 * function's comment says it hands ownership to the caller ("caller frees").
 * Out of memory is not an error path callers handle: pgw_malloc and friends
 * print a message and exit with PGW_EXIT_INTERNAL.
 */
#ifndef PGW_MEM_H
#define PGW_MEM_H

#include <stdarg.h>
#include <stddef.h>

void	   *pgw_malloc(size_t n);
void	   *pgw_calloc(size_t count, size_t size);
void	   *pgw_realloc(void *p, size_t n);
char	   *pgw_strdup(const char *s);
char	   *pgw_strndup(const char *s, size_t n);
char	   *pgw_asprintf(const char *fmt,...) __attribute__((format(printf, 1, 2)));
char	   *pgw_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable, always NUL-terminated string. */
struct pgw_buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
};

void		buf_init(struct pgw_buf *b);
void		buf_release(struct pgw_buf *b);
void		buf_reset(struct pgw_buf *b);
void		buf_append(struct pgw_buf *b, const char *s);
void		buf_append_len(struct pgw_buf *b, const char *s, size_t n);
void		buf_append_char(struct pgw_buf *b, char c);
void		buf_printf(struct pgw_buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
void		buf_vprintf(struct pgw_buf *b, const char *fmt, va_list ap);
/* Hands the string to the caller (caller frees) and leaves b empty. */
char	   *buf_steal(struct pgw_buf *b);

/*
 * An arena: many small allocations freed at once.  Used per command for the
 * schema model and generated text.  Memory is zeroed.
 */
struct pgw_arena_block;
struct pgw_arena
{
	struct pgw_arena_block *head;
	size_t		used;			/* bytes used in head */
	size_t		total;			/* bytes allocated over all blocks */
};

void		arena_init(struct pgw_arena *a);
void	   *arena_alloc(struct pgw_arena *a, size_t n);
/* Not zeroed: for memory the caller fills at once (big buffers whose pages
 * should not be touched before they are written). */
void	   *arena_alloc_raw(struct pgw_arena *a, size_t n);
char	   *arena_strdup(struct pgw_arena *a, const char *s);
void		arena_release(struct pgw_arena *a);

#endif
