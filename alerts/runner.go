package alerts

import (
	"context"
	"log/slog"
	"time"

	"ketnoi/corpus"
)

// retryAfter is how long the runner waits before trying again a pass that failed.
const retryAfter = 30 * time.Second

// Runner runs passes in the background, one at a time, so that indexing never waits for re-matching: Kick
// asks for a pass and returns at once; kicks that arrive during a pass coalesce into one more pass after it.
type Runner struct {
	engine *Engine
	log    *slog.Logger
	kick   chan struct{}
	// after is called with the alerts of every pass that raised some (e.g. to wake the webhook).
	after func([]corpus.Alert)
}

// NewRunner returns a runner of e's passes; after, when not nil, gets the alerts each pass raised.
func NewRunner(e *Engine, log *slog.Logger, after func([]corpus.Alert)) *Runner {
	if log == nil {
		log = slog.Default()
	}
	return &Runner{engine: e, log: log, kick: make(chan struct{}, 1), after: after}
}

// Kick asks for a pass; it never blocks.
func (r *Runner) Kick() {
	select {
	case r.kick <- struct{}{}:
	default: // one is already waiting: it will see these changes too
	}
}

// Run runs passes as they are asked for until ctx ends; a pass in progress is then abandoned (it wrote
// nothing, and the next start does it again).
func (r *Runner) Run(ctx context.Context) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		case <-retry:
		}
		retry = nil
		// Let a burst of changes gather: the kicks that arrive meanwhile are answered by this pass.
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(r.engine.Config.RematchDelayMS) * time.Millisecond):
		}
		select {
		case <-r.kick:
		default:
		}
		st, raised, err := r.engine.Pass(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.log.Error("alerts: re-match pass failed", slog.String("error", err.Error()))
			retry = time.After(retryAfter)
			continue
		}
		if st.To > st.From {
			r.log.Info("alerts: re-match pass", slog.Uint64("seq", st.To), slog.Int("results", st.Results),
				slog.Int("standing", st.Standing), slog.Int("matched", st.Matched), slog.Int("baseline", st.Baseline), slog.Int("closed", st.Closed),
				slog.Int("raised", st.Raised), slog.Duration("took", st.Took))
		}
		if len(raised) > 0 && r.after != nil {
			r.after(raised)
		}
	}
}
