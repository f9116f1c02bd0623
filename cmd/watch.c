/*
 * watch.c: spool stat --watch[=SECS], a live view of queue pressure.
 *
 * On a terminal it switches to the alternate screen, hides the cursor and
 * redraws in place every SECS (default 2 s); q (or Ctrl-C, or SIGTERM or
 * SIGHUP) ends it and the terminal is given back as it was found.  Each
 * queue gets a sparkline of its depth (new + cur + retry) over the last
 * frames.  When standard output is not a terminal, frames are printed one
 * after another without escape sequences.  Colour only on a terminal and
 * when NO_COLOR is unset.  Rates compare each frame with the one at least
 * a second before it; nothing is stored in the queues.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fmt.h"
#include "stat.h"

#define HISTORY 120 /* frames of depth kept per queue */

/* What one queue's line needs from frame to frame. */
struct track {
	char *name;
	struct spool_sample base;
	struct spool_rates last; /* shown until the next window closes */
	int has_last;
	uint64_t depth[HISTORY];
	int ndepth;
};

struct view {
	const struct stat_opts *o;
	char **queues;
	int nqueues;
	struct track *t;
	size_t nt;
	int tty, color, utf8;
};

static volatile sig_atomic_t stop_signal, resized;

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		stop_signal = sig;
}

static struct track *
track_of(struct view *v, const char *name)
{
	struct track *t;
	size_t i;

	for (i = 0; i < v->nt; i++)
		if (strcmp(v->t[i].name, name) == 0)
			return &v->t[i];
	if ((t = realloc(v->t, (v->nt + 1) * sizeof(*t))) == NULL)
		return NULL;
	v->t = t;
	t = &v->t[v->nt];
	memset(t, 0, sizeof(*t));
	if ((t->name = strdup(name)) == NULL)
		return NULL;
	v->nt++;
	return t;
}

static void
remember(struct track *t, const struct qstat *s)
{
	uint64_t d = s->st.count[SPOOL_NEW] + s->st.count[SPOOL_CUR] +
		     s->st.count[SPOOL_RETRY];

	if (t->ndepth == HISTORY) {
		memmove(t->depth, t->depth + 1,
		    sizeof(t->depth[0]) * (HISTORY - 1));
		t->ndepth--;
	}
	t->depth[t->ndepth++] = d;
}

static void
sparkline(FILE *f, const struct track *t, int width, int utf8)
{
	static const char *const bars[] = {"\u2581", "\u2582", "\u2583",
	    "\u2584", "\u2585", "\u2586", "\u2587", "\u2588"};
	static const char ascii[] = "_.-=+*#@";
	uint64_t max = 0;
	int i, from = t->ndepth > width ? t->ndepth - width : 0, lvl;

	for (i = from; i < t->ndepth; i++)
		if (t->depth[i] > max)
			max = t->depth[i];
	for (i = from; i < t->ndepth; i++) {
		lvl = max == 0 ? 0 : (int)(t->depth[i] * 7 / max);
		if (utf8)
			fputs(bars[lvl], f);
		else
			fputc(ascii[lvl], f);
	}
}

/* The terminal's size; a generous one when it cannot be known. */
static void
term_size(int *cols, int *rows)
{
	struct winsize ws;

	*cols = 80;
	*rows = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
	    ws.ws_row > 0) {
		*cols = ws.ws_col;
		*rows = ws.ws_row;
	}
}

/* The queues this frame shows: the ones named, or those under the root. */
static int
frame_queues(struct view *v, char ***names, size_t *n)
{
	if (v->nqueues > 0) {
		*names = v->queues;
		*n = (size_t)v->nqueues;
		return 0;
	}
	return queue_names(names, n);
}

static void
draw_title(struct view *v)
{
	char now[40], every[32];

	fmt_iso(clock_ms(), now, sizeof(now));
	fmt_age(v->o->watch_ms, every, sizeof(every));
	printf("%sspool stat%s  every %s  %.19sZ%s", v->color ? "\033[1m" : "",
	    v->color ? "\033[0m" : "", every, now,
	    v->tty ? "  (q to quit)" : "");
}

/* Ends a line: on a terminal, clears the rest of it first. */
static void
eol(struct view *v)
{
	fputs(v->tty ? "\033[K\n" : "\n", stdout);
}

static void
draw_row(struct view *v, const char *name, int width)
{
	struct track *t = track_of(v, name);
	struct qstat s;
	int room;

	if (t == NULL)
		return;
	collect(&s, name, 0, &t->base, 1);
	if (s.ok)
		remember(t, &s);
	if (s.has_rates) {
		t->last = s.r;
		t->has_last = 1;
	} else if (s.ok && t->has_last) {
		s.r = t->last;
		s.has_rates = 1;
	}
	table_row(stdout, &s);
	/* table_row() is about 80 columns wide with a short name. */
	room = width - 2 - 80 -
	       ((int)strlen(name) > 14 ? (int)strlen(name) - 14 : 0);
	if (s.ok && room > 4) {
		fputs("  ", stdout);
		sparkline(stdout, t, room, v->utf8);
	}
	eol(v);
}

