/*
 * archive_dl.h: libarchive, loaded when export or import first needs it.
 *
 * Every spool command would otherwise pay, at each start, for mapping
 * and relocating libarchive and the fifteen libraries it pulls in (XML,
 * ICU, C++...): a few milliseconds, twice the cost of a durable push.
 * lib/archive.c includes this after <archive.h> and calls archive_load()
 * before its first libarchive call; each archive_* name then goes
 * through a pointer that archive_load() fills with dlsym().
 */
#ifndef SPOOL_ARCHIVE_DL_H
#define SPOOL_ARCHIVE_DL_H

#include <stddef.h>

#include <archive.h>
#include <archive_entry.h>

/* The library to load; the build may name another. */
#ifndef SPOOL_LIBARCHIVE
#define SPOOL_LIBARCHIVE "libarchive.so.13"
#endif

#define ARCHIVE_FUNCS(X)                                                       \
	X(archive_entry_clear)                                                 \
	X(archive_entry_filetype)                                              \
	X(archive_entry_free)                                                  \
	X(archive_entry_hardlink)                                              \
	X(archive_entry_new)                                                   \
	X(archive_entry_pathname)                                              \
	X(archive_entry_set_filetype)                                          \
	X(archive_entry_set_ino)                                               \
	X(archive_entry_set_mtime)                                             \
	X(archive_entry_set_nlink)                                             \
	X(archive_entry_set_pathname)                                          \
	X(archive_entry_set_perm)                                              \
	X(archive_entry_set_size)                                              \
	X(archive_entry_size)                                                  \
	X(archive_entry_size_is_set)                                           \
	X(archive_entry_symlink)                                               \
	X(archive_errno)                                                       \
	X(archive_error_string)                                                \
	X(archive_format)                                                      \
	X(archive_read_data)                                                   \
	X(archive_read_data_skip)                                              \
	X(archive_read_free)                                                   \
	X(archive_read_new)                                                    \
	X(archive_read_next_header)                                            \
	X(archive_read_open1)                                                  \
	X(archive_read_open_fd)                                                \
	X(archive_read_set_callback_data)                                      \
	X(archive_read_set_read_callback)                                      \
	X(archive_read_set_seek_callback)                                      \
	X(archive_read_set_skip_callback)                                      \
	X(archive_read_support_filter_bzip2)                                   \
	X(archive_read_support_filter_gzip)                                    \
	X(archive_read_support_filter_lz4)                                     \
	X(archive_read_support_filter_xz)                                      \
	X(archive_read_support_filter_zstd)                                    \
	X(archive_read_support_format_7zip)                                    \
	X(archive_read_support_format_cpio)                                    \
	X(archive_read_support_format_tar)                                     \
	X(archive_read_support_format_zip)                                     \
	X(archive_set_error)                                                   \
	X(archive_write_add_filter_bzip2)                                      \
	X(archive_write_add_filter_gzip)                                       \
	X(archive_write_add_filter_lz4)                                        \
	X(archive_write_add_filter_none)                                       \
	X(archive_write_add_filter_xz)                                         \
	X(archive_write_add_filter_zstd)                                       \
	X(archive_write_close)                                                 \
	X(archive_write_data)                                                  \
	X(archive_write_finish_entry)                                          \
	X(archive_write_free)                                                  \
	X(archive_write_header)                                                \
	X(archive_write_new)                                                   \
	X(archive_write_open)                                                  \
	X(archive_write_open_fd)                                               \
	X(archive_write_set_bytes_in_last_block)                               \
	X(archive_write_set_bytes_per_block)                                   \
	X(archive_write_set_format_7zip)                                       \
	X(archive_write_set_format_cpio_newc)                                  \
	X(archive_write_set_format_pax)                                        \
	X(archive_write_set_format_pax_restricted)                             \
	X(archive_write_set_format_ustar)                                      \
	X(archive_write_set_format_zip)

#define ARCHIVE_DL_DECLARE(f) extern __typeof__(f) *dl_##f;
ARCHIVE_FUNCS(ARCHIVE_DL_DECLARE)
#undef ARCHIVE_DL_DECLARE

/*
 * Loads libarchive once per process.  Returns 0, or -1 with a reason in
 * ERR (the library or one of its functions is missing).
 */
int archive_load(char *err, size_t size);

