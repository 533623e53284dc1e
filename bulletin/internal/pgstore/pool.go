package pgstore

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
)

// pool is a minimal connection pool over pgx.Conn (which is not safe for
// concurrent use): at most max connections, created lazily, a connection
// returned to the pool only if it is still usable. It avoids pgxpool's extra
// module dependency.
type pool struct {
	cfg  *pgx.ConnConfig
	idle chan *pgx.Conn
	sem  chan struct{}

	mu     sync.Mutex
	closed bool
}

func newPool(cfg *pgx.ConnConfig, max int) *pool {
	return &pool{cfg: cfg, idle: make(chan *pgx.Conn, max), sem: make(chan struct{}, max)}
}

func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.sem <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			<-p.sem
			return nil, fmt.Errorf("pgstore: connect: %w", err)
		}
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("pgstore: waiting for a connection: %w", ctx.Err())
	}
}

func (p *pool) release(c *pgx.Conn) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed || c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		_ = c.Close(context.Background())
		<-p.sem
		return
	}
	p.idle <- c
}

// with runs f on a pooled connection.
func (p *pool) with(ctx context.Context, f func(c *pgx.Conn) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	return f(c)
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			_ = c.Close(context.Background())
			<-p.sem
		default:
			return
		}
	}
}