static int
draw(struct view *v)
{
	char **names;
	size_t n, i, fit;
	int width = 200, rows = 0;

	if (frame_queues(v, &names, &n) == -1) {
		fprintf(stderr, "spool: stat: cannot read the queue root: %s\n",
		    strerror(errno));
		return EX_IOERR;
	}
	if (v->tty)
		term_size(&width, &rows);
	/* Title, blank, header, and a last line kept free: nothing scrolls. */
	fit = v->tty && rows > 4 && (size_t)rows - 4 < n ? (size_t)rows - 5 : n;
	if (v->tty)
		fputs("\033[H", stdout);
	draw_title(v);
	eol(v);
	eol(v);
	if (v->color)
		fputs("\033[1m", stdout);
	table_header(stdout);
	printf("  DEPTH%s", v->color ? "\033[0m" : "");
	eol(v);
	for (i = 0; i < fit; i++)
		draw_row(v, names[i], width);
	if (fit < n) {
		printf("(%zu more queues: make the window taller)", n - fit);
		eol(v);
	}
	if (n == 0) {
		fputs("(no queues)", stdout);
		eol(v);
	}
	if (v->tty)
		fputs("\033[J", stdout);
	else
		putchar('\n');
	if (names != v->queues)
		free_names(names, n);
	return fflush(stdout) == 0 ? EX_OK : EX_IOERR;
}

/* What the view changes and must give back. */
struct saved {
	struct termios tio;
	int have_tio;
	struct sigaction old[4];
	sigset_t mask; /* the signal mask before the view */
};

static const int view_signals[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};

static void
enter(struct view *v, struct saved *sv)
{
	struct termios raw;
	struct sigaction sa;
	sigset_t block;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: ppoll must wake */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (i = 0; i < 4; i++) {
		sigaction(view_signals[i], &sa, &sv->old[i]);
		sigaddset(&block, view_signals[i]);
	}
	/* Blocked but while waiting in ppoll: no wake-up is ever lost. */
	sigprocmask(SIG_BLOCK, &block, &sv->mask);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &sv->tio) == 0) {
		raw = sv->tio;
		/* Keys one at a time, unechoed; ISIG stays: Ctrl-C is SIGINT.
		 */
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		sv->have_tio = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	if (v->tty)
		/* Alternate screen, no cursor, no wrap: long lines are cut. */
		fputs("\033[?1049h\033[?25l\033[?7l\033[H\033[2J", stdout);
}

static void
leave(struct view *v, struct saved *sv)
{
	int i;

	if (v->tty) {
		fputs("\033[?7h\033[?25h\033[?1049l", stdout);
		fflush(stdout);
	}
	if (sv->have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &sv->tio);
	/* Unblock while our handler is still in place, then restore. */
	sigprocmask(SIG_SETMASK, &sv->mask, NULL);
	for (i = 0; i < 4; i++)
		sigaction(view_signals[i], &sv->old[i], NULL);
}

/* Waits MS for the next frame; returns 1 when the view should end. */
static int
wait_frame(struct view *v, struct saved *sv, int64_t ms)
{
	int64_t left, deadline = mono_ms() + ms;
	struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
	struct timespec ts;
	ssize_t r;
	char c;
	int n;

	while ((left = deadline - mono_ms()) > 0) {
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		n = ppoll(&pfd, sv->have_tio ? 1 : 0, &ts, &sv->mask);
		if (n == -1) {
			if (errno != EINTR || stop_signal)
				return 1;
			if (resized) {
				resized = 0;
				if (v->tty)
					fputs("\033[2J", stdout);
				return 0;
			}
			continue;
		}
		if (n == 0)
			return 0;
		r = read(STDIN_FILENO, &c, 1);
		if (r == 0 || (r == -1 && errno != EINTR && errno != EAGAIN))
			return 1; /* end of input or a hangup: nobody watches */
		if (r == 1 && (c == 'q' || c == 'Q'))
			return 1;
	}
	return 0;
}

int
stat_watch(const struct stat_opts *o, char **queues, int n)
{
	struct view v = {0};
	struct saved sv = {0};
	int status = EX_OK;
	size_t i;

	v.o = o;
	v.queues = queues;
	v.nqueues = n;
	v.tty = isatty(STDOUT_FILENO);
	v.color = use_color(stdout);
	setlocale(LC_CTYPE, "");
	v.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	enter(&v, &sv);
	while (!stop_signal && (status = draw(&v)) == EX_OK &&
	       !wait_frame(&v, &sv, o->watch_ms))
		;
	leave(&v, &sv);
	for (i = 0; i < v.nt; i++)
		free(v.t[i].name);
	free(v.t);
	return status;
}