#ifndef ARCHIVE_DL_IMPL
#define archive_entry_clear (*dl_archive_entry_clear)
#define archive_entry_filetype (*dl_archive_entry_filetype)
#define archive_entry_free (*dl_archive_entry_free)
#define archive_entry_hardlink (*dl_archive_entry_hardlink)
#define archive_entry_new (*dl_archive_entry_new)
#define archive_entry_pathname (*dl_archive_entry_pathname)
#define archive_entry_set_filetype (*dl_archive_entry_set_filetype)
#define archive_entry_set_ino (*dl_archive_entry_set_ino)
#define archive_entry_set_mtime (*dl_archive_entry_set_mtime)
#define archive_entry_set_nlink (*dl_archive_entry_set_nlink)
#define archive_entry_set_pathname (*dl_archive_entry_set_pathname)
#define archive_entry_set_perm (*dl_archive_entry_set_perm)
#define archive_entry_set_size (*dl_archive_entry_set_size)
#define archive_entry_size (*dl_archive_entry_size)
#define archive_entry_size_is_set (*dl_archive_entry_size_is_set)
#define archive_entry_symlink (*dl_archive_entry_symlink)
#define archive_errno (*dl_archive_errno)
#define archive_error_string (*dl_archive_error_string)
#define archive_format (*dl_archive_format)
#define archive_read_data (*dl_archive_read_data)
#define archive_read_data_skip (*dl_archive_read_data_skip)
#define archive_read_free (*dl_archive_read_free)
#define archive_read_new (*dl_archive_read_new)
#define archive_read_next_header (*dl_archive_read_next_header)
#define archive_read_open1 (*dl_archive_read_open1)
#define archive_read_open_fd (*dl_archive_read_open_fd)
#define archive_read_set_callback_data (*dl_archive_read_set_callback_data)
#define archive_read_set_read_callback (*dl_archive_read_set_read_callback)
#define archive_read_set_seek_callback (*dl_archive_read_set_seek_callback)
#define archive_read_set_skip_callback (*dl_archive_read_set_skip_callback)
#define archive_read_support_filter_bzip2                                      \
	(*dl_archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip (*dl_archive_read_support_filter_gzip)
#define archive_read_support_filter_lz4 (*dl_archive_read_support_filter_lz4)
#define archive_read_support_filter_xz (*dl_archive_read_support_filter_xz)
#define archive_read_support_filter_zstd (*dl_archive_read_support_filter_zstd)
#define archive_read_support_format_7zip (*dl_archive_read_support_format_7zip)
#define archive_read_support_format_cpio (*dl_archive_read_support_format_cpio)
#define archive_read_support_format_tar (*dl_archive_read_support_format_tar)
#define archive_read_support_format_zip (*dl_archive_read_support_format_zip)
#define archive_set_error (*dl_archive_set_error)
#define archive_write_add_filter_bzip2 (*dl_archive_write_add_filter_bzip2)
#define archive_write_add_filter_gzip (*dl_archive_write_add_filter_gzip)
#define archive_write_add_filter_lz4 (*dl_archive_write_add_filter_lz4)
#define archive_write_add_filter_none (*dl_archive_write_add_filter_none)
#define archive_write_add_filter_xz (*dl_archive_write_add_filter_xz)
#define archive_write_add_filter_zstd (*dl_archive_write_add_filter_zstd)
#define archive_write_close (*dl_archive_write_close)
#define archive_write_data (*dl_archive_write_data)
#define archive_write_finish_entry (*dl_archive_write_finish_entry)
#define archive_write_free (*dl_archive_write_free)
#define archive_write_header (*dl_archive_write_header)
#define archive_write_new (*dl_archive_write_new)
#define archive_write_open (*dl_archive_write_open)
#define archive_write_open_fd (*dl_archive_write_open_fd)
#define archive_write_set_bytes_in_last_block                                  \
	(*dl_archive_write_set_bytes_in_last_block)
#define archive_write_set_bytes_per_block                                      \
	(*dl_archive_write_set_bytes_per_block)
#define archive_write_set_format_7zip (*dl_archive_write_set_format_7zip)
#define archive_write_set_format_cpio_newc                                     \
	(*dl_archive_write_set_format_cpio_newc)
#define archive_write_set_format_pax (*dl_archive_write_set_format_pax)
#define archive_write_set_format_pax_restricted                                \
	(*dl_archive_write_set_format_pax_restricted)
#define archive_write_set_format_ustar (*dl_archive_write_set_format_ustar)
#define archive_write_set_format_zip (*dl_archive_write_set_format_zip)
#endif

#endif /* SPOOL_ARCHIVE_DL_H */
