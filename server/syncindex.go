package server

import (
	"context"
	"time"

	"ketnoi/indexer"
)

// serverLife is the context key of the server's own context (Run's base), which only shutdown cancels.
type serverLife struct{}

// serverDraining is the context key of a context cancelled when shutdown begins, while requests in flight
// may still be answered: long work (a record import) stops there and says so.
type serverDraining struct{}

// drainingOf is the context that shutdown's beginning cancels, from a request's (never cancelled when the
// server is served without Run: tests).
func drainingOf(ctx context.Context) context.Context {
	if d, ok := ctx.Value(serverDraining{}).(context.Context); ok {
		return d
	}
	return context.Background()
}

// syncTimeout bounds an index sync after a write, which the request's own timeout does not.
const syncTimeout = 2 * time.Minute

// syncIndex brings the index up to the store after a write the store has taken (hold writeMu).
func (s *Server) syncIndex(ctx context.Context) error {
	ctx, cancel := writeDone(ctx)
	defer cancel()
	_, err := indexer.Sync(ctx, s.store, s.idx, nil)
	return err
}

// writeDone is the context for a request's work that must finish once the store has taken its write:
// the index sync. The request's end (the client gone, the request timeout) does not stop it, since an
// index left behind would go on showing a deleted document, or missing a published need, until the next
// write. Shutdown still stops it; the next start catches up.
func writeDone(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(lifeOf(ctx), syncTimeout)
}

// lifeOf is the server's own context, which only shutdown cancels, from a request's.
func lifeOf(ctx context.Context) context.Context {
	if life, ok := ctx.Value(serverLife{}).(context.Context); ok {
		return life
	}
	return context.WithoutCancel(ctx) // served without Run (tests): nothing stops the server
}
