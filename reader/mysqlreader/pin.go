package mysqlreader

import (
	"database/sql"
	"database/sql/driver"
	"errors"
)

// errPinClosed is returned by do when the connection could not be pinned
// (sql.Conn.Raw failed before calling back) or was unpinned already.
var errPinClosed = errors.New("mysqlreader: connection not available")

// pinned runs functions on the driver connection of one sql.Conn. The
// driver connection may be used only inside the callback of sql.Conn.Raw,
// so a goroutine stays in that callback, running what do hands it, until
// unpin. Calls are sequential: do waits for its function to return, which
// orders everything the function touched before the caller's next step.
type pinned struct {
	work chan func(driver.Conn)
	ack  chan struct{}
	done chan struct{}
	err  error // sql.Conn.Raw's error, set before done is closed
}

// pin starts holding c's driver connection.
func pin(c *sql.Conn) *pinned {
	p := &pinned{work: make(chan func(driver.Conn)), ack: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.err = c.Raw(func(dc any) error {
			d := dc.(driver.Conn)
			for f := range p.work {
				f(d)
				p.ack <- struct{}{}
			}
			return nil
		})
	}()
	return p
}

// do runs f on the driver connection and waits for it.
func (p *pinned) do(f func(driver.Conn)) error {
	select {
	case p.work <- f:
		<-p.ack
		return nil
	case <-p.done:
		if p.err != nil {
			return p.err
		}
		return errPinClosed
	}
}

// unpin ends the Raw callback; the sql.Conn is usable again (or closed,
// when Raw failed) once it returns.
func (p *pinned) unpin() error {
	select {
	case <-p.done:
	default:
		close(p.work)
		<-p.done
	}
	return p.err
}
